"""Seeding: the corpus written in the repository's stored layout, in bulk.

The wire payloads go through velt_django's own parsing (``parse_save``) and repository
classes (``resolve``: the MongoDB class or its PostgreSQL twin), so the stored layout
is the package's. On PostgreSQL the repositories' ``save_many`` is already one
multi-row statement per batch. On MongoDB the repositories' upserts of new records are
turned into the documents they would create and written with ``insert_many`` (an
upsert costs a Python server such as SecantusDB a few milliseconds each, an insert far
less); ``verify`` then reads records back through the repository's own get. Users are
Django users with their organizations as groups (the example project's directory),
and a few 256 KiB attachments are uploaded over HTTP by the caller.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pymongo import UpdateOne

from .corpus import ORG, Corpus, person

Document = dict[str, Any]
BATCH = 500


def _apply_path(doc: Document, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def inserted_document(op: UpdateOne) -> Document:
    """The document an upsert creates when no document matches its filter."""
    # UpdateOne keeps its filter and update as given; the seeder only builds dicts.
    spec: Document = dict(op._filter)  # noqa: SLF001
    update = op._doc  # noqa: SLF001
    if not isinstance(update, dict):
        raise TypeError("the seeder builds update documents, not pipelines")
    doc = {k: v for k, v in spec.items() if not isinstance(v, dict)}
    for operator in ("$setOnInsert", "$set"):
        for path, value in update.get(operator, {}).items():
            _apply_path(doc, path, value)
    for path, value in update.get("$inc", {}).items():
        _apply_path(doc, path, value)
    for path, value in update.get("$addToSet", {}).items():
        _apply_path(
            doc, path, list(value["$each"]) if isinstance(value, dict) else [value]
        )
    return doc


class _Result:
    """What the repositories read of a ``BulkWriteResult``: every op inserted."""

    def __init__(self, count: int) -> None:
        self.upserted_ids = {i: None for i in range(count)}
        self.upserted_count, self.matched_count = count, 0


class _InsertingCollection:
    """A collection whose ``bulk_write`` of fresh upserts is one ``insert_many``."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)

    def bulk_write(self, ops: list[UpdateOne], ordered: bool = True) -> _Result:
        self._collection.insert_many(
            [inserted_document(op) for op in ops], ordered=False
        )
        return _Result(len(ops))


def _repository(cls: type[Any]) -> Any:
    from velt_django.repository.backend import resolve, uses_postgresql

    impl = resolve(cls)
    if uses_postgresql():
        return impl()

    class Inserting(impl):  # type: ignore[misc, valid-type]
        @property
        def collection(self) -> Any:
            return _InsertingCollection(super().collection)

    return Inserting()


def _batches(records: Document) -> Iterator[Document]:
    items = list(records.items())
    for start in range(0, len(items), BATCH):
        yield dict(items[start : start + BATCH])


def save_annotations(family_name: str, records: Document) -> int:
    from velt_django.repository.comments import CommentRepository
    from velt_django.repository.reactions import ReactionRepository
    from velt_django.repository.recordings import RecordingRepository
    from velt_django.validation.annotations import ANNOTATION_FAMILIES, parse_save

    classes = {"comments": CommentRepository, "reactions": ReactionRepository}
    family = next(f for f in ANNOTATION_FAMILIES if f.name == family_name)
    repo = _repository(classes.get(family_name, RecordingRepository))
    for batch in _batches(records):
        repo.save_many(parse_save({family.save_field: batch}, family).records)
    return len(records)


def activities(records: Document) -> int:
    from velt_django.repository.activities import ActivityRepository
    from velt_django.validation.activities import parse_save

    repo = _repository(ActivityRepository)
    for batch in _batches(records):
        repo.save_many(parse_save({"activity": batch}).records, event="activity.save")
    return len(records)


def users(corpus: Corpus) -> int:
    from django.contrib.auth.models import Group, User

    group, _ = Group.objects.get_or_create(name=ORG)
    rows = []
    for index in range(corpus.users):
        p = person(index)
        first, last = p["name"].split(" ", 1)
        rows.append(
            User(
                username=p["userId"], email=p["email"], first_name=first, last_name=last
            )
        )
    User.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    through = User.groups.through
    ids = User.objects.filter(username__startswith="user-").values_list("id", flat=True)
    through.objects.bulk_create(
        [through(user_id=i, group_id=group.id) for i in ids], ignore_conflicts=True
    )
    return corpus.users


def seed(corpus: Corpus, levels: int, growth: bool = True) -> Document:
    """Write the corpus; returns counts and seconds per family."""
    timings: Document = {}

    def timed(name: str, fn: Any, *args: Any) -> None:
        start = time.perf_counter()
        count = fn(*args)
        timings[name] = {
            "records": count,
            "seconds": round(time.perf_counter() - start, 2),
        }

    threads = {**corpus.threads(), **corpus.delete_threads(levels)}
    if growth:
        threads.update(corpus.growth_threads())
    timed("comments", save_annotations, "comments", threads)
    reactions = {f"rxn-{i:06d}": corpus.reaction(i) for i in range(corpus.reactions)}
    timed("reactions", save_annotations, "reactions", reactions)
    recordings = {f"rec-{i:06d}": corpus.recording(i) for i in range(corpus.recordings)}
    timed("recordings", save_annotations, "recordings", recordings)
    acts = {
        corpus.activity_number(i): corpus.activity(
            corpus.activity_number(i), corpus.document(i)
        )
        for i in range(corpus.activities)
    }
    timed("activities", activities, acts)
    timed("notifications", _store_notifications, corpus)
    timed("users", users, corpus)
    return timings


def _store_notifications(corpus: Corpus) -> int:
    from velt_django.notifications import _prepare  # the public store's own step
    from velt_django.repository.notifications import NotificationRepository

    repo = _repository(NotificationRepository)
    items = [corpus.notification(i) for i in range(corpus.notifications)]
    return int(repo.store([_prepare(repo, ORG, item, "seed") for item in items]))


def verify(corpus: Corpus) -> None:
    """Read seeded records back through the repositories' own gets."""
    from velt_django.repository.backend import resolve
    from velt_django.repository.comments import CommentRepository

    repo = resolve(CommentRepository)()
    found = repo.get_many(ORG, document_ids=[corpus.documents[0]])
    expected = corpus.seeded_thread(0)
    got = found.get(expected["annotationId"])
    if len(found) != 100 or got is None or got["comments"] != expected["comments"]:
        raise SystemExit("seeded comments do not read back as written")
