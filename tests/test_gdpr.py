"""``manage.py velt_gdpr export|delete``: one user's data across every collection, on
mongomock (unit tier), a real server (wire tier) and the PostgreSQL backend (``tier``'s
``postgresql`` param: the same records, stored through the PostgreSQL repositories,
exported and erased with the same answers)."""

from __future__ import annotations

import copy
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.core.management.base import CommandError

from velt_django import gdpr, notifications, users
from velt_django.repository import connection
from velt_django.repository.activities import ActivityRepository
from velt_django.repository.backend import resolve, uses_postgresql
from velt_django.repository.base import RecordWrite
from velt_django.repository.comments import CommentRepository
from velt_django.repository.files import FileRepository
from velt_django.repository.reactions import ReactionRepository
from velt_django.repository.recordings import RecordingRepository

from .postgres import table_snapshot, use_postgresql_target
from .repository_sql.conftest import DATABASES
from .views.backends import stored_documents

GONE = "u_gone"
STAY = "u_stay"
ACME = "acme-corp"
GLOBEX = "globex"
SECRET = "pii-canary-Gdpr"  # written by GONE; must not survive a delete
KEY_FIELDS = (
    "organizationId",
    "annotationId",
    "activityId",
    "notificationId",
    "userId",
    "storageKey",
)
# The file lookup asks Django's user model which pk older session uploads recorded.
pytestmark = pytest.mark.django_db

COLLECTIONS = (
    "velt_comment_annotations",
    "velt_reaction_annotations",
    "velt_recorder_annotations",
    "velt_activities",
    "velt_notifications",
    "velt_users",
    "velt_files",
)


class Terminal(io.StringIO):
    """Standard input that claims to be a terminal, with the user's answer."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def unit(mongo_db: Any, settings: Any) -> None:
    """Mongomock with the Mongo user directory."""
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }


POSTGRESQL = "postgresql"


@pytest.fixture(
    params=[
        "mongo_db",
        pytest.param("wire_db", marks=pytest.mark.mongo),
        pytest.param(
            POSTGRESQL,
            marks=[pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)],
        ),
    ]
)
def tier(request: pytest.FixtureRequest, settings: Any) -> str:
    """Mongomock (unit tier) or a real server (wire tier), with the Mongo directory; or
    the PostgreSQL backend with the repository user directory and no MongoDB (its URI
    unset). Answers the param."""
    if request.param == POSTGRESQL:
        use_postgresql_target(settings)
        return POSTGRESQL
    request.getfixturevalue(request.param)
    settings.VELT = {
        **settings.VELT,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    return str(request.param)


def md(org: str = ACME, doc: str = "spec-q3") -> dict[str, Any]:
    return {"organizationId": org, "documentId": doc, "apiKey": "pk_test"}


def user(user_id: str, name: str) -> dict[str, Any]:
    return {"userId": user_id, "name": name, "email": f"{user_id}@example.test"}


def message(cid: int, author: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"commentId": cid, "commentText": text, "from": {"userId": author}, **extra}


def save(repo: Any, org: str, record_id: str, payload: dict[str, Any]) -> None:
    """Store ``payload`` through ``repo``, a repository of either backend (the
    PostgreSQL annotation twins have no ``id_field``: they are keyed by
    ``annotationId``)."""
    id_field = getattr(repo, "id_field", "annotationId")
    payload = {**payload, id_field if id_field != "activityId" else "id": record_id}
    repo.save_many(
        [RecordWrite(org, record_id, payload, payload["metadata"].get("documentId"))],
        "seed",
    )


def seed() -> dict[str, str]:
    """One record of each kind per role, through the configured backend's repositories;
    returns the storage keys of the two files."""
    comments = resolve(CommentRepository)()
    save(
        comments,
        ACME,
        "thread-mixed",
        {
            "metadata": md(),
            "from": {"userId": STAY},
            "assignedTo": {"userId": GONE},
            "team.name": {"lead": {"userId": GONE, "name": "Gone Person"}},
            "comments": {
                "1": message(
                    1,
                    STAY,
                    "Can you check this, @Gone Person? cc @Gone Personnel",
                    commentHtml="<p>@Gone Person</p>",
                    to=[{"userId": GONE}],
                    taggedUserContacts=[
                        {
                            "userId": GONE,
                            "contact": user(GONE, "Gone Person"),
                            "text": "@Gone Person",
                        }
                    ],
                ),
                "2": message(2, GONE, SECRET, attachments={"7": {"name": "a.png"}}),
            },
        },
    )
    save(
        comments,
        ACME,
        "thread-own",
        {
            "metadata": md(),
            "from": {"userId": GONE},
            "comments": {"3": message(3, GONE, SECRET)},
        },
    )
    save(
        comments,
        ACME,
        "thread-other",
        {"metadata": md(), "comments": {"4": message(4, STAY, "unrelated")}},
    )
    save(
        comments,
        GLOBEX,
        "thread-globex",
        {"metadata": md(GLOBEX), "comments": {"5": message(5, GONE, SECRET)}},
    )
    save(
        comments,
        ACME,
        "thread-resolved",
        {
            "metadata": md(),
            "resolvedByUserId": GONE,
            "comments": {"6": message(6, STAY, "done")},
        },
    )
    reactions = resolve(ReactionRepository)()
    save(
        reactions,
        ACME,
        "r-gone",
        {"metadata": md(), "icon": "1f680", "from": {"userId": GONE}},
    )
    save(
        reactions,
        ACME,
        "r-stay",
        {"metadata": md(), "icon": "1f44d", "from": {"userId": STAY}},
    )
    recordings = resolve(RecordingRepository)()
    save(
        recordings,
        ACME,
        "rec-gone",
        {
            "metadata": md(),
            "from": user(GONE, "Gone Person"),
            "transcription": {"transcriptedText": SECRET},
        },
    )
    save(
        recordings,
        ACME,
        "rec-stay",
        {
            "metadata": md(),
            "from": user(STAY, "Stay Person"),
            "recordingEditVersions": {"1": {"from": user(GONE, "Gone Person")}},
        },
    )
    activities = resolve(ActivityRepository)()
    save(
        activities,
        ACME,
        "act-gone",
        {
            "metadata": md(),
            "actionUser": {"userId": GONE},
            "changes": {"commentText": {"to": SECRET}},
        },
    )
    save(
        activities,
        ACME,
        "act-mention",
        {
            "metadata": md(),
            "displayMessageTemplateData": {
                "actor": user(GONE, "Gone Person"),
                "env": "prod",
            },
        },
    )
    save(
        activities,
        ACME,
        "act-other",
        {"metadata": md(), "entityData": {"release": "v2"}},
    )
    notifications.store(
        ACME,
        [
            {
                "notificationId": "n-gone",
                "displayHeadlineMessageTemplateData": {
                    "actionUser": user(STAY, "Stay Person"),
                    "recipientUser": user(GONE, "Gone Person"),
                },
                "displayBodyMessage": SECRET,
            },
            {"notificationId": "n-other", "displayBodyMessage": "for someone else"},
        ],
    )
    users.upsert([user(GONE, "Gone Person"), user(STAY, "Stay Person")], ACME)
    keys = {}
    storage = storages["default"]
    for uploader, attachment_id in ((GONE, 7), (STAY, 8)):
        key = storage.save(
            f"velt/attachment/{ACME}/{uploader}.png", ContentFile(b"png")
        )
        resolve(FileRepository)().insert(
            {
                "scope": "attachment",
                "organizationId": ACME,
                "documentId": "spec-q3",
                "attachmentId": attachment_id,
                "sha256": f"sha-{uploader}",
                "storage": "default",
                "storageKey": key,
                "publicId": f"public-{uploader}",
                "url": f"https://files.example/{uploader}",
                "uploadedBy": uploader,
            }
        )
        keys[uploader] = key
    return keys


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every stored record of ``COLLECTIONS``, by collection: MongoDB's documents
    without ``_id``, or every column of the PostgreSQL rows (JSON-comparable)."""
    if uses_postgresql():
        return table_snapshot(COLLECTIONS)
    db = connection.get_database()
    out = {}
    for name in COLLECTIONS:
        docs = list(db[name].find({}))
        for doc in docs:
            doc.pop("_id", None)
        out[name] = sorted(
            docs, key=lambda d: json.dumps(d, sort_keys=True, default=str)
        )
    return out


def others(
    snap: dict[str, list[dict[str, Any]]], before: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """The records of ``snap`` that did not mention GONE in ``before``: MongoDB's
    documents by their key fields, PostgreSQL's rows by primary key."""
    postgresql = uses_postgresql()
    uploader = "uploaded_by" if postgresql else "uploadedBy"

    def key(doc: dict[str, Any]) -> str:
        if postgresql:
            return str(doc["id"])
        return json.dumps([doc.get(k) for k in KEY_FIELDS], default=str)

    kept = {
        (name, key(d))
        for name, docs in before.items()
        for d in docs
        if not gdpr.mentions(d, GONE) and d.get(uploader) != GONE
    }
    return {
        name: [d for d in docs if (name, key(d)) in kept] for name, docs in snap.items()
    }


def organization(doc: dict[str, Any]) -> str:
    """The organization of a ``snapshot()`` record (a column on PostgreSQL)."""
    org: str = doc["organization_id" if uses_postgresql() else "organizationId"]
    return org


def payload_of(repository: Any, record_id: str, org: str = ACME) -> dict[str, Any]:
    """The payload of ``record_id`` read through ``repository``'s implementation on
    the configured backend."""
    found = resolve(repository)().get_many(org, [record_id])
    payload: dict[str, Any] = found[record_id]
    return payload


def run(*args: str, stdin: Any = None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    kwargs: dict[str, Any] = {"stdout": out, "stderr": err}
    if stdin is not None:
        kwargs["stdin"] = stdin
    call_command("velt_gdpr", *args, **kwargs)
    return out.getvalue(), err.getvalue()


def ids(
    export: dict[str, Any], family: str, id_field: str = "annotationId"
) -> set[str]:
    return {entry[id_field] for entry in export[family]}


# ---- export --------------------------------------------------------------------------


def test_export_writes_every_record_that_mentions_the_user(
    tier: str, tmp_path: Path
) -> None:
    seed()
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
    assert mixed["payload"]["team.name"]["lead"]["userId"] == GONE  # unescaped
    assert mixed["payload"]["comments"]["2"]["commentText"] == SECRET
    assert "Exported user u_gone" in out
    assert "4 comment threads" in out
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_export_to_standard_output_keeps_the_summary_on_stderr(tier: str) -> None:
    seed()
    out, err = run("export", "--user-id", GONE, "--organization", GLOBEX)
    export = json.loads(out)
    assert ids(export, "comments") == {"thread-globex"}
    assert export["reactions"] == [] and export["files"] == []
    assert export["user"]["userId"] == GONE
    assert "Exported user u_gone to standard output" in err


def test_export_json_summary(tier: str, tmp_path: Path) -> None:
    seed()
    out, _ = run(
        "export", "--user-id", GONE, "--output", str(tmp_path / "x.json"), "--json"
    )
    summary = json.loads(out)
    assert summary["comments"] == 4 and summary["files"] == 1 and summary["user"] == 1


def test_export_json_summary_needs_an_output_file(unit: None) -> None:
    with pytest.raises(CommandError, match="--output FILE"):
        run("export", "--user-id", GONE, "--json")


def test_export_unwritable_output_is_a_command_error(
    unit: None, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="cannot write"):
        run("export", "--user-id", GONE, "--output", str(tmp_path / "no" / "x.json"))


def test_export_refuses_an_object_as_user_id(unit: None) -> None:
    with pytest.raises(CommandError, match="--user-id"):
        call_command("velt_gdpr", "export", "--user-id", "", stdout=io.StringIO())


def test_export_database_unavailable_is_a_command_error(
    settings: Any, tmp_path: Path
) -> None:
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 200}
    target = tmp_path / "export.json"
    with pytest.raises(CommandError, match="GDPR export failed"):
        run("export", "--user-id", GONE, "--output", str(target))
    assert not target.exists()  # no half-written export left behind


def test_a_failed_export_keeps_a_file_it_did_not_create(
    settings: Any, tmp_path: Path
) -> None:
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 200}
    target = tmp_path / "export.json"
    target.write_text("earlier")
    with pytest.raises(CommandError, match="GDPR export failed"):
        run("export", "--user-id", GONE, "--output", str(target))
    assert target.exists()


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_gdpr_on_postgresql_outage_is_a_command_error_and_recovers(
    settings: Any, pg_cluster: Any
) -> None:
    use_postgresql_target(settings)
    seed()
    pg_cluster.stop()
    with pytest.raises(CommandError, match="GDPR export failed: the database"):
        run("export", "--user-id", GONE)
    pg_cluster.start()
    export = json.loads(run("export", "--user-id", GONE)[0])
    assert ids(export, "reactions") == {"r-gone"}


def test_action_is_required() -> None:
    with pytest.raises(CommandError):
        call_command("velt_gdpr", stdout=io.StringIO(), stderr=io.StringIO())


# ---- delete --------------------------------------------------------------------------


def test_export_delete_round_trip(tier: str, tmp_path: Path) -> None:
    keys = seed()
    before = snapshot()
    run("export", "--user-id", GONE, "--output", str(tmp_path / "before.json"))

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

    # Nothing mentions the user any more, and no trace of what they wrote is left.
    after_export, _ = run("export", "--user-id", GONE)
    after = json.loads(after_export)
    for family in (*(f.name for f in gdpr.FAMILIES), "files"):
        assert after[family] == [], family
    assert after["user"] is None
    assert SECRET not in json.dumps(snapshot(), default=str)
    stored = json.dumps(snapshot(), default=str)
    assert '"Gone Person"' not in stored and "@Gone Person?" not in stored

    # Other users' records are exactly as they were (not even rewritten).
    assert others(snapshot(), before) == others(before, before)
    storage = storages["default"]
    assert not storage.exists(keys[GONE]) and storage.exists(keys[STAY])
    assert users.get_many([STAY]) and not users.get_many([GONE])

    mixed = payload_of(CommentRepository, "thread-mixed")
    assert mixed["comments"]["2"] == {"commentId": 2, "from": gdpr.anonymous_user()}
    first = mixed["comments"]["1"]
    assert (
        first["commentText"] == "Can you check this, @Deleted user? cc @Gone Personnel"
    )
    assert first["commentHtml"] == "<p>@Deleted user</p>"
    assert first["to"] == [gdpr.anonymous_user()]
    assert first["taggedUserContacts"] == [gdpr.anonymous_user()]
    assert first["from"] == {"userId": STAY}
    assert mixed["assignedTo"] == gdpr.anonymous_user()
    assert mixed["team.name"] == {"lead": gdpr.anonymous_user()}
    resolved = payload_of(CommentRepository, "thread-resolved")
    assert resolved["resolvedByUserId"] == gdpr.ANONYMOUS_USER_ID
    # The rewrite is an ordinary save of the erase event (MongoDB's envelope fields,
    # PostgreSQL's columns).
    (envelope,) = stored_documents(
        "velt_comment_annotations", organizationId=ACME, annotationId="thread-mixed"
    )
    assert (envelope["lastEvent"], envelope["rev"]) == (gdpr.ERASE_EVENT, 2)
    rec = payload_of(RecordingRepository, "rec-stay")
    assert rec["from"]["userId"] == STAY
    assert rec["recordingEditVersions"]["1"]["from"] == gdpr.anonymous_user()
    act = resolve(ActivityRepository)().find(ACME, ["act-mention"])[0].payload
    assert act["displayMessageTemplateData"] == {
        "actor": gdpr.anonymous_user(),
        "env": "prod",
    }

    # A second delete finds nothing.
    out, _ = run("delete", "--user-id", GONE, "--yes")
    assert "Nothing to delete for user u_gone" in out


def test_delete_dry_run_changes_nothing(tier: str) -> None:
    seed()
    before = snapshot()
    out, _ = run("delete", "--user-id", GONE, "--dry-run", "--json")
    summary = json.loads(out)
    assert summary["dryRun"] is True
    assert summary["comments"]["found"] == 4 and summary["files"]["deleted"] == 1
    assert snapshot() == before
    text, _ = run("delete", "--user-id", GONE, "--dry-run")
    assert text.startswith(
        "Would delete user u_gone: comment threads: 2 deleted, 2 anonymised"
    )


def test_delete_in_one_organization_keeps_the_rest(tier: str) -> None:
    seed()
    before = snapshot()
    out, _ = run(
        "delete", "--user-id", GONE, "--organization", GLOBEX, "--yes", "--json"
    )
    summary = json.loads(out)
    assert summary["comments"] == {"found": 1, "anonymised": 0, "deleted": 1}
    assert summary["user"] == {"found": 1, "deleted": 0, "keptBecause": "organization"}
    after = snapshot()
    for name in ("velt_users", "velt_files", "velt_activities"):
        assert after[name] == before[name], name
    # The Globex thread is gone; the Acme ones are exactly as they were.
    comments = "velt_comment_annotations"
    assert after[comments] == [d for d in before[comments] if organization(d) == ACME]


def test_delete_without_yes_refuses_a_non_terminal(unit: None) -> None:
    seed()
    before = snapshot()
    with pytest.raises(CommandError, match="pass --yes"):
        run("delete", "--user-id", GONE, stdin=io.StringIO("yes\n"))
    assert snapshot() == before


def test_delete_asks_and_stops_unless_yes(unit: None) -> None:
    seed()
    before = snapshot()
    with pytest.raises(CommandError, match="cancelled"):
        run("delete", "--user-id", GONE, stdin=Terminal("no\n"))
    assert snapshot() == before
    out, err = run("delete", "--user-id", GONE, stdin=Terminal("yes\n"))
    assert "Type 'yes' to continue" in err
    assert out.startswith(
        "Deleted user u_gone: comment threads: 2 deleted, 2 anonymised"
    )
    assert "directory entry: 1 deleted" in out


def test_delete_refuses_the_placeholder_id(unit: None) -> None:
    with pytest.raises(CommandError, match="placeholder"):
        run("delete", "--user-id", gdpr.ANONYMOUS_USER_ID, "--yes")


@pytest.mark.django_db
def test_delete_keeps_a_django_user_unless_asked(mongo_db: Any) -> None:
    from velt_django.models import VeltUserProfile

    users.upsert([{"userId": GONE, "name": "Gone Person", "photoUrl": "gone.png"}])
    out, _ = run("delete", "--user-id", GONE, "--yes", "--json")
    assert json.loads(out)["user"] == {
        "found": 1,
        "deleted": 0,
        "keptBecause": "django-user-model",
    }
    assert users.get_many([GONE])[GONE]["photoUrl"] == "gone.png"
    assert VeltUserProfile.objects.filter(user__username=GONE).exists()
    out, _ = run("delete", "--user-id", GONE, "--yes", "--json", "--delete-django-user")
    assert json.loads(out)["user"]["deleted"] == 1
    assert not users.get_many([GONE])
    # The Velt profile (photoUrl and the other fields without a column) goes with it.
    assert not VeltUserProfile.objects.exists()


def test_delete_reports_progress_on_stderr(tier: str) -> None:
    seed()
    _, err = run("delete", "--user-id", GONE, "--yes")
    assert "scanning velt_comment_annotations: 5/5 (100%)" in err
    assert "erasing records: 10/10 (100%)" in err
    assert "Gone" not in err and SECRET not in err
    _, quiet = run("delete", "--user-id", STAY, "--dry-run", "--verbosity", "0")
    assert quiet == ""


def test_delete_rereads_a_record_changed_since_the_plan(tier: str) -> None:
    seed()
    plan = gdpr.plan_deletion(GONE)
    # A concurrent save adds a message of another user to the thread of GONE alone.
    resolve(CommentRepository)().save_many(
        [
            RecordWrite(
                ACME, "thread-own", {"comments": {"9": message(9, STAY, "late reply")}}
            )
        ],
        "comment.add",
    )
    summary = gdpr.apply_deletion(plan)
    assert summary["comments"]["deleted"] == 1  # thread-globex; thread-own is kept now
    own = payload_of(CommentRepository, "thread-own")
    assert own["comments"]["9"]["commentText"] == "late reply"
    assert own["comments"]["3"] == {"commentId": 3, "from": gdpr.anonymous_user()}
    assert own["from"] == gdpr.anonymous_user()


# ---- rules ---------------------------------------------------------------------------


def test_mentions_finds_user_objects_and_id_fields() -> None:
    assert gdpr.mentions({"a": [{"b": {"userId": GONE}}]}, GONE)
    assert gdpr.mentions({"resolvedByUserId": GONE}, GONE)
    assert gdpr.mentions({"x": {"viewerUserIds": ["a", GONE]}}, GONE)
    assert gdpr.mentions({"userId": 42}, "42")
    assert not gdpr.mentions({"name": GONE, "userId": STAY, "userIds": [STAY]}, GONE)
    assert not gdpr.mentions({"userId": True}, "true")


def test_scrub_never_replaces_the_payload_itself() -> None:
    payload = {"userId": GONE, "from": {"userId": GONE, "email": "x@y"}, "n": [1]}
    assert gdpr.scrub(payload, GONE) == {
        "userId": gdpr.ANONYMOUS_USER_ID,
        "from": gdpr.anonymous_user(),
        "n": [1],
    }


def test_erase_comment_deletes_a_thread_of_only_the_users_messages() -> None:
    payload = {"comments": {"1": message(1, GONE, "a"), "2": message(2, GONE, "b")}}
    assert gdpr.erase_comment(payload, GONE) is None
    assert gdpr.erase_comment({"from": {"userId": GONE}, "comments": {}}, GONE) is None
    kept = gdpr.erase_comment(
        {"from": {"userId": STAY}, "assignedTo": {"userId": GONE}}, GONE
    )
    assert kept == {"from": {"userId": STAY}, "assignedTo": gdpr.anonymous_user()}


def test_erase_does_not_change_its_input() -> None:
    payload = {"comments": {"1": message(1, GONE, "a"), "2": message(2, STAY, "b")}}
    original = copy.deepcopy(payload)
    gdpr.erase_comment(payload, GONE)
    assert payload == original


def test_rewrite_if_unchanged_refuses_after_a_concurrent_write(tier: str) -> None:
    for repo, payload in (
        (resolve(CommentRepository)(), {"metadata": md(), "comments": {}}),
        (resolve(ActivityRepository)(), {"metadata": md(), "x": 1}),
    ):
        save(repo, ACME, "rec-1", payload)
        (record,) = list(repo.scan(ACME))
        save(repo, ACME, "rec-1", {"metadata": md(), "later": True})
        assert (
            repo.rewrite_if_unchanged(record, {"replaced": True}, "gdpr.erase") is False
        )
        assert repo.rewrite_if_unchanged(record, None, "gdpr.erase") is False
        current = repo.read_record(ACME, "rec-1")
        assert current is not None
        assert repo.rewrite_if_unchanged(current, {"a.b": 1}, "gdpr.erase") is True
        again = repo.read_record(ACME, "rec-1")
        assert again is not None and again.payload == {"a.b": 1}
        assert repo.rewrite_if_unchanged(again, None, "gdpr.erase") is True
        assert repo.read_record(ACME, "rec-1") is None


def test_options_of_the_other_action_are_refused(unit: None) -> None:
    with pytest.raises(CommandError, match="--yes only applies to delete"):
        run("export", "--user-id", GONE, "--yes")
    with pytest.raises(CommandError, match="--output only applies to export"):
        run("delete", "--user-id", GONE, "--output", "x.json")


def test_help_describes_both_actions() -> None:
    from velt_django.management.commands.velt_gdpr import Command

    text = Command().create_parser("manage.py", "velt_gdpr").format_help()
    for word in ("export", "delete", "--user-id", "--dry-run", "--yes", "--output"):
        assert word in text


def test_logs_carry_ids_and_counts_only(
    unit: None, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    seed()
    with caplog.at_level("DEBUG"):
        run("export", "--user-id", GONE, "--output", str(tmp_path / "x.json"))
        run("delete", "--user-id", GONE, "--yes")
    assert "gdpr erase user=u_gone" in caplog.text
    for pii in (SECRET, "Gone Person", "@example.test"):
        assert pii not in caplog.text


# ---- files uploaded with a session cookie ---------------------------------------------


@pytest.fixture
def session_uploads(mongo_db: Any, settings: Any, tmp_path: Path, db: Any) -> Any:
    """Cookie mode (tests/urls_browser.py: ``alice`` is a member of ``acme``), files on
    a temporary local storage."""
    from .urls_browser import COOKIE_MODE_SETTINGS, COOKIE_MODE_VELT

    for key, value in COOKIE_MODE_SETTINGS.items():
        setattr(settings, key, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.VELT = {**settings.VELT, **COOKIE_MODE_VELT}
    return mongo_db


def session_upload(username: str, attachment_id: int) -> dict[str, Any]:
    """Upload a file over HTTP as the Django user ``username`` (session cookie)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from .uploads import request_part, upload

    browser = Client(enforce_csrf_checks=True)
    user, _ = get_user_model().objects.get_or_create(username=username)
    browser.force_login(user)
    browser.cookies["csrftoken"] = "c" * 32
    response = upload(
        browser,
        "attachment",
        req=request_part(attachment_id=attachment_id, org="acme"),
        as_=None,
        HTTP_X_CSRFTOKEN="c" * 32,
    )
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()["data"]
    return data


def test_session_uploads_are_exported_and_erased_by_velt_user_id(
    session_uploads: Any, tmp_path: Path
) -> None:
    session_upload("alice", 11)
    record = session_uploads["velt_files"].find_one({"attachmentId": 11})
    assert record["uploadedBy"] == "alice"  # the Velt id, never the Django pk
    key = record["storageKey"]
    assert storages["default"].exists(key)

    target = tmp_path / "export.json"
    run("export", "--user-id", "alice", "--output", str(target))
    exported = json.loads(target.read_text())["files"]
    assert [f["attachmentId"] for f in exported] == [11]

    run("delete", "--user-id", "alice", "--yes")
    assert session_uploads["velt_files"].count_documents({}) == 0
    assert not storages["default"].exists(key)


def test_older_session_upload_records_holding_the_pk_are_matched(
    session_uploads: Any, tmp_path: Path
) -> None:
    """Records written before uploadedBy held the Velt id carry the uploader's Django
    pk and no ``uploadedByKind``: they belong to the user with that pk. A current record
    whose Velt id equals that pk belongs to someone else and is left alone."""
    from django.contrib.auth import get_user_model

    alice = get_user_model().objects.create(username="alice")
    pk = str(alice.pk)
    files = FileRepository()
    for public_id, uploaded_by, kind in (
        ("legacy-alice", pk, None),
        ("current-user-named-pk", pk, "velt"),
    ):
        record = {
            "scope": "attachment",
            "organizationId": "acme",
            "documentId": "d",
            "attachmentId": public_id,
            "sha256": public_id,
            "storage": "default",
            "storageKey": f"velt/attachment/acme/d/{public_id}",
            "publicId": public_id,
            "url": f"https://files.example/{public_id}",
            "uploadedBy": uploaded_by,
        }
        if kind:
            record["uploadedByKind"] = kind
        files.insert(record)

    target = tmp_path / "export.json"
    run("export", "--user-id", "alice", "--output", str(target))
    exported = json.loads(target.read_text())["files"]
    assert [f["publicId"] for f in exported] == ["legacy-alice"]

    target_pk = tmp_path / "export-pk.json"
    run("export", "--user-id", pk, "--output", str(target_pk))
    exported = json.loads(target_pk.read_text())["files"]
    assert [f["publicId"] for f in exported] == ["current-user-named-pk"]
