"""The permission provider's request body: ``{"data": {"requests": [PermissionQuery]}}``,
validated as a whole before any question is decided (docs/permission-provider.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidInput, PayloadTooLarge
from ..validation.base import id_value

ORGANIZATION = "organization"
FOLDER = "folder"
DOCUMENT = "document"
CONTEXT = "context"
#: The resource types Velt documents; any other type is answered ``hasAccess: false``
#: without asking the policy.
RESOURCE_TYPES = frozenset({ORGANIZATION, FOLDER, DOCUMENT, CONTEXT})


@dataclass(frozen=True)
class Resource:
    """The resource of one question, as Velt sends it.

    ``type`` is ``"organization"``, ``"folder"``, ``"document"`` or ``"context"`` (any
    other string is kept, and refused); ``id`` is the organization, folder or document
    id (a context question carries its document's id); ``source`` names the SDK call
    that asked (``"identify"``, ``"setDocuments"``, …; ``None`` when absent);
    ``parent_folder_id`` is the document's folder, sent on document questions only;
    ``context`` is the Access Context object of a context question.
    """

    type: str
    id: str
    organization_id: str
    source: str | None = None
    parent_folder_id: str | None = None
    context: dict[str, Any] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PermissionQuery:
    """One question of a batch: may Velt user ``user_id`` access ``resource``?"""

    user_id: str
    resource: Resource


def _text(value: Any, where: str, *, required: bool = True) -> str | None:
    """A non-empty string id within ``MAX_ID_LENGTH``; numbers, objects (query
    operators such as ``{"$ne": null}``), arrays and booleans are refused."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where} must be a string")
    return id_value(value, where, required=True)


def _query(entry: Any, index: int) -> PermissionQuery:
    where = f"data.requests[{index}]"
    if not isinstance(entry, Mapping):
        raise InvalidInput(f"{where} must be an object")
    user_id = _text(entry.get("userId"), f"{where}.userId")
    resource = entry.get("resource")
    if not isinstance(resource, Mapping):
        raise InvalidInput(f"{where}.resource must be an object")
    where = f"{where}.resource"
    resource_id = _text(resource.get("id"), f"{where}.id")
    kind = _text(resource.get("type"), f"{where}.type")
    org = _text(resource.get("organizationId"), f"{where}.organizationId")
    source = _text(resource.get("source"), f"{where}.source", required=False)
    folder = None
    if "parentFolderId" in resource:
        folder = _text(resource["parentFolderId"], f"{where}.parentFolderId")
    context = resource.get("context")
    if context is not None and not isinstance(context, dict):
        raise InvalidInput(f"{where}.context must be an object")
    assert user_id is not None and resource_id is not None
    assert kind is not None and org is not None
    return PermissionQuery(
        user_id, Resource(kind, resource_id, org, source, folder, context)
    )


def parse_batch(body: Mapping[str, Any], max_batch: int) -> list[PermissionQuery]:
    """The questions of a request body, in order.

    Raises :class:`InvalidInput` (400) for any malformed entry, naming its index and
    field (never a value), and :class:`PayloadTooLarge` (413) beyond ``max_batch``
    questions: one bad entry refuses the whole batch.
    """
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise InvalidInput("data must be an object")
    requests = data.get("requests")
    if not isinstance(requests, list):
        raise InvalidInput("data.requests must be an array")
    if len(requests) > max_batch:
        raise PayloadTooLarge(
            f"data.requests holds more than {max_batch} permission requests"
        )
    return [_query(entry, index) for index, entry in enumerate(requests)]
