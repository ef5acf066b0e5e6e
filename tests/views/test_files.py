"""File uploads, deletes and the private URL on local storage (CONTRACT §9-§11,
Appendix A "Files"), over HTTP with real multipart bodies through Django's test client.

Both scopes run every shared test: ``attachment`` (``attachments/save|delete``) and
``recording`` (``recordings/files/save|delete``). Storage is a ``FileSystemStorage`` in a
temporary directory; MongoDB is mongomock here and the real server in the ``mongo`` tier
tests at the end.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pymongo import monitoring
from rest_framework.throttling import SimpleRateThrottle

from velt_django import files
from velt_django.exceptions import DatabaseUnavailableError
from velt_django.repository.files import FileRepository

from ..auth import principal
from ..contracts import (
    TransportAuthContract,
    TransportMethodContract,
    TransportPreflightContract,
    assert_failure,
)
from ..contracts import assert_success as assert_envelope
from ..families import MONGODB, POSTGRES_ALIAS, on_backends
from ..uploads import COLLECTION, DOC, ORG, PATHS, PNG, SCOPES, request_part, upload

OTHER = "globex"


def assert_success(response: Any, *, read: bool) -> dict[str, Any]:
    """The success envelope's ``data`` (uploads answer ``{"url": …}``)."""
    body = assert_envelope(response, read=read)
    return dict(body.get("data", body))


def delete(
    client: Client, scope: str, body: Any, as_: tuple[str, ...] = ("u_8841", ORG)
) -> Any:
    return client.post(
        f"/velt/{PATHS[scope]}/delete",
        json.dumps(body),
        content_type="application/json",
        **principal(*as_),
    )


def delete_body(attachment_id: Any = 284117, org: str = ORG, **md: Any) -> Any:
    return {
        "attachmentId": attachment_id,
        "metadata": {"apiKey": "pk_live_3bT9xQ", "organizationId": org, **md},
        "event": "attachment.delete",
    }


def fetch(client: Client, url: str, **headers: Any) -> Any:
    """GET an absolute URL returned by an upload through the test client."""
    parts = urlsplit(url)
    return client.get(parts.path, query_string_dict(parts.query), **headers)


def query_string_dict(query: str) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in query.split("&") if pair)


def body_of(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def db(mongo_db: Any, media: Path) -> Any:
    return mongo_db


# Saving
@SCOPES
def test_upload_returns_absolute_url_and_stores_object_and_record(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    response = upload(client, scope)
    data = assert_success(response, read=True)
    url = data["url"]
    assert url.startswith("http://testserver/velt/f/")
    assert urlsplit(url).path.endswith("/mock-v2.png")
    (obj,) = stored_files(media)
    assert obj.read_bytes() == PNG
    record = db[COLLECTION].find_one({}, {"_id": 0})
    assert record["scope"] == scope
    assert record["organizationId"] == ORG
    assert record["documentId"] == DOC
    assert record["folderId"] == "design-reviews"
    assert record["attachmentId"] == 284117
    assert record["commentAnnotationId"] == "Qm3r8XvT2pLkA9dWzF1c"
    assert record["name"] == "mock-v2.png"
    assert record["mimeType"] == "image/png"
    assert record["size"] == len(PNG)
    assert record["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert record["url"] == url
    assert record["uploadedBy"] == "u_8841"
    assert record["event"] == "attachment.add"
    # The key is ours (scope / organization / document / random), never the client's name.
    assert record["storageKey"].startswith(f"velt/{scope}/{ORG}/{DOC}/")
    assert "mock" not in record["storageKey"]
    assert obj == media / record["storageKey"]


@SCOPES
def test_returned_url_serves_the_bytes_with_type_and_nosniff(
    db: Any, client: Client, scope: str
) -> None:
    url = assert_success(upload(client, scope), read=True)["url"]
    response = fetch(client, url)
    assert response.status_code == 200
    assert body_of(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(PNG))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="mock-v2.png"'
    assert response["Accept-Ranges"] == "bytes"


@SCOPES
@pytest.mark.parametrize("sent", ["284117", 284117.0, " 284117 "])
def test_attachment_id_is_normalized_to_an_integer(
    db: Any, client: Client, scope: str, sent: Any
) -> None:
    assert_success(upload(client, scope, req=request_part(sent)), read=True)
    assert db[COLLECTION].find_one()["attachmentId"] == 284117
    # …and deletes compare in the same form.
    assert_success(
        delete(client, scope, delete_body("284117", documentId=DOC)), read=False
    )
    assert db[COLLECTION].count_documents({}) == 0


def test_non_numeric_attachment_id_is_kept_as_a_string(db: Any, client: Client) -> None:
    assert_success(upload(client, "attachment", req=request_part("att-x1")), read=True)
    assert db[COLLECTION].find_one()["attachmentId"] == "att-x1"


@SCOPES
def test_request_sent_as_a_file_part_is_accepted(
    db: Any, client: Client, scope: str
) -> None:
    assert_success(upload(client, scope, request_as_file=True), read=True)
    assert db[COLLECTION].find_one()["attachmentId"] == 284117


@SCOPES
def test_file_and_metadata_fallback_is_accepted(
    db: Any, client: Client, scope: str
) -> None:
    metadata = {"organizationId": ORG, "documentId": DOC, "attachmentId": 77001}
    response = upload(
        client,
        scope,
        filename="notes.txt",
        content_type="text/plain",
        fields={"request": None, "metadata": json.dumps(metadata)},
    )
    assert_success(response, read=True)
    record = db[COLLECTION].find_one()
    assert record["attachmentId"] == 77001
    assert record["name"] == "notes.txt"
    assert record["mimeType"] == "text/plain"


def test_name_and_type_fall_back_to_the_file_part(db: Any, client: Client) -> None:
    req = request_part()
    del req["attachment"]["name"], req["attachment"]["mimeType"]
    response = upload(
        client, "attachment", req=req, filename="clip.webm", content_type="video/webm"
    )
    assert_success(response, read=True)
    record = db[COLLECTION].find_one()
    assert (record["name"], record["mimeType"]) == ("clip.webm", "video/webm")


def test_extra_attachment_keys_are_kept_under_extra(db: Any, client: Client) -> None:
    req = request_part(size=4242, **{"team.name": "design"})
    assert_success(upload(client, "attachment", req=req), read=True)
    record = db[COLLECTION].find_one()
    assert record["extra"]["size"] == 4242
    assert len(record["extra"]) == 2  # the dotted key is stored escaped


def test_zero_length_file_is_accepted(db: Any, client: Client, media: Path) -> None:
    url = assert_success(upload(client, "attachment", content=b""), read=True)["url"]
    assert db[COLLECTION].find_one()["size"] == 0
    assert body_of(fetch(client, url)) == b""


# Refusals: each leaves storage and database as they were
def assert_nothing_stored(db: Any, media: Path) -> None:
    assert db[COLLECTION].count_documents({}) == 0
    assert stored_files(media) == []


@SCOPES
def test_missing_file_part_is_400(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    response = upload(client, scope, fields={"file": None})
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


@SCOPES
def test_json_body_on_upload_path_is_415(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    response = client.post(
        f"/velt/{PATHS[scope]}/save",
        json.dumps(request_part()),
        content_type="application/json",
        **principal("u_8841", ORG),
    )
    assert_failure(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_nothing_stored(db, media)


@SCOPES
def test_declared_length_over_limit_is_413_before_reading(
    db: Any, client: Client, media: Path, settings: Any, scope: str, monkeypatch: Any
) -> None:
    settings.VELT = {**settings.VELT, f"{scope.upper()}_MAX_SIZE": 1000}
    read: list[int] = []

    def parse_upload(*args: Any) -> None:
        read.append(1)
        pytest.fail("the body was read")

    monkeypatch.setattr("velt_django.views.files.parse_upload", parse_upload)
    response = upload(client, scope, content=b"x" * (2 * 1024 * 1024))
    assert_failure(response, 413, "PAYLOAD_TOO_LARGE")
    assert read == []
    assert_nothing_stored(db, media)


@SCOPES
def test_file_over_limit_is_413_while_streaming(
    db: Any, client: Client, media: Path, settings: Any, scope: str, tmp_path: Path
) -> None:
    # The declared length passes (limit + form overhead); the file part does not.
    settings.VELT = {**settings.VELT, f"{scope.upper()}_MAX_SIZE": 100_000}
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10_000  # the part moves to a temporary file
    response = upload(client, scope, content=b"y" * 100_001)
    assert_failure(response, 413, "PAYLOAD_TOO_LARGE")
    assert_nothing_stored(db, media)
    assert list(tmp_path.glob("*.upload*")) == []  # the temporary file is gone too


@pytest.fixture
def temporary_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the temporary files the upload handler creates."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from velt_django.files import uploads

    created: list[str] = []

    class Spy(TemporaryUploadedFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self.temporary_file_path())

    monkeypatch.setattr(uploads, "TemporaryUploadedFile", Spy)
    return created


@SCOPES
def test_file_past_the_memory_limit_streams_through_a_temporary_file(
    db: Any,
    client: Client,
    media: Path,
    settings: Any,
    scope: str,
    tmp_path: Path,
    temporary_files: list[str],
) -> None:
    # 200 KiB in 64 KiB chunks over a 100 KiB memory limit: the part moves to disk in
    # the middle, and every byte, in order, reaches storage and the record's SHA-256.
    content = bytes(range(256)) * 800
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100 * 1024
    assert_success(upload(client, scope, content=content), read=True)
    assert len(temporary_files) == 1
    assert Path(temporary_files[0]).parent == tmp_path / "uploads"
    assert not Path(temporary_files[0]).exists()  # deleted (or moved) after the save
    (obj,) = stored_files(media)
    assert obj.read_bytes() == content
    record = db[COLLECTION].find_one({}, {"_id": 0})
    assert (record["size"], record["sha256"]) == (
        len(content),
        hashlib.sha256(content).hexdigest(),
    )


def test_file_within_the_memory_limit_never_touches_the_disk(
    db: Any, client: Client, media: Path, temporary_files: list[str]
) -> None:
    content = b"\x89PNG" + bytes(range(256)) * 1024  # 256 KiB, as the benchmark's
    assert_success(upload(client, "attachment", content=content), read=True)
    assert temporary_files == []
    (obj,) = stored_files(media)
    assert obj.read_bytes() == content


def test_file_at_the_limit_is_accepted(db: Any, client: Client, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ATTACHMENT_MAX_SIZE": 5000}
    assert_success(upload(client, "attachment", content=b"z" * 5000), read=True)


def test_limits_are_per_scope(db: Any, client: Client, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ATTACHMENT_MAX_SIZE": 10}
    assert_failure(upload(client, "attachment"), 413, "PAYLOAD_TOO_LARGE")
    assert_success(upload(client, "recording"), read=True)


def test_upload_for_an_organization_not_allowed_is_403(
    db: Any, client: Client, media: Path
) -> None:
    response = upload(client, "attachment", as_=("u_1", OTHER))
    assert_failure(response, 403, "FORBIDDEN")
    assert_nothing_stored(db, media)


@pytest.mark.parametrize(
    "req",
    [
        request_part(org={"$ne": None}),
        request_part(org=None),
        request_part(attachment_id={"$gt": 0}),
        request_part(attachment_id=None),
        request_part(attachment_id=True),
        request_part(attachment_id=1.5),
        request_part(doc=["a"]),
        {"attachment": "x", "metadata": {"organizationId": ORG}},
        {"attachment": {"attachmentId": 1}, "metadata": [ORG]},
        [1, 2],
    ],
    ids=[
        "org-operator",
        "org-missing",
        "id-operator",
        "id-missing",
        "id-bool",
        "id-fraction",
        "doc-array",
        "attachment-string",
        "metadata-array",
        "not-object",
    ],
)
def test_bad_request_part_is_400_and_stores_nothing(
    db: Any, client: Client, media: Path, req: Any
) -> None:
    assert_failure(upload(client, "attachment", req=req), 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


@pytest.mark.parametrize("text", ["{not json", "", "\xff", '{"a": 1e400}'])
def test_malformed_request_json_is_400(
    db: Any, client: Client, media: Path, text: str
) -> None:
    response = upload(client, "attachment", fields={"request": text})
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


def test_missing_request_and_metadata_parts_is_400(
    db: Any, client: Client, media: Path
) -> None:
    response = upload(client, "attachment", fields={"request": None})
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


def test_two_file_parts_are_400(db: Any, client: Client, media: Path) -> None:
    response = client.post(
        "/velt/attachments/save",
        {
            "file": [
                SimpleUploadedFile("a.png", b"a", content_type="image/png"),
                SimpleUploadedFile("b.png", b"b", content_type="image/png"),
            ],
            "request": json.dumps(request_part()),
        },
        **principal("u_8841", ORG),
    )
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


@pytest.mark.parametrize(
    "body",
    [
        b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
        b"no boundary at all",
    ],
    ids=["truncated", "garbage"],
)
def test_malformed_multipart_is_400(
    db: Any, client: Client, media: Path, body: bytes
) -> None:
    response = client.post(
        "/velt/attachments/save",
        body,
        content_type="multipart/form-data; boundary=XYZ",
        **principal("u_8841", ORG),
    )
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


def test_multipart_without_boundary_is_400(
    db: Any, client: Client, media: Path
) -> None:
    response = client.post(
        "/velt/attachments/save",
        b"x",
        content_type="multipart/form-data",
        **principal("u_8841", ORG),
    )
    assert_failure(response, 400, "INVALID_INPUT")
    assert_nothing_stored(db, media)


@pytest.mark.parametrize("media_type", ["MULTIPART/FORM-DATA", "Multipart/Form-Data"])
def test_media_type_of_an_upload_is_case_insensitive(
    db: Any, client: Client, media: Path, media_type: str
) -> None:
    from django.test.client import BOUNDARY, encode_multipart

    body = encode_multipart(
        BOUNDARY,
        {
            "file": SimpleUploadedFile("mock-v2.png", PNG, content_type="image/png"),
            "request": json.dumps(request_part()),
        },
    )
    response = client.post(
        "/velt/attachments/save",
        body,
        # The boundary keeps its case: it is matched byte for byte in the body.
        content_type=f"{media_type}; boundary={BOUNDARY}",
        **principal("u_8841", ORG),
    )
    url = assert_success(response, read=True)["url"]
    assert body_of(fetch(client, url)) == PNG
    assert len(stored_files(media)) == 1


@pytest.mark.parametrize(
    "name",
    [
        "../../../../etc/passwd",
        "..\\..\\windows\\win.ini",
        "a\r\nX-Injected: 1.png",
        "evil\x00.png",
        '"quoted";.png',
        "..",
        "x" * 5000,
        "\u202egnp.exe",
    ],
    ids=["dotdot", "backslash", "crlf", "nul", "quotes", "only-dots", "long", "rtl"],
)
def test_path_tricks_and_odd_names_never_reach_the_key_or_headers(
    db: Any, client: Client, media: Path, name: str
) -> None:
    response = upload(client, "attachment", req=request_part(name=name))
    url = assert_success(response, read=True)["url"]
    record = db[COLLECTION].find_one()
    key = record["storageKey"]
    assert key.startswith(f"velt/attachment/{ORG}/{DOC}/") and ".." not in key
    (obj,) = stored_files(media)
    assert obj.resolve().is_relative_to(media.resolve())
    kept = record["name"]
    assert "/" not in kept and "\\" not in kept and len(kept) <= files.MAX_NAME_LENGTH
    assert not any(ch in kept for ch in '\r\n\x00\u202e"')
    served = fetch(client, url)
    assert served.status_code == 200
    assert "\n" not in served["Content-Disposition"]


def test_path_tricks_in_organization_and_document_are_hashed(
    db: Any, client: Client, media: Path
) -> None:
    evil = "../../../tmp/x"
    req = request_part(org=evil, doc="a/../../b")
    assert_success(upload(client, "attachment", req=req, as_=("u_1", evil)), read=True)
    key = db[COLLECTION].find_one()["storageKey"]
    parts = key.split("/")
    assert parts[:2] == ["velt", "attachment"] and len(parts) == 5
    assert parts[2].startswith("h-") and parts[3].startswith("h-")
    (obj,) = stored_files(media)
    assert obj.resolve().is_relative_to(media.resolve())


@pytest.mark.parametrize(
    ("mime", "inline"),
    [
        ("image/png", True),
        ("video/webm", True),
        ("audio/mp4", True),
        ("text/html", False),
        ("image/svg+xml", False),
        ("application/xhtml+xml", False),
        ("application/pdf", False),
        ("text/plain;charset=utf-8", True),
        ("nonsense", False),
    ],
)
def test_only_safe_types_render_inline(
    db: Any, client: Client, mime: str, inline: bool
) -> None:
    content = b"<svg onload=alert(1)><script>alert(1)</script>"
    url = assert_success(
        upload(client, "attachment", content=content, req=request_part(mime=mime)),
        read=True,
    )["url"]
    served = fetch(client, url)
    disposition = served["Content-Disposition"]
    assert disposition.startswith("inline" if inline else "attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert "html" not in served["Content-Type"] or not inline


def test_denied_type_is_415(
    db: Any, client: Client, media: Path, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "FILE_DENIED_TYPES": ["text/html", "image/*"]}
    response = upload(client, "attachment", req=request_part(mime="image/png"))
    assert_failure(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert_nothing_stored(db, media)
    assert_success(
        upload(client, "attachment", req=request_part(mime="video/webm")), read=True
    )


def test_allow_list_refuses_other_types(
    db: Any, client: Client, media: Path, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "FILE_ALLOWED_TYPES": ["image/*"]}
    assert_failure(
        upload(client, "attachment", req=request_part(mime="application/zip")),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )
    assert_success(upload(client, "attachment"), read=True)


def test_api_key_allowlist_applies_to_uploads(
    db: Any, client: Client, media: Path, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ALLOWED_API_KEYS": ["pk_other"]}
    assert_failure(upload(client, "attachment"), 403, "FORBIDDEN")
    assert_nothing_stored(db, media)


# Retries and colliding ids
@SCOPES
def test_identical_retry_returns_the_same_url_and_stores_once(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    first = assert_success(upload(client, scope), read=True)["url"]
    second = assert_success(upload(client, scope), read=True)["url"]
    assert first == second
    assert len(stored_files(media)) == 1
    assert db[COLLECTION].count_documents({}) == 1


def test_same_id_in_two_organizations_keeps_both_files(
    db: Any, client: Client, media: Path
) -> None:
    both = ("u_1", ORG, OTHER)
    url_a = assert_success(upload(client, "attachment", b"A", as_=both), read=True)
    url_b = assert_success(
        upload(client, "attachment", b"B", request_part(org=OTHER), as_=both),
        read=True,
    )
    assert url_a["url"] != url_b["url"]
    assert body_of(fetch(client, url_a["url"])) == b"A"
    assert body_of(fetch(client, url_b["url"])) == b"B"
    assert len(stored_files(media)) == 2


def test_same_id_in_two_documents_keeps_both_and_deletes_by_document(
    db: Any, client: Client, media: Path
) -> None:
    assert_success(upload(client, "attachment", b"one"), read=True)
    assert_success(
        upload(client, "attachment", b"two", request_part(doc="doc-2")), read=True
    )
    assert_success(
        delete(client, "attachment", delete_body(documentId="doc-2")), read=False
    )
    (left,) = stored_files(media)
    assert left.read_bytes() == b"one"
    assert db[COLLECTION].find_one()["documentId"] == DOC


@SCOPES
def test_same_id_different_content_same_document_both_kept_delete_flags_both(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    url_1 = assert_success(upload(client, scope, b"first"), read=True)["url"]
    url_2 = assert_success(upload(client, scope, b"second"), read=True)["url"]
    assert url_1 != url_2
    assert len(stored_files(media)) == 2
    assert_success(delete(client, scope, delete_body(documentId=DOC)), read=False)
    assert len(stored_files(media)) == 2  # ambiguous: nothing deleted…
    flagged = db[COLLECTION].count_documents({"deleteRequestedAt": {"$exists": True}})
    assert flagged == 2  # …both flagged
    # A URL makes the choice unambiguous.
    body = {**delete_body(documentId=DOC), "url": url_2}
    assert_success(delete(client, scope, body), read=False)
    (left,) = stored_files(media)
    assert left.read_bytes() == b"first"


# Deletes
@SCOPES
def test_delete_removes_object_and_record_and_repeats_as_200(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    url = assert_success(upload(client, scope), read=True)["url"]
    assert_success(delete(client, scope, delete_body(documentId=DOC)), read=False)
    assert_nothing_stored(db, media)
    assert fetch(client, url).status_code == 404
    assert_success(delete(client, scope, delete_body(documentId=DOC)), read=False)


def test_delete_of_unknown_id_is_200(db: Any, client: Client) -> None:
    assert_success(delete(client, "attachment", delete_body(999999)), read=False)


def test_delete_by_url_alone_within_the_organization(
    db: Any, client: Client, media: Path
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    body = {"url": url, "metadata": {"organizationId": ORG}}
    assert_success(delete(client, "attachment", body), read=False)
    assert_nothing_stored(db, media)


def test_delete_without_id_or_url_is_400(db: Any, client: Client) -> None:
    body = {"metadata": {"organizationId": ORG}}
    assert_failure(delete(client, "attachment", body), 400, "INVALID_INPUT")


# Org-less deletes (§2.5): only in the organizations the caller may delete from
ORGLESS = {"attachmentId": 284117, "event": "attachment.delete"}


@SCOPES
def test_orgless_delete_removes_the_file_only_for_a_principal_of_its_organization(
    db: Any, client: Client, media: Path, scope: str
) -> None:
    url = assert_success(upload(client, scope), read=True)["url"]
    # A principal of another organization: 200 (no hint the file exists), file kept.
    for body in (ORGLESS, {**ORGLESS, "metadata": {"apiKey": "pk_live_3bT9xQ"}}):
        assert_success(delete(client, scope, body, as_=("u_2", OTHER)), read=False)
    assert len(stored_files(media)) == 1
    assert fetch(client, url).status_code == 200
    # A principal of its organization deletes it; a retry is 200.
    assert_success(delete(client, scope, ORGLESS, as_=("u_3", ORG)), read=False)
    assert_nothing_stored(db, media)
    assert fetch(client, url).status_code == 404
    assert_success(delete(client, scope, ORGLESS, as_=("u_3", ORG)), read=False)


def test_orgless_delete_of_an_id_in_two_organizations_deletes_the_callers_only(
    db: Any, client: Client, media: Path
) -> None:
    url_a = assert_success(upload(client, "attachment", b"A"), read=True)["url"]
    url_b = assert_success(
        upload(client, "attachment", b"B", request_part(org=OTHER), as_=("u_2", OTHER)),
        read=True,
    )["url"]
    assert_success(
        delete(client, "attachment", ORGLESS, as_=("u_2", OTHER)), read=False
    )
    assert fetch(client, url_b).status_code == 404
    assert body_of(fetch(client, url_a)) == b"A"
    assert db[COLLECTION].count_documents({"organizationId": ORG}) == 1


def test_orgless_delete_matching_several_files_deletes_none_and_flags_them(
    db: Any, client: Client, media: Path
) -> None:
    both = ("u_1", ORG, OTHER)
    assert_success(upload(client, "attachment", b"A", as_=both), read=True)
    assert_success(
        upload(client, "attachment", b"B", request_part(org=OTHER), as_=both),
        read=True,
    )
    assert_success(delete(client, "attachment", ORGLESS, as_=both), read=False)
    assert len(stored_files(media)) == 2
    assert db[COLLECTION].count_documents({"deleteRequestedAt": {"$exists": True}}) == 2
    # Narrowed by the document (§9.6 step 1), only one of them matches.
    body = {**ORGLESS, "metadata": {"documentId": "doc-2"}}
    assert_success(
        upload(client, "attachment", b"C", request_part(doc="doc-2"), as_=both),
        read=True,
    )
    assert_success(delete(client, "attachment", body, as_=both), read=False)
    assert len(stored_files(media)) == 2
    assert db[COLLECTION].count_documents({"documentId": "doc-2"}) == 0


def test_orgless_delete_asks_the_policy_with_the_files_organization_and_document(
    db: Any, client: Client, media: Path, settings: Any
) -> None:
    from ..policies import CALLS

    req = request_part(doc="open-plan")
    assert_success(upload(client, "attachment", b"open", req), read=True)
    closed = request_part(attachment_id=555, doc="closed-plan")
    assert_success(upload(client, "attachment", b"closed", closed), read=True)
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    CALLS.clear()
    assert_success(
        delete(client, "attachment", {**ORGLESS, "attachmentId": 555}), read=False
    )
    assert CALLS == [("delete", ORG, ["closed-plan"])]
    assert db[COLLECTION].count_documents({"documentId": "closed-plan"}) == 1
    CALLS.clear()
    assert_success(delete(client, "attachment", ORGLESS), read=False)
    assert CALLS == [("delete", ORG, ["open-plan"])]
    assert db[COLLECTION].count_documents({"documentId": "open-plan"}) == 0
    assert len(stored_files(media)) == 1


def test_orgless_delete_by_url_alone_is_400(
    db: Any, client: Client, media: Path
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    assert_failure(delete(client, "attachment", {"url": url}), 400, "INVALID_INPUT")
    assert len(stored_files(media)) == 1


def test_delete_with_operator_ids_is_400_and_deletes_nothing(
    db: Any, client: Client, media: Path
) -> None:
    assert_success(upload(client, "attachment"), read=True)
    for body in (
        delete_body({"$ne": None}),
        {**delete_body(), "metadata": {"organizationId": {"$ne": None}}},
        {**delete_body(), "url": {"$regex": ".*"}},
    ):
        assert_failure(delete(client, "attachment", body), 400, "INVALID_INPUT")
    assert len(stored_files(media)) == 1


def test_delete_by_another_organization_leaves_the_file(
    db: Any, client: Client, media: Path
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    # Not allowed in acme-corp: refused.
    refused = delete(client, "attachment", delete_body(), as_=("u_2", OTHER))
    assert_failure(refused, 403, "FORBIDDEN")
    # Its own organization, with acme's id and acme's URL: nothing of acme's matches.
    for body in (
        delete_body(org=OTHER),
        {"url": url, "metadata": {"organizationId": OTHER}},
        {**delete_body(org=OTHER), "url": url},
    ):
        assert_success(
            delete(client, "attachment", body, as_=("u_2", OTHER)), read=False
        )
    assert len(stored_files(media)) == 1
    assert fetch(client, url).status_code == 200


def test_delete_in_the_other_scope_leaves_the_file(
    db: Any, client: Client, media: Path
) -> None:
    assert_success(upload(client, "attachment"), read=True)
    assert_success(delete(client, "recording", delete_body()), read=False)
    assert len(stored_files(media)) == 1


def test_storage_failure_on_delete_is_502_and_keeps_the_record(
    db: Any, client: Client, media: Path, monkeypatch: Any
) -> None:
    assert_success(upload(client, "attachment"), read=True)

    def broken(self: Any, name: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(FileSystemStorage, "delete", broken)
    response = delete(client, "attachment", delete_body())
    assert_failure(response, 502, "STORAGE_ERROR")
    assert db[COLLECTION].count_documents({}) == 1
    assert len(stored_files(media)) == 1


# Failures while saving: nothing half-done is left behind
def test_storage_failure_on_save_is_502_and_writes_no_record(
    db: Any, client: Client, media: Path, monkeypatch: Any
) -> None:
    def broken(self: Any, name: str, content: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(FileSystemStorage, "_save", broken)
    assert_failure(upload(client, "attachment"), 502, "STORAGE_ERROR")
    assert_nothing_stored(db, media)


@pytest.mark.parametrize("status", [503, 500])
def test_database_failure_after_upload_leaves_no_orphaned_object(
    db: Any, client: Client, media: Path, monkeypatch: Any, status: int
) -> None:
    from velt_django.exceptions import RepositoryError

    error = DatabaseUnavailableError if status == 503 else RepositoryError

    def failing(self: Any, record: Any) -> None:
        raise error("insert failed")

    monkeypatch.setattr(FileRepository, "insert", failing)
    response = upload(client, "attachment")
    assert response.status_code == status
    assert response.json()["success"] is False
    assert_nothing_stored(db, media)


def test_misconfigured_storage_alias_is_500_without_detail(
    db: Any, client: Client, media: Path, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ATTACHMENT_STORAGE": "nope"}
    response = upload(client, "attachment")
    assert_failure(response, 500, "INTERNAL_ERROR")
    assert_nothing_stored(db, media)


# The private URL
def test_url_without_signature_and_without_credential_is_401(
    db: Any, client: Client
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    bare = url.split("?", 1)[0]
    assert fetch(client, bare).status_code == 401
    assert fetch(client, bare + "?sig=forged").status_code == 401


class PerUserThrottle(SimpleRateThrottle):
    """A host's throttle keyed by ``request.user``, as DRF's ``UserRateThrottle`` is."""

    rate = "1000/min"

    def get_cache_key(self, request: Any, view: Any) -> str:
        user = request.user
        return f"velt-tests-per-user-{user.pk if user.is_authenticated else 'anon'}"


@pytest.mark.parametrize("throttle", ["velt", "host"])
def test_valid_signature_admits_a_request_with_a_stale_bearer_token(
    db: Any, client: Client, settings: Any, throttle: str
) -> None:
    import time

    import jwt
    from django.core.cache import cache

    url = assert_success(upload(client, "attachment"), read=True)["url"]
    secret = "a-test-only-resolver-secret-" + "x" * 40
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [
            "velt_django.authentication.ResolverTokenAuthentication"
        ],
        "RESOLVER_TOKEN": {"SECRET": secret},
        "FILE_ACCESS": ["signature", "session"],
    }
    # Throttles key by principal, which authenticates the request: VELT's own, or one
    # of the host's REST_FRAMEWORK throttles.
    if throttle == "velt":
        settings.VELT = {**settings.VELT, "THROTTLE_RATE": "1000/min"}
    else:
        settings.REST_FRAMEWORK = {
            **getattr(settings, "REST_FRAMEWORK", {}),
            "DEFAULT_THROTTLE_CLASSES": ["tests.views.test_files.PerUserThrottle"],
        }
    cache.clear()
    now = int(time.time())
    expired = jwt.encode(
        {"sub": "u_8841", "velt_orgs": [ORG], "iat": now - 900, "exp": now - 600},
        secret,
        algorithm="HS256",
    )
    for token in (expired, "garbage"):
        served = fetch(client, url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert served.status_code == 200, served.content
        assert body_of(served) == PNG
        # Without the signature the stale token admits nothing.
        bare = fetch(client, url.split("?")[0], HTTP_AUTHORIZATION=f"Bearer {token}")
        assert bare.status_code == 401
    cache.clear()


def test_signature_is_bound_to_the_file(db: Any, client: Client) -> None:
    url_a = assert_success(upload(client, "attachment", b"A"), read=True)["url"]
    req = request_part(attachment_id=555)
    url_b = assert_success(upload(client, "attachment", b"B", req), read=True)["url"]
    swapped = url_a.split("?")[0] + "?" + url_b.split("?")[1]
    assert fetch(client, swapped).status_code == 401


def test_signature_survives_a_secret_key_rotation_with_fallback(
    db: Any, client: Client, settings: Any
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-secret-key-for-tests-only"
    assert fetch(client, url).status_code == 401
    settings.SECRET_KEY_FALLBACKS = [old]
    assert fetch(client, url).status_code == 200


def test_session_access_serves_an_authorized_caller_and_refuses_others(
    db: Any, client: Client, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "FILE_ACCESS": ["session"]}
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    assert "sig=" not in url
    assert fetch(client, url).status_code == 401
    allowed = fetch(client, url, **principal("u_9", ORG))
    assert allowed.status_code == 200 and body_of(allowed) == PNG
    assert fetch(client, url, **principal("u_9", OTHER)).status_code == 403


def test_signature_only_mode_ignores_sessions(
    db: Any, client: Client, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "FILE_ACCESS": ["signature"]}
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    bare = url.split("?", 1)[0]
    assert fetch(client, bare, **principal("u_9", ORG)).status_code in (401, 403)
    assert fetch(client, url).status_code == 200


def test_session_policy_is_asked_with_the_file_document(
    db: Any, client: Client, settings: Any
) -> None:
    from ..policies import CALLS

    settings.VELT = {
        **settings.VELT,
        "FILE_ACCESS": ["session"],
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    url = assert_success(
        upload(client, "attachment", req=request_part(doc="open-1")), read=True
    )["url"]
    assert fetch(client, url, **principal("u_9", ORG)).status_code == 200
    assert CALLS[-1] == ("get", ORG, ["open-1"])
    closed = request_part(attachment_id=2, doc="closed-1")
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
    }
    url = assert_success(upload(client, "attachment", req=closed), read=True)["url"]
    settings.VELT = {
        **settings.VELT,
        "ORGANIZATION_ACCESS": "tests.policies.open_documents_only",
    }
    assert fetch(client, url, **principal("u_9", ORG)).status_code == 403


@pytest.fixture
def cookie_mode(settings: Any, db: Any) -> Any:
    """Session-cookie mode of tests/test_cookie_mode.py: ``alice`` is a member of
    ``acme``, ``bob`` of ``globex``; CSRF checks enforced."""
    from ..urls_browser import COOKIE_MODE_SETTINGS, COOKIE_MODE_VELT

    for key, value in COOKIE_MODE_SETTINGS.items():
        setattr(settings, key, value)
    settings.VELT = {**settings.VELT, **COOKIE_MODE_VELT, "FILE_ACCESS": ["session"]}
    return db


def signed_in(username: str) -> Client:
    from django.contrib.auth import get_user_model

    browser = Client(enforce_csrf_checks=True)
    user, _ = get_user_model().objects.get_or_create(username=username)
    browser.force_login(user)
    browser.cookies["csrftoken"] = CSRF
    return browser


CSRF = "k" * 32


@pytest.mark.django_db
def test_file_access_with_a_real_django_session_cookie(
    cookie_mode: Any, media: Path
) -> None:
    """An ``<img>`` sends only cookies: the Django session is recognised by the resolver
    authentication, and the policy decides by the file's organization."""
    alice = signed_in("alice")
    response = upload(
        alice,
        "attachment",
        req=request_part(org="acme"),
        as_=None,
        HTTP_X_CSRFTOKEN=CSRF,
    )
    url = assert_success(response, read=True)["url"]
    assert "sig=" not in url
    # The Velt user id (USER_FIELDS["userId"]: the username), not the Django pk.
    assert cookie_mode[COLLECTION].find_one()["uploadedBy"] == "alice"
    assert fetch(Client(), url).status_code == 401
    assert fetch(signed_in("bob"), url).status_code == 403
    served = fetch(alice, url)
    assert served.status_code == 200 and body_of(served) == PNG


@pytest.mark.django_db
def test_cookie_mode_upload_without_csrf_header_is_refused_unread(
    cookie_mode: Any, media: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        "velt_django.views.files.parse_upload",
        lambda *a: pytest.fail("the body was parsed"),
    )
    response = upload(
        signed_in("alice"), "attachment", req=request_part(org="acme"), as_=None
    )
    assert_failure(response, 403, "FORBIDDEN")
    assert_nothing_stored(cookie_mode, media)


@pytest.mark.django_db
def test_cookie_mode_upload_from_a_foreign_origin_is_refused(
    cookie_mode: Any, media: Path
) -> None:
    response = upload(
        signed_in("alice"),
        "attachment",
        req=request_part(org="acme"),
        as_=None,
        HTTP_X_CSRFTOKEN=CSRF,
        HTTP_ORIGIN="https://evil.example.net",
    )
    assert_failure(response, 403, "FORBIDDEN")
    assert_nothing_stored(cookie_mode, media)


def test_unknown_public_id_is_404(db: Any, client: Client) -> None:
    assert client.get("/velt/f/AAAAAAAAAAAAAAAAAAAAAA/x.png").status_code == 404
    assert client.get("/velt/f/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404


def test_name_in_the_url_does_not_select_the_file(db: Any, client: Client) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    path, query = url.split("?")
    renamed = path.rsplit("/", 1)[0] + "/other.exe?" + query
    served = fetch(client, renamed)
    assert served.status_code == 200
    assert served["Content-Disposition"] == 'inline; filename="mock-v2.png"'


def test_public_mode_returns_the_storage_url(
    db: Any, client: Client, settings: Any, media: Path
) -> None:
    settings.STORAGES["default"]["OPTIONS"]["base_url"] = "https://cdn.example.com/m/"
    settings.VELT = {**settings.VELT, "FILE_URL_MODE": "public"}
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    key = db[COLLECTION].find_one()["storageKey"]
    assert url == f"https://cdn.example.com/m/{key}"


def test_file_url_base_setting_makes_the_url_absolute(
    db: Any, client: Client, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "FILE_URL_BASE": "https://app.example.com/"}
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    assert url.startswith("https://app.example.com/velt/f/")
    assert fetch(client, url).status_code == 200


# Range requests (recordings are seeked)
@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, None), ("bytes=-16", -16, None)],
)
def test_range_request_is_206_with_exactly_those_bytes(
    db: Any, client: Client, header: str, start: int, end: int | None
) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    served = fetch(client, url, HTTP_RANGE=header)
    assert served.status_code == 206
    expected = PNG[start : (end + 1 if end is not None else None)]
    assert body_of(served) == expected
    first = start % len(PNG)
    assert (
        served["Content-Range"]
        == f"bytes {first}-{first + len(expected) - 1}/{len(PNG)}"
    )
    assert served["Content-Length"] == str(len(expected))


def test_unsatisfiable_range_is_416(db: Any, client: Client) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    served = fetch(client, url, HTTP_RANGE=f"bytes={len(PNG)}-")
    assert served.status_code == 416
    assert served["Content-Range"] == f"bytes */{len(PNG)}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-" + "9" * 5000,
        "bytes=" + "1" * 5000 + "-",
        "bytes=-" + "7" * 5000,
        "bytes=0-" + "9" * 19,
        "bytes=\u0660-\u0669",  # Arabic-Indic digits: not a byte range
    ],
)
def test_range_with_oversized_or_odd_numbers_serves_the_whole_file(
    db: Any, client: Client, header: str
) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    served = fetch(client, url, HTTP_RANGE=header)
    assert served.status_code == 200 and body_of(served) == PNG


def test_range_within_the_digit_bound_past_the_end_is_416_or_clamped(
    db: Any, client: Client
) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    past = fetch(client, url, HTTP_RANGE="bytes=" + "9" * 18 + "-")
    assert past.status_code == 416
    assert past["Content-Range"] == f"bytes */{len(PNG)}"
    clamped = fetch(client, url, HTTP_RANGE="bytes=10-" + "9" * 18)
    assert clamped.status_code == 206 and body_of(clamped) == PNG[10:]
    assert clamped["Content-Range"] == f"bytes 10-{len(PNG) - 1}/{len(PNG)}"
    whole = fetch(client, url, HTTP_RANGE="bytes=-" + "9" * 18)
    assert whole.status_code == 206 and body_of(whole) == PNG


def test_if_range_with_another_etag_serves_everything(db: Any, client: Client) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    served = fetch(client, url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"old"')
    assert served.status_code == 200 and body_of(served) == PNG


def test_head_and_conditional_get(db: Any, client: Client) -> None:
    url = assert_success(upload(client, "recording"), read=True)["url"]
    parts = urlsplit(url)
    head = client.head(parts.path, query_string_dict(parts.query))
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(PNG))
    etag = head["ETag"]
    again = fetch(client, url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and body_of(again) == b""


def test_file_saved_before_a_restart_is_still_served(
    db: Any, client: Client, media: Path
) -> None:
    """A new process: the MongoDB client and every cached setting are rebuilt, the
    file comes back from disk through its record."""
    from django.core.files.storage import storages

    from velt_django.conf import velt_settings
    from velt_django.repository import connection

    url = assert_success(upload(client, "attachment"), read=True)["url"]
    velt_settings.clear_cache()
    storages._storages.clear()  # type: ignore[attr-defined]
    connection.close_client()
    served = fetch(Client(), url)
    assert served.status_code == 200 and body_of(served) == PNG


def test_logs_hold_no_file_name_signature_or_public_id(
    db: Any, client: Client, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    name = "secret-merger-plan.png"
    url = assert_success(
        upload(client, "attachment", req=request_part(name=name)), read=True
    )["url"]
    fetch(client, url)
    fetch(client, url.split("?")[0])  # a refusal, logged
    fetch(client, url.replace("/f/", "/f/x"))  # a 404
    delete(client, "attachment", delete_body())
    public_id = files.public_id_of_url(url)
    assert public_id
    text = caplog.text
    for secret in (name, "secret-merger", url.split("sig=")[1], public_id):
        assert secret not in text


# Transport rules shared with the token view and the webhook receiver (tests/contracts.py)
class FileEndpointTransport(TransportMethodContract, TransportPreflightContract):
    """A file endpoint of ``scope``: POST only, preflights without a credential."""

    scope: str

    @pytest.fixture(autouse=True)
    def _endpoint(self, db: Any, media: Path, scope: str) -> None:
        self.store, self.media, self.scope = db, media, scope

    def credential(self, client: Client) -> dict[str, Any]:
        return principal("u_8841", ORG)


@SCOPES
class TestUploadTransport(FileEndpointTransport, TransportAuthContract):
    @property
    def path(self) -> str:  # type: ignore[override]
        return f"{PATHS[self.scope]}/save"

    def send(self, client: Client, headers: dict[str, Any]) -> Any:
        return upload(client, self.scope, as_=None, **headers)

    def assert_not_processed(self, response: Any) -> None:
        assert_nothing_stored(self.store, self.media)


@SCOPES
class TestFileDeleteTransport(FileEndpointTransport):
    @property
    def path(self) -> str:  # type: ignore[override]
        return f"{PATHS[self.scope]}/delete"


# On the real servers: MongoDB and PostgreSQL (the ``backend`` fixture)
@pytest.fixture
def wire(backend: str, media: Path) -> str:
    return backend


def file_records(backend: str, **query: Any) -> list[tuple[str, str]]:
    """``(organizationId, scope)`` of the stored file records matching ``query``
    (``organizationId``/``scope`` equalities), in insertion order."""
    if backend == MONGODB:
        from velt_django.repository import connection

        docs = connection.get_database()[COLLECTION].find(query, sort=[("_id", 1)])
        return [(d["organizationId"], d["scope"]) for d in docs]
    from velt_django.models import FileRecord

    columns = {"organizationId": "organization_id", "scope": "scope"}
    rows = FileRecord.objects.using(POSTGRES_ALIAS).filter(
        **{columns[field]: value for field, value in query.items()}
    )
    return list(rows.order_by("pk").values_list("organization_id", "scope"))


@SCOPES
def test_wire_upload_get_delete_round_trip(
    wire: str, client: Client, media: Path, scope: str
) -> None:
    url = assert_success(upload(client, scope), read=True)["url"]
    assert body_of(fetch(client, url)) == PNG
    assert len(file_records(wire, scope=scope)) == 1
    # A retry of the same upload answers the same URL and stores nothing more.
    assert assert_success(upload(client, scope), read=True)["url"] == url
    assert len(file_records(wire)) == 1
    assert len(stored_files(media)) == 1
    assert_success(delete(client, scope, delete_body(documentId=DOC)), read=False)
    assert file_records(wire) == []
    assert stored_files(media) == []
    assert fetch(client, url).status_code == 404


@on_backends(transaction=True)  # the uploads come from threads
def test_wire_concurrent_identical_uploads_store_one_file(
    wire: str, media: Path
) -> None:
    """Eight clients retry the same upload at once: the retry key (unique index) lets
    exactly one record in; every caller gets its URL and no object is orphaned."""
    urls: list[str] = []
    errors: list[Any] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        try:
            barrier.wait()
            response = upload(Client(), "attachment")
            urls.append(assert_success(response, read=True)["url"])
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(urls)) == 1
    assert len(file_records(wire)) == 1
    assert len(stored_files(media)) == 1


def test_wire_same_id_in_two_organizations(
    wire: str, client: Client, media: Path
) -> None:
    both = ("u_1", ORG, OTHER)
    assert_success(upload(client, "attachment", b"A", as_=both), read=True)
    assert_success(
        upload(client, "attachment", b"B", request_part(org=OTHER), as_=both), read=True
    )
    assert_success(
        delete(client, "attachment", delete_body(org=OTHER), as_=("u_2", OTHER)),
        read=False,
    )
    (left,) = stored_files(media)
    assert left.read_bytes() == b"A"
    assert [org for org, _ in file_records(wire)] == [ORG]


@SCOPES
def test_wire_orgless_delete_only_in_the_callers_organization(
    wire: str, client: Client, media: Path, scope: str
) -> None:
    assert_success(upload(client, scope, b"A"), read=True)
    assert_success(
        upload(client, scope, b"B", request_part(org=OTHER), as_=("u_2", OTHER)),
        read=True,
    )
    assert_success(delete(client, scope, ORGLESS, as_=("u_2", OTHER)), read=False)
    (left,) = stored_files(media)
    assert left.read_bytes() == b"A"
    assert [org for org, _ in file_records(wire)] == [ORG]
    assert_success(delete(client, scope, ORGLESS, as_=("u_2", OTHER)), read=False)
    assert len(stored_files(media)) == 1


@pytest.mark.mongo
def test_wire_database_outage_after_upload_leaves_no_object(
    wire_db: Any, client: Client, media: Path, settings: Any
) -> None:
    """The database goes away between the storage write and the record: 503, and the
    object is removed again. (MongoDB only: it points the client at a dead URI; the
    PostgreSQL file repository's outage is tests/repository_sql/test_files.py's.)"""
    from velt_django.repository import connection

    real_insert = FileRepository.insert

    def insert_on_a_dead_server(self: Any, record: Any) -> None:
        settings.VELT = {
            **settings.VELT,
            "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
            "SERVER_SELECTION_TIMEOUT_MS": 300,
        }
        connection.close_client()
        real_insert(FileRepository(), record)

    working = settings.VELT
    FileRepository.insert = insert_on_a_dead_server  # type: ignore[method-assign]
    try:
        response = upload(client, "attachment")
    finally:
        FileRepository.insert = real_insert  # type: ignore[method-assign]
        settings.VELT = working
        connection.close_client()
    assert_failure(response, 503, "DATABASE_ERROR")
    assert stored_files(media) == []


# Signals (velt_django.signals): the integration point for audit logs and indexing
def test_upload_and_delete_send_record_signals_once(
    db: Any, client: Client, media: Path
) -> None:
    from velt_django import signals

    seen: list[tuple[str, dict[str, Any]]] = []

    def saved(sender: Any, **kwargs: Any) -> None:
        seen.append(("saved", kwargs))

    def deleted(sender: Any, **kwargs: Any) -> None:
        seen.append(("deleted", kwargs))

    signals.record_saved.connect(saved)
    signals.record_deleted.connect(deleted)
    try:
        url = assert_success(upload(client, "recording"), read=True)["url"]
        assert_success(upload(client, "recording"), read=True)  # a retry: no signal
        assert_success(delete(client, "recording", delete_body()), read=False)
        assert_success(delete(client, "recording", delete_body()), read=False)
    finally:
        signals.record_saved.disconnect(saved)
        signals.record_deleted.disconnect(deleted)
    public_id = files.public_id_of_url(url)
    assert [action for action, _ in seen] == ["saved", "deleted"]
    for _, kwargs in seen:
        assert kwargs["family"] == "recording-files"
        assert kwargs["organization_id"] == ORG
        assert tuple(kwargs["record_ids"]) == (public_id,)


def test_a_failing_signal_receiver_never_fails_the_upload(
    db: Any, client: Client, media: Path
) -> None:
    from velt_django import signals

    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    signals.record_saved.connect(broken)
    try:
        assert_success(upload(client, "attachment"), read=True)
    finally:
        signals.record_saved.disconnect(broken)
    assert len(stored_files(media)) == 1


def test_preflight_of_the_file_url_allows_get_with_a_bearer_header(
    db: Any, client: Client, settings: Any
) -> None:
    """A page on another origin may fetch() the file with its bearer token (session
    access): the preflight allows GET and the Authorization header."""
    origin = "https://app.example.com"
    settings.VELT = {
        **settings.VELT,
        "CORS_ALLOWED_ORIGINS": [origin],
        "FILE_ACCESS": ["session"],
    }
    url = assert_success(upload(client, "attachment"), read=True)["url"]
    path = urlsplit(url).path
    preflight = client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )
    assert preflight.status_code == 200
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight["Access-Control-Allow-Headers"]
    assert preflight["Access-Control-Allow-Origin"] == origin
    served = client.get(path, HTTP_ORIGIN=origin, **principal("u_9", ORG))
    assert served.status_code == 200
    assert served["Access-Control-Allow-Origin"] == origin


def test_the_attachment_upload_view_keeps_its_former_name() -> None:
    from django.urls import resolve

    from velt_django.views.files import (
        UploadAttachmentView,
        UploadFileView,
        UploadRecordingFileView,
    )

    assert UploadFileView is UploadAttachmentView
    assert (UploadAttachmentView.scope, UploadAttachmentView.family) == (
        "attachment",
        "attachments",
    )
    assert resolve("/velt/attachments/save").url_name == "attachments-save"
    assert resolve("/velt/attachments/save").func.view_class is UploadAttachmentView  # type: ignore[attr-defined]
    assert resolve("/velt/recordings/files/save").url_name == "recording-files-save"
    view = resolve("/velt/recordings/files/save").func.view_class  # type: ignore[attr-defined]
    assert view is UploadRecordingFileView
    assert not issubclass(view, UploadAttachmentView)


class _Commands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@contextmanager
def database_work(backend: str, settings: Any) -> Iterator[list[str]]:
    """What the block sends the database: MongoDB command names, or the first word of
    each PostgreSQL statement (savepoints left out: they wrap, they do not look up)."""
    sent: list[str] = []
    if backend == MONGODB:
        listener = _Commands()
        settings.VELT = {
            **settings.VELT,
            "MONGO_CLIENT_OPTIONS": {"event_listeners": [listener]},
        }
        yield sent
        sent.extend(listener.names)
        return
    with CaptureQueriesContext(connections[POSTGRES_ALIAS]) as queries:
        yield sent
    statements = [q["sql"].upper() for q in queries.captured_queries]
    sent.extend(s.split()[0] for s in statements if "SAVEPOINT" not in s)


@SCOPES
def test_wire_a_new_upload_is_one_database_round_trip(
    wire: str, client: Client, media: Path, settings: Any, scope: str
) -> None:
    with database_work(wire, settings) as sent:
        url = assert_success(upload(client, scope), read=True)["url"]
    assert sent == (["insert"] if wire == MONGODB else ["INSERT"])
    # A retry: the refused insert, then the lookup of the first upload; the object it
    # wrote is gone again.
    with database_work(wire, settings) as sent:
        assert assert_success(upload(client, scope), read=True)["url"] == url
    assert len(sent) == 2 and len(stored_files(media)) == 1
    assert len(file_records(wire)) == 1
