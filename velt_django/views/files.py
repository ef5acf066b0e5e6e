"""File endpoints (CONTRACT §9-§11): multipart uploads and JSON deletes for the
``attachment`` and ``recording`` scopes, and the private download route whose URL is
what Velt stores.

Uploads run on :class:`~velt_django.views.base.ResolverView` (envelope, authentication,
organization policy, CORS, throttling), with these differences from the JSON resolvers:
the body is never read into memory but streamed into a temporary file after
authentication, and its size limit is the scope's (``ATTACHMENT_MAX_SIZE`` /
``RECORDING_MAX_SIZE``): a declared ``Content-Length`` over it is refused before any byte
is read, and a file part that passes it is refused while it streams.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any, ClassVar

from django.core.files.storage import storages
from django.core.files.storage.handler import InvalidStorageError
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from rest_framework import exceptions as drf_exceptions
from rest_framework.request import Request
from rest_framework.views import APIView

from .. import cors, files, responses
from ..bodies import declared_length
from ..conf import MiB, velt_settings
from ..exceptions import Forbidden, InvalidInput, ResolverError, StorageError
from ..repository.files import FileRepository
from ..serializers.files import parse_file_delete, parse_upload_request
from ..uploads import ParsedUpload, parse_upload
from .base import (
    ALLOWED_METHODS,
    CorsNoStoreMixin,
    ResolverView,
    check_api_keys,
    parse_json_object,
)

logger = logging.getLogger(__name__)

#: Most bytes an upload may carry besides the file (boundaries, part headers, the
#: ``request`` part); a declared length over limit + this is refused unread.
FORM_OVERHEAD = 1 * MiB
#: Largest ``request``/``metadata`` part (Velt's is a few hundred bytes).
MAX_JSON_PART = 256 * 1024
_STREAM_CHUNK = 256 * 1024


def principal_id(request: Request) -> str | None:
    """The id of the authenticated caller (token ``sub``, or the user's id), if any."""
    claims = getattr(request, "auth", None)
    if isinstance(claims, Mapping):
        sub = claims.get("sub")
        if isinstance(sub, str) and sub:
            return sub
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    value = getattr(user, "user_id", None) or getattr(user, "pk", None)
    return None if value is None else str(value)


class UploadFileView(ResolverView):
    """``attachments/save`` and ``recordings/files/save``: store the ``file`` part and
    answer ``{"url": …}`` (§9.2-§9.5)."""

    action = "save"
    scope: ClassVar[str] = "attachment"
    #: The ``family`` of the ``record_saved`` signal (:mod:`velt_django.signals`).
    family: ClassVar[str] = "attachments"
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
            # Deletes the temporary file (storage copied or moved it already).
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
        mime_type = files.base_type(mime_type) or "application/octet-stream"
        if not files.type_allowed(mime_type):
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
            "name": files.clean_name(parsed.name or upload.file.name),
            "mimeType": mime_type,
            "event": parsed.event,
            "extra": FileRepository.escape_extra(parsed.extra),
            "uploadedBy": principal_id(request),
        }
        stored = files.store(
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


class UploadRecordingFileView(UploadFileView):
    scope = "recording"
    family = "recording-files"


class DeleteFileView(ResolverView):
    """``attachments/delete`` and ``recordings/files/delete`` (§9.6): the object and its
    record, within one organization the caller may delete from; an ambiguous id
    deletes nothing (§11.1)."""

    action = "delete"
    scope: ClassVar[str] = "attachment"
    family: ClassVar[str] = "attachments"

    def handle(self, request: Request, body: Any) -> HttpResponse:
        delete = parse_file_delete(body)
        org = delete.organization_id
        self.authorize(request, org, [delete.document_id] if delete.document_id else [])
        repo = FileRepository()
        # A URL only ever narrows a lookup inside this organization and scope; no file is
        # chosen by where a client says it is.
        found = repo.candidates(
            org,
            self.scope,
            attachment_id=delete.attachment_id,
            document_id=delete.document_id,
            url=delete.url,
            public_id=files.public_id_of_url(delete.url) if delete.url else None,
        )
        if self.document_scoped:
            docs = sorted({str(r["documentId"]) for r in found if r.get("documentId")})
            if docs:
                self.authorize(request, org, docs)
        if len(found) > 1:
            marked = repo.flag_delete_requested([str(r["storageKey"]) for r in found])
            logger.warning(
                "%s delete org=%s attachment=%s is ambiguous: %d files match, none "
                "deleted, %d flagged",
                self.scope,
                org,
                delete.attachment_id,
                len(found),
                marked,
            )
        elif found:
            files.remove_file(found[0])
            self.notify_written(
                "deleted", self.family, org, [str(found[0]["publicId"])], delete.event
            )
        logger.info(
            "%s delete org=%s attachment=%s event=%s matched=%d",
            self.scope,
            org,
            delete.attachment_id,
            delete.event,
            len(found),
        )
        return responses.success()


class DeleteRecordingFileView(DeleteFileView):
    scope = "recording"
    family = "recording-files"


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_TYPE_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """A single ``Range`` as (start, end inclusive); ``None`` to serve the whole file
    (no header, several ranges or an unparsable one); ``False`` if unsatisfiable."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            return False
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return False
    return start, end


def _chunks(handle: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(_STREAM_CHUNK, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        handle.close()


class FileDownloadView(CorsNoStoreMixin):
    """The stable private URL of a file (§9.5): ``<prefix>f/<public id>/<name>``.

    Access is decided per request, by ``VELT["FILE_ACCESS"]``: ``"signature"`` admits
    the URL's ``sig`` parameter when it is the HMAC of this file and its organization;
    ``"session"`` admits a caller that the resolver authentication recognises (the
    Django session cookie an ``<img>`` sends, or a bearer token on a ``fetch``) and that
    the ``ORGANIZATION_ACCESS`` policy allows to ``get`` the file's organization and
    document. Then the file is streamed (local storage; ``Range`` supported) or the
    caller is redirected to a short-lived presigned URL (S3).
    """

    permission_classes: ClassVar[list[Any]] = []  # type: ignore[misc]
    renderer_classes = ResolverView.renderer_classes
    versioning_class = None

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in velt_settings.AUTHENTICATION_CLASSES]

    get_throttles = ResolverView.get_throttles
    get_exception_handler = ResolverView.get_exception_handler
    perform_content_negotiation = ResolverView.perform_content_negotiation

    def perform_authentication(self, request: Request) -> None:
        # Lazy: a valid signature needs no credential, so a stale header must not 401.
        return None

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # The path holds the capability and the file's name: Django's request logger
        # must not write it (§16.7); failures were logged here without it.
        response._has_been_logged = True
        if response.status_code in (200, 206, 304):
            response["Cache-Control"] = "private, max-age=3600"
        return response

    def get(self, request: Request, public_id: str, name: str = "") -> HttpResponseBase:
        record = (
            FileRepository().by_public_id(public_id)
            if files.is_public_id(public_id)
            else None
        )
        if record is None or record.get("external"):
            raise drf_exceptions.NotFound()
        org = str(record["organizationId"])
        scope = str(record.get("scope"))
        if not self.admitted(request, record):
            logger.info("%s download org=%s refused", scope, org)
            if principal_id(request) is None:
                raise drf_exceptions.NotAuthenticated()
            raise drf_exceptions.PermissionDenied()
        return self.serve(request, record)

    def admitted(self, request: Request, record: Mapping[str, Any]) -> bool:
        org = str(record["organizationId"])
        modes = velt_settings.FILE_ACCESS
        signature = request.query_params.get("sig", "")
        if "signature" in modes and files.signature_valid(
            str(record["publicId"]), org, signature
        ):
            return True
        if "session" in modes and principal_id(request) is not None:
            doc = record.get("documentId")
            hook = velt_settings.ORGANIZATION_ACCESS
            return bool(hook(request, "get", org, [str(doc)] if doc else []))
        return False

    def serve(self, request: Request, record: Mapping[str, Any]) -> HttpResponseBase:
        scope = str(record.get("scope"))
        org = str(record["organizationId"])
        mime = files.base_type(str(record.get("mimeType") or ""))
        content_type = (
            mime if _TYPE_TOKEN.fullmatch(mime) else "application/octet-stream"
        )
        inline = files.served_inline(content_type)
        disposition = (
            content_disposition_header(not inline, str(record.get("name") or "file"))
            or "inline"
        )
        try:
            storage = storages[str(record.get("storage") or "default")]
        except InvalidStorageError:
            logger.error(
                "%s download org=%s: its storage is not configured", scope, org
            )
            raise StorageError("storage missing") from None
        key = str(record["storageKey"])
        etag = '"{}"'.format(record.get("sha256", ""))

        if _redirects(storage):
            try:
                target = storage.url(  # type: ignore[call-arg]
                    key,
                    parameters={
                        "ResponseContentType": content_type,
                        "ResponseContentDisposition": disposition or "inline",
                    },
                    expire=velt_settings.FILE_REDIRECT_SECONDS,
                    # S3 signs the method: a HEAD sent to a URL presigned for GET
                    # fails with 403, so a HEAD is redirected to a URL signed for HEAD.
                    http_method="HEAD" if request.method == "HEAD" else None,
                )
            except Exception as err:
                logger.error(
                    "%s download org=%s: presign failed (%s)",
                    scope,
                    org,
                    type(err).__name__,
                )
                raise StorageError("presign failed") from err
            response: HttpResponseBase = HttpResponseRedirect(target)
            response["Cache-Control"] = "no-store"
            return response

        size = int(record.get("size") or 0)
        headers = {
            "Content-Type": content_type,
            "Accept-Ranges": "bytes",
            "ETag": etag,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
        headers["Content-Disposition"] = disposition
        if request.headers.get("If-None-Match") == etag:
            return HttpResponse(status=304, headers=headers)
        byte_range = _byte_range(request.headers.get("Range"), size)
        if_range = request.headers.get("If-Range")
        if if_range is not None and if_range != etag:
            byte_range = None
        if byte_range is False:
            headers["Content-Range"] = f"bytes */{size}"
            return HttpResponse(status=416, headers=headers)
        if request.method == "HEAD":
            headers["Content-Length"] = str(size)
            return HttpResponse(status=200, headers=headers)
        try:
            handle = storage.open(key, "rb")
        except FileNotFoundError:
            logger.error("%s download org=%s: the stored object is missing", scope, org)
            raise drf_exceptions.NotFound() from None
        except Exception as err:
            logger.error(
                "%s download org=%s: storage read failed (%s)",
                scope,
                org,
                type(err).__name__,
            )
            raise StorageError("storage read failed") from err
        if isinstance(byte_range, tuple):
            start, end = byte_range
            length = end - start + 1
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            headers["Content-Length"] = str(length)
            return StreamingHttpResponse(
                _chunks(handle, start, length), status=206, headers=headers
            )
        response = FileResponse(handle, status=200)
        # FileResponse guesses type and name from the storage key; ours win.
        for header, value in headers.items():
            response[header] = value
        response["Content-Length"] = str(size)
        return response


def _redirects(storage: Any) -> bool:
    """Whether files of ``storage`` are served by a redirect to a presigned URL
    (django-storages' S3 backend) rather than streamed through Django."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # the s3 extra is not installed
        return False
    return isinstance(storage, S3Storage)
