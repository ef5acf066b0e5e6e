"""System checks of the file settings (attachments and recording files, see
docs/files.md): ``velt.E050``–``E059`` / ``velt.W050``–``W059``, defined in
:mod:`velt_django.check_codes`. The types of ``FILE_URL_MODE``, ``FILE_ACCESS``,
``FILE_URL_BASE`` and the type lists are checked by their declared kinds
(:mod:`velt_django.conf`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage
from django.core.files.storage import FileSystemStorage
from django.utils.module_loading import import_string

from ..check_codes import Files
from ..conf import VeltSettings, velt_settings

#: Types a browser would run as a page on our origin if served inline.
_ACTIVE_TYPES = ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml")


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


def _storage_checks(mode: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    configured = getattr(settings, "STORAGES", {}) or {}
    warned_relative: set[str] = set()
    for scope in ("ATTACHMENT", "RECORDING"):
        alias = velt_settings.get(f"{scope}_STORAGE")
        if alias not in configured:
            messages.append(
                Files.E052(
                    f'VELT["{scope}_STORAGE"] names {alias!r}, which is not a key of '
                    "STORAGES.",
                    hint="Name an entry of Django's STORAGES setting.",
                )
            )
            continue
        entry = configured[alias] or {}
        options = entry.get("OPTIONS") or {}
        relative = relative_location(alias)
        if relative is not None and alias not in warned_relative:
            warned_relative.add(alias)
            messages.append(
                Files.W053(
                    f"Uploaded files would be written under the process's working "
                    f"directory: STORAGES[{alias!r}] is a file-system storage and "
                    f"{relative}.",
                    hint=f'Give STORAGES["{alias}"]["OPTIONS"]["location"] (or '
                    "MEDIA_ROOT) an absolute path outside the code, or name another "
                    f'storage in VELT["{scope}_STORAGE"].',
                )
            )
        if (
            mode == "public"
            and str(entry.get("BACKEND", "")).endswith("S3Storage")
            and options.get("querystring_auth", True) is not False
        ):
            messages.append(
                Files.W050(
                    f"Public file URLs of {scope.lower()}s come from an S3 storage that "
                    "signs its URLs, and signed URLs expire: Velt would keep URLs that "
                    "stop working.",
                    hint='Set "querystring_auth": False on a public bucket or CDN, or use '
                    'FILE_URL_MODE "private".',
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
                Files.W052(
                    f"Private file URLs of {scope.lower()}s redirect to URLs of an S3 "
                    "storage that does not sign them (querystring_auth False, or a "
                    "custom_domain without a CloudFront key): the objects would have to "
                    "be public, and S3 refuses the type and disposition overrides of "
                    "the redirect on unsigned requests.",
                    hint='Keep "querystring_auth" on for the storage behind private URLs, '
                    'or use FILE_URL_MODE "public".',
                )
            )
    return messages


def check_files(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Checks of the ``VELT`` file keys; ``raw`` is the user's ``VELT`` dict (read
    through :data:`~velt_django.conf.velt_settings`)."""
    messages: list[CheckMessage] = []
    mode = velt_settings.get("FILE_URL_MODE")
    access = velt_settings.get("FILE_ACCESS")
    # A malformed FILE_ACCESS is velt.E051 (its declared kind).
    if VeltSettings.FILE_ACCESS.accepts(access) and mode == "private" and not access:
        messages.append(
            Files.E055(
                'VELT["FILE_ACCESS"] is empty: no one could open a private file URL.'
            )
        )
    messages.extend(_storage_checks(mode))
    inline = velt_settings.get("FILE_INLINE_TYPES") or []
    if VeltSettings.FILE_INLINE_TYPES.accepts(inline) and any(
        t.lower() in _ACTIVE_TYPES or t.lower() in ("*/*", "text/*", "application/*")
        for t in inline
    ):
        messages.append(
            Files.W051(
                'VELT["FILE_INLINE_TYPES"] lets browsers render HTML, SVG or XML '
                "uploads inline, where their scripts would run.",
                hint="Serve those types as downloads (leave them out).",
            )
        )
    return messages
