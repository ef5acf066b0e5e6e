"""``UserRepository`` (the ``velt_users`` collection) on both tiers (CONTRACT §5.1, §5.6,
§14.3)."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.exceptions import DatabaseUnavailableError, InvalidRecordError
from velt_django.repository.users import UserRepository, UserWrite

ORG = "acme-corp"
OTHER = "globex"


@pytest.fixture(params=["mongo_db", pytest.param("wire_db", marks=pytest.mark.mongo)])
def repo(request: pytest.FixtureRequest) -> UserRepository:
    db = request.getfixturevalue(str(request.param))
    return UserRepository(db)


def _user(
    user_id: str, email: str | None = None, *orgs: str, **fields: Any
) -> UserWrite:
    payload: dict[str, Any] = {"userId": user_id, **fields}
    if email is not None:
        payload["email"] = email
    return UserWrite(
        user_id, payload, email.strip().lower() if email else None, list(orgs)
    )


def test_users_upsert_then_get_returns_fields_only(repo: UserRepository) -> None:
    repo.upsert_many([_user("u1", "A@x.example", ORG, name="Ann", color="#123456")])
    (stored,) = repo.get_many(["u1", "nobody"])
    assert stored.user_id == "u1"
    assert stored.fields == {
        "userId": "u1",
        "name": "Ann",
        "color": "#123456",
        "email": "A@x.example",
    }
    assert stored.organization_ids == [ORG]


def test_users_upsert_is_idempotent_and_adds_organizations(
    repo: UserRepository,
) -> None:
    repo.upsert_many([_user("u1", "a@x.example", ORG, name="Ann")])
    repo.upsert_many([_user("u1", "a@x.example", ORG, name="Ann")])
    repo.upsert_many([_user("u1", "b@x.example", OTHER, name="Anne")])
    assert repo.collection.count_documents({}) == 1
    (stored,) = repo.get_many(["u1"])
    assert stored.fields["name"] == "Anne"
    assert sorted(stored.organization_ids) == [ORG, OTHER]
    assert repo.find_by_emails(["a@x.example"]) == []
    assert repo.find_by_emails(["b@x.example"]) == [("b@x.example", "u1")]


def test_users_upsert_without_email_clears_email_key(repo: UserRepository) -> None:
    repo.upsert_many([_user("u1", "a@x.example")])
    repo.upsert_many([_user("u1", None, name="No mail")])
    assert repo.find_by_emails(["a@x.example"]) == []


def test_users_get_many_scoped_to_organization(repo: UserRepository) -> None:
    repo.upsert_many([_user("u1", None, ORG), _user("u2", None, OTHER)])
    assert [u.user_id for u in repo.get_many(["u1", "u2"], ORG)] == ["u1"]
    assert sorted(u.user_id for u in repo.get_many(["u1", "u2"])) == ["u1", "u2"]


def test_users_find_by_emails_returns_every_owner(repo: UserRepository) -> None:
    repo.upsert_many(
        [_user("u1", "s@x.example", ORG), _user("u2", "S@X.example", OTHER)]
    )
    assert sorted(repo.find_by_emails(["s@x.example"])) == [
        ("s@x.example", "u1"),
        ("s@x.example", "u2"),
    ]
    assert repo.find_by_emails(["s@x.example"], OTHER) == [("s@x.example", "u2")]


@pytest.mark.parametrize("key", ["a.b", "$x", "~tilde", ""])
def test_users_unsafe_custom_keys_round_trip(repo: UserRepository, key: str) -> None:
    repo.upsert_many([_user("u1", None, nested={key: {key: 0}}, **{key: False})])
    (stored,) = repo.get_many(["u1"])
    assert stored.fields == {"userId": "u1", "nested": {key: {key: 0}}, key: False}


def test_users_delete_many_removes_listed_ids_only(repo: UserRepository) -> None:
    repo.upsert_many([_user("u1"), _user("u2")])
    assert repo.delete_many(["u1", "missing"]) == 1
    assert repo.delete_many(["u1"]) == 0
    assert [u.user_id for u in repo.get_many(["u1", "u2"])] == ["u2"]


def test_users_operator_shaped_ids_match_nothing(repo: UserRepository) -> None:
    repo.upsert_many([_user("u1")])
    # Ids reach the repository as strings (serializers refuse objects): a string that
    # looks like an operator is just an unknown id.
    assert repo.get_many(['{"$ne": null}', "$ne"]) == []


def test_users_integer_out_of_range_is_invalid_record(repo: UserRepository) -> None:
    with pytest.raises(InvalidRecordError):
        repo.upsert_many([_user("u1", None, big=2**70)])
    assert repo.get_many(["u1"]) == []


def test_users_indexes_declared(repo: UserRepository) -> None:
    repo.ensure_indexes()
    info = repo.collection.index_information()
    assert info["user_unique"]["unique"] is True
    assert list(info["user_unique"]["key"]) == [("userId", 1)]
    assert list(info["email_lower"]["key"]) == [("emailLower", 1)]
    assert list(info["organizations"]["key"]) == [("organizationIds", 1)]


def test_users_unique_user_id_enforced(repo: UserRepository) -> None:
    repo.ensure_indexes()
    repo.upsert_many([_user("u1"), _user("u1", "a@x.example")])
    assert repo.collection.count_documents({"userId": "u1"}) == 1


@pytest.mark.mongo
def test_users_outage_is_database_unavailable(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
        "SERVER_SELECTION_TIMEOUT_MS": 100,
    }
    with pytest.raises(DatabaseUnavailableError):
        UserRepository().get_many(["u1"])
