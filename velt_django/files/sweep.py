"""Orphaned file objects: objects under velt_django's key prefix that no ``velt_files``
record points to (``manage.py velt_sweep_files``).

An upload writes the object first and its record second (docs/files.md, "Where it
lands"); a failed record write removes the object again, but a worker killed between
the two leaves the object behind with nothing pointing to it. :func:`sweep_orphans`
finds such objects in the storage of each file scope and, when asked to, deletes them.

Only names :func:`~velt_django.files.keys.is_storage_key` recognises are considered
(``<FILE_KEY_PREFIX><scope>/<organization>/<document>/<random id>``), so nothing else in a
shared storage is ever touched. An object modified after ``modified_before`` is kept
even without a record: its upload may still be writing the record. So is one whose age
the storage cannot tell.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.core.files.storage import Storage
from django.utils import timezone

from ..conf import velt_settings
from ..repository.backend import resolve
from ..repository.files import FileRepository
from .keys import SCOPES, is_storage_key
from .storage import get_storage

logger = logging.getLogger(__name__)

#: Storage keys looked up in one query.
BATCH_SIZE = 500
#: Directory levels between ``<prefix><scope>`` and the objects: organization, document.
_KEY_DEPTH = 2


@dataclass
class SweepResult:
    """What a sweep found in one storage (a ``STORAGES`` alias)."""

    storage: str
    #: Objects with velt_django's key shape.
    listed: int = 0
    #: Of those, objects a record points to (kept).
    recorded: int = 0
    #: Objects without a record modified after the cutoff, or of unknown age (kept).
    recent: int = 0
    #: Keys of the objects without a record older than the cutoff.
    orphans: list[str] = field(default_factory=list)
    #: Orphans deleted, and orphans whose delete failed (only when deleting).
    removed: int = 0
    failed: int = 0


def sweep_orphans(
    *, modified_before: datetime, delete: bool, batch_size: int = BATCH_SIZE
) -> list[SweepResult]:
    """Find (and with ``delete``, remove) the orphaned objects of every file scope's
    storage modified before ``modified_before``; one result per storage alias.

    Records are looked up ``batch_size`` keys per query. Raises
    :class:`~velt_django.exceptions.VeltConfigurationError` for a scope whose storage is
    not configured, and repository errors when MongoDB fails; a failing storage delete
    is counted and logged (by error type) and the sweep goes on.
    """
    cutoff = _aware(modified_before)
    by_alias: dict[str, list[str]] = {}
    for scope in SCOPES:
        by_alias.setdefault(velt_settings.storage_alias(scope), []).append(scope)
    results = []
    for alias, scopes in sorted(by_alias.items()):
        storage = get_storage(scopes[0])
        result = SweepResult(alias)
        batch: list[str] = []
        for scope in scopes:
            root = f"{velt_settings.FILE_KEY_PREFIX}{scope}"
            for key in _names(storage, root, _KEY_DEPTH):
                if not is_storage_key(key, scope):
                    continue
                result.listed += 1
                batch.append(key)
                if len(batch) >= batch_size:
                    _sweep_batch(storage, batch, cutoff, delete, result)
                    batch = []
        _sweep_batch(storage, batch, cutoff, delete, result)
        logger.info(
            "file sweep storage=%s listed=%d recorded=%d recent=%d orphans=%d "
            "removed=%d failed=%d",
            alias,
            result.listed,
            result.recorded,
            result.recent,
            len(result.orphans),
            result.removed,
            result.failed,
        )
        results.append(result)
    return results


def _names(storage: Storage, directory: str, depth: int) -> Iterator[str]:
    """The object names ``depth`` directory levels below ``directory``."""
    try:
        dirs, names = storage.listdir(directory)
    except FileNotFoundError:  # local storage without that directory yet
        return
    if depth == 0:
        for name in sorted(names):
            yield f"{directory}/{name}"
        return
    for sub in sorted(dirs):
        yield from _names(storage, f"{directory}/{sub}", depth - 1)


def _sweep_batch(
    storage: Storage,
    keys: list[str],
    cutoff: datetime,
    delete: bool,
    result: SweepResult,
) -> None:
    if not keys:
        return
    stored = resolve(FileRepository)().stored_keys(keys)
    result.recorded += len(stored)
    for key in keys:
        if key in stored:
            continue
        modified = _modified_time(storage, key, result.storage)
        if modified is None or modified >= cutoff:
            result.recent += 1
            continue
        result.orphans.append(key)
        if not delete:
            continue
        try:
            storage.delete(key)
        except Exception as err:
            logger.error(
                "file sweep storage=%s: delete failed (%s)",
                result.storage,
                type(err).__name__,
            )
            result.failed += 1
        else:
            result.removed += 1


def _modified_time(storage: Storage, key: str, alias: str) -> datetime | None:
    try:
        return _aware(storage.get_modified_time(key))
    except NotImplementedError:
        return None
    except Exception as err:  # gone meanwhile, or the storage failed: keep it
        logger.warning(
            "file sweep storage=%s: modification time unknown (%s)",
            alias,
            type(err).__name__,
        )
        return None


def _aware(value: datetime) -> datetime:
    # Storages answer naive local times when USE_TZ is off.
    return timezone.make_aware(value) if timezone.is_naive(value) else value
