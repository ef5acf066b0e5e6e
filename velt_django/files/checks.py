"""System checks of the file settings (CONTRACT §9-§11); ids velt.E050-E059, W050-W059."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

#: Types a browser would run as a page on our origin if served inline.
_ACTIVE_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml")


def _is_string_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


def relative_location(alias: str) -> str | None:
    """How ``STORAGES[alias]`` would place files under the process's working directory:
    a description when it is a file-system storage whose location (``OPTIONS
    ["location"]``, else ``MEDIA_ROOT``) is empty or relative, else ``None``. Reads the
    settings only (Django's default ``MEDIA_ROOT`` is ``""``: the current directory)."""
    entry = (getattr(settings, "STORAGES", {}) or {}).get(alias) or {}
    try:
        backend = import_string(str(entry.get("BACKEND", "")))
    except ImportError:
        return None
    if not (isinstance(backend, type) and issubclass(backend, FileSystemStorage)):
        return None
    options = entry.get("OPTIONS") or {}
    location = options.get("location")
    if location is None:
        location = settings.MEDIA_ROOT
        if not location:
            return "MEDIA_ROOT is empty"
        where = f"MEDIA_ROOT {str(location)!r}"
    else:
        where = f"location {str(location)!r}"
    if os.path.isabs(os.fspath(location)):
        return None
    return f"{where} is relative"


def _storage_checks(raw: Mapping[str, Any], mode: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    configured = getattr(settings, "STORAGES", {}) or {}
    warned_relative: set[str] = set()
    for scope in ("ATTACHMENT", "RECORDING"):
        alias = raw.get(f"{scope}_STORAGE", "default")
        if alias not in configured:
            messages.append(
                Error(
                    f'VELT["{scope}_STORAGE"] names {alias!r}, which is not a key of '
                    "STORAGES.",
                    hint="Name an entry of Django's STORAGES setting.",
                    id="velt.E052",
                )
            )
            continue
        entry = configured[alias] or {}
        options = entry.get("OPTIONS") or {}
        relative = relative_location(alias)
        if relative is not None and alias not in warned_relative:
            warned_relative.add(alias)
            messages.append(
                Warning(
                    f"Uploaded files would be written under the process's working "
                    f"directory: STORAGES[{alias!r}] is a file-system storage and "
                    f"{relative}.",
                    hint=f'Give STORAGES["{alias}"]["OPTIONS"]["location"] (or '
                    "MEDIA_ROOT) an absolute path outside the code, or name another "
                    f'storage in VELT["{scope}_STORAGE"].',
                    id="velt.W053",
                )
            )
        if (
            mode == "public"
            and str(entry.get("BACKEND", "")).endswith("S3Storage")
            and options.get("querystring_auth", True) is not False
        ):
            messages.append(
                Warning(
                    f"Public file URLs of {scope.lower()}s come from an S3 storage that "
                    "signs its URLs, and signed URLs expire: Velt would keep URLs that "
                    "stop working.",
                    hint='Set "querystring_auth": False on a public bucket or CDN, or use '
                    'FILE_URL_MODE "private".',
                    id="velt.W050",
                )
            )
        # The private route redirects to storage.url(): unsigned there, it only works
        # on a public bucket (anyone holding the object URL reads it), and S3 refuses
        # the response-content-type/-disposition overrides on unsigned requests (400).
        if (
            mode == "private"
            and str(entry.get("BACKEND", "")).endswith("S3Storage")
            and (
                options.get("querystring_auth", True) is False
                or (
                    options.get("custom_domain")
                    and not options.get("cloudfront_key_id")
                )
            )
        ):
            messages.append(
                Warning(
                    f"Private file URLs of {scope.lower()}s redirect to URLs of an S3 "
                    "storage that does not sign them (querystring_auth False, or a "
                    "custom_domain without a CloudFront key): the objects would have to "
                    "be public, and S3 refuses the type and disposition overrides of "
                    "the redirect on unsigned requests.",
                    hint='Keep "querystring_auth" on for the storage behind private URLs, '
                    'or use FILE_URL_MODE "public".',
                    id="velt.W052",
                )
            )
    return messages


def check_files(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Checks of the ``VELT`` file keys; ``raw`` is the user's ``VELT`` dict."""
    messages: list[CheckMessage] = []
    mode = raw.get("FILE_URL_MODE", "private")
    if mode not in ("private", "public"):
        messages.append(
            Error(
                'VELT["FILE_URL_MODE"] must be "private" or "public".', id="velt.E050"
            )
        )
    access = raw.get("FILE_ACCESS", ["signature", "session"])
    if not _is_string_list(access) or not set(access) <= {"signature", "session"}:
        messages.append(
            Error(
                'VELT["FILE_ACCESS"] must be a list of "signature" and/or "session".',
                id="velt.E051",
            )
        )
    elif mode == "private" and not access:
        messages.append(
            Error(
                'VELT["FILE_ACCESS"] is empty: no one could open a private file URL.',
                id="velt.E051",
            )
        )
    messages.extend(_storage_checks(raw, mode))
    base = raw.get("FILE_URL_BASE")
    if base is not None and not (
        isinstance(base, str) and base.startswith(("https://", "http://"))
    ):
        messages.append(
            Error(
                'VELT["FILE_URL_BASE"] must be None or an absolute http(s) URL.',
                id="velt.E053",
            )
        )
    for key in ("FILE_ALLOWED_TYPES", "FILE_DENIED_TYPES", "FILE_INLINE_TYPES"):
        if key in raw and not _is_string_list(raw[key]):
            messages.append(
                Error(f'VELT["{key}"] must be a list of content types.', id="velt.E054")
            )
    inline = raw.get("FILE_INLINE_TYPES") or []
    if _is_string_list(inline) and any(
        t.lower() in _ACTIVE_TYPES or t.lower() in ("*/*", "text/*", "application/*")
        for t in inline
    ):
        messages.append(
            Warning(
                'VELT["FILE_INLINE_TYPES"] lets browsers render HTML, SVG or XML '
                "uploads inline, where their scripts would run.",
                hint="Serve those types as downloads (leave them out).",
                id="velt.W051",
            )
        )
    return messages
