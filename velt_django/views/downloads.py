"""The stable private URL of a stored file (docs/files.md, "The URL handed to Velt"):
``f/<public id>/<name>``."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any, ClassVar

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

from .. import cors
from ..access import principal_id
from ..conf import velt_settings
from ..exceptions import StorageError
from ..files.content_types import base_type, served_inline
from ..files.downloads import presigned_url
from ..files.keys import is_public_id
from ..files.signing import signature_valid
from ..files.storage import storage_of
from ..repository.backend import resolve
from ..repository.files import FileRepository
from .base import CorsNoStoreMixin, ResolverView

logger = logging.getLogger(__name__)

_STREAM_CHUNK = 256 * 1024


#: A single byte range. Positions of more than 18 ASCII digits (past 10**18 bytes, far
#: beyond any file) do not match, so ``int()`` never sees thousands of digits.
_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")
_TYPE_TOKEN = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _byte_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """A single ``Range`` as (start, end inclusive); ``None`` to serve the whole file
    (no header, several ranges or an unparsable one); ``False`` if unsatisfiable.

    Per RFC 9110 §14.2 a server may ignore a ``Range`` it does not parse: several ranges,
    other units and positions longer than :data:`_RANGE` allows get the whole file
    (200). A parsed range is answered per §14.1.2: a start at or past the end is
    unsatisfiable (416); an end past it, or a suffix longer than the file, is clamped to
    the last byte (206)."""
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
    """The stable private URL of a file: ``<prefix>f/<public id>/<name>``.

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

    def options(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # A fetch() with a bearer token from another origin preflights a GET.
        return cors.preflight_response(request._request, "GET, HEAD, OPTIONS")

    def perform_authentication(self, request: Request) -> None:
        # A valid signature needs no credential, so a credential that fails (an expired
        # or garbage bearer token) counts as none: the throttles' principal key and the
        # access check then see an anonymous caller instead of raising 401. DRF has set
        # the request's user and auth to anonymous when the authenticator raised. Without
        # a valid signature, get() refuses the anonymous caller with 401 as before.
        with contextlib.suppress(
            drf_exceptions.AuthenticationFailed, drf_exceptions.NotAuthenticated
        ):
            request.user  # noqa: B018 - runs the authenticators

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # The path holds the capability and the file's name: Django's request logger
        # must not write it (no capability in the logs); failures were logged here
        # without it.
        response._has_been_logged = True
        if response.status_code in (200, 206, 304):
            response["Cache-Control"] = "private, max-age=3600"
        return response

    def get(self, request: Request, public_id: str, name: str = "") -> HttpResponseBase:
        record = (
            resolve(FileRepository)().by_public_id(public_id)
            if is_public_id(public_id)
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
        if "signature" in modes and signature_valid(
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
        mime = base_type(str(record.get("mimeType") or ""))
        content_type = (
            mime if _TYPE_TOKEN.fullmatch(mime) else "application/octet-stream"
        )
        inline = served_inline(content_type)
        disposition = (
            content_disposition_header(not inline, str(record.get("name") or "file"))
            or "inline"
        )
        storage = storage_of(record)
        key = str(record["storageKey"])
        etag = '"{}"'.format(record.get("sha256", ""))

        target = presigned_url(
            record, content_type, disposition, head=request.method == "HEAD"
        )
        if target is not None:
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
