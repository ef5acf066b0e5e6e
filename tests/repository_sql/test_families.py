"""SqlReactionRepository and SqlRecordingRepository on PostgreSQL: the reaction tests of
tests/repository/test_reactions.py run unchanged, recordings merge their keyed maps, and
an outage answers DatabaseUnavailableError and recovers without a restart."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.exceptions import DatabaseUnavailableError
from velt_django.repository.sql import (
    SqlCommentRepository,
    SqlReactionRepository,
    SqlRecordingRepository,
)

from ..families import ORG, record_write
from ..postgres import ALIAS
from ..repository import test_reactions as shared
from .conftest import DATABASES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

#: Shared tests that read the MongoDB collection or a second MongoDB repository.
MONGO_ONLY = {
    "test_reaction_repository_uses_reaction_collection",
    "test_reactions_are_separate_from_comments",
}

for _name, _test in vars(shared).items():
    if _name.startswith("test_") and _name not in MONGO_ONLY:
        globals()[_name] = _test


@pytest.fixture
def repo() -> SqlReactionRepository:
    return SqlReactionRepository(ALIAS)


def test_reactions_are_separate_from_comments(repo: SqlReactionRepository) -> None:
    repo.save_many([record_write("shared", {"icon": "1f680"})])
    assert SqlCommentRepository(ALIAS).get_many(ORG) == {}
    assert set(repo.get_many(ORG)) == {"shared"}


def test_recordings_merge_keyed_maps_and_replace_the_rest() -> None:
    recordings = SqlRecordingRepository(ALIAS)
    recordings.save_many(
        [
            record_write(
                "rec1",
                {
                    "recordingEditVersions": {"1": {"v": 1}},
                    "chunkUrls": {"0": "https://cdn/0"},
                    "attachments": [{"id": 1}],
                    "transcription": {"text": "old"},
                },
            )
        ]
    )
    recordings.save_many(
        [
            record_write(
                "rec1",
                {
                    "recordingEditVersions": {"2": {"v": 2}},
                    "chunkUrls": {"1": "https://cdn/1"},
                    "attachments": [{"id": 2}],
                    "transcription": {"lang": "en"},
                },
            )
        ]
    )
    assert recordings.get_many(ORG)["rec1"] == {
        "annotationId": "rec1",
        "recordingEditVersions": {"1": {"v": 1}, "2": {"v": 2}},
        "chunkUrls": {"0": "https://cdn/0", "1": "https://cdn/1"},
        "attachments": [{"id": 2}],
        "transcription": {"lang": "en"},
    }
    assert SqlCommentRepository(ALIAS).count_records() == 0


@pytest.mark.django_db(databases=DATABASES, transaction=True)
def test_outage_is_database_unavailable_and_recovers(pg_cluster: Any) -> None:
    comments = SqlCommentRepository(ALIAS)
    comments.save_many([record_write("A1", {"n": 1})])
    pg_cluster.stop()
    with pytest.raises(DatabaseUnavailableError):
        comments.get_many(ORG)
    with pytest.raises(DatabaseUnavailableError):
        comments.save_many([record_write("A2", {"n": 2})])
    pg_cluster.start()
    assert set(comments.get_many(ORG)) == {"A1"}
    comments.save_many([record_write("A2", {"n": 2})])
    assert comments.count_records() == 2
