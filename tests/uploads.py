"""Multipart uploads the way the Velt SDK sends them (CONTRACT §9.2), shared by the file
tests on local storage (tests/views/test_files.py) and on S3 (tests/test_files_s3.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from .auth import principal

ORG = "acme-corp"
DOC = "spec-2024-q3"
#: The URL segment of each file scope.
PATHS = {"attachment": "attachments", "recording": "recordings/files"}
SCOPES = pytest.mark.parametrize("scope", ["attachment", "recording"])
COLLECTION = "velt_files"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def request_part(
    attachment_id: Any = 284117,
    org: Any = ORG,
    doc: Any = DOC,
    name: str = "mock-v2.png",
    mime: str = "image/png",
    **attachment: Any,
) -> dict[str, Any]:
    """The ``request`` JSON of a Velt upload (§9.2)."""
    return {
        "attachment": {
            "attachmentId": attachment_id,
            "name": name,
            "mimeType": mime,
            **attachment,
        },
        "metadata": {
            "organizationId": org,
            "documentId": doc,
            "folderId": "design-reviews",
            "attachmentId": attachment_id,
            "commentAnnotationId": "Qm3r8XvT2pLkA9dWzF1c",
            "apiKey": "pk_live_3bT9xQ",
        },
        "event": "attachment.add",
    }


def upload(
    client: Client,
    scope: str,
    content: bytes = PNG,
    req: Any = None,
    *,
    as_: tuple[str, ...] | None = ("u_8841", ORG),
    filename: str = "mock-v2.png",
    content_type: str = "image/png",
    request_as_file: bool = False,
    fields: dict[str, Any] | None = None,
    **extra: Any,
) -> Any:
    """POST a multipart upload the way the Velt SDK builds it: ``file`` + ``request``."""
    data: dict[str, Any] = {
        "file": SimpleUploadedFile(filename, content, content_type=content_type)
    }
    body = json.dumps(request_part() if req is None else req)
    if request_as_file:
        data["request"] = SimpleUploadedFile(
            "blob", body.encode(), content_type="application/json"
        )
    else:
        data["request"] = body
    if fields is not None:
        data = {**data, **fields}
        data = {k: v for k, v in data.items() if v is not None}
    headers = principal(*as_) if as_ else {}
    return client.post(f"/velt/{PATHS[scope]}/save", data, **headers, **extra)
