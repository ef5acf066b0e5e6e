"""Validation helpers shared by every resolver family.

Velt's bodies are maps keyed by ids with open-ended payloads, so requests are validated by
small functions rather than field-declaring serializer classes: each returns plain values
or raises :class:`~velt_django.exceptions.InvalidInput` (400) with a message naming the
field, never its content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from ..conf import velt_settings
from ..exceptions import InvalidInput
from ..repository.base import RecordWrite

logger = logging.getLogger(__name__)


def id_value(
    value: Any, field: str, *, required: bool = False, max_length: int | None = None
) -> str | None:
    """One id: strings pass, numbers are written as strings, ``null`` means absent.

    Objects, arrays and booleans are refused, so query operators such as
    ``{"$ne": null}`` never reach the database.
    """
    if value is None:
        if required:
            raise InvalidInput(f"{field} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidInput(f"{field} must be a string")
    if isinstance(value, float):
        if not value.is_integer():
            raise InvalidInput(f"{field} must be a string")
        value = int(value)
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} is not valid Unicode text") from None
    if text == "":
        if required:
            raise InvalidInput(f"{field} must not be empty")
        return None
    limit = velt_settings.MAX_ID_LENGTH if max_length is None else max_length
    if len(text) > limit:
        raise InvalidInput(f"{field} is longer than {limit} characters")
    return text


def optional_organization(value: Any, field: str) -> str | None:
    """An organization id that may be absent: missing, ``null`` and blank strings
    (whitespace only) all mean "no organization"; anything else follows
    :func:`id_value`."""
    if isinstance(value, str) and not value.strip():
        return None
    return id_value(value, field)


def id_list(value: Any, field: str) -> list[str]:
    """An id array: ``null``/missing/empty mean absent; elements become strings;
    duplicates are dropped; more than ``MAX_ID_LIST_LENGTH`` entries is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{field} must be an array of strings")
    limit = velt_settings.MAX_ID_LIST_LENGTH
    if len(value) > limit:
        raise InvalidInput(f"{field} has more than {limit} entries")
    max_length = velt_settings.MAX_ID_LENGTH  # read once, not per id
    seen: dict[str, None] = {}
    for item in value:
        text = id_value(item, f"{field}[]", max_length=max_length)
        if text is not None:
            seen[text] = None
    return list(seen)


def optional_object(value: Any, field: str) -> dict[str, Any]:
    """An optional JSON object; ``null``/missing give ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be an object")
    return value


def optional_string(value: Any, field: str) -> str | None:
    """An optional free-form string; lone surrogates (``"\\ud800"`` in the JSON text)
    are refused: no database or storage can take them."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} is not valid Unicode text") from None
    return value


#: Longest ``event`` kept; Velt's own values (docs/wire-protocol.md, "Event values") are
#: under 40 characters.
MAX_EVENT_LENGTH = 100
_EVENT_UNSAFE = re.compile(r"[^A-Za-z0-9_.:-]")


def event_value(value: Any, *, strict: bool = True) -> str | None:
    """The ``event`` of a save or delete, made safe to log and store.

    ``event`` is free-form client text (unknown values must be accepted), so it is cut
    to :data:`MAX_EVENT_LENGTH` characters and every character outside ``A-Z a-z 0-9 _ . :
    -`` becomes ``_``; Velt's values pass unchanged. A non-string is refused when
    ``strict`` (saves, where the event selects behaviour), otherwise ignored (deletes, where
    it is informational: refusing would leave the record undeletable).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        if strict:
            raise InvalidInput("event must be a string")
        return None
    return _EVENT_UNSAFE.sub("_", value[:MAX_EVENT_LENGTH]) or None


def _first_id(
    metadata: Mapping[str, Any], field: str, keys: tuple[str, str]
) -> str | None:
    for key in keys:
        found = id_value(metadata.get(key), f"{field}.{key}")
        if found is not None:
            return found
    return None


def organization_of(metadata: Mapping[str, Any], field: str) -> str | None:
    """The organization named by a metadata object, ``clientOrganizationId`` first."""
    return _first_id(metadata, field, ("clientOrganizationId", "organizationId"))


def document_of(metadata: Mapping[str, Any], field: str) -> str | None:
    """The document named by a metadata object, ``clientDocumentId`` first."""
    return _first_id(metadata, field, ("clientDocumentId", "documentId"))


def record_writes(
    records_map: Any,
    source: str,
    id_key: str,
    family: str,
    request_org: str | None,
    request_doc: str | None,
    request_folder: str | None = None,
    *,
    with_folder: bool = True,
) -> list[RecordWrite]:
    """The records of a save map (``<id> → payload``), each with its organization,
    document and folder (docs/wire-protocol.md, "The organization of a request").

    The map must be an object of at most ``MAX_RECORDS_PER_SAVE`` objects. The map key is
    the record id and wins over the payload's ``id_key``. A record's organization
    and document come from its own metadata (``client…`` first), then from the
    request's; a record with no organization fails the whole request.
    """
    if not isinstance(records_map, dict):
        raise InvalidInput(f"{source} must be an object keyed by {id_key}")
    limit = velt_settings.MAX_RECORDS_PER_SAVE
    if len(records_map) > limit:
        raise InvalidInput(f"{source} holds more than {limit} records")
    records: list[RecordWrite] = []
    for key, payload in records_map.items():
        record_id = id_value(key, f"{source} key", required=True)
        assert record_id is not None
        if not isinstance(payload, dict):
            raise InvalidInput(f"{source} entries must be objects")
        if id_key in payload and payload[id_key] != record_id:
            logger.warning(
                "%s save: payload %s differs from its map key %s; the key wins",
                family,
                id_key,
                record_id,
            )
        payload[id_key] = record_id
        md = payload.get("metadata")
        md = md if isinstance(md, dict) else {}
        org = organization_of(md, f"{source}.metadata") or request_org
        if org is None:
            raise InvalidInput(f"no organizationId for a record of {source}")
        folder = None
        if with_folder:
            folder = (
                id_value(md.get("folderId"), f"{source}.metadata.folderId")
                or request_folder
            )
        records.append(
            RecordWrite(
                organization_id=org,
                record_id=record_id,
                payload=payload,
                document_id=document_of(md, f"{source}.metadata") or request_doc,
                folder_id=folder,
            )
        )
    return records
