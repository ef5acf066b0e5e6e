"""Erasing one user: a deletion plan, then applied record by record with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ..directory import DjangoUserDirectory, get_directory
from ..exceptions import RepositoryError
from ..files.storage import remove_file
from ..progress import Progress
from ..repository.base import Document
from .families import FAMILIES
from .matching import mentions
from .scan import Found, _files, _scan

logger = logging.getLogger(__name__)

#: ``lastEvent`` of records rewritten by an erasure.
ERASE_EVENT = "gdpr.erase"

#: Attempts to erase one record that concurrent saves keep changing.
ERASE_ATTEMPTS = 5


@dataclass
class Change:
    """What erasing does to one record: a new payload, or ``None`` (delete it)."""

    found: Found
    payload: Document | None


@dataclass
class DeletionPlan:
    """Everything an erasure will change, computed before anything is written."""

    user_id: str
    organization_id: str | None
    changes: list[Change] = field(default_factory=list)
    files: list[Document] = field(default_factory=list)
    user_found: bool = False
    #: Why the directory entry is kept (``None``: it is deleted when found).
    user_kept_because: str | None = None

    def summary(self) -> Document:
        """Counts per family of what the plan does (what ``--dry-run`` reports)."""
        out: Document = {}
        for family in FAMILIES:
            changes = [c for c in self.changes if c.found.family is family]
            deleted = sum(1 for c in changes if c.payload is None)
            out[family.name] = {
                "found": len(changes),
                "anonymised": len(changes) - deleted,
                "deleted": deleted,
            }
        out["files"] = {"found": len(self.files), "deleted": len(self.files)}
        deletes_user = self.user_found and self.user_kept_because is None
        out["user"] = {
            "found": int(self.user_found),
            "deleted": int(deletes_user),
            "keptBecause": self.user_kept_because if self.user_found else None,
        }
        return out

    @property
    def total(self) -> int:
        """How many records, files and directory entries the plan touches."""
        user = int(self.user_found and self.user_kept_because is None)
        return len(self.changes) + len(self.files) + user


def plan_deletion(
    user_id: str,
    organization_id: str | None = None,
    *,
    delete_django_user: bool = False,
    progress: Progress | None = None,
) -> DeletionPlan:
    """What erasing the user changes (nothing is written).

    The directory entry is kept when ``organization_id`` is given (a user id is a global
    identity) and, unless ``delete_django_user``, when the directory is Django's user
    model (that row is the application's own account).
    """
    progress = progress or Progress.silent()
    plan = DeletionPlan(user_id, organization_id)
    for found in _scan(user_id, organization_id, progress):
        payload = found.family.erase(found.record.payload, user_id)
        plan.changes.append(Change(found, payload))
    plan.files = _files(user_id, organization_id)
    directory = get_directory()
    plan.user_found = bool(directory.get_users([user_id], None))
    if organization_id is not None:
        plan.user_kept_because = "organization"
    elif isinstance(directory, DjangoUserDirectory) and not delete_django_user:
        plan.user_kept_because = "django-user-model"
    return plan


def _erase_one(change: Change, user_id: str) -> str | None:
    """Apply one change, re-reading and deciding again after a concurrent write.
    Returns ``"deleted"``, ``"anonymised"`` or ``None`` (nothing left to do)."""
    family = change.found.family
    repo = family.open()
    record, payload = change.found.record, change.payload
    for _attempt in range(ERASE_ATTEMPTS):
        if repo.rewrite_if_unchanged(record, payload, ERASE_EVENT):
            return "deleted" if payload is None else "anonymised"
        current = repo.read_record(record.organization_id, record.record_id)
        if current is None or not mentions(current.payload, user_id):
            return None
        record, payload = current, family.erase(current.payload, user_id)
    logger.warning(
        "gdpr erase of %s %s gave up after concurrent writes",
        family.name,
        record.record_id,
    )
    raise RepositoryError("a record kept changing while it was being erased")


def apply_deletion(plan: DeletionPlan, progress: Progress | None = None) -> Document:
    """Carry out a plan; returns the counts of what was done (same shape as
    :meth:`DeletionPlan.summary`). A record changed since the plan was made is read
    again and erased by the same rule. Raises the repositories' and storage errors."""
    progress = progress or Progress.silent()
    summary = plan.summary()
    for family in FAMILIES:
        summary[family.name].update(anonymised=0, deleted=0)
    progress.start("erasing records", len(plan.changes))
    for change in plan.changes:
        outcome = _erase_one(change, plan.user_id)
        if outcome is not None:
            summary[change.found.family.name][outcome] += 1
        progress.advance()
    progress.finish()
    progress.start("deleting files", len(plan.files))
    deleted_files = 0
    for record in plan.files:
        remove_file(record)
        deleted_files += 1
        progress.advance()
    progress.finish()
    summary["files"]["deleted"] = deleted_files
    deleted_users = 0
    if plan.user_found and plan.user_kept_because is None:
        deleted_users = get_directory().delete([plan.user_id])
    summary["user"]["deleted"] = deleted_users
    logger.info(
        "gdpr erase user=%s org=%s records=%d files=%d user=%d",
        plan.user_id,
        plan.organization_id,
        len(plan.changes),
        deleted_files,
        deleted_users,
    )
    return summary
