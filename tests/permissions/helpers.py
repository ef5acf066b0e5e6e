"""What the permission provider tests share: the token, batches, a group-based policy
like the example project's, and users in Django groups named after organizations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import Group, User
from django.test import Client

from velt_django.access import velt_orgs_claim
from velt_django.permissions import Decision

TOKEN = "perm-provider-test-token-0123456789"
PATH = "/velt/permissions/check"
ACME = "acme-corp"
GLOBEX = "globex"
MODULE = __name__

#: Every call of the policies below: (action, organization, document ids, resource type).
CALLS: list[tuple[str, str, list[str], str]] = []


def configure(settings: Any, **extra: Any) -> None:
    """Turn the provider on with :data:`TOKEN`, users from Django groups and the
    group-based policy (``extra`` is laid over)."""
    settings.VELT = {
        **settings.VELT,
        "PERMISSION_PROVIDER_TOKEN": TOKEN,
        "USER_FIELDS": {"organizations": "groups__name"},
        "ORGANIZATION_ACCESS": f"{MODULE}.group_access",
        **extra,
    }


def user(username: str, *groups: str) -> User:
    account = User.objects.create(username=username)
    for name in groups:
        account.groups.add(Group.objects.get_or_create(name=name)[0])
    return account


def question(
    user_id: Any,
    kind: str,
    resource_id: Any,
    org: Any = ACME,
    source: str = "setDocuments",
    **resource: Any,
) -> dict[str, Any]:
    return {
        "userId": user_id,
        "resource": {
            "id": resource_id,
            "type": kind,
            "source": source,
            "organizationId": org,
            **resource,
        },
    }


def batch(*questions: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"requests": list(questions)}}


def post(
    client: Client,
    body: Any,
    token: str | None = TOKEN,
    scheme: str = "Bearer",
    **headers: Any,
) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"{scheme} {token}")
    return client.post(PATH, data, content_type="application/json", **headers)


def answers(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["success"] is True and body["statusCode"] == 200
    assert "signature" not in body
    data: list[dict[str, Any]] = body["data"]
    return data


def granted(response: Any) -> list[bool]:
    return [entry["hasAccess"] for entry in answers(response)]


def failure(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["errorCode"] == code
    return body


# ---- policies (named in VELT["ORGANIZATION_ACCESS"]) ---------------------------------


def group_access(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """The example project's rule: organization X iff the user is in the group named
    X, read from the Django user itself (not from the directory's claim)."""
    resource = getattr(request, "velt_resource", None)
    CALLS.append(
        (action, organization_id, list(document_ids), getattr(resource, "type", "-"))
    )
    account = request.user
    if not account.is_authenticated:
        return False
    return any(group.name == organization_id for group in account.groups.all())


def claim_access(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """The shipped default rule, counted."""
    CALLS.append((action, organization_id, list(document_ids), "-"))
    return velt_orgs_claim(request, action, organization_id, document_ids)


def roles_and_expiry(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> Any:
    """Editors of ``draft-*`` documents, viewers elsewhere, expiring at a fixed time;
    organizations and folders as plain bools; ``bad-role`` and ``bad-expiry``
    documents return invalid values."""
    if not velt_orgs_claim(request, action, organization_id, document_ids):
        return False
    if not document_ids:
        return True
    doc = document_ids[0]
    if doc == "bad-role":
        return Decision(True, access_role="owner")
    if doc == "bad-expiry":
        return Decision(True, access_role="viewer", expires_at=-5)
    if doc == "as-mapping":
        return {
            "hasAccess": True,
            "accessRole": "viewer",
            "expiresAt": 1_900_000_000_000,
        }
    role = "editor" if doc.startswith("draft-") else "viewer"
    return Decision(True, access_role=role, expires_at=1_900_000_000_000)


def raises_on_secret(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Raises for the document ``secret-doc``, else the default rule."""
    if "secret-doc" in document_ids:
        raise RuntimeError("policy bug mentioning secret-doc and ann@example.com")
    return velt_orgs_claim(request, action, organization_id, document_ids)


def context_rules(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """A policy with a context rule: context questions need the entity ``public``."""
    resource = request.velt_resource
    if not velt_orgs_claim(request, action, organization_id, document_ids):
        return False
    if resource.type == "context":
        access = (resource.context or {}).get("access") or {}
        return bool(access.get("entityId") == "public")
    return True
