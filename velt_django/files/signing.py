"""The private URL of a stored file (docs/files.md, "The URL handed to Velt") and its
signature: an HMAC of the file's public id and organization with ``SECRET_KEY``
(``FILE_ACCESS`` "signature")."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from ..conf import velt_settings
from .keys import is_public_id

# The salt predates the files package; changing it would void every signed URL.
_URL_SALT = "velt_django.files.url"


def url_signature(
    public_id: str, organization_id: str, key: str | bytes | None = None
) -> str:
    """HMAC of the file's public id and organization with ``SECRET_KEY`` (or ``key``)."""
    signer = signing.Signer(salt=_URL_SALT, algorithm="sha256")
    return signer.signature(f"{public_id}\n{organization_id}", key)


def signature_valid(public_id: str, organization_id: str, signature: str) -> bool:
    """Check ``signature`` against ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``."""
    if not signature:
        return False
    signer = signing.Signer(salt=_URL_SALT, algorithm="sha256")
    return any(
        constant_time_compare(signature, url_signature(public_id, organization_id, key))
        for key in [signer.key, *signer.fallback_keys]
    )


def private_url(
    request: HttpRequest, public_id: str, organization_id: str, name: str
) -> str:
    """The stable URL handed to Velt in private mode: it stays valid as long as the
    file exists (and ``SECRET_KEY`` or a fallback still signs it)."""
    path = reverse("velt:file", kwargs={"public_id": public_id, "name": name})
    if "signature" in velt_settings.FILE_ACCESS:
        path += "?sig=" + url_signature(public_id, organization_id)
    base = velt_settings.FILE_URL_BASE
    return base + path if base else request.build_absolute_uri(path)


def public_id_of_url(url: str) -> str | None:
    """The public id inside one of our private URLs, or ``None``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part == "f" and is_public_id(parts[i + 1]):
            return parts[i + 1]
    return None
