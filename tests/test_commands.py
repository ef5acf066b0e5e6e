"""``manage.py velt_ensure_indexes`` on mongomock."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from velt_django.repository import connection

ANNOTATION_COLLECTIONS = ["velt_comment_annotations", "velt_reaction_annotations"]


@pytest.fixture
def empty_db(mongo_db: Any) -> Any:
    """The mongomock database without the indexes the fixture created."""
    for name in mongo_db.list_collection_names():
        mongo_db.drop_collection(name)
    return mongo_db


def index_keys(db: Any, collection: str) -> dict[tuple[tuple[str, int], ...], bool]:
    """Index key tuples → unique flag, without ``_id``."""
    return {
        tuple(tuple(part) for part in info["key"]): bool(info.get("unique", False))
        for name, info in db[collection].index_information().items()
        if name != "_id_"
    }


def run() -> str:
    out = StringIO()
    call_command("velt_ensure_indexes", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("collection", ANNOTATION_COLLECTIONS)
def test_velt_ensure_indexes_creates_unique_org_annotation_index(
    empty_db: Any, collection: str
) -> None:
    run()
    assert (
        index_keys(empty_db, collection)[(("organizationId", 1), ("annotationId", 1))]
        is True
    )


@pytest.mark.parametrize("collection", ANNOTATION_COLLECTIONS)
def test_velt_ensure_indexes_creates_secondary_indexes(
    empty_db: Any, collection: str
) -> None:
    run()
    assert index_keys(empty_db, collection) == {
        (("organizationId", 1), ("annotationId", 1)): True,
        (("organizationId", 1), ("documentId", 1)): False,
        (("organizationId", 1), ("folderId", 1)): False,
        (("annotationId", 1),): False,
    }


def test_velt_ensure_indexes_is_idempotent(empty_db: Any) -> None:
    run()
    before = {c: index_keys(empty_db, c) for c in ANNOTATION_COLLECTIONS}
    run()
    assert {c: index_keys(empty_db, c) for c in ANNOTATION_COLLECTIONS} == before


def test_velt_ensure_indexes_reports_collections(empty_db: Any) -> None:
    output = run()
    for collection in ANNOTATION_COLLECTIONS:
        assert collection in output
    assert "org_annotation_unique" in output


def test_velt_ensure_indexes_uses_collection_prefix(
    empty_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "COLLECTION_PREFIX": "custom_"}
    run()
    assert (("organizationId", 1), ("annotationId", 1)) in index_keys(
        empty_db, "custom_comment_annotations"
    )


def test_velt_ensure_indexes_unique_index_refuses_duplicates(empty_db: Any) -> None:
    import pymongo.errors

    run()
    collection = empty_db["velt_comment_annotations"]
    collection.insert_one({"organizationId": "acme", "annotationId": "A1"})
    with pytest.raises(pymongo.errors.DuplicateKeyError):
        collection.insert_one({"organizationId": "acme", "annotationId": "A1"})


def test_velt_ensure_indexes_missing_uri_raises_command_error(settings: Any) -> None:
    connection.close_client()
    settings.VELT = {k: v for k, v in settings.VELT.items() if k != "MONGODB_URI"}
    with pytest.raises(CommandError, match="MONGODB_URI"):
        run()
