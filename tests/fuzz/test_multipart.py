"""Hostile multipart uploads for both file scopes (``attachments/save``,
``recordings/files/save``): the request JSON made hostile one field at a time or as raw
text, odd file names and types, missing, repeated, extra and oversized parts, a wrong
boundary, bytes cut short or garbled. Nothing stored (records or files) changes on a
refusal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from ..uploads import PNG
from .conftest import MAX_FILE, budget
from .endpoints import Endpoint, endpoints
from .strategies import (
    Upload,
    file_part,
    hostile_uploads,
    multipart,
    request_text_part,
)

UPLOADS = pytest.mark.parametrize("endpoint", endpoints("multipart"), ids=str)
pytestmark = pytest.mark.django_db


@pytest.fixture
def fuzz(mongo_db: Any, make_fuzz: Any, endpoint: Endpoint) -> Any:
    return make_fuzz(endpoint)


def send(fuzz: Any, upload: Upload) -> Any:
    extra = {}
    if upload.content_length is not None:
        extra["CONTENT_LENGTH"] = str(upload.content_length)
    return fuzz.send(upload.body, content_type=upload.content_type, **extra)


@UPLOADS
def test_valid_uploads_are_stored(fuzz: Any, endpoint: Endpoint) -> None:
    for request in endpoint.bases():
        body = multipart([file_part(PNG), request_text_part(request)])
        response = send(fuzz, Upload(body))
        assert response.status_code == 200, response.content


@UPLOADS
def test_hostile_uploads(fuzz: Any, endpoint: Endpoint) -> None:
    @budget(3)
    @given(upload=hostile_uploads(endpoint.bases(), PNG, MAX_FILE))
    def run(upload: Upload) -> None:
        send(fuzz, upload)

    run()
