"""``manage.py velt_gdpr export|delete`` with ``STORAGE_BACKEND = "postgresql"``: the
records of tests/test_gdpr.py's ``seed()`` (comment threads, reactions, recordings,
activities, notifications, files and the user directory), stored through the PostgreSQL
repositories, exported and erased by the command with the same answers as on MongoDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import storages
from django.db.models import Model

from velt_django import gdpr, users
from velt_django.models import (
    ActivityRecord,
    CommentAnnotationRecord,
    FileRecord,
    NotificationRecord,
    ReactionAnnotationRecord,
    RecordingAnnotationRecord,
    VeltUserRecord,
)
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve
from velt_django.repository.base import RecordWrite
from velt_django.repository.comments import CommentRepository
from velt_django.repository.files import FileRepository
from velt_django.repository.reactions import ReactionRepository
from velt_django.repository.recordings import RecordingRepository

from . import test_gdpr as mongo
from .postgres import ALIAS
from .repository_sql.conftest import DATABASES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

GONE, STAY, ACME, GLOBEX, SECRET = (
    mongo.GONE,
    mongo.STAY,
    mongo.ACME,
    mongo.GLOBEX,
    mongo.SECRET,
)
run, ids, message = mongo.run, mongo.ids, mongo.message

#: The tables of the records ``seed()`` writes, with the column naming each row.
TABLES: dict[type[Model], str] = {
    CommentAnnotationRecord: "annotation_id",
    ReactionAnnotationRecord: "annotation_id",
    RecordingAnnotationRecord: "annotation_id",
    ActivityRecord: "activity_id",
    NotificationRecord: "annotation_id",
    VeltUserRecord: "user_id",
    FileRecord: "storage_key",
}


def _save(repo: Any, org: str, record_id: str, payload: dict[str, Any]) -> None:
    """tests/test_gdpr.py's ``save`` for any backend's repository (the annotation twins
    have no ``id_field``: their records are keyed by ``annotationId``)."""
    id_field = getattr(repo, "id_field", "annotationId")
    payload = {**payload, id_field if id_field != "activityId" else "id": record_id}
    repo.save_many(
        [RecordWrite(org, record_id, payload, payload["metadata"].get("documentId"))],
        "seed",
    )


@pytest.fixture(autouse=True)
def on_postgresql(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The PostgreSQL backend with the repository user directory, and no MongoDB (its
    URI is unset); ``mongo.seed()`` writes through the backend's repositories."""
    velt = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    settings.VELT = {
        **velt,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    for cls in (
        CommentRepository,
        ReactionRepository,
        RecordingRepository,
        ActivityRepository,
        FileRepository,
    ):
        monkeypatch.setattr(mongo, cls.__name__, lambda cls=cls: resolve(cls)())
    monkeypatch.setattr(mongo, "save", _save)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of the tables, as JSON-comparable dicts, by table."""
    out = {}
    for model, key in TABLES.items():
        order = (key,) if model is VeltUserRecord else ("organization_id", key)
        rows = model._default_manager.using(ALIAS).order_by(*order)
        out[model._meta.db_table] = [
            json.loads(json.dumps(row, default=str)) for row in rows.values()
        ]
    return out


def others(
    snap: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """The rows of ``snap`` that did not mention GONE in ``before`` (by primary key)."""
    kept = {
        (table, row["id"])
        for table, rows in before.items()
        for row in rows
        if not gdpr.mentions(row, GONE) and row.get("uploaded_by") != GONE
    }
    return {
        table: [row for row in rows if (table, row["id"]) in kept]
        for table, rows in snap.items()
    }


def comment(record_id: str) -> dict[str, Any]:
    found: dict[str, Any] = resolve(CommentRepository)().get_many(ACME, [record_id])
    return found[record_id]


# ---- export --------------------------------------------------------------------------


def test_export_on_postgresql_writes_every_record_that_mentions_the_user(
    tmp_path: Path,
) -> None:
    mongo.seed()
    target = tmp_path / "export.json"
    out, _ = run("export", "--user-id", GONE, "--output", str(target))
    export = json.loads(target.read_text())
    assert ids(export, "comments") == {
        "thread-mixed",
        "thread-own",
        "thread-globex",
        "thread-resolved",
    }
    assert ids(export, "reactions") == {"r-gone"}
    assert ids(export, "recordings") == {"rec-gone", "rec-stay"}
    assert ids(export, "activities", "activityId") == {"act-gone", "act-mention"}
    assert ids(export, "notifications", "notificationId") == {"n-gone"}
    assert [f["uploadedBy"] for f in export["files"]] == [GONE]
    assert export["user"]["userId"] == GONE
    mixed = next(e for e in export["comments"] if e["annotationId"] == "thread-mixed")
    assert mixed["involvement"] == ["assignee", "author", "tagged"]
    assert mixed["organizationId"] == ACME and mixed["documentId"] == "spec-q3"
    assert mixed["payload"]["team.name"]["lead"]["userId"] == GONE
    assert mixed["payload"]["comments"]["2"]["commentText"] == SECRET
    assert "Exported user u_gone" in out
    assert "4 comment threads" in out


def test_export_on_postgresql_of_one_organization() -> None:
    mongo.seed()
    out, err = run("export", "--user-id", GONE, "--organization", GLOBEX)
    export = json.loads(out)
    assert ids(export, "comments") == {"thread-globex"}
    assert export["reactions"] == [] and export["files"] == []
    assert export["user"]["userId"] == GONE
    assert "Exported user u_gone to standard output" in err


# ---- delete --------------------------------------------------------------------------


def test_delete_on_postgresql_round_trip() -> None:
    keys = mongo.seed()
    before = snapshot()

    out, err = run("delete", "--user-id", GONE, "--yes", "--json")
    summary = json.loads(out)
    assert summary["comments"] == {"found": 4, "anonymised": 2, "deleted": 2}
    assert summary["reactions"] == {"found": 1, "anonymised": 0, "deleted": 1}
    assert summary["recordings"] == {"found": 2, "anonymised": 1, "deleted": 1}
    assert summary["activities"] == {"found": 2, "anonymised": 1, "deleted": 1}
    assert summary["notifications"] == {"found": 1, "anonymised": 0, "deleted": 1}
    assert summary["files"] == {"found": 1, "deleted": 1}
    assert summary["user"] == {"found": 1, "deleted": 1, "keptBecause": None}
    assert "scanning velt_comment_annotations: 5/5 (100%)" in err
    assert SECRET not in err and "Gone" not in err

    after, _ = run("export", "--user-id", GONE)
    export = json.loads(after)
    for family in (*(f.name for f in gdpr.FAMILIES), "files"):
        assert export[family] == [], family
    assert export["user"] is None
    stored = json.dumps(snapshot())
    assert SECRET not in stored
    assert '"Gone Person"' not in stored and "@Gone Person?" not in stored

    # Other users' rows are exactly as they were (not even rewritten: same rev).
    assert others(snapshot(), before) == others(before, before)
    storage = storages["default"]
    assert not storage.exists(keys[GONE]) and storage.exists(keys[STAY])
    assert users.get_many([STAY]) and not users.get_many([GONE])

    mixed = comment("thread-mixed")
    assert mixed["comments"]["2"] == {"commentId": 2, "from": gdpr.anonymous_user()}
    first = mixed["comments"]["1"]
    assert (
        first["commentText"] == "Can you check this, @Deleted user? cc @Gone Personnel"
    )
    assert first["taggedUserContacts"] == [gdpr.anonymous_user()]
    assert mixed["assignedTo"] == gdpr.anonymous_user()
    assert mixed["team.name"] == {"lead": gdpr.anonymous_user()}
    assert comment("thread-resolved")["resolvedByUserId"] == gdpr.ANONYMOUS_USER_ID
    rewritten = CommentAnnotationRecord.objects.using(ALIAS).get(
        organization_id=ACME, annotation_id="thread-mixed"
    )
    assert (rewritten.last_event, rewritten.rev) == (gdpr.ERASE_EVENT, 2)
    act = resolve(ActivityRepository)().find(ACME, ["act-mention"])[0].payload
    assert act["displayMessageTemplateData"] == {
        "actor": gdpr.anonymous_user(),
        "env": "prod",
    }

    out, _ = run("delete", "--user-id", GONE, "--yes")
    assert "Nothing to delete for user u_gone" in out


def test_delete_on_postgresql_dry_run_changes_nothing() -> None:
    mongo.seed()
    before = snapshot()
    out, _ = run("delete", "--user-id", GONE, "--dry-run", "--json")
    summary = json.loads(out)
    assert summary["dryRun"] is True
    assert summary["comments"]["found"] == 4 and summary["files"]["deleted"] == 1
    assert snapshot() == before


def test_delete_on_postgresql_in_one_organization_keeps_the_rest() -> None:
    mongo.seed()
    before = snapshot()
    out, _ = run(
        "delete", "--user-id", GONE, "--organization", GLOBEX, "--yes", "--json"
    )
    summary = json.loads(out)
    assert summary["comments"] == {"found": 1, "anonymised": 0, "deleted": 1}
    assert summary["user"] == {"found": 1, "deleted": 0, "keptBecause": "organization"}
    after = snapshot()
    for table in ("velt_users", "velt_files", "velt_activities"):
        assert after[table] == before[table], table
    comments = "velt_comment_annotations"
    assert after[comments] == [
        row for row in before[comments] if row["organization_id"] == ACME
    ]


def test_delete_on_postgresql_rereads_a_record_changed_since_the_plan() -> None:
    mongo.seed()
    plan = gdpr.plan_deletion(GONE)
    # A concurrent save adds a message of another user to the thread of GONE alone.
    late = {"comments": {"9": message(9, STAY, "late reply")}}
    resolve(CommentRepository)().save_many(
        [RecordWrite(ACME, "thread-own", late)], "comment.add"
    )
    summary = gdpr.apply_deletion(plan)
    assert summary["comments"]["deleted"] == 1  # thread-globex; thread-own is kept now
    own = comment("thread-own")
    assert own["comments"]["9"]["commentText"] == "late reply"
    assert own["comments"]["3"] == {"commentId": 3, "from": gdpr.anonymous_user()}
    assert own["from"] == gdpr.anonymous_user()


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_gdpr_on_postgresql_outage_is_a_command_error_and_recovers(
    pg_cluster: Any,
) -> None:
    mongo.seed()
    pg_cluster.stop()
    with pytest.raises(mongo.CommandError, match="GDPR export failed: the database"):
        run("export", "--user-id", GONE)
    pg_cluster.start()
    export = json.loads(run("export", "--user-id", GONE)[0])
    assert ids(export, "reactions") == {"r-gone"}
