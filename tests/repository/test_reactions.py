"""ReactionRepository on mongomock: the merge rule without keyed maps (CONTRACT §7)."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.repository.comments import CommentRepository
from velt_django.repository.reactions import ReactionRepository

from ..families import ORG, record_write


def record(annotation_id: str = "rx1", payload: dict[str, Any] | None = None) -> Any:
    return record_write(annotation_id, payload)


@pytest.fixture
def repo(mongo_db: Any) -> ReactionRepository:
    return ReactionRepository(mongo_db)


def stored(repo: ReactionRepository, annotation_id: str = "rx1") -> dict[str, Any]:
    return repo.get_many(ORG, ids=[annotation_id])[annotation_id]


def test_reaction_repository_uses_reaction_collection(repo: ReactionRepository) -> None:
    assert repo.collection.name == "velt_reaction_annotations"


def test_save_many_stores_reaction_payload(repo: ReactionRepository) -> None:
    payload = {"icon": "1f680", "from": {"userId": "u_3307"}, "tenantRef": 0}
    repo.save_many([record(payload=payload)], event="reaction.add")
    assert stored(repo) == {"annotationId": "rx1", **payload}


def test_save_many_keeps_icon_when_absent(repo: ReactionRepository) -> None:
    repo.save_many([record(payload={"icon": "1f680", "from": {"userId": "u1"}})])
    repo.save_many([record(payload={"from": {"userId": "u2"}})])
    assert stored(repo) == {
        "annotationId": "rx1",
        "icon": "1f680",
        "from": {"userId": "u2"},
    }


def test_save_many_replaces_icon_when_present(repo: ReactionRepository) -> None:
    repo.save_many([record(payload={"icon": "1f680"})])
    repo.save_many([record(payload={"icon": "HEART_FACE"})])
    assert stored(repo)["icon"] == "HEART_FACE"


def test_save_many_replaces_comments_key_wholesale_for_reactions(
    repo: ReactionRepository,
) -> None:
    repo.save_many([record(payload={"comments": {"1": {"commentId": 1}}})])
    repo.save_many([record(payload={"comments": {"2": {"commentId": 2}}})])
    assert stored(repo)["comments"] == {"2": {"commentId": 2}}


def test_save_many_shallow_merges_reaction_metadata(repo: ReactionRepository) -> None:
    repo.save_many(
        [record(payload={"metadata": {"apiKey": "k", "documentId": "doc-1"}})]
    )
    repo.save_many([record(payload={"metadata": {"documentId": "doc-2"}})])
    assert stored(repo)["metadata"] == {"apiKey": "k", "documentId": "doc-2"}


def test_save_many_keeps_falsy_custom_field(repo: ReactionRepository) -> None:
    repo.save_many([record(payload={"tenantRef": 0})])
    value = stored(repo)["tenantRef"]
    assert value == 0
    assert type(value) is int


def test_reactions_are_separate_from_comments(
    repo: ReactionRepository, mongo_db: Any
) -> None:
    repo.save_many([record("shared", {"icon": "1f680"})])
    assert CommentRepository(mongo_db).get_many(ORG) == {}
    assert set(repo.get_many(ORG)) == {"shared"}


def test_delete_removes_reaction(repo: ReactionRepository) -> None:
    repo.save_many([record()])
    assert repo.delete(ORG, "rx1") == 1
    assert repo.get_many(ORG) == {}
