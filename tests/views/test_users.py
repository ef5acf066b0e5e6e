"""``users/get`` over HTTP, against the Django model directory and the MongoDB one
(CONTRACT §14, A-2, A-22, Appendix A)."""

from __future__ import annotations

import json
import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.db import connection as sql_connection
from django.test.utils import CaptureQueriesContext
from pymongo import monitoring

from tests.contracts import ReadEndpointContract, assert_failure, assert_success
from tests.families import (
    MONGODB,
    MONGOMOCK,
    ORG,
    OTHER,
    POSTGRES_ALIAS,
    POSTGRESQL,
    backend_params,
)
from tests.userapp import directories
from tests.userapp.directories import (
    DJANGO_PG,
    SECRET,
    Directory,
    configure,
    on_directories,
)
from velt_django import users

directory = directories.directory  # the fixture, parametrized over the directories

PATH = "users/get"
SAM = {
    "userId": "u_8841",
    "name": "Sam Reyes",
    "email": "sam@acme.example",
    "photoUrl": "https://cdn.acme.example/avatars/u_8841.png",
}
PRIYA = {"userId": "u_1190", "name": "Priya Nair", "email": "priya.nair@acme.example"}
GLOBEX = {"userId": "u_g1", "name": "Gloria Bex", "email": "gloria@globex.example"}

#: Keys a ``users/get`` answer may hold: the mapped ``User`` fields (§3.4).
USER_KEYS = {"userId", "name", "email", "photoUrl", "organizationId"}


def _seed(directory: Directory) -> None:
    directory.load(SAM, PRIYA, org=ORG)
    directory.load(GLOBEX, org=OTHER)


def _get(
    post_json: Any, body: dict[str, Any], as_: tuple[str, ...] = ("u", ORG)
) -> Any:
    return assert_success(post_json(PATH, body, as_=as_), read=True)["data"]


def test_users_get_found_users_keyed_by_id_unknown_absent(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    data = _get(
        post_json, {"organizationId": ORG, "userIds": ["u_8841", "u_1190", "u_0000"]}
    )
    assert set(data) == {"u_8841", "u_1190"}
    assert data["u_8841"] == {**SAM, "organizationId": ORG}
    assert data["u_1190"] == {**PRIYA, "organizationId": ORG}


@pytest.mark.parametrize("ids", [[], None])
def test_users_get_empty_or_missing_ids_is_empty_map(
    directory: Directory, post_json: Any, ids: Any
) -> None:
    _seed(directory)
    assert _get(post_json, {"organizationId": ORG, "userIds": ids}) == {}


def test_users_get_never_returns_unmapped_or_internal_fields(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    response = post_json(PATH, {"organizationId": ORG, "userIds": ["u_8841", "u_g1"]})
    data = assert_success(response, read=True)["data"]
    for user in data.values():
        assert set(user) <= USER_KEYS
    for leaked in (SECRET, "emailLower", "organizationIds", "_id", "createdAt", "esc"):
        assert leaked.encode() not in response.content


def test_users_get_unscoped_returns_users_of_other_organizations(
    directory: Directory, post_json: Any
) -> None:
    # user ids are global; Velt asks for users met in other organizations.
    _seed(directory)
    data = _get(post_json, {"organizationId": ORG, "userIds": ["u_g1", "u_8841"]})
    assert data == {"u_g1": GLOBEX, "u_8841": {**SAM, "organizationId": ORG}}


def test_users_get_scoped_returns_only_members(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    directory.scope()
    data = _get(post_json, {"organizationId": ORG, "userIds": ["u_g1", "u_8841"]})
    assert data == {"u_8841": {**SAM, "organizationId": ORG}}
    other = _get(
        post_json,
        {"organizationId": OTHER, "userIds": ["u_g1", "u_8841"]},
        as_=("u", OTHER),
    )
    assert other == {"u_g1": {**GLOBEX, "organizationId": OTHER}}


def test_users_get_other_organization_refused_and_nothing_read(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    response = post_json(
        PATH, {"organizationId": OTHER, "userIds": ["u_g1"]}, as_=("u", ORG)
    )
    body = assert_failure(response, 403, "FORBIDDEN")
    assert "u_g1" not in str(body)


def test_users_get_without_organization_refused_by_default_policy(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    response = post_json(PATH, {"userIds": ["u_8841"]}, as_=("u", ORG, OTHER))
    assert_failure(response, 403, "FORBIDDEN")


def allow_no_organization(
    request: Any, action: str, organization_id: str, document_ids: list[str]
) -> bool:
    """A policy that serves org-less user lookups to any authenticated caller."""
    return organization_id == "" and action == "get"


def test_users_get_without_organization_served_when_policy_allows_it(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    directory.set(ORGANIZATION_ACCESS=f"{__name__}.allow_no_organization")
    data = _get(post_json, {"userIds": ["u_8841", "u_g1"]})
    assert set(data) == {"u_8841", "u_g1"}
    assert all("organizationId" not in user for user in data.values())


def test_users_get_scoped_without_organization_is_400(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    directory.scope()
    directory.set(ORGANIZATION_ACCESS=f"{__name__}.allow_no_organization")
    response = post_json(PATH, {"userIds": ["u_8841"]})
    assert_failure(response, 400, "INVALID_INPUT")


CALLS: list[tuple[str, str, list[str]]] = []


def recording_policy(
    request: Any, action: str, organization_id: str, document_ids: list[str]
) -> bool:
    CALLS.append((action, organization_id, list(document_ids)))
    return True


def test_users_get_asks_policy_with_get_action(
    directory: Directory, post_json: Any
) -> None:
    CALLS.clear()
    directory.set(ORGANIZATION_ACCESS=f"{__name__}.recording_policy")
    _get(post_json, {"organizationId": ORG, "userIds": ["u_8841"]})
    assert CALLS == [("get", ORG, [])]


@pytest.mark.parametrize(
    "body",
    [
        {"organizationId": ORG, "userIds": [{"$ne": None}]},
        {"organizationId": ORG, "userIds": {"$ne": None}},
        {"organizationId": ORG, "userIds": [["u_8841"]]},
        {"organizationId": ORG, "userIds": [True]},
        {"organizationId": ORG, "userIds": "u_8841"},
        {"organizationId": {"$ne": None}, "userIds": ["u_8841"]},
        {"organizationId": ["acme-corp"], "userIds": ["u_8841"]},
        {"organizationId": ORG, "userIds": [1.5]},
    ],
)
def test_users_get_bad_input_is_400(
    directory: Directory, post_json: Any, body: dict[str, Any]
) -> None:
    _seed(directory)
    response = post_json(PATH, body, as_=("u", ORG, OTHER))
    body_out = assert_failure(response, 400, "INVALID_INPUT")
    assert "Sam" not in str(body_out)


def test_users_get_oversized_id_list_is_400(
    directory: Directory, post_json: Any, settings: Any
) -> None:
    directory.set(MAX_ID_LIST_LENGTH=5)
    response = post_json(
        PATH, {"organizationId": ORG, "userIds": [f"u{i}" for i in range(6)]}
    )
    assert_failure(response, 400, "INVALID_INPUT")


def test_users_get_numeric_ids_are_strings(
    directory: Directory, post_json: Any
) -> None:
    directory.load({"userId": "42", "name": "Numeric"}, org=ORG)
    data = _get(post_json, {"organizationId": ORG, "userIds": [42]})
    assert data["42"]["name"] == "Numeric"


def _thousand(directory: Directory) -> list[str]:
    ids = [f"u{i:04d}" for i in range(1000)]
    directory.load(*({"userId": i, "name": f"User {i}"} for i in ids[::2]), org=ORG)
    return ids


@on_directories("django", DJANGO_PG, POSTGRESQL)
def test_users_get_1000_ids_one_sql_query(directory: Directory, post_json: Any) -> None:
    ids = _thousand(directory)
    directory.scope()
    alias = DEFAULT_DB_ALIAS if directory.kind == "django" else POSTGRES_ALIAS
    with CaptureQueriesContext(connections[alias]) as queries:
        data = _get(post_json, {"organizationId": ORG, "userIds": ids})
    assert len(data) == 500
    assert len(queries.captured_queries) == 1


@on_directories(DJANGO_PG)
def test_users_get_on_postgresql_sends_one_statement_for_any_count(
    directory: Directory, post_json: Any
) -> None:
    # The ids are one array parameter: gets of 3 and 300 ids use one statement per
    # shape (scoped, or membership asked), compiled once, and find the stored users.
    from velt_django.directory import statements

    ids = _thousand(directory)
    statements._statements.clear()
    for scoped in (False, True):
        directory.scope(scoped)
        for count in (3, 300):
            with CaptureQueriesContext(connections[POSTGRES_ALIAS]) as queries:
                data = _get(post_json, {"organizationId": ORG, "userIds": ids[:count]})
            assert sorted(data) == ids[:count:2]
            assert all(user["organizationId"] == ORG for user in data.values())
            [query] = queries.captured_queries
            assert "= ANY(" in query["sql"]
    assert len(statements._statements) == 2
    assert None not in statements._statements.values()


class _FindCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.commands.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.mark.mongo
def test_users_get_1000_ids_one_mongo_find(
    wire_db: Any, settings: Any, post_json: Any
) -> None:
    directory = configure(MONGODB, settings)
    ids = _thousand(directory)
    listener = _FindCounter()
    directory.set(MONGO_CLIENT_OPTIONS={"event_listeners": [listener]})
    data = _get(post_json, {"organizationId": ORG, "userIds": ids})
    assert len(data) == 500
    assert listener.commands == ["find"]


@pytest.mark.django_db
def test_users_get_default_directory_is_auth_user_model(post_json: Any) -> None:
    from django.contrib.auth.models import User

    User.objects.create_user(
        "u_8841",
        email="sam@acme.example",
        password="correct horse battery",
        first_name="Sam",
        last_name="Reyes",
    )
    response = post_json(PATH, {"organizationId": ORG, "userIds": ["u_8841"]})
    data = assert_success(response, read=True)["data"]
    assert data == {
        "u_8841": {"userId": "u_8841", "name": "Sam Reyes", "email": "sam@acme.example"}
    }
    assert b"pbkdf2" not in response.content


@pytest.mark.django_db
def test_users_get_reads_only_the_mapped_columns(post_json: Any) -> None:
    # With every mapped value a column (the default mapping), the one query selects the
    # id, the mapped columns and the profile: never the password hash.
    from django.contrib.auth.models import User

    User.objects.create_user(
        "u_8841",
        email="sam@acme.example",
        password="correct horse battery",
        first_name="Sam",
        last_name="",
    )
    with CaptureQueriesContext(sql_connection) as queries:
        data = _get(post_json, {"organizationId": ORG, "userIds": ["u_8841", "nobody"]})
    assert data == {
        "u_8841": {"userId": "u_8841", "name": "Sam", "email": "sam@acme.example"}
    }
    (query,) = queries.captured_queries
    assert '"password"' not in query["sql"] and '"last_login"' not in query["sql"]


#: A user with every §3.4 field, a rarer one and a custom attribute.
FULL_USER = {
    "userId": "u_full",
    "name": "Ada Full",
    "email": "ada@acme.example",
    "photoUrl": "https://cdn.acme.example/avatars/u_full.png",
    "initial": "A",
    "color": "#2F7D6D",
    "textColor": "#FFFFFF",
    "isAdmin": True,
    "plan": "pro",
    "department": {"name": "Research", "floor": 3},
}


def _load_users(*records: dict[str, Any], organization: str = ORG) -> str:
    out = StringIO()
    text = "\n".join(json.dumps(record) for record in records)
    call_command(
        "velt_load_users",
        "-",
        "--organization",
        organization,
        stdin=StringIO(text),
        stdout=out,
    )
    return out.getvalue()


@pytest.mark.django_db
def test_users_get_default_directory_returns_every_loaded_field(
    post_json: Any,
) -> None:
    # Django's user model has no photoUrl, colour or isAdmin column: velt_django's
    # user profile keeps them, and users/get answers them in the same one query.
    _load_users(FULL_USER, {"userId": "u_bare", "name": "Bo Bare"})
    with CaptureQueriesContext(sql_connection) as queries:
        data = _get(post_json, {"organizationId": ORG, "userIds": ["u_full", "u_bare"]})
    assert len(queries.captured_queries) == 1
    assert data == {
        "u_full": FULL_USER,
        "u_bare": {"userId": "u_bare", "name": "Bo Bare"},
    }
    # Loading again is idempotent; a later partial load keeps the other fields, and a
    # null removes one.
    _load_users(FULL_USER)
    _load_users({"userId": "u_full", "color": "#000000", "photoUrl": None})
    data = _get(post_json, {"organizationId": ORG, "userIds": ["u_full"]})
    expected = {**FULL_USER, "color": "#000000"}
    del expected["photoUrl"]
    assert data == {"u_full": expected}


@pytest.mark.django_db
def test_users_get_profile_fields_never_override_the_mapping(
    settings: Any, post_json: Any
) -> None:
    # A field stored in the profile, then mapped to a column: the column answers.
    _load_users({"userId": "u1", "photoUrl": "https://old.example/a.png"})
    settings.VELT = {**settings.VELT, "USER_FIELDS": {"photoUrl": "last_name"}}
    data = _get(post_json, {"organizationId": ORG, "userIds": ["u1"]})
    assert data == {"u1": {"userId": "u1"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("velt", "refused"),
    [
        ({"USER_PROFILE": False}, "isAdmin, photoUrl"),
        # name read through a callable: read-only, so a loaded name cannot be kept.
        ({"USER_FIELDS": {"name": "tests.userapp.models.avatar_url"}}, "name"),
    ],
)
def test_load_users_refuses_fields_the_directory_cannot_store(
    settings: Any, post_json: Any, velt: dict[str, Any], refused: str
) -> None:
    from django.contrib.auth.models import User

    from velt_django.models import VeltUserProfile

    settings.VELT = {**settings.VELT, **velt}
    good = {"userId": "u_ok", "email": "ok@acme.example"}
    bad = {
        "userId": "u_bad",
        "name": "Secret Name",
        "photoUrl": "https://secret.example/p.png",
        "isAdmin": True,
    }
    if "USER_FIELDS" in velt:
        del bad["photoUrl"], bad["isAdmin"]
    with pytest.raises(CommandError) as info:
        _load_users(good, bad)
    message = str(info.value)
    assert f"line 2: user field(s) {refused} cannot be stored" in message
    assert "Secret Name" not in message and "secret.example" not in message
    # Nothing was written, not even the good first line.
    assert not User.objects.exists() and not VeltUserProfile.objects.exists()
    assert _get(post_json, {"organizationId": ORG, "userIds": ["u_ok", "u_bad"]}) == {}


@pytest.mark.django_db
class TestUsersGetContract(ReadEndpointContract):
    path = PATH
    collection = "velt_users"

    def valid_body(self) -> dict[str, Any]:
        return {"organizationId": ORG, "userIds": ["u_8841"]}


def drop_priya(request: Any, family: str, organization_id: str, data: Any) -> Any:
    """A read filter hiding one user (e.g. a per-user privacy setting)."""
    assert family == "users"
    return {k: v for k, v in data.items() if k != "u_1190"}


def test_users_get_read_filter_applies(directory: Directory, post_json: Any) -> None:
    _seed(directory)
    directory.set(READ_FILTER=f"{__name__}.drop_priya")
    data = _get(post_json, {"organizationId": ORG, "userIds": ["u_8841", "u_1190"]})
    assert set(data) == {"u_8841"}


@pytest.mark.parametrize("kind", backend_params(transaction=True))
def test_users_database_outage_is_503(
    kind: str, settings: Any, post_json: Any, request: pytest.FixtureRequest
) -> None:
    configure(kind, settings)
    if kind == MONGODB:
        settings.VELT = {
            **settings.VELT,
            "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
            "SERVER_SELECTION_TIMEOUT_MS": 100,
        }
    else:
        # The session's cluster, stopped; the fixture starts it again afterwards.
        request.getfixturevalue("pg_cluster").stop()
    body = {"organizationId": ORG, "userIds": ["u_8841"], "emails": ["a@x.example"]}
    for path in (PATH, "anonymous-users/resolve"):
        assert_failure(post_json(path, body), 503, "DATABASE_ERROR")


# ---- what PostgreSQL cannot hold, isolation, and answers equal on every backend --------


def test_users_get_ids_holding_nul_find_nothing(
    directory: Directory, post_json: Any
) -> None:
    # No stored user has a NUL character in its id (PostgreSQL text cannot hold one):
    # such ids are unknown, absent from the answer, on every directory.
    _seed(directory)
    body = {"organizationId": ORG, "userIds": ["u_8841", "u_\x00", "\x00"]}
    assert _get(post_json, body) == {"u_8841": {**SAM, "organizationId": ORG}}
    directory.scope()
    assert _get(post_json, body) == {"u_8841": {**SAM, "organizationId": ORG}}


def test_users_get_scoped_to_organization_holding_nul_is_empty(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    org = f"{ORG}\x00"
    body = {"organizationId": org, "userIds": ["u_8841", "u_g1"]}
    # Unscoped, the ids are global: found, and no user belongs to that organization.
    assert _get(post_json, body, as_=("u", org)) == {"u_8841": SAM, "u_g1": GLOBEX}
    directory.scope()
    assert _get(post_json, body, as_=("u", org)) == {}


def test_users_isolation_scoped_organization_never_sees_another_organizations_users(
    directory: Directory, post_json: Any
) -> None:
    _seed(directory)
    directory.scope()
    # Priya also joins OTHER: ORG's answer still names ORG, OTHER's names OTHER.
    directory.load(PRIYA, org=OTHER)
    asked = {"userIds": ["u_8841", "u_1190", "u_g1"]}
    response = post_json(PATH, {"organizationId": ORG, **asked}, as_=("u", ORG))
    assert assert_success(response, read=True)["data"] == {
        "u_8841": {**SAM, "organizationId": ORG},
        "u_1190": {**PRIYA, "organizationId": ORG},
    }
    for leaked in (b"u_g1", b"Gloria", b"globex", OTHER.encode()):
        assert leaked not in response.content
    response = post_json(PATH, {"organizationId": OTHER, **asked}, as_=("u", OTHER))
    assert assert_success(response, read=True)["data"] == {
        "u_1190": {**PRIYA, "organizationId": OTHER},
        "u_g1": {**GLOBEX, "organizationId": OTHER},
    }
    assert b"Sam" not in response.content and b"u_8841" not in response.content
    # Removing a user removes it for every organization.
    users.delete(["u_1190"])
    assert _get(post_json, {"organizationId": OTHER, **asked}, as_=("u", OTHER)) == {
        "u_g1": {**GLOBEX, "organizationId": OTHER}
    }


def _without_timestamp(response: Any) -> bytes:
    return re.sub(rb'"timestamp":\d+', b'"timestamp":0', response.content)


@pytest.mark.parametrize(
    ("body", "status", "answer"),
    [
        (
            {"organizationId": ORG, "userIds": ["u_1190", "u_0000"]},
            200,
            b'{"data":{"u_1190":{"name":"Priya Nair","email":"priya.nair@acme.example",'
            b'"userId":"u_1190","organizationId":"acme-corp"}},"success":true,'
            b'"statusCode":200,"timestamp":0}',
        ),
        (
            {"organizationId": ORG, "userIds": ["u_0000", "u_\x00"]},
            200,
            b'{"data":{},"success":true,"statusCode":200,"timestamp":0}',
        ),
        (
            {"organizationId": ORG, "userIds": "u_8841"},
            400,
            b'{"success":false,"statusCode":400,"errorCode":"INVALID_INPUT",'
            b'"message":"userIds must be an array of strings","timestamp":0}',
        ),
        (
            {"organizationId": ORG, "userIds": [{"$ne": None}]},
            400,
            b'{"success":false,"statusCode":400,"errorCode":"INVALID_INPUT",'
            b'"message":"userIds[] must be a string","timestamp":0}',
        ),
        (
            {"organizationId": OTHER, "userIds": ["u_g1"]},
            403,
            b'{"success":false,"statusCode":403,"errorCode":"FORBIDDEN",'
            b'"message":"Not allowed for this organization.","timestamp":0}',
        ),
    ],
    ids=["found", "unknown-and-nul", "not-a-list", "operator", "other-organization"],
)
@on_directories(MONGOMOCK, MONGODB, POSTGRESQL)
def test_users_get_answers_byte_for_byte_on_every_backend(
    directory: Directory, post_json: Any, body: Any, status: int, answer: bytes
) -> None:
    # A user whose keys are already in JSONB's order (length, then bytes), so that the
    # one difference the wire protocol leaves open (object key order) cannot show.
    directory.load(
        {"name": "Priya Nair", "email": "priya.nair@acme.example", "userId": "u_1190"},
        org=ORG,
    )
    directory.load(GLOBEX, org=OTHER)
    response = post_json(PATH, body, as_=("u", ORG))
    assert response.status_code == status
    assert _without_timestamp(response) == answer
