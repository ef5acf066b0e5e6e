"""VeltClient's users calls (``velt_django.client.users``): tokens, permissions, users
and user groups."""

from __future__ import annotations

import json

import pytest
import responses

from velt_django.client import VeltClient
from velt_django.exceptions import VeltAPIError

from .velt_api import BASE, DOC_RESOURCE, KEY, TOKEN, Call, DocumentedCalls, sent

# (method, keyword arguments, path, expected "data", retried on 429/5xx)
CALLS: list[Call] = [
    (
        "generate_token",
        {
            "user_id": "u-1",
            "resources": [{"type": "organization", "id": "org-1"}, DOC_RESOURCE],
            "is_admin": True,
            "name": "Sam",
            "email": "sam@example.test",
        },
        "v2/auth/generate_token",
        {
            "userId": "u-1",
            "userProperties": {
                "isAdmin": True,
                "name": "Sam",
                "email": "sam@example.test",
            },
            "permissions": {
                "resources": [{"type": "organization", "id": "org-1"}, DOC_RESOURCE]
            },
        },
        True,
    ),
    (
        "generate_token_v1",
        {"user_id": "u-1", "organization_id": "org-1", "is_admin": False},
        "v1/auth/token/get",
        {
            "apiKey": KEY,
            "authToken": TOKEN,
            "userId": "u-1",
            "userProperties": {"organizationId": "org-1", "isAdmin": False},
        },
        True,
    ),
    (
        "add_permissions",
        {"user_id": "u-1", "resources": [DOC_RESOURCE]},
        "v2/auth/permissions/add",
        {"user": {"userId": "u-1"}, "permissions": {"resources": [DOC_RESOURCE]}},
        True,
    ),
    (
        "remove_permissions",
        {"user_id": "u-1", "resources": [DOC_RESOURCE]},
        "v2/auth/permissions/remove",
        {"userId": "u-1", "permissions": {"resources": [DOC_RESOURCE]}},
        True,
    ),
    (
        "get_permissions",
        {"organization_id": "org-1", "user_ids": ["u-1"], "document_ids": ["doc-1"]},
        "v2/auth/permissions/get",
        {"organizationId": "org-1", "userIds": ["u-1"], "documentIds": ["doc-1"]},
        True,
    ),
    (
        "add_users",
        {
            "organization_id": "org-1",
            "users": [{"userId": "u-1", "accessRole": "editor"}],
            "extra": {"createOrganization": True},
        },
        "v2/users/add",
        {
            "organizationId": "org-1",
            "users": [{"userId": "u-1", "accessRole": "editor"}],
            "createOrganization": True,
        },
        False,
    ),
    (
        "get_users",
        {"organization_id": "org-1", "user_ids": ["u-1"], "page_size": 100},
        "v2/users/get",
        {"organizationId": "org-1", "userIds": ["u-1"], "pageSize": 100},
        True,
    ),
    (
        "update_users",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "users": [{"userId": "u"}],
        },
        "v2/users/update",
        {"organizationId": "org-1", "documentId": "doc-1", "users": [{"userId": "u"}]},
        True,
    ),
    (
        "delete_users",
        {"organization_id": "org-1", "user_ids": ["u-1"], "folder_id": "f-1"},
        "v2/users/delete",
        {"organizationId": "org-1", "folderId": "f-1", "userIds": ["u-1"]},
        True,
    ),
    (
        "add_user_groups",
        {"organization_id": "org-1", "groups": [{"groupId": "eng"}]},
        "v1/organizations/usergroups/add",
        {"organizationId": "org-1", "organizationUserGroups": [{"groupId": "eng"}]},
        False,
    ),
    (
        "add_users_to_group",
        {"organization_id": "org-1", "group_id": "eng", "user_ids": ["u-1"]},
        "v1/organizations/usergroups/users/add",
        {
            "organizationId": "org-1",
            "organizationUserGroupId": "eng",
            "userIds": ["u-1"],
        },
        False,
    ),
    (
        "delete_users_from_group",
        {"organization_id": "org-1", "group_id": "eng", "delete_all": True},
        "v1/organizations/usergroups/users/delete",
        {
            "organizationId": "org-1",
            "organizationUserGroupId": "eng",
            "deleteAll": True,
        },
        True,
    ),
]


class TestUsersCalls(DocumentedCalls):
    calls = CALLS


def test_client_user_token_returns_the_token(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    answer = {"result": {"status": "success", "data": {"token": "eyJ.x.y"}}}
    api.post(f"{BASE}/v2/auth/generate_token", json=answer)
    token = velt.user_token(
        user_id="u-1", resources=[{"type": "organization", "id": "org-1"}]
    )
    assert token == "eyJ.x.y"
    assert json.loads(sent(api).body)["data"]["userProperties"] == {}


def test_client_user_token_without_token_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/auth/generate_token", json={"result": {"data": None}})
    with pytest.raises(VeltAPIError, match="holds no token"):
        velt.user_token(user_id="u-1", resources=[])
