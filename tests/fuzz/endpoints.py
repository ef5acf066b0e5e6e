"""The endpoints the fuzz tier sends hostile requests to, discovered from velt_django's
URLconf: every annotation family declared in ``ANNOTATION_FAMILIES`` gets its three
routes fuzzed from its declaration; every other route name must be in :data:`KNOWN`
(``tests/fuzz/test_coverage.py`` fails, naming it, when a new route is not)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from velt_django import urls
from velt_django.validation.annotations import ANNOTATION_FAMILIES, AnnotationFamily

from .. import uploads, webhook_helpers
from ..auth import principal
from ..families import BOTH, FAMILIES, ORG
from ..permissions import helpers as permissions

Bodies = Callable[[], list[dict[str, Any]]]


def resolver_credential(client: Client) -> dict[str, Any]:
    return principal(*BOTH)


def webhook_credential(client: Client) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Basic {webhook_helpers.TOKEN}"}


def permission_credential(client: Client) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {permissions.TOKEN}"}


def session_credential(client: Client) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="alice")
    client.force_login(user)
    return {}


@dataclass(frozen=True)
class Endpoint:
    """One route and how to reach its validation: valid bodies to mutate, the
    credential it accepts, the settings that turn it on and what to store first."""

    name: str
    path: str
    bases: Bodies
    kind: str = "json"  # "json", "multipart" or "download"
    credential: Callable[[Client], dict[str, Any]] = resolver_credential
    #: Setup name of ``tests/fuzz/conftest.py``'s ``SETUPS`` (settings, Velt API mock).
    setup: str = "resolver"
    #: Whether a 2xx answer is the resolver envelope (the token views answer their own
    #: documented shapes).
    envelope: bool = True
    #: Requests (path, body) that store what the valid bodies act on.
    seeds: tuple[tuple[str, dict[str, Any]], ...] = field(default=())
    #: What a valid body is answered with (405 for the route that refuses every call).
    valid_status: int = 200

    def __str__(self) -> str:
        return self.name

    @property
    def fields(self) -> list[str]:
        return sorted({key for body in self.bases() for key in body})


def _record(family: AnnotationFamily, record_id: str, **extra: Any) -> dict[str, Any]:
    declared = next((f for f in FAMILIES if f.name == family.name), None)
    own = declared.fields() if declared is not None else {"note": "fuzz"}
    metadata = {"apiKey": "pk_test", "organizationId": ORG, "documentId": "doc-1"}
    return {family.id_key: record_id, "metadata": metadata, **own, **extra}


def family_endpoints(family: AnnotationFamily) -> list[Endpoint]:
    """get, save and delete of ``family``, from its declaration alone."""
    seed = {family.save_field: {"r-1": _record(family, "r-1")}}
    metadata = {"apiKey": "pk_test", "organizationId": ORG, "documentId": "doc-1"}
    gets: list[dict[str, Any]] = [
        {"organizationId": ORG, family.ids_field: ["r-1", "r-2"]},
        {"organizationId": ORG, "documentIds": ["doc-1"]},
        {"organizationId": ORG, "folderId": "f-1", "allDocuments": True},
        {family.ids_field: ["r-1"]},
    ]
    saves: list[dict[str, Any]] = [
        {family.save_field: {"r-2": _record(family, "r-2")}, "event": "fuzz.add"},
        {
            family.save_field: {"r-1": _record(family, "r-1", extra={"a": [1, 2]})},
            "metadata": metadata,
        },
    ]
    deletes: list[dict[str, Any]] = [
        {family.delete_field: "r-1", "metadata": metadata, "event": "fuzz.delete"},
        {family.delete_field: "r-1"},
    ]
    seeds = ((f"{family.name}/save", seed),)
    return [
        Endpoint(f"{family.name}-get", f"{family.name}/get", lambda: gets, seeds=seeds),
        Endpoint(f"{family.name}-save", f"{family.name}/save", lambda: saves),
        Endpoint(
            f"{family.name}-delete",
            f"{family.name}/delete",
            lambda: deletes,
            seeds=seeds,
        ),
    ]


def _activity(record_id: str) -> dict[str, Any]:
    return {
        "id": record_id,
        "metadata": {"organizationId": ORG, "documentId": "doc-1"},
        "changes": {"status": {"from": "open", "to": "resolved"}},
    }


_ACTIVITY_SEED = (("activities/save", {"activity": {"a-1": _activity("a-1")}}),)
_FILE_DELETE = [
    {
        "attachmentId": 284117,
        "metadata": {"apiKey": "pk_test", "organizationId": ORG, "documentId": "d"},
        "event": "attachment.delete",
    },
    {"attachmentId": 284117, "url": "http://testserver/velt/f/abc/mock.png"},
]


def _upload_bases() -> list[dict[str, Any]]:
    return [uploads.request_part(), uploads.request_part(attachment_id="at-9")]


#: Every route name other than the annotation families' → its endpoint.
KNOWN: dict[str, Endpoint] = {
    e.name: e
    for e in [
        Endpoint(
            "notifications-get",
            "notifications/get",
            lambda: [
                {"organizationId": ORG, "notificationIds": ["n-1", "n-2"]},
                {"notificationIds": ["n-1"]},
            ],
        ),
        Endpoint(
            "notifications-delete",
            "notifications/delete",
            lambda: [
                {"notificationId": "n-1", "metadata": {"organizationId": ORG}},
                {"notificationId": "n-1", "organizationId": ORG, "event": "x"},
            ],
        ),
        Endpoint(
            "activities-get",
            "activities/get",
            lambda: [
                {"organizationId": ORG, "activityIds": ["a-1"]},
                {"organizationId": ORG, "documentIds": ["doc-1"]},
            ],
            seeds=_ACTIVITY_SEED,
        ),
        Endpoint(
            "activities-save",
            "activities/save",
            lambda: [
                {"activity": {"a-2": _activity("a-2")}, "event": "activity.add"},
                {"activity": {"a-3": _activity("a-3")}, "organizationId": ORG},
            ],
        ),
        Endpoint(
            "activities-delete",
            "activities/delete",
            lambda: [{"activityId": "a-1", "organizationId": ORG}],
            valid_status=405,
        ),
        Endpoint(
            "users-get",
            "users/get",
            lambda: [{"organizationId": ORG, "userIds": ["alice", "u_1"]}],
        ),
        Endpoint(
            "anonymous-users-resolve",
            "anonymous-users/resolve",
            lambda: [
                {
                    "organizationId": ORG,
                    "documentId": "doc-1",
                    "emails": ["a@acme.example", "b@acme.example"],
                }
            ],
        ),
        Endpoint(
            "attachments-save",
            "attachments/save",
            _upload_bases,
            kind="multipart",
            setup="files",
        ),
        Endpoint(
            "recording-files-save",
            "recordings/files/save",
            _upload_bases,
            kind="multipart",
            setup="files",
        ),
        Endpoint(
            "attachments-delete",
            "attachments/delete",
            lambda: _FILE_DELETE,
            setup="files",
        ),
        Endpoint(
            "recording-files-delete",
            "recordings/files/delete",
            lambda: _FILE_DELETE,
            setup="files",
        ),
        Endpoint(
            "file",
            "f/{public_id}/{name}",
            lambda: [],
            kind="download",
            setup="files",
        ),
        Endpoint(
            "file-bare",
            "f/{public_id}",
            lambda: [],
            kind="download",
            setup="files",
        ),
        Endpoint(
            "token",
            "token",
            lambda: [{}, {"organizationId": ORG}],
            credential=session_credential,
            setup="token",
            envelope=False,
        ),
        Endpoint(
            "velt-token",
            "velt-token",
            lambda: [{"organizationId": ORG}, {}],
            credential=session_credential,
            setup="velt-token",
            envelope=False,
        ),
        Endpoint(
            "webhooks-velt",
            "webhooks/velt",
            lambda: [
                webhook_helpers.basic_event(),
                webhook_helpers.basic_event("updated", "wh-2", comment_id=None),
            ],
            credential=webhook_credential,
            setup="webhook",
        ),
        Endpoint(
            "permissions-check",
            "permissions/check",
            lambda: [
                permissions.batch(
                    permissions.question("alice", "document", "doc-1"),
                    permissions.question(
                        "bob", "folder", "f-1", parentFolderId="f-0", context={}
                    ),
                )
            ],
            credential=permission_credential,
            setup="permissions",
        ),
    ]
}


def route_names() -> list[str]:
    """The names of every route of velt_django's URLconf, in order."""
    return [p.name for p in urls.urlpatterns if p.name is not None]


def discovered() -> dict[str, Endpoint | None]:
    """Each route name → its endpoint, or ``None`` when the fuzz tier does not know it."""
    found: dict[str, Endpoint] = dict(KNOWN)
    for family in ANNOTATION_FAMILIES:
        found.update((e.name, e) for e in family_endpoints(family))
    return {name: found.get(name) for name in route_names()}


def endpoints(kind: str) -> list[Endpoint]:
    """The discovered endpoints of ``kind`` (routes without an endpoint are left to
    the coverage test)."""
    return [e for e in discovered().values() if e is not None and e.kind == kind]


def dumps(body: Any) -> str:
    return json.dumps(body)
