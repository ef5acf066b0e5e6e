"""Storage failing in the middle of an upload (issue 18), over HTTP with real multipart
bodies, for both upload endpoints (``attachments/save``, ``recordings/files/save``).

* Local disk: Django's own ``FileSystemStorage._save`` streaming the upload until the
  disk is full (``OSError(ENOSPC)`` after part of the bytes were written).
* S3 (django-storages against moto's threaded server, tests/s3.py): a multipart
  upload whose second part the connection drops.
* The reverse: the object is stored, then the database goes down before the record is
  written (a real outage: the SecantusDB server or the PostgreSQL cluster is stopped).

Each time: a ``5xx`` JSON envelope, no file record, no object left (no partial file,
no pending multipart upload), and once the storage or database is back the same
upload succeeds with exactly one record and one object.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, storages
from django.test import Client

from velt_django.repository import connection

from ..contracts import assert_failure, assert_success
from ..families import MONGODB, POSTGRES_ALIAS, on_backends
from ..s3 import (
    ALIAS,
    FAKE_ENVIRONMENT,
    Bucket,
    moto_with_fake_credentials,
    storage_entry,
)
from ..uploads import COLLECTION, SCOPES, request_part, upload
from ..views import conftest as views_conftest
from ..views import test_outage as outages

pytestmark = pytest.mark.faults

#: The ``backend`` fixture of the view suites and the stoppable server of each backend.
backend = views_conftest.backend
outage = outages.outage

#: Bytes of the local uploads: several 64 KiB chunks, so the disk fills up half way.
LOCAL_SIZE = 320 * 1024
CHUNK = 64 * 1024


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def file_records(backend: str = MONGODB) -> int:
    if backend == MONGODB:
        return int(connection.get_database()[COLLECTION].count_documents({}))
    from velt_django.models import FileRecord

    return FileRecord.objects.using(POSTGRES_ALIAS).count()


def post(client: Client, scope: str, content: bytes) -> Any:
    mime = "video/webm" if scope == "recording" else "image/png"
    name = "talk.webm" if scope == "recording" else "mock-v2.png"
    return upload(
        client,
        scope,
        content,
        request_part(name=name, mime=mime),
        filename=name,
        content_type=mime,
    )


# Local disk filling up mid-upload
class _FillsTheDisk(File):  # type: ignore[type-arg]
    """The upload as ``FileSystemStorage`` streams it (no temporary path to move), its
    writes failing with ``ENOSPC`` once ``room`` bytes went to disk."""

    def __init__(self, content: Any, room: int) -> None:
        super().__init__(content.file, content.name)
        self.room = room

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        written = 0
        for chunk in super().chunks(CHUNK):
            if written + len(chunk) > self.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written += len(chunk)
            yield chunk


class DiskFullStorage(FileSystemStorage):
    """Local storage on a disk with ``room`` bytes free (``None``: enough); Django's
    own ``_save`` writes the chunks until the disk is full."""

    room: int | None = None

    def _save(self, name: str, content: Any) -> str:
        # FileSystemStorage._save is Django's, undeclared in its stubs.
        save: Any = super()._save  # type: ignore[misc]
        if DiskFullStorage.room is None:
            return str(save(name, content))
        return str(save(name, _FillsTheDisk(content, DiskFullStorage.room)))


@pytest.fixture
def full_disk(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.DiskFullStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    monkeypatch.setattr(DiskFullStorage, "room", 2 * CHUNK)
    yield root


@SCOPES
def test_disk_full_mid_upload_leaves_no_partial_file_and_the_retry_stores_once(
    mongo_db: Any, client: Client, full_disk: Path, scope: str
) -> None:
    content = os.urandom(LOCAL_SIZE)
    written: list[int] = []

    real_delete = DiskFullStorage.delete

    def delete(self: Any, name: str) -> None:
        # What was on disk when the upload gave up: part of the bytes.
        written.append(Path(self.path(name)).stat().st_size)
        real_delete(self, name)

    DiskFullStorage.delete = delete  # type: ignore[method-assign]
    try:
        assert_failure(post(client, scope, content), 502, "STORAGE_ERROR")
    finally:
        DiskFullStorage.delete = real_delete  # type: ignore[method-assign]
    assert written == [2 * CHUNK]  # the partial file existed, and was removed
    assert stored_files(full_disk) == []
    assert file_records() == 0

    DiskFullStorage.room = None  # space was freed
    assert_success(post(client, scope, content), read=True)
    (stored,) = stored_files(full_disk)
    assert stored.read_bytes() == content
    assert file_records() == 1


# S3: a multipart upload losing its connection on a part
@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with moto_with_fake_credentials() as endpoint:
        yield endpoint


@pytest.fixture
def bucket(
    moto_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bucket]:
    """Both scopes on an ``S3Storage`` uploading in 5 MiB parts above 5 MiB, without
    botocore's retries (a dropped part fails the upload at once)."""
    for name, value in FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    created = Bucket(moto_endpoint).create()
    transfer = TransferConfig(
        multipart_threshold=5 * 1024 * 1024,
        multipart_chunksize=5 * 1024 * 1024,
        max_concurrency=2,
    )
    client_config = Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        retries={"max_attempts": 1, "mode": "standard"},
    )
    settings.STORAGES = {
        **settings.STORAGES,
        ALIAS: storage_entry(
            moto_endpoint,
            created.name,
            transfer_config=transfer,
            client_config=client_config,
        ),
    }
    settings.VELT = {
        **settings.VELT,
        "ATTACHMENT_STORAGE": ALIAS,
        "RECORDING_STORAGE": ALIAS,
    }
    yield created
    created.drop()


def drop_part(number: int) -> Any:
    """A botocore ``before-send`` hook: the connection closes while part ``number`` of
    a multipart upload is sent."""

    def hook(request: Any, **kwargs: Any) -> None:
        if f"partNumber={number}&" in request.url + "&":
            raise ConnectionClosedError(endpoint_url=request.url)

    return hook


@SCOPES
def test_s3_part_lost_mid_upload_aborts_the_upload_and_the_retry_stores_once(
    mongo_db: Any, client: Client, bucket: Bucket, scope: str
) -> None:
    content = os.urandom(11 * 1024 * 1024)  # three parts
    s3 = storages[ALIAS].connection.meta.client  # type: ignore[attr-defined]
    sent: list[str] = []

    def count(request: Any, **kwargs: Any) -> None:
        if "partNumber=" in request.url:
            sent.append(request.url)

    hook = drop_part(2)
    s3.meta.events.register("before-send.s3.UploadPart", count)
    s3.meta.events.register("before-send.s3.UploadPart", hook)
    try:
        response = post(client, scope, content)
    finally:
        s3.meta.events.unregister("before-send.s3.UploadPart", hook)
    assert_failure(response, 502, "STORAGE_ERROR")
    assert any("partNumber=2" in url for url in sent)  # it did fail mid-stream
    assert file_records() == 0
    assert bucket.keys() == []
    pending = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    assert pending.get("Uploads", []) == []

    # The network is back: Velt's retry of the same upload.
    assert_success(post(client, scope, content), read=True)
    (key,) = bucket.keys()
    assert bucket.read(key) == content
    assert file_records() == 1
    pending = bucket.client.list_multipart_uploads(Bucket=bucket.name)
    assert pending.get("Uploads", []) == []
    s3.meta.events.unregister("before-send.s3.UploadPart", count)


# The database going down between the object and its record
class StopsTheDatabase(FileSystemStorage):
    """Local storage that stops the database right after it stored an object (the
    upload's next step, writing the record, meets the outage)."""

    outage: Any = None

    def _save(self, name: str, content: Any) -> str:
        saved = str(super()._save(name, content))  # type: ignore[misc]
        if StopsTheDatabase.outage is not None:
            StopsTheDatabase.outage.stop()
            StopsTheDatabase.outage = None
        return saved


@on_backends(transaction=True)
def test_database_down_after_the_object_leaves_no_orphan_and_the_retry_stores_once(
    backend: str,
    outage: outages.Outage,
    client: Client,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.StopsTheDatabase",
            "OPTIONS": {"location": str(root)},
        },
    }
    outage.first_start()
    monkeypatch.setattr(StopsTheDatabase, "outage", outage)
    content = os.urandom(96 * 1024)

    assert_failure(post(client, "attachment", content), 503, "DATABASE_ERROR")
    assert StopsTheDatabase.outage is None  # the object was stored, then the outage
    assert stored_files(root) == []  # and the object removed again

    outage.start()
    assert_success(post(client, "attachment", content), read=True)
    (stored,) = stored_files(root)
    assert stored.read_bytes() == content
    assert file_records(backend) == 1
