"""Finding the records that mention a user, family by family, and the user's files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..management.progress import Progress
from ..repository.base import Document, StoredRecord
from ..repository.files import FileRepository
from .families import FAMILIES, Family
from .matching import mentions


@dataclass
class Found:
    """A record that mentions the user, with how the user takes part in it."""

    family: Family
    record: StoredRecord
    roles: list[str]


def _scan(
    user_id: str, organization_id: str | None, progress: Progress
) -> Iterable[Found]:
    for family in FAMILIES:
        repo = family.repository()
        progress.start(
            f"scanning {repo.collection_name()}", repo.count_records(organization_id)
        )
        for record in repo.scan(organization_id):
            progress.advance()
            if mentions(record.payload, user_id):
                roles = family.roles(record.payload, user_id) or ["mentioned"]
                yield Found(family, record, roles)
        progress.finish()


def _files(user_id: str, organization_id: str | None) -> list[Document]:
    return [
        record
        for record in FileRepository().find_by_uploader(user_id)
        if organization_id is None or record.get("organizationId") == organization_id
    ]
