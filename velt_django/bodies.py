"""Reading request bodies within a size limit, before Django's own limits apply."""

from __future__ import annotations

from django.http import HttpRequest

from .exceptions import InvalidInput, PayloadTooLarge


def declared_length(request: HttpRequest) -> int:
    """The request's ``Content-Length`` (0 when absent); a malformed one is 400."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise InvalidInput("invalid Content-Length") from None


def read_limited(request: HttpRequest, limit: int, what: str = "request body") -> bytes:
    """The body bytes, at most ``limit`` of them (413 beyond: refused unread when the
    declared length says so), whatever the declared ``Content-Type``.

    Reads from the stream itself, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is never
    what refuses first (CONTRACT §2.1). The bytes are kept where ``HttpRequest.body``
    looks (CSRF checks read it).
    """
    if declared_length(request) > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    if hasattr(request, "_body"):
        raw: bytes = request._body
    else:
        raw = request.read(limit + 1)
        request._body = raw
    if len(raw) > limit:
        raise PayloadTooLarge(f"{what} exceeds {limit} bytes")
    return raw
