"""Organization access policies and read filters used by the tests through ``VELT``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.throttling import SimpleRateThrottle

from velt_django.access import velt_orgs_claim

#: Every call of :func:`open_documents_only`: (action, organization, document ids).
CALLS: list[tuple[str, str, list[str]]] = []


def open_documents_only(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """A document-scoped policy: the caller's organizations, and there only documents
    whose id starts with ``open-``."""
    CALLS.append((action, organization_id, list(document_ids)))
    if not velt_orgs_claim(request, action, organization_id, document_ids):
        return False
    return all(doc.startswith("open-") for doc in document_ids)


def raises_permission_denied(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    raise PermissionDenied("policy says no")


def raises_http404(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    raise Http404("no such organization")


def hide_private_threads(
    request: Any, family: str, organization_id: str, records: dict[str, Any]
) -> dict[str, Any]:
    """A read filter: drops records whose payload says ``"visibility": "private"``."""
    return {
        key: payload
        for key, payload in records.items()
        if payload.get("visibility") != "private"
    }


class TwoPerMinute(SimpleRateThrottle):
    """A throttle a host might configure: two calls a minute per principal."""

    rate = "2/min"
    scope = "velt-tests"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return (
            f"velt-tests-throttle-{request.auth.get('sub') if request.auth else 'anon'}"
        )


#: The record ids every call of :func:`recording_read_filter` was shown.
READ_FILTER_SAW: list[set[str]] = []


def recording_read_filter(
    request: Any, family: str, organization_id: str, records: dict[str, Any]
) -> dict[str, Any]:
    """A read filter that keeps everything and remembers what it was shown."""
    READ_FILTER_SAW.append(set(records))
    return records
