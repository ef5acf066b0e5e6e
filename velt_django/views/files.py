"""File endpoints (docs/files.md): multipart uploads and JSON deletes for the
``attachment`` and ``recording`` scopes (the stable URL they hand out is served by
:mod:`velt_django.views.downloads`).

Uploads run on :class:`~velt_django.views.base.ResolverView` (envelope, authentication,
organization policy, CORS, throttling), with these differences from the JSON resolvers:
the body is never read whole but streamed after authentication (in memory up to
Django's ``FILE_UPLOAD_MAX_MEMORY_SIZE``, into a temporary file past it), and its size limit is the scope's (``ATTACHMENT_MAX_SIZE`` /
``RECORDING_MAX_SIZE``): a declared ``Content-Length`` over it is refused before any byte
is read, and a file part that passes it is refused while it streams.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from django.http import (
    HttpResponse,
    HttpResponseBase,
)
from rest_framework import exceptions as drf_exceptions
from rest_framework.request import Request
from rest_framework.views import APIView

from .. import cors, responses
from ..access import check_api_keys, principal_id
from ..bodies import declared_length, parse_json_object
from ..conf import MiB, velt_settings
from ..exceptions import Forbidden, InvalidInput, ResolverError
from ..files.content_types import base_type, type_allowed
from ..files.keys import clean_name
from ..files.signing import public_id_of_url
from ..files.storage import remove_file, store
from ..files.uploads import ParsedUpload, parse_upload
from ..repository.backend import resolve
from ..repository.files import UPLOADER_VELT_ID, FileRepository
from ..validation.files import parse_file_delete, parse_upload_request
from .base import ALLOWED_METHODS, ResolverView

logger = logging.getLogger(__name__)

#: Most bytes an upload may carry besides the file (boundaries, part headers, the
#: ``request`` part); a declared length over limit + this is refused unread.
FORM_OVERHEAD = 1 * MiB
#: Largest ``request``/``metadata`` part (Velt's is a few hundred bytes).
MAX_JSON_PART = 256 * 1024
_STREAM_CHUNK = 256 * 1024


class FileUploadView(ResolverView):
    """The upload of one file scope: store the ``file`` part and answer
    ``{"url": …}`` (docs/files.md, docs/wire-protocol.md "Multipart uploads")."""

    action = "save"
    scope: ClassVar[str]
    #: The ``family`` of the ``record_saved`` signal (:mod:`velt_django.signals`).
    family: ClassVar[str]
    upload: ParsedUpload | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method not in ALLOWED_METHODS:
            raise drf_exceptions.MethodNotAllowed(request.method or "")
        if request.method == "OPTIONS":
            return
        django_request = request._request
        if not cors.cookie_origin_allowed(django_request):
            logger.info("upload with a session cookie from a disallowed origin")
            raise Forbidden("Origin not allowed.")
        content_type = django_request.META.get("CONTENT_TYPE", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise drf_exceptions.UnsupportedMediaType(content_type)
        max_size = velt_settings.max_file_size(self.scope)
        if declared_length(django_request) > max_size + FORM_OVERHEAD:
            raise files_too_large(max_size)
        # Authentication, permissions and throttles before a byte of the body is read.
        APIView.initial(self, request, *args, **kwargs)
        self.upload = parse_upload(django_request, max_size, MAX_JSON_PART)

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # Frees the file part (a temporary file is deleted; storage copied or moved it).
            if self.upload is not None:
                self.upload.close()

    def post(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        upload = self.upload
        assert upload is not None
        request_json = (
            parse_json_object(upload.request_text.encode("utf-8"))
            if upload.request_text is not None
            else None
        )
        metadata_json = (
            parse_json_object(upload.metadata_text.encode("utf-8"))
            if upload.metadata_text is not None and request_json is None
            else None
        )
        parsed = parse_upload_request(request_json, metadata_json)
        check_api_keys(parsed.body)
        if upload.file is None:
            raise InvalidInput("the upload has no file part")
        org = parsed.organization_id
        self.authorize(request, org, [parsed.document_id] if parsed.document_id else [])

        mime_type = parsed.mime_type or upload.file.content_type or ""
        mime_type = base_type(mime_type) or "application/octet-stream"
        if not type_allowed(mime_type):
            logger.info(
                "%s upload org=%s refused: content type not allowed", self.scope, org
            )
            raise ResolverError(
                "This file type is not accepted.",
                status_code=415,
                error_code="UNSUPPORTED_MEDIA_TYPE",
            )
        record = {
            "organizationId": org,
            "documentId": parsed.document_id,
            "folderId": parsed.folder_id,
            "attachmentId": parsed.attachment_id,
            "commentAnnotationId": parsed.comment_annotation_id,
            "apiKey": parsed.api_key,
            "name": clean_name(parsed.name or upload.file.name),
            "mimeType": mime_type,
            "event": parsed.event,
            "extra": FileRepository.escape_extra(parsed.extra),
            "uploadedBy": principal_id(request),
            # Marks uploadedBy as a Velt user id: older records of session uploads
            # hold the Django pk instead (FileRepository.find_by_uploader).
            "uploadedByKind": UPLOADER_VELT_ID,
        }
        stored = store(
            request._request,
            scope=self.scope,
            content=upload.file,
            size=upload.size,
            sha256=upload.sha256,
            record=record,
        )
        logger.info(
            "%s upload org=%s attachment=%s size=%d %s",
            self.scope,
            org,
            parsed.attachment_id,
            upload.size,
            "stored" if stored.created else "was a retry",
        )
        if stored.created:
            self.notify_written(
                "saved", self.family, org, [stored.public_id], parsed.event
            )
        return responses.success({"url": stored.url})


def files_too_large(limit: int) -> ResolverError:
    return ResolverError(
        f"The file exceeds {limit} bytes.",
        status_code=413,
        error_code="PAYLOAD_TOO_LARGE",
    )


class UploadAttachmentView(FileUploadView):
    """``attachments/save``: a comment attachment."""

    scope = "attachment"
    family = "attachments"


#: The former name of :class:`UploadAttachmentView`, kept for hosts that import it.
UploadFileView = UploadAttachmentView


class UploadRecordingFileView(FileUploadView):
    """``recordings/files/save``: a recording's media file."""

    scope = "recording"
    family = "recording-files"


class DeleteFileView(ResolverView):
    """``attachments/delete`` and ``recordings/files/delete``: the object and its
    record, within one organization the caller may delete from, or, without one, among
    the files of the organizations and documents the caller may delete from (the org-less
    delete); an ambiguous id deletes nothing (docs/files.md, "Colliding ids and
    deletes")."""

    action = "delete"
    scope: ClassVar[str] = "attachment"
    family: ClassVar[str] = "attachments"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        delete = parse_file_delete(body)
        org = delete.organization_id
        if org is not None:
            self.authorize(
                request, org, [delete.document_id] if delete.document_id else []
            )
        repo = resolve(FileRepository)()
        # A URL only ever narrows a lookup inside this organization (or, org-less, the
        # attachment id's files) and scope; no file is chosen by where a client says it
        # is.
        found = repo.candidates(
            org,
            self.scope,
            attachment_id=delete.attachment_id,
            document_id=delete.document_id,
            url=delete.url,
            public_id=public_id_of_url(delete.url) if delete.url else None,
        )
        if org is None:
            found = self.deletable(request, found)
        elif self.document_scoped:
            docs = sorted({str(r["documentId"]) for r in found if r.get("documentId")})
            if docs:
                self.authorize(request, org, docs)
        if len(found) > 1:
            marked = repo.flag_delete_requested([str(r["storageKey"]) for r in found])
            logger.warning(
                "%s delete org=%s attachment=%s is ambiguous: %d files match, none "
                "deleted, %d flagged",
                self.scope,
                org or "-",
                delete.attachment_id,
                len(found),
                marked,
            )
        elif found:
            remove_file(found[0])
            self.notify_written(
                "deleted",
                self.family,
                str(found[0]["organizationId"]),
                [str(found[0]["publicId"])],
                delete.event,
            )
        logger.info(
            "%s delete org=%s attachment=%s event=%s matched=%d",
            self.scope,
            org or "-",
            delete.attachment_id,
            delete.event,
            len(found),
        )
        return responses.success()

    def deletable(
        self, request: Request, found: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """The files of an org-less delete this caller may delete: the policy is asked
        once per organization and document the files are stored under. The others are
        left out unmentioned (no 403: that would tell which organization holds them)."""
        decisions: dict[tuple[str, str | None], bool] = {}
        kept = []
        for record in found:
            doc = record.get("documentId")
            where = (str(record["organizationId"]), str(doc) if doc else None)
            if where not in decisions:
                decisions[where] = self.is_allowed(
                    request, where[0], [where[1]] if where[1] else []
                )
            if decisions[where]:
                kept.append(record)
        return kept


class DeleteRecordingFileView(DeleteFileView):
    scope = "recording"
    family = "recording-files"
