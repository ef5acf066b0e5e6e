"""The user directory on its own: the Python API, the Django model adapter's mapping,
``velt_load_users``, and checks ``velt.E009``–``velt.E012``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError
from django.db import OperationalError

from tests.commands import command_output
from tests.contracts import assert_failure
from tests.postgres import ALIAS as POSTGRES_ALIAS
from tests.userapp import directories
from tests.userapp.directories import MEMBER_FIELDS, Directory, configure
from tests.userapp.models import Member, Team
from velt_django import users
from velt_django.exceptions import InvalidRecordError, VeltConfigurationError

directory = directories.directory  # the fixture, parametrized over the directories

ORG = "acme-corp"
OTHER = "globex"
GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}


# ---- Python API, every directory -----------------------------------------------------


def test_api_upsert_get_many_delete_round_trip(directory: Directory) -> None:
    assert (
        users.upsert(
            [{"userId": "u1", "name": "Ann Lee", "email": "Ann@x.example"}], ORG
        )
        == 1
    )
    assert users.get_many(["u1", "u2"], ORG) == {
        "u1": {
            "userId": "u1",
            "name": "Ann Lee",
            "email": "Ann@x.example",
            "organizationId": ORG,
        }
    }
    assert users.resolve_emails(["ANN@x.example"], ORG) == {"ANN@x.example": "u1"}
    assert users.delete(["u1", "missing"]) == 1
    assert users.get_many(["u1"], ORG) == {}


def test_api_upsert_validates_every_user_before_writing(directory: Directory) -> None:
    with pytest.raises(InvalidRecordError, match="userId"):
        users.upsert([{"userId": "ok", "name": "Fine"}, {"name": "no id"}])
    assert users.get_many(["ok"]) == {}


@pytest.mark.parametrize(
    "bad",
    [
        "not an object",
        {"userId": {"$ne": None}},
        {"userId": ["u1"]},
        {"userId": "u1", "email": 5},
        {"userId": "u1", "organizationIds": "acme"},
        {"userId": "u1", "organizationId": {"$gt": ""}},
    ],
)
def test_api_upsert_refuses_bad_user(directory: Directory, bad: Any) -> None:
    with pytest.raises(InvalidRecordError):
        users.upsert([bad])


def test_api_organizations_from_user_and_argument(directory: Directory) -> None:
    users.upsert(
        [{"userId": "u1", "organizationId": ORG, "organizationIds": ["third"]}], OTHER
    )
    directory.scope()
    for org in (ORG, OTHER, "third"):
        assert set(users.get_many(["u1"], org)) == {"u1"}
    assert users.get_many(["u1"], "fourth") == {}
    assert users.get_many(["u1"], None) == {}


# ---- the Django model adapter --------------------------------------------------------


@pytest.mark.django_db
def test_django_default_mapping_splits_full_name_and_leaves_password_unusable(
    settings: Any,
) -> None:
    users.upsert([{"userId": "sam", "name": "Sam van Reyes", "email": "s@x.example"}])
    stored = User.objects.get(username="sam")
    assert (stored.first_name, stored.last_name) == ("Sam", "van Reyes")
    assert not stored.has_usable_password()
    assert users.get_many(["sam"]) == {
        "sam": {"userId": "sam", "name": "Sam van Reyes", "email": "s@x.example"}
    }


@pytest.mark.parametrize(
    "on_postgres",
    [
        pytest.param(False, marks=pytest.mark.django_db, id="sqlite"),
        pytest.param(
            True,
            marks=[
                pytest.mark.postgres,
                pytest.mark.django_db(databases={"default", POSTGRES_ALIAS}),
            ],
            id="postgresql",
        ),
    ],
)
def test_django_default_directory_keeps_unmapped_fields_in_the_profile(
    on_postgres: bool, settings: Any
) -> None:
    from velt_django.models import VeltUserProfile

    if on_postgres:
        # auth_user and the profile on PostgreSQL: the profile's JSON through the
        # statement compiled once (its converters applied by velt_django).
        settings.DATABASE_ROUTERS = ["tests.userapp.routers.AuthOnPostgres"]

    users.upsert([{"userId": "sam", "name": "Sam Reyes", "photoUrl": "p.png"}])
    profile = VeltUserProfile.objects.get(user__username="sam")
    assert profile.fields == {"photoUrl": "p.png"}  # mapped fields stay in columns
    assert users.get_many(["sam"])["sam"]["photoUrl"] == "p.png"
    users.upsert([{"userId": "kim", "name": "Kim", "plan": {"tier": ["gold", 2]}}])
    assert users.get_many(["kim", "sam", "nobody"]) == {
        "kim": {"userId": "kim", "name": "Kim", "plan": {"tier": ["gold", 2]}},
        "sam": {"userId": "sam", "name": "Sam Reyes", "photoUrl": "p.png"},
    }
    assert users.delete(["kim"]) == 1
    with pytest.raises(InvalidRecordError, match="JSON"):
        users.upsert([{"userId": "sam", "plan": object()}])
    assert users.delete(["sam"]) == 1
    assert not VeltUserProfile.objects.exists()


@pytest.mark.django_db
def test_django_upsert_keeps_columns_it_does_not_map(settings: Any) -> None:
    configure("django", settings)
    users.upsert([{"userId": "m1", "name": "Mo"}])
    Member.objects.filter(member_id="m1").update(secret="kept")
    # A key mapped to no column is refused (a custom USER_MODEL has no Velt profile),
    # so it can never reach a column of that name.
    with pytest.raises(InvalidRecordError, match="secret"):
        users.upsert([{"userId": "m1", "name": "Mo Two", "secret": "overwritten?"}])
    users.upsert([{"userId": "m1", "name": "Mo Two"}])
    member = Member.objects.get(member_id="m1")
    assert (member.display_name, member.secret) == ("Mo Two", "kept")


@pytest.mark.django_db
def test_django_organizations_stored_through_many_to_many(settings: Any) -> None:
    configure("django", settings)
    users.upsert([{"userId": "m1"}], ORG)
    users.upsert([{"userId": "m1"}], OTHER)
    member = Member.objects.get(member_id="m1")
    assert sorted(member.teams.values_list("slug", flat=True)) == [ORG, OTHER]
    assert Team.objects.count() == 2


@pytest.mark.django_db
def test_django_callable_photo_url_and_method_name(settings: Any) -> None:
    configure("django", settings)
    settings.VELT = {
        **settings.VELT,
        "USER_FIELDS": {
            **MEMBER_FIELDS,
            "photoUrl": "tests.userapp.models.avatar_url",
            "initial": "__str__",
        },
    }
    # A read-only mapping cannot store what a user carries: refused, naming the key.
    with pytest.raises(InvalidRecordError, match="photoUrl") as refused:
        users.upsert([{"userId": "m1", "photoUrl": "read-only mapping"}])
    assert "read-only mapping" not in str(refused.value)
    assert not Member.objects.exists()
    users.upsert([{"userId": "m1"}])
    user = users.get_many(["m1"])["m1"]
    assert user["photoUrl"] == "https://cdn.example.test/avatars/m1.png"
    assert user["initial"].startswith("Member object")


@pytest.mark.django_db
def test_django_integer_id_field_ignores_non_numeric_ids(
    settings: Any, post_json: Any
) -> None:
    settings.VELT = {**settings.VELT, "USER_FIELDS": {"userId": "pk"}}
    user = User.objects.create_user("ann", email="a@x.example")
    data = users.get_many([str(user.pk), "abc", "1.5", "-"])
    assert list(data) == [str(user.pk)]


@pytest.mark.django_db
def test_django_unique_conflict_is_invalid_record(settings: Any) -> None:
    User.objects.create_user("taken")
    settings.VELT = {
        **settings.VELT,
        "USER_FIELDS": {"userId": "email", "name": "username", "email": None},
    }
    with pytest.raises(InvalidRecordError):
        users.upsert([{"userId": "x@x.example", "name": "taken"}])


@pytest.mark.django_db
def test_django_scoped_without_organizations_mapping_is_configuration_error(
    settings: Any,
) -> None:
    settings.VELT = {**settings.VELT, "USER_ORGANIZATION_SCOPED": True}
    with pytest.raises(VeltConfigurationError):
        users.get_many(["u1"], ORG)


@pytest.mark.django_db
def test_django_groups_lookup_scopes_auth_users(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "USER_FIELDS": {"organizations": "groups__name"},
        "USER_ORGANIZATION_SCOPED": True,
    }
    users.upsert([{"userId": "ann"}], ORG)
    users.upsert([{"userId": "bob"}], OTHER)
    assert list(users.get_many(["ann", "bob"], ORG)) == ["ann"]
    assert Group.objects.filter(name=ORG).exists()


@pytest.mark.django_db
def test_django_database_outage_is_503(
    settings: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr("django.db.models.query.QuerySet._fetch_all", unavailable)
    response = post_json("users/get", {"organizationId": ORG, "userIds": ["u1"]})
    body = assert_failure(response, 503, "DATABASE_ERROR")
    assert "locked" not in body["message"]


# ---- velt_load_users -----------------------------------------------------------------

USERS = [
    {"userId": "u1", "name": "Ann Lee", "email": "ann@x.example"},
    {
        "userId": "u2",
        "name": "Bo Chen",
        "email": "bo@x.example",
        "organizationId": OTHER,
    },
]


def _load(*args: str, stdin: str | None = None) -> str:
    return command_output("velt_load_users", *args, stdin=stdin)


def test_load_users_json_array_file_idempotent(
    directory: Directory, tmp_path: Path
) -> None:
    path = tmp_path / "users.json"
    path.write_text(json.dumps(USERS), encoding="utf-8")
    assert "Stored 2 user(s) (organization acme-corp)" in _load(
        str(path), "--organization", ORG
    )
    _load(str(path), "--organization", ORG)
    directory.scope()
    assert set(users.get_many(["u1", "u2"], ORG)) == {"u1", "u2"}
    assert set(users.get_many(["u1", "u2"], OTHER)) == {"u2"}
    assert users.delete(["u1", "u2"]) == 2


def test_load_users_json_lines_from_stdin(directory: Directory) -> None:
    text = "\n".join(json.dumps(u) for u in USERS) + "\n\n"
    assert "Stored 2 user(s)." in _load("-", stdin=text)
    assert users.get_many(["u1"])["u1"]["name"] == "Ann Lee"


def test_load_users_bad_line_names_line_and_stores_nothing(
    directory: Directory,
) -> None:
    text = json.dumps(USERS[0]) + "\n" + json.dumps({"name": "Secret Name"}) + "\n"
    with pytest.raises(CommandError) as info:
        _load("-", stdin=text)
    assert "line 2" in str(info.value)
    assert "Secret Name" not in str(info.value)
    assert users.get_many(["u1"]) == {}


def test_load_users_invalid_json_and_missing_file(
    directory: Directory, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="line 1"):
        _load("-", stdin="[{not json")
    with pytest.raises(CommandError, match="cannot read"):
        _load(str(tmp_path / "missing.json"))
