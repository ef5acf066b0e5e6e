"""Builds the ResolverResponse envelope (CONTRACT §2.2) in one place."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.http import HttpResponse


def _now_ms() -> int:
    return int(time.time() * 1000)


def _json_default(value: Any) -> Any:
    # Stored payloads come from JSON, but records written by other tools (imports,
    # the server-side API) may hold BSON-only types; render them as strings.
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def _response(body: dict[str, Any], status: int) -> HttpResponse:
    content = json.dumps(
        body, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )
    response = HttpResponse(
        content.encode("utf-8"), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


def success(data: dict[str, Any] | None = None) -> HttpResponse:
    """A 200 success envelope; ``data`` is included only when given (reads and uploads)."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body.update(success=True, statusCode=200, timestamp=_now_ms())
    return _response(body, 200)


def failure(
    status: int, error_code: str, message: str, extra: dict[str, Any] | None = None
) -> HttpResponse:
    """A failure envelope whose HTTP status equals ``statusCode``; ``message`` holds no PII."""
    body: dict[str, Any] = {
        "success": False,
        "statusCode": status,
        "errorCode": error_code,
        "message": message,
    }
    if extra:
        body.update(extra)
    body["timestamp"] = _now_ms()
    return _response(body, status)
