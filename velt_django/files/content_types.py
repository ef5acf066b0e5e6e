"""The content-type policy of files (``FILE_ALLOWED_TYPES``, ``FILE_DENIED_TYPES``,
``FILE_INLINE_TYPES``): which uploads are accepted, which stored files a browser may
render, and the type a storage object is given."""

from __future__ import annotations

from ..conf import velt_settings


def _matches(content_type: str, patterns: list[str]) -> bool:
    major = content_type.split("/", 1)[0]
    return any(p == content_type or p == f"{major}/*" for p in patterns)


def base_type(content_type: str | None) -> str:
    """``"Text/HTML; charset=utf-8"`` → ``"text/html"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def type_allowed(content_type: str) -> bool:
    """The upload allowlist/denylist (``FILE_ALLOWED_TYPES``/``FILE_DENIED_TYPES``)."""
    ct = base_type(content_type)
    if _matches(ct, velt_settings.FILE_DENIED_TYPES):
        return False
    allowed = velt_settings.FILE_ALLOWED_TYPES
    return not allowed or _matches(ct, allowed)


def served_inline(content_type: str) -> bool:
    """Whether the private route may let a browser render the type; every other type,
    HTML and SVG included, is served as a download (``FILE_INLINE_TYPES``)."""
    return _matches(base_type(content_type), velt_settings.FILE_INLINE_TYPES)


def stored_content_type(content_type: str) -> str:
    """The type given to the storage object: the declared one when it is safe inline,
    else ``application/octet-stream`` (a public bucket then never renders HTML/SVG)."""
    return (
        base_type(content_type)
        if served_inline(content_type)
        else ("application/octet-stream")
    )
