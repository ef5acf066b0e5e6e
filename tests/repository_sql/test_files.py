"""SqlFileRepository on PostgreSQL. The file repository has no test module of its own
under tests/repository (the views' tests cover it), so its methods are tested here on
both backends at once (``repo`` is the MongoDB repository on mongomock, then the SQL
twin): each answer of the twin is the MongoDB repository's. Then what only the SQL
backend does (its constraints, racing identical uploads, an outage, millisecond
datetimes), and an upload, its private URL and its delete over HTTP with
``STORAGE_BACKEND = "postgresql"``."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mongomock
import pytest
from django.db import connections
from django.test import Client

from velt_django.exceptions import DatabaseUnavailableError, DuplicateRecordError
from velt_django.models import FileRecord
from velt_django.repository.files import FileRepository
from velt_django.repository.sql import SqlFileRepository

from ..auth import principal
from ..contracts import assert_success
from ..postgres import ALIAS
from ..uploads import DOC, ORG, PNG, request_part, upload
from .conftest import DATABASES
from .test_comments import _concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

OTHER = "globex"
CREATED = datetime.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=datetime.timezone.utc)


def record(n: int = 1, **fields: Any) -> dict[str, Any]:
    """A file record the way an upload writes it (files.storage.store)."""
    return {
        "organizationId": ORG,
        "documentId": DOC,
        "folderId": "design-reviews",
        "attachmentId": 284117,
        "name": f"mock-{n}.png",
        "mimeType": "image/png",
        "extra": {"a~2Eb": {"c": [1, 2]}},
        "uploadedBy": "u_8841",
        "uploadedByKind": "velt",
        "scope": "attachment",
        "size": 10,
        "sha256": f"sha-{n}",
        "storage": "default",
        "storageKey": f"velt/attachment/{ORG}/{DOC}/key-{n}",
        "publicId": f"public-{n}",
        "url": f"https://app.example.com/velt/f/public-{n}/mock.png",
        "createdAt": CREATED,
        **fields,
    }


@pytest.fixture(params=["mongodb", "postgresql"])
def repo(request: pytest.FixtureRequest) -> Any:
    if request.param == "mongodb":
        # tz_aware, as velt_django's client is (connection.get_client).
        mongo = FileRepository(mongomock.MongoClient(tz_aware=True)["velt"])
        mongo.ensure_indexes()
        return mongo
    return SqlFileRepository(ALIAS)


def names(found: list[dict[str, Any]]) -> list[str]:
    return [str(r["name"]) for r in found]


# ---- both backends ----------------------------------------------------------------


def test_inserted_record_is_returned_as_written(repo: Any) -> None:
    repo.insert(record())
    assert repo.by_public_id("public-1") == record()
    assert repo.by_public_id("public-2") is None


def test_retry_key_finds_an_identical_upload(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2, documentId=None, sha256="sha-1"))
    repo.insert(record(3, attachmentId="284117", sha256="sha-1"))
    assert repo.find_retry(ORG, "attachment", DOC, 284117, "sha-1") == record(1)
    assert repo.find_retry(ORG, "attachment", None, 284117, "sha-1")["name"] == (
        "mock-2.png"
    )
    # A string id is not the integer one.
    assert repo.find_retry(ORG, "attachment", DOC, "284117", "sha-1")["name"] == (
        "mock-3.png"
    )
    for miss in [
        (OTHER, "attachment", DOC, 284117, "sha-1"),
        (ORG, "recording", DOC, 284117, "sha-1"),
        (ORG, "attachment", "doc-2", 284117, "sha-1"),
        (ORG, "attachment", DOC, 284118, "sha-1"),
        (ORG, "attachment", DOC, 284117, "sha-9"),
    ]:
        assert repo.find_retry(*miss) is None


@pytest.mark.parametrize(
    "clash",
    [
        {"storageKey": "velt/attachment/acme-corp/spec-2024-q3/key-1"},
        {"publicId": "public-1"},
        {"sha256": "sha-1"},
    ],
    ids=["storage-key", "public-id", "retry-key"],
)
@pytest.mark.parametrize("document_id", [DOC, None], ids=["doc", "no-doc"])
def test_unique_keys_refuse_a_second_record(
    repo: Any, clash: dict[str, Any], document_id: str | None
) -> None:
    repo.insert(record(1, documentId=document_id))
    with pytest.raises(DuplicateRecordError):
        repo.insert(record(2, documentId=document_id, **clash))
    assert repo.stored_keys([record(2)["storageKey"]]) == set()


def test_retry_key_is_per_organization_scope_and_document(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2, organizationId=OTHER, sha256="sha-1"))
    repo.insert(record(3, scope="recording", sha256="sha-1"))
    repo.insert(record(4, documentId="doc-2", sha256="sha-1"))
    repo.insert(record(5, documentId=None, sha256="sha-1"))
    assert len(repo.stored_keys([record(n)["storageKey"] for n in range(1, 7)])) == 5


def test_delete_candidates(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2, documentId="doc-2"))
    repo.insert(record(3, attachmentId=5))
    repo.insert(record(4, organizationId=OTHER))
    repo.insert(record(5, scope="recording"))
    assert names(repo.candidates(ORG, "attachment", attachment_id=284117)) == [
        "mock-1.png",
        "mock-2.png",
    ]
    assert names(
        repo.candidates(ORG, "attachment", attachment_id=284117, document_id="doc-2")
    ) == ["mock-2.png"]
    assert names(repo.candidates(None, "attachment", attachment_id=284117)) == [
        "mock-1.png",
        "mock-2.png",
        "mock-4.png",
    ]
    url = record(3)["url"]
    assert names(repo.candidates(ORG, "attachment", url=url)) == ["mock-3.png"]
    assert names(repo.candidates(ORG, "attachment", public_id="public-2")) == [
        "mock-2.png"
    ]
    either = repo.candidates(
        ORG, "attachment", attachment_id=284117, url=url, public_id="public-2"
    )
    assert names(either) == ["mock-2.png"]
    either = repo.candidates(ORG, "attachment", url=url, public_id="public-1")
    assert names(either) == ["mock-1.png", "mock-3.png"]
    assert repo.candidates(OTHER, "recording", attachment_id=284117) == []


def test_delete_candidates_are_limited(
    repo: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from velt_django.repository import files

    # Both backends read the limits of repository.files (candidate_limit).
    monkeypatch.setattr(files, "CANDIDATE_LIMIT", 2)
    monkeypatch.setattr(files, "ORGLESS_CANDIDATE_LIMIT", 3)
    for n in range(5):
        repo.insert(record(n))
    assert len(repo.candidates(ORG, "attachment", attachment_id=284117)) == 2
    assert len(repo.candidates(None, "attachment", attachment_id=284117)) == 3


def test_delete_keeps_a_record_of_another_organization(repo: Any) -> None:
    repo.insert(record(1))
    key = record(1)["storageKey"]
    assert repo.delete(key, OTHER) == 0
    assert repo.delete(key, ORG) == 1
    assert repo.delete(key, ORG) == 0
    assert repo.by_public_id("public-1") is None


def test_stored_keys(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2))
    keys = [record(n)["storageKey"] for n in (1, 2, 3)]
    assert repo.stored_keys(keys) == set(keys[:2])
    assert repo.stored_keys([]) == set()


def test_flag_delete_requested(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2))
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
        seconds=1
    )
    assert repo.flag_delete_requested([record(1)["storageKey"], "missing"]) == 1
    assert repo.flag_delete_requested([]) == 0
    flagged = repo.by_public_id("public-1")
    assert flagged["deleteRequestedAt"] > before
    assert {k: v for k, v in flagged.items() if k != "deleteRequestedAt"} == record(1)
    assert "deleteRequestedAt" not in repo.by_public_id("public-2")


def test_find_by_uploader(repo: Any) -> None:
    repo.insert(record(1))
    repo.insert(record(2, uploadedBy="u_other"))
    legacy = {k: v for k, v in record(3).items() if k != "uploadedByKind"}
    repo.insert({**legacy, "uploadedBy": "17"})
    repo.insert({**record(4), "uploadedByKind": None, "uploadedBy": "17"})
    legacy_self = {k: v for k, v in record(5).items() if k != "uploadedByKind"}
    repo.insert(legacy_self)
    repo.insert({**record(6), "uploadedBy": 17})
    assert names(repo.find_by_uploader("u_8841")) == ["mock-1.png", "mock-5.png"]
    assert names(repo.find_by_uploader("u_8841", ["17"])) == [
        "mock-1.png",
        "mock-3.png",
        "mock-5.png",
    ]
    assert names(repo.find_by_uploader("u_8841", ["17"], legacy_self=False)) == [
        "mock-1.png",
        "mock-3.png",
    ]
    assert repo.find_by_uploader("nobody") == []


def test_import_external_is_idempotent(repo: Any) -> None:
    external = record(1, external=True, storageKey="external:abc", publicId="xabc")
    assert repo.import_external(external) is True
    assert repo.import_external({**external, "name": "changed.png"}) is False
    assert repo.by_public_id("xabc") == external
    with pytest.raises(DuplicateRecordError):
        repo.import_external({**record(2), "publicId": "xabc"})


# ---- what only the SQL backend does ---------------------------------------------------


@pytest.fixture
def sql() -> SqlFileRepository:
    return SqlFileRepository(ALIAS)


def test_constraints_are_mongodbs_with_the_retry_key_led_by_the_organization() -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", ["velt_files"]
        )
        definitions = [row[0] for row in cursor.fetchall()]
    unique = [d for d in definitions if "UNIQUE" in d]
    retry = "(organization_id, scope, document_id, attachment_id, sha256)"
    assert any(retry in d and "IS NOT NULL" in d for d in unique)
    retry = "(organization_id, scope, attachment_id, sha256)"
    assert any(retry in d and "IS NULL" in d for d in unique)
    assert any("(storage_key)" in d for d in unique)
    assert any("(public_id)" in d for d in unique)
    for columns in ("(organization_id, scope, url)", "(attachment_id, scope)"):
        assert any(columns in d for d in definitions)


def test_datetimes_are_kept_to_the_millisecond(sql: SqlFileRepository) -> None:
    sql.insert(record(createdAt=CREATED.replace(microsecond=123456)))
    assert sql.by_public_id("public-1") == record()


def test_keys_mongodb_escapes_are_stored_as_given(sql: SqlFileRepository) -> None:
    sql.insert(record(extra={"$x.y": 1}))
    assert FileRecord.objects.using(ALIAS).get().record["extra"] == {"$x.y": 1}


@pytest.mark.django_db(databases=DATABASES, transaction=True)
@pytest.mark.parametrize("document_id", [DOC, None], ids=["doc", "no-doc"])
def test_racing_identical_uploads_store_one_record(document_id: str | None) -> None:
    repo = SqlFileRepository(ALIAS)
    outcomes: list[str] = []

    def insert(n: int) -> None:
        try:
            repo.insert(record(n, sha256="same", documentId=document_id))
        except DuplicateRecordError:
            outcomes.append("duplicate")
        else:
            outcomes.append("stored")

    _concurrently(8, insert)
    assert sorted(outcomes) == ["duplicate"] * 7 + ["stored"]
    assert FileRecord.objects.using(ALIAS).count() == 1


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_outage_is_database_unavailable_and_recovers(pg_cluster: Any) -> None:
    repo = SqlFileRepository(ALIAS)
    repo.insert(record())
    pg_cluster.stop()
    try:
        with pytest.raises(DatabaseUnavailableError):
            repo.by_public_id("public-1")
    finally:
        pg_cluster.start()
    assert repo.by_public_id("public-1") == record()


# ---- over HTTP -------------------------------------------------------------------------


def fetch(client: Client, url: str) -> Any:
    """GET a URL an upload answered (its path and query) through the test client."""
    parts = urlsplit(url)
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if pair)
    return client.get(parts.path, query)


def served_bytes(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def delete_attachment(client: Client, **metadata: Any) -> Any:
    body = {
        "attachmentId": 284117,
        "metadata": {"organizationId": ORG, **metadata},
        "event": "attachment.delete",
    }
    return client.post(
        "/velt/attachments/delete",
        json.dumps(body),
        content_type="application/json",
        **principal("u_8841", ORG),
    )


@pytest.fixture
def on_postgresql(on_postgresql: None, media: Path) -> Path:
    return media


def test_upload_download_and_delete_on_postgresql(
    on_postgresql: Path, client: Client
) -> None:
    url = assert_success(upload(client, "attachment"), read=True)["data"]["url"]
    (row,) = FileRecord.objects.using(ALIAS).all()
    assert (row.organization_id, row.document_id, row.attachment_id) == (
        ORG,
        DOC,
        284117,
    )
    assert (on_postgresql / row.storage_key).read_bytes() == PNG
    # A retry of the same bytes answers the same URL and stores nothing.
    assert assert_success(upload(client, "attachment"), read=True)["data"]["url"] == url
    assert FileRecord.objects.using(ALIAS).count() == 1

    served = fetch(client, url)
    assert served.status_code == 200
    assert served_bytes(served) == PNG
    assert served["Content-Type"] == "image/png"

    response = delete_attachment(client, documentId=DOC)
    assert_success(response, read=False)
    assert FileRecord.objects.using(ALIAS).count() == 0
    assert not (on_postgresql / row.storage_key).exists()
    assert fetch(client, url).status_code == 404


def test_ambiguous_delete_on_postgresql_flags_and_keeps_both(
    on_postgresql: Path, client: Client
) -> None:
    for content in (PNG, PNG + b"2"):
        assert_success(upload(client, "attachment", content), read=True)
    response = delete_attachment(client)
    assert_success(response, read=False)
    flagged = FileRecord.objects.using(ALIAS).values_list(
        "delete_requested_at", flat=True
    )
    assert len(flagged) == 2 and all(flagged)


def test_upload_of_another_document_is_its_own_file(
    on_postgresql: Path, client: Client
) -> None:
    for doc in (DOC, "doc-2"):
        assert_success(
            upload(client, "attachment", req=request_part(doc=doc)), read=True
        )
    stored = FileRecord.objects.using(ALIAS).values_list("document_id", flat=True)
    assert sorted(str(doc) for doc in stored) == sorted([DOC, "doc-2"])


def test_sweep_on_postgresql_keeps_recorded_files_and_deletes_orphans(
    on_postgresql: Path, client: Client
) -> None:
    from django.core.files.base import ContentFile

    from velt_django import files
    from velt_django.files.sweep import sweep_orphans

    assert_success(upload(client, "attachment"), read=True)
    kept = FileRecord.objects.using(ALIAS).get().storage_key
    key = files.new_storage_key("attachment", ORG, DOC)
    orphan = files.get_storage("attachment").save(key, ContentFile(b"orphan"))
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    (result,) = sweep_orphans(modified_before=later, delete=True)
    assert (result.recorded, result.orphans) == (1, [orphan])
    assert (on_postgresql / kept).exists() and not (on_postgresql / orphan).exists()
