"""Administration of stored activities (CONTRACT §12.5): the ``ACTIVITY_RETENTION_DAYS``
setting and its check ``velt.E008``, ``velt_ensure_indexes`` with retention, and
``manage.py velt_purge_activities`` (on mongomock and on the wire tier)."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from velt_django.checks import check_settings
from velt_django.conf import velt_settings
from velt_django.repository import connection
from velt_django.repository.activities import TTL_INDEX, ActivityRepository
from velt_django.repository.base import RecordWrite

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}


def ids(settings: Any, velt: Any) -> list[str]:
    settings.VELT = velt
    return [str(message.id) for message in check_settings()]


# ---- setting and check -----------------------------------------------------------------


def test_retention_setting_defaults_to_none(settings: Any) -> None:
    settings.VELT = dict(GOOD)
    assert velt_settings.ACTIVITY_RETENTION_DAYS is None


@pytest.mark.parametrize("days", [None, 1, 365])
def test_check_retention_none_or_positive_int_passes(settings: Any, days: Any) -> None:
    assert ids(settings, {**GOOD, "ACTIVITY_RETENTION_DAYS": days}) == []


@pytest.mark.parametrize("days", [0, -3, True, False, 1.5, "30", [30]])
def test_check_retention_bad_value_is_e008(settings: Any, days: Any) -> None:
    assert ids(settings, {**GOOD, "ACTIVITY_RETENTION_DAYS": days}) == ["velt.E008"]


def test_check_command_fails_with_e008(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 0}
    with pytest.raises(SystemCheckError, match="velt.E008"):
        call_command("check")


# ---- commands --------------------------------------------------------------------------


@pytest.fixture(params=["mongo_db", pytest.param("wire_db", marks=pytest.mark.mongo)])
def stored(request: Any) -> None:
    """Activities a1 (doc-a, 40 days old), a2 (doc-b), a3 (doc-a) of ``acme`` and b1
    (doc-a, 40 days old) of ``globex``, on mongomock and then on the wire server."""
    request.getfixturevalue(request.param)
    records = [
        ("acme", "a1", "doc-a"),
        ("acme", "a2", "doc-b"),
        ("acme", "a3", "doc-a"),
        ("globex", "b1", "doc-a"),
    ]
    ActivityRepository().save_many(
        [
            RecordWrite(organization_id=org, record_id=rid, payload={}, document_id=doc)
            for org, rid, doc in records
        ]
    )
    old = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=40)
    collection = connection.get_database()["velt_activities"]
    collection.update_many(
        {"activityId": {"$in": ["a1", "b1"]}}, {"$set": {"createdAt": old}}
    )


def remaining() -> list[str]:
    docs = connection.get_database()["velt_activities"].find({})
    return sorted(d["activityId"] for d in docs)


def purge(*args: str) -> str:
    out = StringIO()
    call_command("velt_purge_activities", *args, stdout=out)
    return out.getvalue()


def test_purge_command_deletes_one_organization(stored: None) -> None:
    assert "Deleted 3 activities of organization acme." in purge(
        "--organization", "acme"
    )
    assert remaining() == ["b1"]


def test_purge_command_by_document(stored: None) -> None:
    output = purge("--organization", "acme", "--document", "doc-a")
    assert "Deleted 2 activities" in output
    assert remaining() == ["a2", "b1"]


def test_purge_command_older_than_days(stored: None) -> None:
    output = purge("--organization", "acme", "--older-than-days", "30")
    assert "Deleted 1 activity of organization acme." in output
    assert remaining() == ["a2", "a3", "b1"]


def test_purge_command_all_filters_together(stored: None) -> None:
    purge("--organization", "acme", "--document", "doc-b", "--older-than-days", "30")
    assert remaining() == ["a1", "a2", "a3", "b1"]


def test_purge_command_dry_run_deletes_nothing(stored: None) -> None:
    output = purge("--organization", "acme", "--dry-run")
    assert "Would delete 3 activities" in output
    assert remaining() == ["a1", "a2", "a3", "b1"]


def test_purge_command_requires_organization(stored: None) -> None:
    with pytest.raises(CommandError, match="organization"):
        purge("--document", "doc-a")
    assert len(remaining()) == 4


@pytest.mark.parametrize("days", ["0", "-1", "ten"])
def test_purge_command_refuses_bad_age(stored: None, days: str) -> None:
    with pytest.raises(CommandError, match="older-than-days"):
        purge("--organization", "acme", "--older-than-days", days)
    assert len(remaining()) == 4


def test_purge_command_refuses_bad_age_given_as_keyword(stored: None) -> None:
    with pytest.raises(CommandError, match="older-than-days"):
        call_command("velt_purge_activities", organization="acme", older_than_days=0)
    assert len(remaining()) == 4


def test_purge_command_database_unreachable_is_command_error(settings: Any) -> None:
    connection.close_client()
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 200}
    try:
        with pytest.raises(CommandError, match="could not purge"):
            purge("--organization", "acme")
    finally:
        connection.close_client()


def test_ensure_indexes_command_creates_ttl_when_retention_set(
    stored: None, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 90}
    out = StringIO()
    call_command("velt_ensure_indexes", stdout=out)
    assert (
        f"velt_activities: org_activity_unique, org_document, activity, document, {TTL_INDEX}"
        in out.getvalue()
    )
    info = connection.get_database()["velt_activities"].index_information()
    assert info[TTL_INDEX]["expireAfterSeconds"] == 90 * 86400
