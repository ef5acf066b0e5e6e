"""``manage.py velt_import_velt_py`` into the PostgreSQL backend: tests/test_import_velt_py.py's
velt-py database (on mongomock, handed to the command as its source) imported into the
tables with ``STORAGE_BACKEND = "postgresql"``, with the same counts as into MongoDB."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest
from django.core.management.base import CommandError

from velt_django import users
from velt_django.models import FileRecord
from velt_django.repository import velt_py
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve
from velt_django.repository.base import RecordWrite
from velt_django.repository.comments import CommentRepository
from velt_django.repository.notifications import NotificationRepository
from velt_django.repository.reactions import ReactionRepository
from velt_django.repository.recordings import RecordingRepository

from . import test_import_velt_py as mongo
from .postgres import ALIAS
from .repository_sql.conftest import DATABASES
from .test_gdpr import snapshot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

ACME, FIRST_RUN, SOURCE = mongo.ACME, mongo.FIRST_RUN, mongo.SOURCE
run, run_json, counts = mongo.run, mongo.run_json, mongo.counts


def use_postgresql_target(settings: Any) -> None:
    """``VELT`` with the PostgreSQL backend as the import's target, and no MongoDB of
    velt_django's (no URI)."""
    velt = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    settings.VELT = {
        **velt,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }


@pytest.fixture
def source(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    """The velt-py database on a mongomock client of its own as the command's source;
    the PostgreSQL backend as its target, and no MongoDB of velt_django's (no URI, and
    no mongomock behind ``connection.get_client``)."""
    use_postgresql_target(settings)
    db = mongomock.MongoClient()["velt_py_source"]
    monkeypatch.setattr(
        velt_py, "open_source", lambda uri, name, schema: velt_py.VeltPySource(db)
    )
    mongo.seed_source(db)
    return db


def test_import_into_postgresql_twice_changes_nothing_the_second_time(
    source: Any,
) -> None:
    first = run_json(*SOURCE)
    assert {name: counts(first, name) for name in FIRST_RUN} == FIRST_RUN
    assert first["collections"]["comment_annotations"]["target"] == (
        "velt_comment_annotations"
    )
    stored = snapshot()
    assert len(stored["velt_comment_annotations"]) == 2

    second = run_json(*SOURCE)
    for name, (imported, _, skipped, invalid) in FIRST_RUN.items():
        assert counts(second, name) == (0, imported, skipped, invalid), name
    # Not even the bookkeeping moved: same updated_at, rev and last_event everywhere.
    assert snapshot() == stored


def test_import_into_postgresql_stores_records_as_velt_would_have_saved_them(
    source: Any,
) -> None:
    run(*SOURCE)
    documents = mongo.velt_py_documents()
    comments = resolve(CommentRepository)()
    thread = comments.get_many(ACME, ["ann-1"])["ann-1"]
    assert thread == {
        **documents["comment_annotations"][0],
        "createdAt": "2025-03-01T12:30:05.250Z",
    }
    assert comments.get_many("client-org", ["ann-2"]) == {
        "ann-2": documents["comment_annotations"][1]
    }
    assert comments.find(ACME, folder_id="folder-1")[0].record_id == "ann-1"
    reactions = resolve(ReactionRepository)()
    assert reactions.get_many(ACME, ["r-1"])["r-1"]["icon"] == "1f680"
    recording = resolve(RecordingRepository)().get_many(ACME, ["rec-1"])["rec-1"]
    assert recording["chunkUrls"] == {
        "0": "https://bucket.s3.amazonaws.com/rec-1/0.webm"
    }
    activities = {a.record_id: a for a in resolve(ActivityRepository)().find(ACME)}
    assert activities["act-1"].document_id == "doc-1"
    assert activities["act-2"].payload == documents["activities"][1]
    assert resolve(NotificationRepository)().get_by_ids(ACME, ["n-1"]) == {
        "n-1": documents["notifications"][0]
    }
    assert users.get_many(["u1", "u2"])["u1"] == {
        "userId": "u1",
        "name": "Ann Example",
        "email": "Ann@Example.test",
        "photoUrl": "https://img.example/u1.png",
    }
    assert users.resolve_emails(["ann@example.test"]) == {"ann@example.test": "u1"}
    (row,) = FileRecord.objects.using(ALIAS).all()
    assert (row.organization_id, row.document_id, row.attachment_id) == (
        ACME,
        "doc-1",
        123456,
    )
    assert row.url == "https://bucket.s3.amazonaws.com/brief.pdf"
    assert row.record["external"] is True and row.record["folderId"] == "folder-1"
    assert (row.record["name"], row.record["size"]) == ("brief.pdf", 2048)


def test_import_into_postgresql_after_new_saves_keeps_them(source: Any) -> None:
    run(*SOURCE)
    # Velt saves a reply through velt_django after the first import.
    resolve(CommentRepository)().save_many(
        [RecordWrite(ACME, "ann-1", {"comments": {"102": {"commentId": 102}}})],
        "comment.add",
    )
    stored = snapshot()
    assert set(
        resolve(CommentRepository)().get_many(ACME, ["ann-1"])["ann-1"]["comments"]
    ) == {"101", "102"}
    again = run_json(*SOURCE)
    assert counts(again, "comment_annotations") == (0, 2, 1, 1)
    assert snapshot() == stored


def test_dry_run_into_postgresql_writes_nothing(source: Any) -> None:
    before = snapshot()
    result = run_json(*SOURCE, "--dry-run")
    assert {name: counts(result, name) for name in FIRST_RUN} == FIRST_RUN
    assert snapshot() == before


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_import_into_postgresql_down_names_the_target(
    source: Any, pg_cluster: Any
) -> None:
    pg_cluster.stop()
    with pytest.raises(CommandError) as caught:
        run(*SOURCE)
    assert str(caught.value) == (
        f'import failed: the target database (DATABASES["{ALIAS}"]) is unavailable'
    )
    pg_cluster.start()
    assert counts(run_json(*SOURCE), "reaction_annotations") == (1, 0, 0, 0)
