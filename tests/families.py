"""The resolver families the suite tests, declared once: wire names, collection, a minimal
valid record. Contracts shared by every family read these declarations.

A new family is one ``Family(...)`` added to ``FAMILIES`` plus its own test module for what
only it does; ``tests/views/test_annotation_families.py`` then runs the shared contracts
against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from velt_django.repository.base import RecordWrite
from velt_django.routers import is_storage_model

from . import postgres

#: The test database alias of the PostgreSQL tier (``tests/postgres.py``).
POSTGRES_ALIAS = postgres.ALIAS

#: The storage backends the shared contracts run on (``VELT["STORAGE_BACKEND"]``).
MONGODB = "mongodb"
POSTGRESQL = "postgresql"
#: ``params`` of a fixture that runs a test on each backend: the PostgreSQL run uses the
#: ``velt_pg`` alias (which starts the session's cluster) and the wire-tier MongoDB run
#: the ``mongo`` marker's SecantusDB.
#: The unit tier's stand-in for MongoDB: a ``backend`` param (``on_backends``) that runs
#: the test on mongomock (the fixture then answers ``"mongodb"``).
MONGOMOCK = "mongomock"


def backend_params(*, mongomock: bool = False, transaction: bool = False) -> list[Any]:
    """``params`` of the ``backend`` fixture: MongoDB (wire tier) and PostgreSQL, after
    mongomock when ``mongomock``; ``transaction`` gives the PostgreSQL run a
    transactional database (requests of other threads, or a server restart, see the
    test's writes)."""
    params = [
        pytest.param(MONGODB, marks=pytest.mark.mongo),
        pytest.param(
            POSTGRESQL,
            marks=[
                pytest.mark.postgres,
                pytest.mark.django_db(
                    databases={"default", POSTGRES_ALIAS}, transaction=transaction
                ),
            ],
        ),
    ]
    return [MONGOMOCK, *params] if mongomock else params


BACKENDS = backend_params()


def on_backends(
    *, mongomock: bool = False, transaction: bool = False
) -> pytest.MarkDecorator:
    """Run the test (or every test of a class or module, each of which must use the
    ``backend`` fixture) on ``backend_params(mongomock=…, transaction=…)``."""
    return pytest.mark.parametrize(
        "backend",
        backend_params(mongomock=mongomock, transaction=transaction),
        indirect=True,
    )


ORG = "acme-corp"
OTHER = "globex"
THIRD = "initech"
#: A principal allowed in both test organizations: the default of the request helpers.
BOTH = ("u_test", ORG, OTHER)

#: Keys MongoDB cannot store as they are (§5.5); every payload must round-trip them.
UNSAFE_KEYS = ["a.b", "$x", "~tilde", ""]

OPERATIONS = frozenset({"get", "save", "delete"})
SELECTORS = frozenset({"ids", "documents", "folder"})


@dataclass(frozen=True)
class Family:
    """How one resolver family looks on the wire and in MongoDB.

    ``fields`` returns the family's own keys of a minimal valid record (a fresh dict each
    call); ``record()`` adds the id and metadata. Families without a ``delete`` or ``save``
    route, or without the folder selector, say so in ``operations`` / ``selectors`` and the
    shared contracts skip them by not parametrizing over them.
    """

    #: Path prefix below ``/velt/``, e.g. ``"comments"`` for ``/velt/comments/get``.
    name: str
    collection: str
    #: The get selector listing record ids, e.g. ``"commentAnnotationIds"``.
    ids_field: str
    #: The save map keyed by record id, e.g. ``"commentAnnotation"``.
    map_field: str
    #: The record id of a delete request, e.g. ``"commentAnnotationId"``.
    id_field: str
    #: An ordinary save event and the event a delete request carries.
    add_event: str
    delete_event: str
    fields: Callable[[], dict[str, Any]]
    #: Top-level maps that merge entry by entry instead of being replaced (§5.3).
    keyed_maps: tuple[str, ...] = ()
    #: The id key inside a payload (``"annotationId"`` for annotations).
    id_key: str = "annotationId"
    #: The id field of the stored envelope (§5.2).
    stored_id: str = "annotationId"
    operations: frozenset[str] = field(default=OPERATIONS)
    selectors: frozenset[str] = field(default=SELECTORS)

    def __str__(self) -> str:
        return self.name

    def path(self, operation: str) -> str:
        return f"{self.name}/{operation}"

    def record(
        self,
        record_id: str,
        *,
        org: str = ORG,
        doc: str = "doc-1",
        folder: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A minimal valid payload as Velt sends it; ``extra`` adds or overrides keys."""
        metadata: dict[str, Any] = {
            "apiKey": "pk_test",
            "documentId": doc,
            "organizationId": org,
        }
        if folder is not None:
            metadata["folderId"] = folder
        return {self.id_key: record_id, "metadata": metadata, **self.fields(), **extra}

    def save_body(self, *payloads: dict[str, Any], **request: Any) -> dict[str, Any]:
        """A save request holding ``payloads`` keyed by their ids."""
        records = {p[self.id_key]: p for p in payloads}
        assert len(records) == len(payloads), "one request cannot hold one id twice"
        return {self.map_field: records, **request}

    def get_body(
        self, org: str = ORG, ids: list[Any] | None = None, **selectors: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"organizationId": org, **selectors}
        if ids is not None:
            body[self.ids_field] = ids
        return body

    def delete_body(
        self, record_id: str, org: str | None = ORG, **extra: Any
    ) -> dict[str, Any]:
        """A delete request; ``org=None`` leaves out the metadata (the org-less rule)."""
        body: dict[str, Any] = {self.id_field: record_id, "event": self.delete_event}
        if org is not None:
            body["metadata"] = {
                "apiKey": "pk_test",
                "documentId": "doc-1",
                "organizationId": org,
            }
        return {**body, **extra}


def _comment_fields() -> dict[str, Any]:
    return {
        "comments": {
            "100": {"commentId": 100, "commentText": "first", "from": {"userId": "u_1"}}
        }
    }


def _reaction_fields() -> dict[str, Any]:
    return {"icon": "1f680", "from": {"userId": "u_1"}}


COMMENTS = Family(
    name="comments",
    collection="velt_comment_annotations",
    ids_field="commentAnnotationIds",
    map_field="commentAnnotation",
    id_field="commentAnnotationId",
    add_event="comment_annotation.add",
    delete_event="comment_annotation.delete",
    fields=_comment_fields,
    keyed_maps=("comments",),
)
REACTIONS = Family(
    name="reactions",
    collection="velt_reaction_annotations",
    ids_field="reactionAnnotationIds",
    map_field="reactionAnnotation",
    id_field="reactionAnnotationId",
    add_event="reaction.add",
    delete_event="reaction.delete",
    fields=_reaction_fields,
)


def _recording_fields() -> dict[str, Any]:
    return {
        "from": {"userId": "u_1", "name": "Dana", "email": "dana@acme.example"},
        "attachments": [
            {"attachmentId": 905321, "url": "https://files.example/r.webm"}
        ],
        "transcription": {"transcriptedText": "hello", "lastUpdated": 1767225012000},
        "isUrlAvailable": True,
    }


RECORDINGS = Family(
    name="recordings",
    collection="velt_recorder_annotations",
    ids_field="recorderAnnotationIds",
    map_field="recorderAnnotation",
    id_field="recorderAnnotationId",
    add_event="recorder_annotation.add",
    delete_event="recorder_annotation.delete",
    fields=_recording_fields,
    keyed_maps=("recordingEditVersions", "chunkUrls"),
)

FAMILIES: tuple[Family, ...] = (COMMENTS, REACTIONS, RECORDINGS)


def families_with(*needs: str) -> list[Family]:
    """The families that have every operation or selector named in ``needs``."""
    return [f for f in FAMILIES if set(needs) <= f.operations | f.selectors]


def for_families(*needs: str) -> pytest.MarkDecorator:
    """Parametrize ``family`` over the families that have ``needs`` (class or function)."""
    return pytest.mark.parametrize("family", families_with(*needs), ids=str)


def other_family(family: Family) -> Family:
    """Some declared family other than ``family``, for "not my field" checks."""
    return next(f for f in FAMILIES if f.ids_field != family.ids_field)


def record_write(
    record_id: str = "A1",
    payload: dict[str, Any] | None = None,
    *,
    org: str = ORG,
    document_id: str | None = "doc-1",
    folder_id: str | None = None,
    id_key: str = "annotationId",
) -> RecordWrite:
    """What a parsed save hands the repository for one record (repository tier)."""
    return RecordWrite(
        organization_id=org,
        record_id=record_id,
        payload={id_key: record_id, **(payload or {})},
        document_id=document_id,
        folder_id=folder_id,
    )


# ---- the PostgreSQL tables, read as MongoDB envelopes ----------------------------------

#: Field of the stored MongoDB envelope (§5.2) → column of the PostgreSQL table.
SQL_COLUMNS = {
    # The row's primary key stands for the document's ``_id`` (an upsert keeps both).
    "_id": "pk",
    "organizationId": "organization_id",
    "annotationId": "annotation_id",
    "documentId": "document_id",
    "folderId": "folder_id",
    "payload": "payload",
    "rev": "rev",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "lastEvent": "last_event",
}


#: Where a table's envelope differs from ``SQL_COLUMNS``: envelope field → column, or
#: ``None`` for a field the envelope has not.
SQL_COLUMN_OVERRIDES: dict[str, dict[str, str | None]] = {
    "velt_notifications": {"annotationId": None, "notificationId": "annotation_id"},
    "velt_activities": {
        "annotationId": None,
        "folderId": None,
        "activityId": "activity_id",
    },
}


def storage_models() -> list[Any]:
    """velt_django's models of the PostgreSQL backend (``velt_django.routers``)."""
    from django.apps import apps

    return [
        model
        for model in apps.get_app_config("velt_django").get_models()
        if is_storage_model(model._meta.app_label, model._meta.model_name)
    ]


def sql_model(collection: str) -> Any | None:
    """The model whose table stands for the MongoDB ``collection`` (the tables take
    the collections' names), or ``None`` when the PostgreSQL backend has none yet."""
    return next((m for m in storage_models() if m._meta.db_table == collection), None)


def sql_envelopes(collection: str, **query: Any) -> list[dict[str, Any]]:
    """The rows of ``collection``'s table matching ``query`` (envelope field names, as a
    MongoDB filter of equalities), each as the MongoDB envelope of the same record,
    ordered by organization then insertion."""
    model = sql_model(collection)
    assert model is not None, f"no PostgreSQL table for {collection}"
    overrides = SQL_COLUMN_OVERRIDES.get(collection, {})
    columns = {
        field: column
        for field, column in {**SQL_COLUMNS, **overrides}.items()
        if column is not None
    }
    rows = model._default_manager.using(POSTGRES_ALIAS).filter(
        **{columns[field]: value for field, value in query.items()}
    )
    return [
        {field: row[column] for field, column in columns.items()}
        for row in rows.order_by("organization_id", "pk").values(*columns.values())
    ]
