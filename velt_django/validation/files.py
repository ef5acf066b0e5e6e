"""Requests of the file endpoints: the JSON part of an upload and the JSON body of a file
delete (docs/wire-protocol.md, "Multipart uploads" and "File deletes")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidInput
from ..repository.files import AttachmentId
from .base import (
    document_of,
    event_value,
    id_value,
    optional_object,
    optional_string,
    organization_of,
)

_DIGITS = re.compile(r"[0-9]{1,18}")
#: Longest attachment id string kept as a string (Velt's are six digits).
MAX_ATTACHMENT_ID_LENGTH = 128
#: Longest URL accepted as a delete selector.
MAX_URL_LENGTH = 2048


def attachment_id_value(value: Any, field_name: str) -> AttachmentId | None:
    """An attachment id: integers and integral floats stay integers, digit strings become
    integers, other non-empty strings stay strings; ``None`` when absent. Objects,
    arrays, booleans and fractions are refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{field_name} must be a number or a string")
    if isinstance(value, int):
        if abs(value) >= 2**63:
            raise InvalidInput(f"{field_name} is out of range")
        return value
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**63:
            raise InvalidInput(f"{field_name} must be an integer")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _DIGITS.fullmatch(text):
            return int(text)
        checked = id_value(text, field_name, max_length=MAX_ATTACHMENT_ID_LENGTH)
        return checked
    raise InvalidInput(f"{field_name} must be a number or a string")


@dataclass
class UploadRequest:
    """What the JSON part of an upload says (file facts come from the file part)."""

    organization_id: str
    attachment_id: AttachmentId
    document_id: str | None = None
    folder_id: str | None = None
    comment_annotation_id: str | None = None
    api_key: str | None = None
    name: str | None = None
    mime_type: str | None = None
    event: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: The parsed JSON, for the API-key allowlist check.
    body: dict[str, Any] = field(default_factory=dict)


def parse_upload_request(
    request_json: dict[str, Any] | None, metadata_json: dict[str, Any] | None
) -> UploadRequest:
    """Build the upload from the ``request`` part, or from the ``metadata`` part of a
    hand-written callback when there is no ``request`` part."""
    if request_json is not None:
        body = request_json
        attachment = optional_object(body.get("attachment"), "attachment")
        metadata = optional_object(body.get("metadata"), "metadata")
    elif metadata_json is not None:
        attachment = {}
        metadata = metadata_json
        body = {"metadata": metadata}
    else:
        raise InvalidInput("the upload has no request part")

    attachment_id = attachment_id_value(
        attachment.get("attachmentId"), "attachment.attachmentId"
    )
    if attachment_id is None:
        attachment_id = attachment_id_value(
            metadata.get("attachmentId"), "metadata.attachmentId"
        )
    if attachment_id is None:
        raise InvalidInput("attachmentId is required")
    org = organization_of(metadata, "metadata")
    if org is None:
        raise InvalidInput("metadata.organizationId is required")
    known = {"attachmentId", "name", "mimeType"}
    return UploadRequest(
        organization_id=org,
        attachment_id=attachment_id,
        document_id=document_of(metadata, "metadata"),
        folder_id=id_value(metadata.get("folderId"), "metadata.folderId"),
        comment_annotation_id=id_value(
            metadata.get("commentAnnotationId"), "metadata.commentAnnotationId"
        ),
        api_key=id_value(metadata.get("apiKey"), "metadata.apiKey"),
        name=optional_string(attachment.get("name"), "attachment.name"),
        mime_type=optional_string(attachment.get("mimeType"), "attachment.mimeType"),
        event=event_value(body.get("event"), strict=False),
        # Extra keys of the attachment (e.g. additionalFields), kept as sent.
        extra={k: v for k, v in attachment.items() if k not in known},
        body=body,
    )


@dataclass
class FileDelete:
    """A file delete: which file(s) of which organization (``None``: the org-less
    delete, by attachment id)."""

    organization_id: str | None
    attachment_id: AttachmentId | None
    document_id: str | None
    url: str | None
    event: str | None


def parse_file_delete(body: dict[str, Any]) -> FileDelete:
    """``attachmentId`` (normalized like uploads) and/or ``url`` select. Without an
    organization the delete is org-less and needs the attachment id: a URL alone
    would have to be looked up across every organization."""
    metadata = optional_object(body.get("metadata"), "metadata")
    attachment_id = attachment_id_value(body.get("attachmentId"), "attachmentId")
    url = optional_string(body.get("url"), "url") or None
    if url is not None and len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"url is longer than {MAX_URL_LENGTH} characters")
    if attachment_id is None and url is None:
        raise InvalidInput("attachmentId is required")
    org = organization_of(metadata, "metadata")
    if org is None and attachment_id is None:
        raise InvalidInput("a delete by url alone needs metadata.organizationId")
    return FileDelete(
        organization_id=org,
        attachment_id=attachment_id,
        document_id=document_of(metadata, "metadata"),
        url=url,
        event=event_value(body.get("event"), strict=False),
    )
