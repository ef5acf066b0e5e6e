"""Streaming multipart parsing of Velt's file uploads (docs/wire-protocol.md,
"Multipart uploads").

Django's :class:`~django.http.multipartparser.MultiPartParser` reads the body in 64 KiB
chunks and hands each file part to :class:`VeltUploadHandler`, which

* keeps the ``file`` part in memory up to Django's ``FILE_UPLOAD_MAX_MEMORY_SIZE``
  (2.5 MiB by default) and moves it to a temporary file in ``FILE_UPLOAD_TEMP_DIR`` once
  it grows past that, measuring its size and SHA-256 on the way, and stops with
  :class:`FileTooLarge` as soon as the scope's limit is passed, so an oversized upload is
  refused while it streams (creating the temporary file was a quarter of the worker's
  time for a 256 KiB attachment; the memory a worker holds stays bounded by that setting
  per request in flight);
* keeps a ``request``/``metadata`` part sent as a ``Blob`` (a file part) in memory, up to
  the caller's ``max_json_size`` (the upload views pass 256 KiB);
* drops every other file part after counting it against the same limit (all such parts
  together).

Whatever happens, :func:`parse_upload` leaves no temporary file behind on failure; on
success the caller owns the returned file and closes it (closing deletes it).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    TemporaryUploadedFile,
    UploadedFile,
)
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from ..exceptions import InvalidInput, PayloadTooLarge

#: Parts of an upload whose content is JSON (``request``) or the fallback ``metadata``.
JSON_PARTS = frozenset({"request", "metadata"})


class FileTooLarge(PayloadTooLarge):
    """The ``file`` part passed the scope's size limit while streaming."""


class _DuplicateFilePart(InvalidInput):
    pass


class VeltUploadHandler(FileUploadHandler):
    """See the module docstring. One instance parses one request."""

    def __init__(self, max_file_size: int, max_json_size: int) -> None:
        super().__init__()
        self.max_file_size = max_file_size
        self.max_json_size = max_json_size
        self.file_part: UploadedFile | None = None  # type: ignore[type-arg]
        self.memory_limit = int(settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._kind = ""
        self._json = io.BytesIO()
        self._dropped = 0

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name == "file":
            if self.file_part is not None:
                raise _DuplicateFilePart("the upload holds more than one file part")
            if self.content_length is not None and (
                self.content_length > self.max_file_size
            ):
                raise FileTooLarge(f"the file exceeds {self.max_file_size} bytes")
            self._kind = "file"
            self.file_part = InMemoryUploadedFile(
                io.BytesIO(),
                self.field_name,
                self.file_name or "file",
                self.content_type or "",
                0,
                self.charset,
                self.content_type_extra,
            )
        elif field_name in JSON_PARTS:
            self._kind = "json"
            self._json = io.BytesIO()
        else:
            self._kind = "drop"

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self._kind == "file":
            assert self.file_part is not None
            self.size += len(raw_data)
            if self.size > self.max_file_size:
                raise FileTooLarge(f"the file exceeds {self.max_file_size} bytes")
            self.sha256.update(raw_data)
            if self.size > self.memory_limit and not isinstance(
                self.file_part, TemporaryUploadedFile
            ):
                self._to_disk()
            self.file_part.write(raw_data)
        elif self._kind == "json":
            if self._json.tell() + len(raw_data) > self.max_json_size:
                raise PayloadTooLarge(f"the {self.field_name} part is too large")
            self._json.write(raw_data)
        else:
            self._dropped += len(raw_data)
            if self._dropped > self.max_json_size:
                raise PayloadTooLarge("the upload holds too much besides the file")
        return None

    def _to_disk(self) -> None:
        """Move the bytes so far of the ``file`` part from memory to a temporary file."""
        assert self.file_part is not None
        spilled = TemporaryUploadedFile(
            self.file_part.name or "file",
            self.file_part.content_type or "",
            0,
            self.charset,
            self.content_type_extra,
        )
        try:
            spilled.write(self.file_part.file.getbuffer())  # type: ignore[union-attr]
        except BaseException:
            spilled.close()
            raise
        self.file_part.close()
        self.file_part = spilled

    def file_complete(self, file_size: int) -> UploadedFile | None:  # type: ignore[type-arg]
        if self._kind == "file":
            assert self.file_part is not None
            self.file_part.seek(0)
            self.file_part.size = self.size
            return self.file_part
        if self._kind == "json":
            data = self._json
            data.seek(0)
            return InMemoryUploadedFile(
                data,
                self.field_name,
                self.file_name,
                self.content_type,
                data.getbuffer().nbytes,
                self.charset,
                self.content_type_extra,
            )
        return None

    def close(self) -> None:
        """Delete the temporary file (used when the parse or the request failed)."""
        if self.file_part is not None:
            self.file_part.close()


@dataclass
class ParsedUpload:
    """The parts of an upload: ``file`` (in memory or a temporary file, ``None`` if
    absent) with its measured ``size`` and ``sha256``, and the text of the
    ``request``/``metadata`` parts."""

    file: UploadedFile | None  # type: ignore[type-arg]
    size: int
    sha256: str
    request_text: str | None
    metadata_text: str | None
    handler: VeltUploadHandler

    def close(self) -> None:
        self.handler.close()


def _text_of(post: Any, files: Any, name: str) -> str | None:
    """A JSON part as text, whether it came as a form field or as a file part (a
    ``Blob``)."""
    value = post.get(name)
    if value is not None:
        return str(value)
    part = files.get(name)
    if part is None:
        return None
    raw = part.read()
    try:
        return str(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidInput(f"the {name} part is not UTF-8") from None


def _lowercase_media_type(meta: Mapping[str, Any]) -> dict[str, Any]:
    """``META`` with the media type of ``CONTENT_TYPE`` in lower case: media types are
    case-insensitive (RFC 9110, section 8.3.1) but Django's parser only accepts
    ``multipart/…``. The parameters, the case-sensitive boundary among them, are kept."""
    media_type, sep, params = str(meta.get("CONTENT_TYPE", "")).partition(";")
    return {**meta, "CONTENT_TYPE": media_type.strip().lower() + sep + params}


def parse_upload(
    request: HttpRequest, max_file_size: int, max_json_size: int
) -> ParsedUpload:
    """Stream the multipart body of ``request``; see the module docstring."""
    handler = VeltUploadHandler(max_file_size, max_json_size)
    try:
        parser = MultiPartParser(
            _lowercase_media_type(request.META), request, [handler], request.encoding
        )
        post, files = parser.parse()
        return ParsedUpload(
            file=handler.file_part,
            size=handler.size,
            sha256=handler.sha256.hexdigest(),
            request_text=_text_of(post, files, "request"),
            metadata_text=_text_of(post, files, "metadata"),
            handler=handler,
        )
    except RequestDataTooBig:
        handler.close()
        raise PayloadTooLarge("the form fields of the upload are too large") from None
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
        handler.close()
        raise InvalidInput("the multipart body is malformed") from None
    except SuspiciousOperation:
        handler.close()
        raise InvalidInput("the multipart body is malformed") from None
    except BaseException:
        handler.close()
        raise
