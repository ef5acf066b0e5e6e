"""``manage.py velt_import_velt_py``: a velt-py database into velt_django's collections,
on a real server (wire tier: the source is another database on the same server), on
mongomock (unit tier), and into the PostgreSQL backend's tables (the ``target``
fixture's ``postgresql`` param: the velt-py database on a mongomock client of its own,
with the same counts as into MongoDB)."""

from __future__ import annotations

import datetime
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import mongomock
import pymongo
import pytest
from bson import ObjectId
from bson.decimal128 import Decimal128
from django.core.management import call_command
from django.core.management.base import CommandError

from velt_django import users
from velt_django.models import FileRecord
from velt_django.repository import connection, velt_py
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve, uses_postgresql
from velt_django.repository.base import RecordWrite
from velt_django.repository.comments import CommentRepository
from velt_django.repository.files import FileRepository
from velt_django.repository.notifications import NotificationRepository
from velt_django.repository.reactions import ReactionRepository
from velt_django.repository.recordings import RecordingRepository
from velt_django.velt_py_import import collection_names

from .postgres import ALIAS, table_snapshot, use_postgresql_target
from .repository_sql.conftest import DATABASES

ACME = "acme-corp"
CREATED = datetime.datetime(2025, 3, 1, 12, 30, 5, 250000, tzinfo=datetime.timezone.utc)
TARGETS = (
    "velt_comment_annotations",
    "velt_reaction_annotations",
    "velt_recorder_annotations",
    "velt_activities",
    "velt_notifications",
    "velt_users",
    "velt_files",
)


def md(**extra: Any) -> dict[str, Any]:
    return {"organizationId": ACME, "documentId": "doc-1", "apiKey": "pk_x", **extra}


def velt_py_documents() -> dict[str, list[dict[str, Any]]]:
    """A small velt-py database: flat payloads with ``_id`` and velt-py's habits."""
    return {
        "comment_annotations": [
            {
                "annotationId": "ann-1",
                "metadata": md(folderId="folder-1"),
                "from": {"userId": "u1"},
                "comments": {
                    "101": {
                        "commentId": 101,
                        "commentText": "First",
                        "from": {"userId": "u1"},
                        "attachments": {"123456": {"attachmentId": 123456}},
                    }
                },
                "createdAt": CREATED,
                "~custom": {"a": 1},
            },
            {
                "annotationId": "ann-2",
                "metadata": {
                    "clientOrganizationId": "client-org",
                    "organizationId": "velt-internal",
                },
                "comments": {},
            },
            {"annotationId": "ann-no-org", "metadata": {"documentId": "doc-1"}},
            {"metadata": md(), "comments": {}},  # no annotationId: invalid
        ],
        "reaction_annotations": [
            {"annotationId": "r-1", "metadata": md(), "icon": "1f680"},
        ],
        "recorder_annotations": [
            {
                "annotationId": "rec-1",
                "metadata": md(),
                "from": {"userId": "u1", "name": "Ann"},
                "chunkUrls": {"0": "https://bucket.s3.amazonaws.com/rec-1/0.webm"},
                "transcription": {"transcriptedText": "hello"},
            },
        ],
        "activities": [
            {
                "id": "act-1",
                "organizationId": ACME,
                "metadata": md(),
                "changes": {"commentText": {"to": "First"}},
            },
            {"id": "act-2", "organizationId": ACME, "entityData": {"n": 1}},
        ],
        "notifications": [
            {
                "notificationId": "n-1",
                "organizationId": ACME,
                "displayBodyMessage": "Please review",
            },
            {"notificationId": "n-no-org", "displayBodyMessage": "nowhere"},
        ],
        "users": [
            {
                "userId": "u1",
                "name": "Ann Example",
                "email": "Ann@Example.test",
                "photoUrl": "https://img.example/u1.png",
                "passwordHash": "pbkdf2$not-for-velt",
            },
            {"userId": "u2", "name": "Bo"},
            {"name": "no user id"},
        ],
        "attachments": [
            {
                "attachmentId": 123456,
                "name": "brief.pdf",
                "mimeType": "application/pdf",
                "size": 2048,
                "url": "https://bucket.s3.amazonaws.com/brief.pdf",
                "metadata": md(folderId="folder-1"),
            },
            {
                "attachmentId": 7,
                "url": "https://bucket.s3.amazonaws.com/x",
                "metadata": {},
            },
        ],
    }


def seed_source(db: Any, rename: dict[str, str] | None = None) -> None:
    for name, docs in velt_py_documents().items():
        target = (rename or {}).get(name, name)
        db[target].insert_many([{"_id": ObjectId(), **doc} for doc in docs])


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("velt_import_velt_py", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    out, _ = run(*args, "--json")
    result: dict[str, Any] = json.loads(out)
    return result


def counts(result: dict[str, Any], name: str) -> tuple[int, int, int, int]:
    c = result["collections"][name]
    return c["imported"], c["unchanged"], c["skippedWithoutOrganization"], c["invalid"]


def target_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every stored record of ``TARGETS``, by collection: MongoDB's documents without
    ``_id``, or every column of the PostgreSQL rows (JSON-comparable)."""
    if uses_postgresql():
        return table_snapshot(TARGETS)
    db = connection.get_database()
    out = {}
    for name in TARGETS:
        docs = list(db[name].find({}))
        for doc in docs:
            doc.pop("_id", None)
        out[name] = sorted(
            docs, key=lambda d: json.dumps(d, sort_keys=True, default=str)
        )
    return out


FIRST_RUN = {
    "comment_annotations": (2, 0, 1, 1),
    "reaction_annotations": (1, 0, 0, 0),
    "recorder_annotations": (1, 0, 0, 0),
    "activities": (2, 0, 0, 0),
    "notifications": (1, 0, 1, 0),
    "users": (2, 0, 0, 1),
    "attachments": (1, 0, 1, 0),
}

#: The command's source options where ``velt_py.open_source`` is patched (unit tier).
SOURCE = ("--source-uri", "mongodb://source.invalid", "--source-db", "velt_py_source")


# ---- on each target backend -----------------------------------------------------------

MONGOMOCK = "mongomock"
MONGODB = "mongodb"
POSTGRESQL = "postgresql"
#: The ``target`` param of the wire tier (the ``mongo`` marker's server).
WIRE = pytest.param(MONGODB, marks=pytest.mark.mongo)


def postgresql_target(*, transaction: bool = False) -> Any:
    """The ``target`` param of the PostgreSQL backend (``transaction``: a transactional
    test database, for a server restart)."""
    return pytest.param(
        POSTGRESQL,
        marks=[
            pytest.mark.postgres,
            pytest.mark.django_db(databases=DATABASES, transaction=transaction),
        ],
    )


def on_targets(*params: Any) -> pytest.MarkDecorator:
    """Run the test once per ``target`` param: ``MONGOMOCK``, the wire tier
    (``WIRE``), the PostgreSQL tables (``postgresql_target()``)."""
    return pytest.mark.parametrize("target", params, indirect=True)


@dataclass(frozen=True)
class Target:
    """velt_django's backend the import writes to (``MONGODB`` on mongomock too, or
    ``POSTGRESQL``), and the command's options naming the seeded velt-py source."""

    backend: str
    args: tuple[str, ...]


@pytest.fixture
def target(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Target:
    """A seeded velt-py database and velt_django's backend to import it into: on the
    wire tier another database on the target's server; on mongomock one beside the
    target database; into PostgreSQL (and no MongoDB of velt_django's: no URI, nothing
    behind ``connection.get_client``) one on a mongomock client of its own. The last
    two are handed to the command instead of a connection (``SOURCE``)."""
    if request.param == MONGODB:
        uri: str = request.getfixturevalue("mongo_server_uri")
        name: str = request.getfixturevalue("source_name")
        return Target(MONGODB, ("--source-uri", uri, "--source-db", name))
    if request.param == POSTGRESQL:
        use_postgresql_target(settings)
        db: Any = mongomock.MongoClient()["velt_py_source"]
    else:
        request.getfixturevalue("mongo_db")
        settings.VELT = {
            **settings.VELT,
            "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        }
        db = connection.get_client()["velt_py_source"]
    monkeypatch.setattr(
        velt_py, "open_source", lambda uri, name, schema: velt_py.VeltPySource(db)
    )
    seed_source(db)
    return Target(POSTGRESQL if request.param == POSTGRESQL else MONGODB, SOURCE)


@on_targets(MONGOMOCK, WIRE, postgresql_target())
def test_import_twice_changes_nothing_the_second_time(target: Target) -> None:
    first = run_json(*target.args)
    assert {name: counts(first, name) for name in FIRST_RUN} == FIRST_RUN
    assert first["collections"]["comment_annotations"]["target"] == (
        "velt_comment_annotations"
    )
    stored = target_snapshot()
    assert len(stored["velt_comment_annotations"]) == 2

    second = run_json(*target.args)
    for name, (imported, _, skipped, invalid) in FIRST_RUN.items():
        assert counts(second, name) == (0, imported, skipped, invalid), name
    # Not even the bookkeeping moved: same updatedAt, rev and lastEvent everywhere
    # (PostgreSQL's updated_at, rev and last_event).
    assert target_snapshot() == stored


@on_targets(WIRE, postgresql_target())
def test_import_stores_records_as_velt_would_have_saved_them(target: Target) -> None:
    run(*target.args)
    source = velt_py_documents()

    comments = resolve(CommentRepository)()
    thread = comments.get_many(ACME, ["ann-1"])["ann-1"]
    expected = {
        **source["comment_annotations"][0],
        "createdAt": "2025-03-01T12:30:05.250Z",
    }
    assert thread == expected
    assert comments.get_many("client-org", ["ann-2"]) == {
        "ann-2": source["comment_annotations"][1]
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
    assert activities["act-2"].payload == source["activities"][1]
    assert resolve(NotificationRepository)().get_by_ids(ACME, ["n-1"]) == {
        "n-1": source["notifications"][0]
    }

    found = users.get_many(["u1", "u2"])
    assert found["u1"] == {
        "userId": "u1",
        "name": "Ann Example",
        "email": "Ann@Example.test",
        "photoUrl": "https://img.example/u1.png",
    }
    assert users.resolve_emails(["ann@example.test"]) == {"ann@example.test": "u1"}

    if target.backend == POSTGRESQL:
        # The row's columns, the rest of the record in its JSON column.
        (row,) = FileRecord.objects.using(ALIAS).all()
        record = {
            **row.record,
            "organizationId": row.organization_id,
            "documentId": row.document_id,
            "attachmentId": row.attachment_id,
            "url": row.url,
        }
    else:
        (record,) = FileRepository().collection.find({}, {"_id": 0})
    assert record["url"] == "https://bucket.s3.amazonaws.com/brief.pdf"
    assert record["external"] is True
    assert (record["organizationId"], record["documentId"], record["folderId"]) == (
        ACME,
        "doc-1",
        "folder-1",
    )
    assert (record["attachmentId"], record["name"], record["size"]) == (
        123456,
        "brief.pdf",
        2048,
    )


@on_targets(WIRE, postgresql_target())
def test_import_after_new_saves_keeps_them_and_changes_nothing(
    target: Target,
) -> None:
    run(*target.args)
    # Velt saves a reply through velt_django after the first import.
    comments = resolve(CommentRepository)()
    comments.save_many(
        [RecordWrite(ACME, "ann-1", {"comments": {"102": {"commentId": 102}}})],
        "comment.add",
    )
    stored = target_snapshot()
    assert set(comments.get_many(ACME, ["ann-1"])["ann-1"]["comments"]) == {
        "101",
        "102",
    }
    again = run_json(*target.args)
    assert counts(again, "comment_annotations") == (0, 2, 1, 1)
    assert target_snapshot() == stored


@on_targets(MONGOMOCK, postgresql_target())
def test_dry_run_counts_and_writes_nothing(target: Target) -> None:
    before = target_snapshot()
    result = run_json(*target.args, "--dry-run")
    assert result["dryRun"] is True
    assert {name: counts(result, name) for name in FIRST_RUN} == FIRST_RUN
    assert target_snapshot() == before
    text, _ = run(*target.args, "--dry-run")
    assert (
        "comment_annotations (comment_annotations -> velt_comment_annotations)" in text
    )
    assert "2 to import, 0 unchanged, 1 without organization, 1 invalid" in text
    assert text.rstrip().endswith("Would import 10 record(s).")


@on_targets(postgresql_target(transaction=True))
def test_import_into_postgresql_down_names_the_target(
    target: Target, pg_cluster: Any
) -> None:
    pg_cluster.stop()
    with pytest.raises(CommandError) as caught:
        run(*target.args)
    assert str(caught.value) == (
        f'import failed: the target database (DATABASES["{ALIAS}"]) is unavailable'
    )
    pg_cluster.start()
    assert counts(run_json(*target.args), "reaction_annotations") == (1, 0, 0, 0)


# ---- wire tier ------------------------------------------------------------------------


@pytest.fixture
def source_name(wire_db: Any, mongo_server_uri: str, settings: Any) -> Iterator[str]:
    """A velt-py database on the same server as the target database."""
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    name = f"velt_py_{uuid.uuid4().hex[:12]}"
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(mongo_server_uri)
    seed_source(client[name])
    try:
        yield name
    finally:
        client.drop_database(name)
        client.close()


@pytest.mark.mongo
def test_import_from_an_unreachable_server_is_a_command_error(
    wire_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 200}
    with pytest.raises(
        CommandError,
        match=r"import failed: the source database \(velt-py, --source-uri\) is "
        "unavailable",
    ):
        run("--source-uri", "mongodb://127.0.0.1:1/", "--source-db", "velt")


@pytest.mark.mongo
def test_import_into_an_unreachable_target_names_the_target(
    source_name: str, mongo_server_uri: str, settings: Any
) -> None:
    target = settings.VELT
    settings.VELT = {
        **target,
        "MONGODB_URI": "mongodb://127.0.0.1:1/",
        "SERVER_SELECTION_TIMEOUT_MS": 200,
    }
    try:
        with pytest.raises(CommandError) as caught:
            run("--source-uri", mongo_server_uri, "--source-db", source_name)
    finally:
        settings.VELT = target  # the fixture drops the target database afterwards
    assert str(caught.value) == (
        'import failed: the target database (VELT["MONGODB_URI"]) is unavailable'
    )


# ---- unit tier ------------------------------------------------------------------------


@pytest.fixture
def source(mongo_db: Any, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    """A velt-py database on mongomock, handed to the command instead of a connection."""
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    db = connection.get_client()["velt_py_source"]
    monkeypatch.setattr(
        velt_py, "open_source", lambda uri, name, schema: velt_py.VeltPySource(db)
    )
    return db


def test_collections_map_renames_and_skips(source: Any) -> None:
    seed_source(source, rename={"comment_annotations": "threads"})
    result = run_json(
        *SOURCE,
        "--collections-map",
        '{"comment_annotations": "threads", "users": null}',
    )
    assert counts(result, "comment_annotations") == (2, 0, 1, 1)
    assert result["collections"]["users"]["found"] is False
    assert users.get_many(["u1"]) == {}
    text, _ = run(*SOURCE, "--collections-map", '{"users": null}')
    assert "users: skipped" in text
    assert "comment_annotations: not in the source" in text


def test_user_fields_map_velt_keys_to_source_fields(source: Any) -> None:
    source["users"].insert_one(
        {"uid": "u9", "profile": {"fullName": "Nia Example"}, "token": "secret"}
    )
    result = run_json(
        *SOURCE, "--user-fields", '{"userId": "uid", "name": "profile.fullName"}'
    )
    assert counts(result, "users") == (1, 0, 0, 0)
    assert users.get_many(["u9"]) == {"u9": {"userId": "u9", "name": "Nia Example"}}


def test_progress_goes_to_stderr_without_content(source: Any) -> None:
    seed_source(source)
    _, err = run(*SOURCE)
    assert "importing comment_annotations: 4/4 (100%)" in err
    assert "importing users: 3/3 (100%)" in err
    assert "Ann" not in err and "First" not in err


@pytest.mark.django_db
def test_import_into_the_django_user_model_twice(source: Any, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.DjangoUserDirectory",
    }
    source["users"].insert_many(velt_py_documents()["users"])
    assert counts(run_json(*SOURCE), "users") == (2, 0, 0, 1)
    # photoUrl has no column here: velt_django's user profile keeps it, so the second
    # run finds every user unchanged.
    assert counts(run_json(*SOURCE), "users") == (0, 2, 0, 1)
    assert users.get_many(["u1"])["u1"]["name"] == "Ann Example"
    assert users.get_many(["u1"])["u1"]["photoUrl"] == "https://img.example/u1.png"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--collections-map", "{not json", "--collections-map is not valid JSON"),
        ("--collections-map", "[]", "--collections-map must be a JSON object"),
        ("--collections-map", '{"comments": "x"}', "unknown collection 'comments'"),
        ("--collections-map", '{"users": 3}', "must be a string or null"),
        ("--user-fields", '{"name": "fullName"}', "--user-fields must map userId"),
        ("--user-fields", '{"userId": ""}', "--user-fields values must be field names"),
    ],
)
def test_bad_options_are_command_errors(
    source: Any, option: str, value: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run(*SOURCE, option, value)


def test_a_database_without_velt_py_collections_is_a_command_error(source: Any) -> None:
    source["something_else"].insert_one({"a": 1})
    with pytest.raises(CommandError, match="has none of the velt-py collections"):
        run(*SOURCE)


def test_source_uri_and_db_are_required() -> None:
    with pytest.raises(CommandError, match="--source-uri"):
        call_command("velt_import_velt_py", "--source-db", "x", stdout=io.StringIO())


def test_an_invalid_source_uri_is_a_command_error(mongo_db: Any) -> None:
    with pytest.raises(CommandError, match="not a valid MongoDB connection string"):
        run("--source-uri", "mongodb://h:not-a-port", "--source-db", "x")


def test_collection_names_defaults() -> None:
    names = collection_names(None)
    assert names["comment_annotations"] == "comment_annotations"
    assert len(names) == 7


def test_json_ready_turns_bson_types_into_json() -> None:
    oid = ObjectId()
    naive = datetime.datetime(2025, 1, 2, 3, 4, 5)
    assert velt_py.json_ready(
        {
            "when": CREATED,
            "naive": naive,
            "oid": oid,
            "dec": Decimal128(Decimal("1.5")),
            "whole": Decimal128(Decimal("3")),
            "raw": b"\x00\x01",
            "list": (1, None, True),
        }
    ) == {
        "when": "2025-03-01T12:30:05.250Z",
        "naive": "2025-01-02T03:04:05.000Z",
        "oid": str(oid),
        "dec": 1.5,
        "whole": 3,
        "raw": "AAE=",
        "list": [1, None, True],
    }


def test_json_ready_leaves_out_numbers_json_cannot_spell() -> None:
    dropped: list[str] = []
    ready = velt_py.json_ready(
        {
            "inf": Decimal128("Infinity"),
            "nested": {"neg": Decimal128("-Infinity"), "keep": 1},
            "nan": Decimal128("NaN"),
            "snan": Decimal128("sNaN"),
            "huge": Decimal128("1E+400"),
            "big": Decimal128("12345678901234567890"),
            "floats": [1.5, float("inf"), float("nan"), 2],
            "tiny": Decimal("1E-400"),
        },
        dropped,
    )
    assert ready == {
        "nested": {"keep": 1},
        "big": 12345678901234567890.0,  # beyond int64: stored as a double
        "floats": [1.5, 2],
        "tiny": 0.0,
    }
    assert dropped == [
        "inf",
        "nested.neg",
        "nan",
        "snan",
        "huge",
        "floats[1]",
        "floats[2]",
    ]
    assert velt_py.json_ready(Decimal128("Infinity")) is None


def test_non_finite_numbers_are_left_out_and_reported(source: Any) -> None:
    source["comment_annotations"].insert_many(
        [
            {
                "annotationId": "ann-inf",
                "metadata": md(),
                "comments": {
                    "101": {
                        "commentId": 101,
                        "commentText": "Kept",
                        "score": Decimal128("Infinity"),
                    }
                },
                "weight": Decimal128("-Infinity"),
                "ratio": Decimal128("NaN"),
            },
            {"annotationId": "ann-ok", "metadata": md(), "comments": {}},
        ]
    )
    source["activities"].insert_one(
        {
            "id": "act-1",
            "organizationId": ACME,
            "entityData": {"n": Decimal128("1E+400"), "v": [1, float("inf"), 2]},
        }
    )
    result = run_json(*SOURCE)
    assert counts(result, "comment_annotations") == (2, 0, 0, 0)
    assert result["collections"]["comment_annotations"]["droppedFields"] == [
        {"id": "ann-inf", "fields": ["comments.101.score", "weight", "ratio"]}
    ]
    assert counts(result, "activities") == (1, 0, 0, 0)
    assert result["collections"]["activities"]["droppedFields"] == [
        {"id": "act-1", "fields": ["entityData.n", "entityData.v[1]"]}
    ]

    stored = CommentRepository().get_many(ACME, ["ann-inf", "ann-ok"])
    assert set(stored) == {"ann-inf", "ann-ok"}
    assert "weight" not in stored["ann-inf"] and "ratio" not in stored["ann-inf"]
    assert stored["ann-inf"]["comments"]["101"] == {
        "commentId": 101,
        "commentText": "Kept",
    }
    (activity,) = ActivityRepository().find(ACME)
    assert activity.payload["entityData"] == {"v": [1, 2]}

    text, _ = run(*SOURCE)
    assert "ann-inf: left out comments.101.score, weight, ratio" in text
    assert "act-1: left out entityData.n, entityData.v[1]" in text
    assert "Kept" not in text and "Infinity" not in text
