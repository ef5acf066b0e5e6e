"""The merge rule of saves (docs/wire-protocol.md, "Merge rule"), independent of any
collection or family.

Two equivalent forms of one rule:

* :func:`merge_payload` merges whole payloads in Python (the read-merge-write path);
* :func:`merge_update` expresses the same merge as dotted ``$set``/``$unset`` paths, so a
  save is one atomic upsert that never reads first and never loses a concurrent writer's
  entries: two replies saved at once both stay.

``merged_keys`` are ``metadata`` plus the family's keyed maps (``comments``,
``recordingEditVersions`` …): when the incoming value is an object, they merge entry by
entry; every other incoming key replaces the stored value; absent keys are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .keys import WRAPPED

Document = dict[str, Any]


def js_string(value: Any) -> str:
    """``String(value)`` as JavaScript would write it, for comparing ids of any JSON type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def merge_payload(
    stored: Mapping[str, Any], incoming: Mapping[str, Any], merged_keys: Iterable[str]
) -> Document:
    """Merge ``incoming`` into ``stored`` (both unescaped); returns a new payload."""
    merged_set = set(merged_keys)
    result = dict(stored)
    for key, value in incoming.items():
        if key in merged_set and isinstance(value, dict):
            current = result.get(key)
            if isinstance(current, dict):
                combined = dict(current)
                combined.update(value)
                result[key] = combined
            else:
                result[key] = dict(value)
        else:
            result[key] = value
    return result


def merge_update(
    escaped: Mapping[str, Any], merged_keys: Iterable[str], prefix: str = "payload"
) -> tuple[Document, Document] | None:
    """The merge of an escaped payload as ``($set, $unset)`` documents below ``prefix``.

    Returns ``None`` when dotted paths cannot express the merge: an empty object under a
    merged key must still turn a missing or non-object stored value into ``{}``, which
    only the read-merge-write path can do without overwriting stored entries.

    Non-object values of merged keys arrive wrapped as ``{WRAPPED: value}`` (see
    :func:`~velt_django.repository.keys.escape_payload`) and replace the stored value
    whole; an object merged entry by entry also drops a stored wrapper, so the stored
    value becomes that object, as the merge rule requires of a stored value that is not
    an object.
    """
    merged = set(merged_keys)
    to_set: Document = {}
    to_unset: Document = {}
    for key, value in escaped.items():
        path = f"{prefix}.{key}"
        if key in merged and WRAPPED not in value:
            if not value:
                return None
            for entry, entry_value in value.items():
                to_set[f"{path}.{entry}"] = entry_value
            to_unset[f"{path}.{WRAPPED}"] = ""
        else:
            to_set[path] = value
    return to_set, to_unset
