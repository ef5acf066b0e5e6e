"""Names and keys of stored files (docs/files.md, "Where it lands"): the storage key of
an upload, the public id in its private URL, and the client's file name made safe to
keep.

Storage keys are made here and never from anything the client names:
``<FILE_KEY_PREFIX><scope>/<organization>/<document>/<random id>``, where organization and
document are kept as they are when they are short and plain (``[A-Za-z0-9_-]``), else
replaced by a digest. The client's file name is kept in the record only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

from ..conf import velt_settings

#: Stored ``scope`` values: ``attachment`` (``attachments/*``) and ``recording``
#: (``recordings/files/*``).
SCOPES = ("attachment", "recording")

_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{22}")
#: Longest file name kept (in the record, the URL and ``Content-Disposition``).
MAX_NAME_LENGTH = 200


def clean_name(name: str | None) -> str:
    """A client's file name made safe to keep, show and send back in a header: the last
    path component only, control and format characters, ``"``, ``<`` and ``>`` removed,
    leading and trailing spaces and dots stripped, at most :data:`MAX_NAME_LENGTH`
    characters; ``"file"`` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        ch for ch in text if unicodedata.category(ch)[0] != "C" and ch not in '"<>'
    ).strip(" .")
    return text[:MAX_NAME_LENGTH] or "file"


def _segment(value: str | None) -> str:
    if value is None:
        return "_"
    if _PLAIN_SEGMENT.fullmatch(value):
        return value
    return "h-" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def new_storage_key(scope: str, organization_id: str, document_id: str | None) -> str:
    """A fresh key no upload has had before (128 random bits)."""
    return f"{velt_settings.FILE_KEY_PREFIX}{scope}/{_segment(organization_id)}/{_segment(document_id)}/{secrets.token_urlsafe(16)}"


#: ``<organization>/<document>/<random id>`` of a key (the id has a public id's shape).
_KEY_TAIL = re.compile(
    f"{_PLAIN_SEGMENT.pattern}/{_PLAIN_SEGMENT.pattern}/{_PUBLIC_ID.pattern}"
)


def is_storage_key(name: str, scope: str) -> bool:
    """Whether ``name`` has the shape of a key :func:`new_storage_key` makes for
    ``scope`` under the current ``FILE_KEY_PREFIX``."""
    head = f"{velt_settings.FILE_KEY_PREFIX}{scope}/"
    return name.startswith(head) and bool(_KEY_TAIL.fullmatch(name[len(head) :]))


def new_public_id() -> str:
    """The capability part of a private URL: 22 characters, 128 random bits."""
    return secrets.token_urlsafe(16)


def is_public_id(value: str) -> bool:
    return bool(_PUBLIC_ID.fullmatch(value))
