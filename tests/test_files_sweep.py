"""``manage.py velt_sweep_files`` and :mod:`velt_django.files.sweep` on local storage
(``FileSystemStorage`` in a temporary directory; mongomock, and the real server in the
``mongo`` tier test). The same on S3 is in tests/test_files_s3.py."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from velt_django import files
from velt_django.files.sweep import sweep_orphans
from velt_django.repository.files import FileRepository

from .contracts import assert_success
from .uploads import COLLECTION, DOC, ORG, SCOPES, request_part, upload

HOUR = 3600


@pytest.fixture
def db(mongo_db: Any, media: Path) -> Any:
    return mongo_db


def stored(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
    )


def age(root: Path, name: str, seconds: int) -> None:
    """Set the modification time of ``name`` to ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(root / name, (then, then))


def orphan(scope: str, org: str = ORG, doc: str | None = DOC) -> str:
    """An object saved the way an upload saves it, whose record was never written."""
    key = files.new_storage_key(scope, org, doc)
    return files.get_storage(scope).save(key, ContentFile(b"orphan"))


def uploaded_key(db: Any, client: Client, scope: str, **req: Any) -> str:
    assert_success(upload(client, scope, req=request_part(**req)), read=True)
    record = db[COLLECTION].find_one(
        {"scope": scope, "attachmentId": req.get("attachment_id", 284117)}
    )
    return str(record["storageKey"])


def sweep(*args: str) -> str:
    out = StringIO()
    call_command("velt_sweep_files", *args, stdout=out)
    return out.getvalue()


def test_sweep_reports_old_orphans_and_deletes_them_only_with_delete(
    db: Any, client: Client, media: Path
) -> None:
    recorded = [
        uploaded_key(db, client, "attachment"),
        uploaded_key(db, client, "recording"),
    ]
    old = [orphan("attachment"), orphan("recording", "h-org", None)]
    fresh = orphan("attachment")
    # Not velt_django's keys: never touched, however old.
    foreign = [
        "velt/attachment/notes.txt",
        "velt/attachment/acme/doc/too/deep-aaaaaaaaaaaaaaaaaaaa",
        "avatars/u_1.png",
        "velt/attachment/acme/doc/short-id",
    ]
    for name in foreign:
        FileSystemStorage(location=str(media)).save(name, ContentFile(b"x"))
    for name in [*recorded, *old, *foreign]:
        age(media, name, 2 * HOUR)
    everything = stored(media)
    assert len(everything) == 9

    report = sweep()
    assert (
        "Storage default: 5 objects, 2 with a record, 1 without one but recent, "
        "2 orphaned (run with --delete to delete them)." in report
    )
    assert old[0] not in report  # keys only at verbosity 2
    assert stored(media) == everything
    assert all(f"orphan {key}" in sweep("-v", "2") for key in old)

    report = sweep("--delete")
    assert "2 orphaned, 2 deleted." in report
    assert stored(media) == sorted(set(everything) - set(old))
    assert fresh in stored(media)
    for key in recorded:
        assert FileRepository().stored_keys([key]) == {key}

    again = sweep("--delete")
    assert (
        "Storage default: 3 objects, 2 with a record, 1 without one but recent, "
        "0 orphaned, 0 deleted." in again
    )
    # Once old enough, the fresh orphan goes too; the recorded files never do.
    age(media, fresh, 2 * HOUR)
    assert "1 orphaned, 1 deleted." in sweep("--delete", "--older-than", "90m")
    assert stored(media) == sorted([*recorded, *foreign])


@pytest.mark.parametrize(
    ("value", "kept"),
    [("3600", False), ("80m", False), ("100m", True), ("2h", True), ("1d", True)],
)
def test_older_than_takes_seconds_or_a_unit(
    db: Any, media: Path, value: str, kept: bool
) -> None:
    key = orphan("attachment")
    age(media, key, 90 * 60)
    sweep("--delete", "--older-than", value)
    assert (key in stored(media)) is kept


@pytest.mark.parametrize("value", ["0", "-5", "1.5h", "abc", "10w", "", "1" * 12])
def test_older_than_must_be_a_positive_duration(db: Any, value: str) -> None:
    with pytest.raises(CommandError, match="--older-than"):
        sweep("--older-than", value)


def test_record_lookups_are_batched(
    db: Any, client: Client, media: Path, monkeypatch: Any
) -> None:
    keys = [orphan("attachment") for _ in range(4)]
    keep = uploaded_key(db, client, "attachment")
    for key in [*keys, keep]:
        age(media, key, 2 * HOUR)
    calls: list[int] = []
    lookup = FileRepository.stored_keys

    def counting(self: FileRepository, batch: Any) -> set[str]:
        calls.append(len(batch))
        return lookup(self, batch)

    monkeypatch.setattr(FileRepository, "stored_keys", counting)
    cutoff = timezone.now() - timedelta(hours=1)
    (result,) = sweep_orphans(modified_before=cutoff, delete=True, batch_size=2)
    assert calls == [2, 2, 1]
    assert (result.listed, result.recorded, result.removed) == (5, 1, 4)
    assert sorted(result.orphans) == sorted(keys)
    assert stored(media) == [keep]


def test_each_scopes_storage_is_swept_under_its_own_alias(
    db: Any, client: Client, media: Path, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "recordings")},
        },
    }
    settings.VELT = {**settings.VELT, "RECORDING_STORAGE": "recordings"}
    attachment, recording = orphan("attachment"), orphan("recording")
    age(media, attachment, 2 * HOUR)
    age(tmp_path / "recordings", recording, 2 * HOUR)
    # An attachment-shaped object in the recordings storage is not its scope's: kept.
    stray = files.new_storage_key("attachment", ORG, DOC)
    storages["recordings"].save(stray, ContentFile(b"x"))
    age(tmp_path / "recordings", stray, 2 * HOUR)
    report = sweep("--delete")
    assert "Storage default: 1 objects, 0 with a record" in report
    assert "Storage recordings: 1 objects, 0 with a record" in report
    assert stored(media) == []
    assert stored(tmp_path / "recordings") == [stray]


def test_naive_modification_times_without_use_tz(
    db: Any, media: Path, settings: Any
) -> None:
    settings.USE_TZ = False
    old, fresh = orphan("attachment"), orphan("attachment")
    age(media, old, 2 * HOUR)
    assert "1 without one but recent, 1 orphaned, 1 deleted." in sweep("--delete")
    assert stored(media) == [fresh]


def test_a_failing_delete_is_counted_and_the_sweep_goes_on(
    db: Any, media: Path, monkeypatch: Any
) -> None:
    keys = sorted(orphan("attachment") for _ in range(2))
    for key in keys:
        age(media, key, 2 * HOUR)
    real_delete = FileSystemStorage.delete

    def flaky(self: FileSystemStorage, name: str) -> None:
        if name == keys[0]:
            raise OSError("read-only file system")
        real_delete(self, name)

    monkeypatch.setattr(FileSystemStorage, "delete", flaky)
    out = StringIO()
    with pytest.raises(CommandError, match="could not be deleted"):
        call_command("velt_sweep_files", "--delete", stdout=out)
    assert "2 orphaned, 1 deleted, 1 failed to delete." in out.getvalue()
    assert stored(media) == [keys[0]]


def test_an_empty_storage_reports_nothing(db: Any, media: Path) -> None:
    assert "Storage default: 0 objects" in sweep("--delete")


@pytest.mark.mongo
@SCOPES
def test_wire_sweep_keeps_recorded_and_recent_objects(
    wire_db: Any, media: Path, client: Client, scope: str
) -> None:
    recorded = uploaded_key(wire_db, client, scope)
    old, fresh = orphan(scope), orphan(scope)
    for key in (recorded, old):
        age(media, key, 2 * HOUR)
    assert "3 objects, 1 with a record, 1 without one but recent, 1 orphaned, 1 " in (
        sweep("--delete")
    )
    assert stored(media) == sorted([recorded, fresh])
    assert "0 orphaned" in sweep("--delete")
