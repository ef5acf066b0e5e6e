"""File uploads, deletes and the private URL on S3 (CONTRACT §9-§11, Appendix A "Files"):
django-storages' ``S3Storage`` against moto's S3 server over real HTTP (``tests/s3.py``).

Requests go through Django's test client with real multipart bodies; the bucket is read
with a plain boto3 client, and the presigned URLs the private route redirects to are
fetched with ``requests``. MongoDB is mongomock, except for the ``mongo`` tier tests at the
end, which repeat the round trip on the real wire-protocol server.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSResponse
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client

from velt_django.checks import check_settings
from velt_django.exceptions import DatabaseUnavailableError
from velt_django.files import storage as files
from velt_django.files.keys import new_storage_key
from velt_django.repository.files import FileRepository

from .auth import principal
from .contracts import assert_failure, assert_success
from .s3 import (
    ALIAS,
    FAKE_ENVIRONMENT,
    Bucket,
    moto_with_fake_credentials,
    presigned_method,
    storage_entry,
    unreachable_entry,
)
from .uploads import COLLECTION, DOC, ORG, PATHS, SCOPES, request_part
from .uploads import upload as upload_file

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
KEY = re.compile(r"velt/(attachment|recording)/([^/]+)/([^/]+)/[A-Za-z0-9_-]{22}")


# Fixtures
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server, once per session, with fake credentials in the environment."""
    with moto_with_fake_credentials() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(
    moto_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bucket]:
    """A fresh bucket, and both file scopes on an ``S3Storage`` of it (``STORAGES[ALIAS]``)."""
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    created = Bucket(moto_endpoint).create()
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(moto_endpoint, created.name),
    }
    settings.VELT = {
        **settings.VELT,
        "ATTACHMENT_STORAGE": ALIAS,
        "RECORDING_STORAGE": ALIAS,
    }
    yield created
    created.drop()


@pytest.fixture
def db(mongo_db: Any, bucket: Bucket) -> Any:
    return mongo_db


# Requests
def upload(
    client: Client,
    scope: str,
    content: bytes = PNG,
    *,
    name: str = "mock-v2.png",
    mime: str = "image/png",
    attachment_id: Any = 284117,
) -> Any:
    """POST ``file`` + ``request`` as multipart/form-data, the way the SDK sends them."""
    req = request_part(attachment_id, name=name, mime=mime)
    return upload_file(client, scope, content, req, filename=name, content_type=mime)


def uploaded_url(client: Client, scope: str, content: bytes = PNG, **kw: Any) -> str:
    body = assert_success(upload(client, scope, content, **kw), read=True)
    return str(body["data"]["url"])


def delete(client: Client, scope: str, attachment_id: Any = 284117, **body: Any) -> Any:
    payload = {
        "attachmentId": attachment_id,
        "metadata": {"apiKey": "pk_live_3bT9xQ", "organizationId": ORG},
        "event": "attachment.delete",
        **body,
    }
    return client.post(
        f"/velt/{PATHS[scope]}/delete",
        json.dumps(payload),
        content_type="application/json",
        **principal("u_8841", ORG),
    )


def follow(client: Client, url: str, **headers: Any) -> Any:
    """GET one of our private URLs through the test client (not following redirects)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    return client.get(parts.path, query, **headers)


def presigned(client: Client, url: str) -> str:
    """The presigned storage URL the private route redirects to."""
    response = follow(client, url)
    assert response.status_code == 302, response.content
    assert response["Cache-Control"] == "no-store"
    return str(response["Location"])


def records(db: Any) -> list[dict[str, Any]]:
    return list(db[COLLECTION].find({}, {"_id": 0}))


# Saving
@SCOPES
def test_upload_stores_the_object_under_a_generated_key_and_the_record(
    db: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    url = uploaded_url(client, scope)
    (record,) = records(db)
    key = record["storageKey"]
    assert bucket.keys() == [key]
    match = KEY.fullmatch(key)
    assert match is not None, key
    assert match.groups() == (scope, ORG, DOC)
    assert bucket.read(key) == PNG
    assert bucket.head(key)["ContentType"] == "image/png"
    assert record["scope"] == scope
    assert record["storage"] == ALIAS
    assert record["size"] == len(PNG)
    assert record["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert record["url"] == url
    assert url.startswith("http://testserver/velt/f/")
    # The storage URL is never handed out in private mode.
    assert bucket.endpoint not in url


def test_identical_retry_stores_one_object(
    db: Any, client: Client, bucket: Bucket
) -> None:
    first = uploaded_url(client, "attachment")
    assert uploaded_url(client, "attachment") == first
    assert len(bucket.keys()) == 1
    assert len(records(db)) == 1


def test_same_id_in_both_scopes_are_two_objects(
    db: Any, client: Client, bucket: Bucket
) -> None:
    attachment = uploaded_url(client, "attachment")
    recording = uploaded_url(client, "recording")
    assert attachment != recording
    keys = bucket.keys()
    assert [KEY.fullmatch(k).group(1) for k in keys] == ["attachment", "recording"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "mime", "stored"),
    [
        ("page.html", "text/html", "application/octet-stream"),
        ("page.htm", "text/html; charset=utf-8", "application/octet-stream"),
        ("logo.svg", "image/svg+xml", "application/octet-stream"),
        ("script.js", "text/javascript", "application/octet-stream"),
        ("report.pdf", "application/pdf", "application/octet-stream"),
        ("notes.txt", "text/plain", "text/plain"),
        ("clip.webm", "video/webm", "video/webm"),
        ("shot.jpg", "image/jpeg", "image/jpeg"),
    ],
)
def test_object_content_type_never_renders_active_content(
    db: Any, client: Client, bucket: Bucket, name: str, mime: str, stored: str
) -> None:
    """The S3 object keeps the declared type only when it is safe inline; HTML, SVG and
    scripts get ``application/octet-stream`` (a public bucket then cannot render them),
    while the record keeps what the client declared."""
    uploaded_url(
        client, "attachment", b"<script>alert(1)</script>", name=name, mime=mime
    )
    (record,) = records(db)
    assert bucket.head(record["storageKey"])["ContentType"] == stored
    assert record["mimeType"] == mime.split(";")[0]


def bounded_transfer() -> TransferConfig:
    """The memory-bounded multipart settings benchmarks/README.md recommends."""
    config = TransferConfig(max_concurrency=2, multipart_chunksize=5 * 1024 * 1024)
    config.max_in_memory_upload_chunks = 2
    return config


@pytest.mark.parametrize(
    ("transfer", "parts"), [(None, 3), (bounded_transfer, 4)], ids=["default", "2x5"]
)
def test_large_upload_goes_up_in_parts_and_arrives_intact(
    db: Any,
    client: Client,
    bucket: Bucket,
    settings: Any,
    transfer: Any,
    parts: int,
) -> None:
    """20 MiB, above boto3's 8 MiB multipart threshold: a multipart upload (its ETag is
    ``<md5 of part md5s>-<parts>``) whose bytes match the record's SHA-256; with boto3's
    defaults (8 MiB parts) and with the bounded ``transfer_config`` (5 MiB parts)."""
    if transfer is not None:
        settings.STORAGES = {
            **settings.STORAGES,
            ALIAS: storage_entry(
                bucket.endpoint, bucket.name, transfer_config=transfer()
            ),
        }
    content = os.urandom(20 * 1024 * 1024)
    digest = hashlib.sha256(content).hexdigest()
    url = uploaded_url(
        client, "recording", content, name="talk.webm", mime="video/webm"
    )
    (record,) = records(db)
    assert record["size"] == len(content)
    assert record["sha256"] == digest
    head = bucket.head(record["storageKey"])
    assert head["ContentLength"] == len(content)
    assert re.fullmatch(rf'"[0-9a-f]{{32}}-{parts}"', head["ETag"]), head["ETag"]

    # Read back through the private URL's redirect, streamed.
    sha = hashlib.sha256()
    with requests.get(presigned(client, url), stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "video/webm"
        for chunk in response.iter_content(1024 * 1024):
            sha.update(chunk)
    assert sha.hexdigest() == digest


# The private URL on S3: a redirect to a presigned URL
@SCOPES
def test_private_url_redirects_to_a_presigned_url_that_serves_the_bytes(
    db: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    url = uploaded_url(client, scope)
    (record,) = records(db)
    location = presigned(client, url)

    target = urlsplit(location)
    assert f"{target.scheme}://{target.netloc}" == bucket.endpoint
    assert unquote(target.path) == f"/{bucket.name}/{record['storageKey']}"
    query = parse_qs(target.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Signature"]
    assert query["response-content-type"] == ["image/png"]
    assert query["response-content-disposition"] == ['inline; filename="mock-v2.png"']
    assert presigned_method(location) == "GET"

    response = requests.get(location, timeout=10)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == 'inline; filename="mock-v2.png"'
    # Without the signature the object is not readable: the bucket stays private.
    bare = f"{target.scheme}://{target.netloc}{target.path}"
    assert requests.get(bare, timeout=10).status_code == 403


@SCOPES
def test_presigned_url_honours_range(
    db: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    """§9.5: media must be seekable; the presigned URL serves ``Range`` itself."""
    location = presigned(client, uploaded_url(client, scope))
    size = len(PNG)

    response = requests.get(location, headers={"Range": "bytes=100-1123"}, timeout=10)
    assert response.status_code == 206
    assert response.content == PNG[100:1124]
    assert response.headers["Content-Range"] == f"bytes 100-1123/{size}"

    response = requests.get(location, headers={"Range": "bytes=-16"}, timeout=10)
    assert response.status_code == 206
    assert response.content == PNG[-16:]
    assert response.headers["Content-Range"] == f"bytes {size - 16}-{size - 1}/{size}"

    response = requests.get(location, headers={"Range": f"bytes={size}-"}, timeout=10)
    assert response.status_code == 416


def test_head_is_redirected_to_a_url_signed_for_head(
    db: Any, client: Client, bucket: Bucket
) -> None:
    """S3 signs the method: a presigned GET answers a HEAD (``curl -I``, link checkers,
    some players) with 403 SignatureDoesNotMatch, so a HEAD gets a URL signed for HEAD."""
    url = uploaded_url(client, "recording")
    parts = urlsplit(url)
    response = client.head(parts.path, {"sig": parse_qs(parts.query)["sig"][0]})
    assert response.status_code == 302
    location = response["Location"]
    assert presigned_method(location) == "HEAD"
    head = requests.head(location, timeout=10)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(PNG))
    assert head.headers["Content-Type"] == "image/png"
    # A GET of the same private URL still gets a URL signed for GET.
    assert presigned_method(presigned(client, url)) == "GET"


def test_recording_is_served_for_seeking(
    db: Any, client: Client, bucket: Bucket
) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)
    url = uploaded_url(
        client, "recording", content, name="recording.webm", mime="video/webm"
    )
    location = presigned(client, url)
    start = 2 * 1024 * 1024
    response = requests.get(location, headers={"Range": f"bytes={start}-"}, timeout=10)
    assert response.status_code == 206
    assert response.headers["Content-Type"] == "video/webm"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert response.content == content[start:]


def test_types_not_safe_inline_are_redirected_as_downloads(
    db: Any, client: Client, bucket: Bucket
) -> None:
    url = uploaded_url(
        client, "attachment", b"<h1>hi</h1>", name="page.html", mime="text/html"
    )
    response = requests.get(presigned(client, url), timeout=10)
    assert response.status_code == 200
    assert response.content == b"<h1>hi</h1>"
    assert response.headers["Content-Disposition"] == 'attachment; filename="page.html"'


def test_non_ascii_name_survives_the_presigned_disposition(
    db: Any, client: Client, bucket: Bucket
) -> None:
    url = uploaded_url(
        client,
        "attachment",
        b"%PDF-1.7",
        name="résumé 2024.pdf",
        mime="application/pdf",
    )
    response = requests.get(presigned(client, url), timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%202024.pdf"
    )


def test_redirect_lifetime_follows_the_setting(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    url = uploaded_url(client, "attachment")
    settings.VELT = {**settings.VELT, "FILE_REDIRECT_SECONDS": 45}
    query = parse_qs(urlsplit(presigned(client, url)).query)
    assert query["X-Amz-Expires"] == ["45"]


def test_private_url_without_signature_or_credential_does_not_redirect(
    db: Any, client: Client, bucket: Bucket
) -> None:
    url = uploaded_url(client, "attachment")
    bare = urlsplit(url).path
    response = client.get(bare)
    assert response.status_code == 401
    assert "Location" not in response
    response = client.get(bare, {"sig": "x" * 43})
    assert response.status_code == 401
    # The session mode admits an allowed principal without the signature.
    response = client.get(bare, **principal("u_8841", ORG))
    assert response.status_code == 302
    assert response["Location"].startswith(bucket.endpoint)
    response = client.get(bare, **principal("u_1", "globex"))
    assert response.status_code == 403


def test_files_stay_on_the_storage_they_were_saved_to(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    """Moving a scope to another storage later leaves older files readable and deletable
    where they are: the record names its storage."""
    url = uploaded_url(client, "attachment")
    settings.VELT = {**settings.VELT, "ATTACHMENT_STORAGE": "default"}
    assert presigned(client, url).startswith(bucket.endpoint)
    assert_success(delete(client, "attachment"), read=False)
    assert bucket.keys() == []
    assert records(db) == []


def test_storage_location_prefixes_the_object_and_is_honoured_throughout(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    """With ``location`` set, the object lives under it; the record keeps the storage
    name, and redirect and delete find the object."""
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(bucket.endpoint, bucket.name, location="media"),
    }
    url = uploaded_url(client, "recording")
    (record,) = records(db)
    assert bucket.keys() == [f"media/{record['storageKey']}"]
    location = presigned(client, url)
    assert (
        unquote(urlsplit(location).path)
        == f"/{bucket.name}/media/{record['storageKey']}"
    )
    assert requests.get(location, timeout=10).content == PNG
    assert_success(delete(client, "recording"), read=False)
    assert bucket.keys() == []


# Deleting
@SCOPES
def test_delete_removes_the_object_and_the_record(
    db: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    url = uploaded_url(client, scope)
    assert len(bucket.keys()) == 1
    assert_success(delete(client, scope), read=False)
    assert bucket.keys() == []
    assert records(db) == []
    # The URL is dead afterwards, and a repeated delete is still 200.
    assert follow(client, url).status_code == 404
    assert_success(delete(client, scope), read=False)


def test_delete_by_url(db: Any, client: Client, bucket: Bucket) -> None:
    url = uploaded_url(client, "attachment")
    uploaded_url(client, "attachment", b"other bytes", attachment_id=111111)
    response = client.post(
        "/velt/attachments/delete",
        json.dumps({"url": url, "metadata": {"organizationId": ORG}}),
        content_type="application/json",
        **principal("u_8841", ORG),
    )
    assert_success(response, read=False)
    (left,) = records(db)
    assert left["attachmentId"] == 111111
    assert bucket.keys() == [left["storageKey"]]


def test_delete_when_s3_is_unreachable_is_502_and_keeps_the_record(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    uploaded_url(client, "attachment")
    (record,) = records(db)
    working = settings.STORAGES[ALIAS]
    settings.STORAGES = {**settings.STORAGES, ALIAS: unreachable_entry(bucket.name)}

    assert_failure(delete(client, "attachment"), 502, "STORAGE_ERROR")
    assert records(db) == [record]
    assert bucket.keys() == [record["storageKey"]]

    # Velt retries the delete once the storage is back.
    settings.STORAGES = {**settings.STORAGES, ALIAS: working}
    assert_success(delete(client, "attachment"), read=False)
    assert bucket.keys() == []
    assert records(db) == []


def _refuse(operation: str, status: int, code: str) -> Any:
    """A botocore ``before-send`` hook answering ``operation`` with an S3 error document
    (the response then goes through botocore's real parsing and error handling)."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
        f"<Message>refused by the test</Message></Error>"
    ).encode()

    class Raw(io.BytesIO):
        def stream(self, amt: int = 1024, **kwargs: Any) -> Iterator[bytes]:
            while chunk := self.read(amt):
                yield chunk

    def hook(request: Any, **kwargs: Any) -> AWSResponse | None:
        if kwargs.get("event_name", "").endswith(f".{operation}"):
            # AWSResponse wraps any mapping; its stubs ask for HTTPHeaders.
            headers: Any = {"Content-Type": "application/xml"}
            return AWSResponse(request.url, status, headers, Raw(body))
        return None

    return hook


def test_delete_refused_by_s3_is_502_and_keeps_the_record(
    db: Any, client: Client, bucket: Bucket
) -> None:
    uploaded_url(client, "recording")
    (record,) = records(db)
    s3_client = storages[ALIAS].connection.meta.client  # type: ignore[attr-defined]
    hook = _refuse("DeleteObject", 403, "AccessDenied")
    s3_client.meta.events.register("before-send.s3.DeleteObject", hook)
    try:
        assert_failure(delete(client, "recording"), 502, "STORAGE_ERROR")
    finally:
        s3_client.meta.events.unregister("before-send.s3.DeleteObject", hook)
    assert records(db) == [record]
    assert bucket.keys() == [record["storageKey"]]


# Failures while saving
def test_missing_bucket_is_502_and_writes_no_record(
    db: Any, client: Client, bucket: Bucket
) -> None:
    bucket.drop()
    assert_failure(upload(client, "attachment"), 502, "STORAGE_ERROR")
    assert records(db) == []


def test_unreachable_s3_on_save_is_502_and_writes_no_record(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    settings.STORAGES = {**settings.STORAGES, ALIAS: unreachable_entry(bucket.name)}
    assert_failure(upload(client, "recording"), 502, "STORAGE_ERROR")
    assert records(db) == []


def test_large_upload_refused_mid_way_leaves_no_parts(
    db: Any, client: Client, bucket: Bucket
) -> None:
    """A multipart upload that S3 refuses half way is aborted: no record, no object and no
    pending multipart upload is left in the bucket."""
    s3_client = storages[ALIAS].connection.meta.client  # type: ignore[attr-defined]
    hook = _refuse("CompleteMultipartUpload", 500, "InternalError")
    s3_client.meta.events.register("before-send.s3.CompleteMultipartUpload", hook)
    try:
        response = upload(
            client, "recording", os.urandom(9 * 1024 * 1024), mime="video/webm"
        )
    finally:
        s3_client.meta.events.unregister("before-send.s3.CompleteMultipartUpload", hook)
    assert_failure(response, 502, "STORAGE_ERROR")
    assert records(db) == []
    assert bucket.keys() == []
    pending = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    assert pending.get("Uploads", []) == []


@SCOPES
def test_database_failure_after_the_upload_leaves_no_orphaned_object(
    db: Any,
    client: Client,
    bucket: Bucket,
    monkeypatch: pytest.MonkeyPatch,
    scope: str,
) -> None:
    seen: list[list[str]] = []

    def unavailable(self: FileRepository, record: Any) -> None:
        seen.append(bucket.keys())  # the object is in the bucket when the record fails
        raise DatabaseUnavailableError("the database is unavailable")

    monkeypatch.setattr(FileRepository, "insert", unavailable)
    assert_failure(upload(client, scope), 503, "DATABASE_ERROR")
    assert len(seen) == 1 and len(seen[0]) == 1
    assert bucket.keys() == []
    assert records(db) == []


# Public mode
def test_public_mode_returns_the_storage_url(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(
            bucket.endpoint,
            bucket.name,
            querystring_auth=False,
            default_acl="public-read",
        ),
    }
    settings.VELT = {**settings.VELT, "FILE_URL_MODE": "public"}
    url = uploaded_url(client, "attachment")
    (record,) = records(db)
    assert url == f"{bucket.endpoint}/{bucket.name}/{record['storageKey']}"
    assert record["url"] == url
    assert urlsplit(url).query == ""
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["Content-Type"] == "image/png"

    # HTML in a public bucket is served as bytes, never as a page.
    html_url = uploaded_url(
        client,
        "attachment",
        b"<script>alert(1)</script>",
        name="x.html",
        mime="text/html",
        attachment_id=222222,
    )
    response = requests.get(html_url, timeout=10)
    assert response.headers["Content-Type"] == "application/octet-stream"

    # A delete by the public URL finds the file.
    deleted = client.post(
        "/velt/attachments/delete",
        json.dumps({"url": url, "metadata": {"organizationId": ORG}}),
        content_type="application/json",
        **principal("u_8841", ORG),
    )
    assert_success(deleted, read=False)
    assert len(bucket.keys()) == 1
    assert requests.get(url, timeout=10).status_code == 404


def test_private_mode_on_an_unsigned_s3_storage_redirects_unsigned_and_warns(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    """With ``querystring_auth`` off, the private route's redirect carries no signature:
    the object is only readable if the bucket is public, and S3 refuses the
    ``response-content-*`` overrides on unsigned requests. ``velt.W052`` says so."""
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(bucket.endpoint, bucket.name, querystring_auth=False),
    }
    location = presigned(client, uploaded_url(client, "attachment"))
    query = parse_qs(urlsplit(location).query)
    assert "X-Amz-Signature" not in query
    assert requests.get(location, timeout=10).status_code == 403  # a private bucket
    assert "velt.W052" in [m.id for m in check_settings()]

    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(
            bucket.endpoint, bucket.name, custom_domain="cdn.example.com"
        ),
    }
    assert "velt.W052" in [m.id for m in check_settings()]
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(bucket.endpoint, bucket.name),
    }
    assert "velt.W052" not in [m.id for m in check_settings()]
    settings.VELT = {**settings.VELT, "FILE_URL_MODE": "public"}
    ids = [m.id for m in check_settings()]
    assert "velt.W052" not in ids and "velt.W050" in ids


# Sweeping orphaned objects (manage.py velt_sweep_files)
HOURS_2 = 2 * 3600


def sweep(*args: str) -> str:
    out = io.StringIO()
    call_command("velt_sweep_files", *args, stdout=out)
    return out.getvalue()


def interrupted_upload(
    client: Client, scope: str, monkeypatch: pytest.MonkeyPatch, bucket: Bucket
) -> str:
    """An upload whose worker died after the object was stored: no record is written
    and nothing cleans up. Returns the object's key."""
    before = set(bucket.keys())
    with monkeypatch.context() as patch:

        def killed(self: FileRepository, record: Any) -> None:
            raise DatabaseUnavailableError("the worker is gone")

        patch.setattr(FileRepository, "insert", killed)
        patch.setattr(files, "_delete_quietly", lambda *args: None)
        assert_failure(upload(client, scope, attachment_id=777), 503, "DATABASE_ERROR")
    (key,) = set(bucket.keys()) - before
    return key


def test_sweep_on_s3_deletes_old_orphans_only_with_delete(
    db: Any, client: Client, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded_url(client, "attachment")
    (recorded,) = bucket.keys()
    old = [
        interrupted_upload(client, "attachment", monkeypatch, bucket),
        interrupted_upload(client, "recording", monkeypatch, bucket),
    ]
    storage = storages[ALIAS]
    fresh = storage.save(
        new_storage_key("attachment", ORG, DOC), io.BytesIO(b"in flight")
    )
    foreign = ["velt/attachment/notes.txt", "avatars/u_1.png"]
    for key in foreign:
        bucket.client.put_object(Bucket=bucket.name, Key=key, Body=b"x")
    for key in [recorded, *old, *foreign]:
        bucket.backdate(key, HOURS_2)
    everything = bucket.keys()
    assert len(everything) == 6

    report = sweep()
    assert (
        f"Storage {ALIAS}: 4 objects, 1 with a record, 1 without one but recent, "
        "2 orphaned (run with --delete to delete them)." in report
    )
    assert bucket.keys() == everything
    report = sweep("--delete")
    assert "2 orphaned, 2 deleted." in report
    assert bucket.keys() == sorted([recorded, fresh, *foreign])
    assert "1 without one but recent, 0 orphaned, 0 deleted." in sweep("--delete")
    # The recorded file is still served.
    assert requests.get(presigned(client, records(db)[0]["url"]), timeout=10).ok


def test_sweep_on_s3_honours_the_storage_location(
    db: Any, client: Client, bucket: Bucket, settings: Any
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(bucket.endpoint, bucket.name, location="media"),
    }
    uploaded_url(client, "recording")
    storage = storages[ALIAS]
    orphan = storage.save(
        new_storage_key("recording", ORG, None), io.BytesIO(b"orphan")
    )
    bucket.backdate(f"media/{orphan}", HOURS_2)
    assert "2 objects, 1 with a record, 0 without one but recent, 1 orphaned, 1 " in (
        sweep("--delete")
    )
    assert bucket.keys() == [f"media/{records(db)[0]['storageKey']}"]


# The same round trip on the real wire-protocol server
@pytest.fixture
def wire(wire_db: Any, bucket: Bucket) -> Any:
    return wire_db


@pytest.mark.mongo
@SCOPES
def test_wire_round_trip_on_s3(
    wire: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    content = os.urandom(256 * 1024)
    url = uploaded_url(client, scope, content, name="clip.webm", mime="video/webm")
    record = wire[COLLECTION].find_one({}, {"_id": 0})
    assert record["sha256"] == hashlib.sha256(content).hexdigest()
    assert record["size"] == len(content)
    assert bucket.keys() == [record["storageKey"]]
    assert KEY.fullmatch(record["storageKey"])

    location = presigned(client, url)
    response = requests.get(location, timeout=10)
    assert response.content == content
    assert response.headers["Content-Type"] == "video/webm"
    ranged = requests.get(location, headers={"Range": "bytes=1000-1999"}, timeout=10)
    assert ranged.status_code == 206 and ranged.content == content[1000:2000]

    # A retry finds the first upload; the delete removes both object and record.
    assert (
        uploaded_url(client, scope, content, name="clip.webm", mime="video/webm") == url
    )
    assert len(bucket.keys()) == 1
    assert_success(delete(client, scope), read=False)
    assert bucket.keys() == []
    assert wire[COLLECTION].count_documents({}) == 0


@pytest.mark.mongo
def test_wire_database_failure_after_upload_leaves_no_object(
    wire: Any, client: Client, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: FileRepository, record: Any) -> None:
        raise DatabaseUnavailableError("the database is unavailable")

    monkeypatch.setattr(FileRepository, "insert", unavailable)
    assert_failure(upload(client, "attachment"), 503, "DATABASE_ERROR")
    assert bucket.keys() == []
    assert wire[COLLECTION].count_documents({}) == 0


@pytest.mark.mongo
def test_wire_sweep_on_s3(
    wire: Any, client: Client, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploaded_url(client, "recording")
    (recorded,) = bucket.keys()
    orphan = interrupted_upload(client, "recording", monkeypatch, bucket)
    for key in (recorded, orphan):
        bucket.backdate(key, HOURS_2)
    assert "2 objects, 1 with a record, 0 without one but recent, 1 orphaned, 1 " in (
        sweep("--delete")
    )
    assert bucket.keys() == [recorded]
    assert "0 orphaned" in sweep("--delete")
