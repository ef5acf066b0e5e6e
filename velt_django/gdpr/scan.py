"""Finding the records that mention a user, family by family, and the user's files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError

from ..conf import velt_settings
from ..directory.fields import concrete_field, user_model
from ..exceptions import VeltConfigurationError
from ..progress import Progress
from ..repository.backend import resolve
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
        repo = family.open()
        progress.start(
            f"scanning {family.repository.collection_name()}",
            repo.count_records(organization_id),
        )
        for record in repo.scan(organization_id):
            progress.advance()
            if mentions(record.payload, user_id):
                roles = family.roles(record.payload, user_id) or ["mentioned"]
                yield Found(family, record, roles)
        progress.finish()


def _pk_users(user_id: str) -> tuple[list[str], bool]:
    """How older file records name the uploader ``user_id`` (before ``uploadedByKind``
    they held a session uploader's Django pk): the pk of the Django user whose Velt id
    is ``user_id``, and whether ``user_id`` is itself the pk of another Django user
    (then records holding it are that user's). Nothing when the user model is not in
    use or the mapping's ``userId`` is not a concrete field."""
    field = velt_settings.USER_FIELDS.get("userId") or "username"
    try:
        model = user_model()
        if field == "pk" or concrete_field(model, field) is None:
            return [], False
        manager = model._default_manager
        pks = list(manager.filter(**{field: user_id}).values_list("pk", flat=True)[:2])
        try:
            other = manager.filter(pk=user_id).exclude(**{field: user_id}).exists()
        except (ValueError, TypeError, ValidationError):  # not a valid pk
            other = False
    except (VeltConfigurationError, DatabaseError):
        return [], False
    # Two users with one Velt id: neither pk is known to be this user's.
    return ([str(pks[0])] if len(pks) == 1 else []), other


def _files(user_id: str, organization_id: str | None) -> list[Document]:
    legacy_ids, pk_of_other = _pk_users(user_id)
    records = resolve(FileRepository)().find_by_uploader(
        user_id, legacy_ids, legacy_self=not pk_of_other
    )
    return [
        record
        for record in records
        if organization_id is None or record.get("organizationId") == organization_id
    ]
