"""VeltClient: every call's path, headers and body, retries, timeouts, errors, secrecy.

Velt's API is mocked with ``responses`` (no network). Two tests run a loopback HTTP
server instead, because ``responses`` only emulates urllib3's retry loop.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses

from velt_django import __version__
from velt_django.client import GDPR_DELETE_TIMEOUT, VeltClient
from velt_django.client.base import RETRY_AFTER_CAP
from velt_django.conf import velt_settings
from velt_django.exceptions import VeltAPIError, VeltConfigurationError

BASE = "https://velt.test"
KEY = "api-key-4f1c9b"
TOKEN = "auth-token-77d2ae0b"
OK = {"result": {"status": "success", "message": "done", "data": {}}}
DOC_RESOURCE = {"type": "document", "id": "doc-1", "organizationId": "org-1"}

# (method, keyword arguments, path, expected "data", retried on 429/5xx)
CALLS: list[tuple[str, dict[str, Any], str, dict[str, Any], bool]] = [
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
        "add_organizations",
        {"organizations": [{"organizationId": "org-1", "organizationName": "Acme"}]},
        "v1/organizations/add",
        {"organizations": [{"organizationId": "org-1", "organizationName": "Acme"}]},
        False,
    ),
    (
        "get_organizations",
        {"organization_ids": ["org-1"], "page_size": 10, "page_token": "p2"},
        "v2/organizations/get",
        {"organizationIds": ["org-1"], "pageSize": 10, "pageToken": "p2"},
        True,
    ),
    (
        "update_organizations",
        {"organizations": [{"organizationId": "org-1", "organizationName": "Acme 2"}]},
        "v1/organizations/update",
        {"organizations": [{"organizationId": "org-1", "organizationName": "Acme 2"}]},
        True,
    ),
    (
        "delete_organizations",
        {"organization_ids": ["org-1", "org-2"]},
        "v1/organizations/delete",
        {"organizationIds": ["org-1", "org-2"]},
        True,
    ),
    (
        "set_organizations_disabled",
        {"organization_ids": ["org-1"], "disabled": True},
        "v1/organizations/access/disablestate/update",
        {"organizationIds": ["org-1"], "disabled": True},
        True,
    ),
    (
        "add_documents",
        {
            "organization_id": "org-1",
            "documents": [{"documentId": "doc-1", "documentName": "Plan"}],
            "folder_id": "f-1",
        },
        "v2/organizations/documents/add",
        {
            "organizationId": "org-1",
            "documents": [{"documentId": "doc-1", "documentName": "Plan"}],
            "folderId": "f-1",
        },
        False,
    ),
    (
        "get_documents",
        {"organization_id": "org-1", "folder_id": "f-1", "page_size": 20},
        "v2/organizations/documents/get",
        {"organizationId": "org-1", "folderId": "f-1", "pageSize": 20},
        True,
    ),
    (
        "update_documents",
        {"organization_id": "org-1", "documents": [{"documentId": "doc-1"}]},
        "v2/organizations/documents/update",
        {"organizationId": "org-1", "documents": [{"documentId": "doc-1"}]},
        True,
    ),
    (
        "delete_documents",
        {"organization_id": "org-1", "document_ids": ["doc-1"]},
        "v2/organizations/documents/delete",
        {"organizationId": "org-1", "documentIds": ["doc-1"]},
        True,
    ),
    (
        "move_documents",
        {"organization_id": "org-1", "document_ids": ["doc-1"], "folder_id": "f-2"},
        "v2/organizations/documents/move",
        {"organizationId": "org-1", "documentIds": ["doc-1"], "folderId": "f-2"},
        True,
    ),
    (
        "update_document_access",
        {
            "organization_id": "org-1",
            "document_ids": ["doc-1"],
            "access_type": "restricted",
        },
        "v2/organizations/documents/access/update",
        {
            "organizationId": "org-1",
            "documentIds": ["doc-1"],
            "accessType": "restricted",
        },
        True,
    ),
    (
        "set_documents_disabled",
        {"organization_id": "org-1", "document_ids": ["doc-1"], "disabled": False},
        "v2/organizations/documents/access/disablestate/update",
        {"organizationId": "org-1", "documentIds": ["doc-1"], "disabled": False},
        True,
    ),
    (
        "add_folders",
        {"organization_id": "org-1", "folders": [{"folderId": "f-1"}]},
        "v2/organizations/folders/add",
        {"organizationId": "org-1", "folders": [{"folderId": "f-1"}]},
        False,
    ),
    (
        "get_folders",
        {"organization_id": "org-1", "folder_id": "f-1"},
        "v2/organizations/folders/get",
        {"organizationId": "org-1", "folderId": "f-1"},
        True,
    ),
    (
        "update_folders",
        {"organization_id": "org-1", "folders": [{"folderId": "f-1"}]},
        "v2/organizations/folders/update",
        {"organizationId": "org-1", "folders": [{"folderId": "f-1"}]},
        True,
    ),
    (
        "delete_folder",
        {"organization_id": "org-1", "folder_id": "f-1"},
        "v2/organizations/folders/delete",
        {"organizationId": "org-1", "folderId": "f-1"},
        True,
    ),
    (
        "update_folder_access",
        {"organization_id": "org-1", "folder_ids": ["f-1"], "access_type": "public"},
        "v2/organizations/folders/access/update",
        {"organizationId": "org-1", "folderIds": ["f-1"], "accessType": "public"},
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
    (
        "add_comment_annotations",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "annotations": [{"commentData": [{"commentText": "Hi"}]}],
        },
        "v2/commentannotations/add",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "commentAnnotations": [{"commentData": [{"commentText": "Hi"}]}],
        },
        False,
    ),
    (
        "get_comment_annotations",
        {
            "organization_id": "org-1",
            "document_ids": ["doc-1", "doc-2"],
            "status_ids": ["OPEN"],
            "updated_after": 1720441573192,
            "group_by_document_id": True,
            "page_token": "t",
        },
        "v2/commentannotations/get",
        {
            "organizationId": "org-1",
            "documentIds": ["doc-1", "doc-2"],
            "statusIds": ["OPEN"],
            "updatedAfter": 1720441573192,
            "groupByDocumentId": True,
            "pageToken": "t",
        },
        True,
    ),
    (
        "count_comment_annotations",
        {"organization_id": "org-1", "document_ids": ["doc-1"], "user_id": "u-1"},
        "v2/commentannotations/count/get",
        {"organizationId": "org-1", "documentIds": ["doc-1"], "userId": "u-1"},
        True,
    ),
    (
        "update_comment_annotations",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "annotation_ids": ["a-1"],
            "updated_data": {"status": {"id": "RESOLVED"}},
        },
        "v2/commentannotations/update",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "annotationIds": ["a-1"],
            "updatedData": {"status": {"id": "RESOLVED"}},
        },
        True,
    ),
    (
        "delete_comment_annotations",
        {"document_id": "doc-1", "user_ids": ["u-1"]},
        "v2/commentannotations/delete",
        {"documentId": "doc-1", "userIds": ["u-1"]},
        True,
    ),
    (
        "add_comments",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "annotation_id": "a-1",
            "comments": [{"commentText": "Yes", "from": {"userId": "u-2"}}],
        },
        "v2/commentannotations/comments/add",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "annotationId": "a-1",
            "commentData": [{"commentText": "Yes", "from": {"userId": "u-2"}}],
        },
        False,
    ),
    (
        "get_comments",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "annotation_id": "a-1",
            "comment_ids": [153783],
        },
        "v2/commentannotations/comments/get",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "annotationId": "a-1",
            "commentIds": [153783],
        },
        True,
    ),
    (
        "update_comments",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "annotation_id": "a-1",
            "comment_ids": [153783],
            "updated_data": {"commentText": "Edited"},
        },
        "v2/commentannotations/comments/update",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "annotationId": "a-1",
            "commentIds": [153783],
            "updatedData": {"commentText": "Edited"},
        },
        True,
    ),
    (
        "delete_comments",
        {"organization_id": "org-1", "document_id": "doc-1", "annotation_id": "a-1"},
        "v2/commentannotations/comments/delete",
        {"organizationId": "org-1", "documentId": "doc-1", "annotationId": "a-1"},
        True,
    ),
    (
        "add_notification",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "action_user": {"userId": "u-1"},
            "display_headline_message_template": "{actionUser} did it",
            "display_body_message": "Body",
            "notify_users": [{"userId": "u-2"}],
            "extra": {"notifyAll": False},
        },
        "v2/notifications/add",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "actionUser": {"userId": "u-1"},
            "displayHeadlineMessageTemplate": "{actionUser} did it",
            "displayBodyMessage": "Body",
            "notifyUsers": [{"userId": "u-2"}],
            "notifyAll": False,
        },
        False,
    ),
    (
        "get_notifications",
        {"organization_id": "org-1", "user_id": "u-2", "order": "asc", "page_size": 5},
        "v2/notifications/get",
        {"organizationId": "org-1", "userId": "u-2", "order": "asc", "pageSize": 5},
        True,
    ),
    (
        "update_notifications",
        {
            "organization_id": "org-1",
            "user_id": "u-2",
            "notifications": [{"id": "n-1", "readByUserIds": ["u-2"]}],
        },
        "v2/notifications/update",
        {
            "organizationId": "org-1",
            "userId": "u-2",
            "notifications": [{"id": "n-1", "readByUserIds": ["u-2"]}],
        },
        True,
    ),
    (
        "delete_notifications",
        {"organization_id": "org-1", "notification_ids": ["n-1"]},
        "v2/notifications/delete",
        {"organizationId": "org-1", "notificationIds": ["n-1"]},
        True,
    ),
    (
        "get_notification_config",
        {"organization_id": "org-1", "user_id": "u-1", "document_ids": ["doc-1"]},
        "v2/notifications/config/get",
        {"organizationId": "org-1", "userId": "u-1", "documentIds": ["doc-1"]},
        True,
    ),
    (
        "set_notification_config",
        {
            "organization_id": "org-1",
            "user_ids": ["u-1"],
            "config": {"inbox": "ALL", "email": "MINE"},
        },
        "v2/notifications/config/set",
        {
            "organizationId": "org-1",
            "userIds": ["u-1"],
            "config": {"inbox": "ALL", "email": "MINE"},
        },
        True,
    ),
    (
        "add_activities",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "activities": [{"featureType": "custom", "actionType": "x.y"}],
        },
        "v2/activities/add",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "activities": [{"featureType": "custom", "actionType": "x.y"}],
        },
        False,
    ),
    (
        "get_activities",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "feature_types": ["comment"],
            "order": "desc",
        },
        "v2/activities/get",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "featureTypes": ["comment"],
            "order": "desc",
        },
        True,
    ),
    (
        "update_activities",
        {"organization_id": "org-1", "activities": [{"id": "act-1"}]},
        "v2/activities/update",
        {"organizationId": "org-1", "activities": [{"id": "act-1"}]},
        True,
    ),
    (
        "delete_activities",
        {"organization_id": "org-1", "target_entity_id": "a-1"},
        "v2/activities/delete",
        {"organizationId": "org-1", "targetEntityId": "a-1"},
        True,
    ),
    (
        "delete_all_user_data",
        {"user_ids": ["u-1"], "organization_ids": ["org-1"]},
        "v2/users/data/delete",
        {"userIds": ["u-1"], "organizationIds": ["org-1"]},
        True,
    ),
    (
        "get_all_user_data",
        {"organization_id": "org-1", "user_id": "u-1", "page_token": "next"},
        "v2/users/data/get",
        {"organizationId": "org-1", "userId": "u-1", "pageToken": "next"},
        True,
    ),
    (
        "get_delete_user_data_status",
        {"job_id": "job-9"},
        "v2/users/data/delete/status",
        {"jobId": "job-9"},
        True,
    ),
    (
        "broadcast_event",
        {
            "organization_id": "org-1",
            "document_id": "doc-1",
            "live_state_data_id": "cursor",
            "data": {"x": 1},
            "merge": True,
        },
        "v2/livestate/broadcast",
        {
            "organizationId": "org-1",
            "documentId": "doc-1",
            "liveStateDataId": "cursor",
            "data": {"x": 1},
            "merge": True,
        },
        False,
    ),
    ("get_webhook_config", {}, "v2/workspace/webhookconfig/get", {}, True),
    (
        "update_webhook_config",
        {
            "use_webhook_service": True,
            "webhook_service_config": {"rawNotificationUrl": "https://h.test/raw"},
        },
        "v2/workspace/webhookconfig/update",
        {
            "useWebhookService": True,
            "webhookServiceConfig": {"rawNotificationUrl": "https://h.test/raw"},
        },
        True,
    ),
]
CALL_IDS = [call[0] for call in CALLS]


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def velt() -> Iterator[VeltClient]:
    with VeltClient(KEY, TOKEN, base_url=BASE, timeout=7, backoff_factor=0) as client:
        yield client


def _sent(api: responses.RequestsMock, index: int = 0) -> Any:
    return api.calls[index].request


@pytest.mark.parametrize(
    ("method", "kwargs", "path", "data", "retried"), CALLS, ids=CALL_IDS
)
def test_client_call_sends_documented_request(
    api: responses.RequestsMock,
    velt: VeltClient,
    method: str,
    kwargs: dict[str, Any],
    path: str,
    data: dict[str, Any],
    retried: bool,
) -> None:
    api.post(f"{BASE}/{path}", json=OK)
    assert getattr(velt, method)(**kwargs) == OK
    request = _sent(api)
    assert request.method == "POST"
    assert json.loads(request.body) == {"data": data}
    assert request.headers["x-velt-api-key"] == KEY
    assert request.headers["x-velt-auth-token"] == TOKEN
    assert request.headers["User-Agent"] == f"velt-django/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    expected_timeout = GDPR_DELETE_TIMEOUT if method == "delete_all_user_data" else 7
    assert request.req_kwargs["timeout"] == expected_timeout


@pytest.mark.parametrize(
    ("method", "kwargs", "path", "data", "retried"), CALLS, ids=CALL_IDS
)
def test_client_retries_only_idempotent_calls_on_503(
    api: responses.RequestsMock,
    velt: VeltClient,
    method: str,
    kwargs: dict[str, Any],
    path: str,
    data: dict[str, Any],
    retried: bool,
) -> None:
    api.post(f"{BASE}/{path}", status=503, json={"error": {"status": "UNAVAILABLE"}})
    api.post(f"{BASE}/{path}", json=OK)
    if retried:
        assert getattr(velt, method)(**kwargs) == OK
        assert len(api.calls) == 2
    else:
        with pytest.raises(VeltAPIError) as caught:
            getattr(velt, method)(**kwargs)
        assert caught.value.status == 503
        assert len(api.calls) == 1
    api.assert_all_requests_are_fired = False


def test_client_retries_429_then_succeeds(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    url = f"{BASE}/v2/users/get"
    api.post(url, status=429, headers={"Retry-After": "0"}, json={})
    api.post(url, status=429, headers={"Retry-After": "0"}, json={})
    api.post(url, json=OK)
    assert velt.get_users(organization_id="org-1") == OK
    assert len(api.calls) == 3


def test_client_gives_up_after_configured_retries(
    api: responses.RequestsMock, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "API_RETRIES": 2}
    body = {"error": {"status": "UNAVAILABLE", "message": "try later"}}
    api.post(f"{BASE}/v2/users/get", status=503, json=body)
    client = VeltClient(KEY, TOKEN, base_url=BASE, backoff_factor=0)
    with pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert len(api.calls) == 3  # the first attempt and two retries
    assert caught.value.status == 503
    assert caught.value.body == body


def test_client_without_retries_sends_once(api: responses.RequestsMock) -> None:
    api.post(f"{BASE}/v2/users/get", status=502, body="Bad gateway")
    client = VeltClient(KEY, TOKEN, base_url=BASE, retries=0)
    with pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert len(api.calls) == 1
    assert caught.value.status == 502
    assert caught.value.body == "Bad gateway"


def test_client_does_not_retry_client_errors(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", status=400, json={"error": {}})
    with pytest.raises(VeltAPIError):
        velt.get_users(organization_id="org-1")
    assert len(api.calls) == 1


def test_client_read_timeout_maps_to_api_error(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(VeltAPIError) as caught:
        velt.get_users(organization_id="org-1")
    assert caught.value.status is None
    assert caught.value.body is None
    assert "no answer within 7 s" in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.exceptions.ReadTimeout)


def test_client_connection_error_maps_to_api_error(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/add", body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(VeltAPIError) as caught:
        velt.add_users(organization_id="org-1", users=[{"userId": "u"}])
    assert caught.value.status is None
    assert "connection failed (ConnectionError)" in str(caught.value)


def test_client_timeout_defaults_to_setting(
    api: responses.RequestsMock, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "API_TIMEOUT": 2.5}
    api.post(f"{BASE}/v2/users/get", json=OK)
    VeltClient(KEY, TOKEN, base_url=BASE).get_users(organization_id="org-1")
    assert _sent(api).req_kwargs["timeout"] == 2.5


def test_client_call_timeout_overrides_client_timeout(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/data/delete", json=OK)
    velt.delete_all_user_data(user_ids=["u-1"], timeout=42)
    assert _sent(api).req_kwargs["timeout"] == 42


def test_client_error_status_and_body_from_envelope(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"message": "Organization not found.", "status": "NOT_FOUND"}}
    api.post(f"{BASE}/v2/organizations/documents/get", status=404, json=body)
    with pytest.raises(VeltAPIError) as caught:
        velt.get_documents(organization_id="org-x")
    assert caught.value.status == 404
    assert caught.value.body == body
    assert str(caught.value) == (
        "Velt API v2/organizations/documents/get: HTTP 404 NOT_FOUND: "
        "Organization not found."
    )


def test_client_error_envelope_with_200_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"message": "Auth token not found.", "status": "INVALID_ARGUMENT"}}
    api.post(f"{BASE}/v2/auth/generate_token", json=body)
    with pytest.raises(VeltAPIError) as caught:
        velt.generate_token(user_id="u-1", resources=[])
    assert caught.value.status == 200
    assert caught.value.body == body


def test_client_error_with_code_field(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"code": "not-found", "message": "Folder not found."}}
    api.post(f"{BASE}/v2/organizations/folders/delete", status=404, json=body)
    with pytest.raises(VeltAPIError, match="HTTP 404 not-found: Folder not found."):
        velt.delete_folder(organization_id="org-1", folder_id="f-9")


def test_client_answer_that_is_not_an_object_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", json=[1, 2])
    with pytest.raises(VeltAPIError, match="not a JSON object") as caught:
        velt.get_users(organization_id="org-1")
    assert caught.value.body == [1, 2]


def test_client_empty_success_answer_is_empty_dict(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", body="")
    assert velt.get_users(organization_id="org-1") == {}


def test_client_gdpr_delete_answer_without_result_is_returned(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {
        "status": "success",
        "data": {"jobId": "j", "tasksCount": 5},
        "statusCode": 202,
    }
    api.post(f"{BASE}/v2/users/data/delete", status=202, json=body)
    assert velt.delete_all_user_data(user_ids=["u-1"]) == body


def test_client_user_token_returns_the_token(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    answer = {"result": {"status": "success", "data": {"token": "eyJ.x.y"}}}
    api.post(f"{BASE}/v2/auth/generate_token", json=answer)
    token = velt.user_token(
        user_id="u-1", resources=[{"type": "organization", "id": "org-1"}]
    )
    assert token == "eyJ.x.y"
    assert json.loads(_sent(api).body)["data"]["userProperties"] == {}


def test_client_user_token_without_token_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/auth/generate_token", json={"result": {"data": None}})
    with pytest.raises(VeltAPIError, match="holds no token"):
        velt.user_token(user_id="u-1", resources=[])


def test_client_generic_call_sends_body_as_is(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/crdt/get", status=503, json={})
    api.post(f"{BASE}/v2/crdt/get", json=OK)
    body = {"data": {"organizationId": "org-1", "documentId": "doc-1"}}
    assert velt.call("/v2/crdt/get", body, idempotent=True) == OK
    assert json.loads(_sent(api, 1).body) == body


def test_client_generic_call_defaults_to_single_attempt(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/crdt/add", status=503, json={})
    with pytest.raises(VeltAPIError):
        velt.call("v2/crdt/add")
    assert json.loads(_sent(api).body) == {"data": {}}
    assert len(api.calls) == 1


@pytest.mark.parametrize("path", ["https://evil.test/v2/users/get", "//evil.test/x"])
def test_client_refuses_absolute_paths(velt: VeltClient, path: str) -> None:
    with pytest.raises(ValueError):
        velt.call(path)


def test_client_rejects_empty_selectors(velt: VeltClient) -> None:
    with pytest.raises(ValueError):
        velt.delete_activities(organization_id="org-1")
    with pytest.raises(ValueError):
        velt.update_webhook_config()


# ---- configuration ------------------------------------------------------------------


def test_client_reads_settings(api: responses.RequestsMock, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "API_KEY": "settings-key",
        "AUTH_TOKEN": "settings-token",
        "API_BASE_URL": "https://proxy.test/velt/",
    }
    api.post("https://proxy.test/velt/v2/users/get", json=OK)
    client = VeltClient()
    assert client.base_url == "https://proxy.test/velt"
    client.get_users(organization_id="org-1")
    assert _sent(api).headers["x-velt-api-key"] == "settings-key"
    assert _sent(api).headers["x-velt-auth-token"] == "settings-token"


def test_client_falls_back_to_environment(
    api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELT_API_KEY", "env-key")
    monkeypatch.setenv("VELT_AUTH_TOKEN", "env-token")
    api.post("https://api.velt.dev/v2/users/get", json=OK)
    VeltClient().get_users(organization_id="org-1")
    assert _sent(api).headers["x-velt-api-key"] == "env-key"
    assert _sent(api).headers["x-velt-auth-token"] == "env-token"


def test_client_explicit_credentials_win(
    api: responses.RequestsMock, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELT_API_KEY", "env-key")
    settings.VELT = {**settings.VELT, "API_KEY": "settings-key", "AUTH_TOKEN": "s-t"}
    api.post(f"{BASE}/v2/users/get", json=OK)
    VeltClient("arg-key", base_url=BASE).get_users(organization_id="org-1")
    assert _sent(api).headers["x-velt-api-key"] == "arg-key"
    assert _sent(api).headers["x-velt-auth-token"] == "s-t"


def test_client_without_credentials_fails_at_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    client = VeltClient(api_key="only-the-key")
    assert not client.has_credentials
    with pytest.raises(VeltConfigurationError, match="AUTH_TOKEN"):
        client.get_users(organization_id="org-1")


def test_settings_defaults_of_the_rest_api(monkeypatch: pytest.MonkeyPatch) -> None:
    assert velt_settings.API_KEY is None
    assert velt_settings.AUTH_TOKEN is None
    assert velt_settings.API_BASE_URL == "https://api.velt.dev"
    assert velt_settings.API_TIMEOUT == 10.0
    assert velt_settings.API_RETRIES == 3
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    client = VeltClient()
    assert (client.base_url, client.timeout, client.retries) == (
        "https://api.velt.dev",
        10.0,
        3,
    )


# ---- secrets ------------------------------------------------------------------------


def test_client_repr_hides_credentials(velt: VeltClient) -> None:
    text = repr(velt)
    assert text == "<VeltClient https://velt.test credentials=configured>"
    assert KEY not in text and TOKEN not in text
    assert KEY not in repr(vars(velt)) and TOKEN not in repr(vars(velt))


def test_client_keeps_secrets_out_of_errors_and_logs(
    api: responses.RequestsMock, velt: VeltClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"error": {"status": "INVALID_ARGUMENT", "message": f"bad token {TOKEN}"}}
    api.post(f"{BASE}/v1/auth/token/get", status=400, json=echo)
    api.post(f"{BASE}/v2/users/get", body=requests.exceptions.ReadTimeout("slow"))
    api.post(f"{BASE}/v2/users/update", body=f"<html>{KEY}</html>", status=500)
    api.post(f"{BASE}/v2/organizations/get", json=OK)
    errors: list[VeltAPIError] = []
    with caplog.at_level(logging.DEBUG):
        velt.get_organizations()
        for call in (
            lambda: velt.generate_token_v1(user_id="u-1"),
            lambda: velt.get_users(organization_id="org-1"),
            lambda: VeltClient(KEY, TOKEN, base_url=BASE, retries=0).update_users(
                organization_id="org-1", users=[]
            ),
        ):
            with pytest.raises(VeltAPIError) as caught:
                call()
            errors.append(caught.value)
    assert "bad token ***" in str(errors[0])
    assert errors[2].body == "<html>***</html>"
    assert "v2/organizations/get" in caplog.text  # the log does record calls
    for text in [caplog.text, *map(str, errors), *map(repr, errors)]:
        assert KEY not in text and TOKEN not in text


# ---- real retries (urllib3's loop, not the responses emulation) ---------------------


class _FlakyHandler(BaseHTTPRequestHandler):
    """Answers 503 to the first request of each path, then 200."""

    seen: dict[str, int] = {}

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        count = self.seen.get(self.path, 0) + 1
        self.seen[self.path] = count
        status = 503 if count == 1 else 200
        payload = json.dumps(OK if status == 200 else {"error": {}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _FlakyHandler.seen = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_client_urllib3_retries_idempotent_post(
    flaky_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with VeltClient(KEY, TOKEN, base_url=flaky_server, backoff_factor=0) as client:
        assert client.get_users(organization_id="org-1") == OK
    assert _FlakyHandler.seen == {"/v2/users/get": 2}


def test_client_urllib3_sends_non_idempotent_post_once(
    flaky_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with VeltClient(KEY, TOKEN, base_url=flaky_server, backoff_factor=0) as client:
        with pytest.raises(VeltAPIError) as caught:
            client.add_users(organization_id="org-1", users=[{"userId": "u"}])
    assert caught.value.status == 503
    assert _FlakyHandler.seen == {"/v2/users/add": 1}


class _BusyHandler(BaseHTTPRequestHandler):
    """Answers every request with ``status`` and ``headers`` (a busy Velt)."""

    status = 429
    headers_out: dict[str, str] = {}
    count = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).count += 1
        payload = json.dumps({"error": {"status": "BUSY"}}).encode()
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def busy_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _BusyHandler.count = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BusyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the retry pauses instead of sleeping; the monotonic clock moves on by
    each pause, so deadlines see the time as if it had been slept."""
    slept: list[float] = []
    real_monotonic = time.monotonic

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(time, "sleep", fake_sleep)
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + sum(slept))
    return slept


def test_client_caps_retry_after_at_the_attempt_timeout(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_BusyHandler, "status", 429)
    monkeypatch.setattr(_BusyHandler, "headers_out", {"Retry-After": "4"})
    client = VeltClient(KEY, TOKEN, base_url=busy_server, timeout=1, retries=3)
    started = time.monotonic()
    with client, pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert caught.value.status == 429
    assert pauses == [1, 1]  # not the 4 s asked for
    # The deadline is 4 x 1 s: after 2 s, a pause and an attempt would reach it.
    assert _BusyHandler.count == 3
    assert time.monotonic() - started < 4
    assert KEY not in str(caught.value) and TOKEN not in str(caught.value)


def test_client_caps_a_long_retry_after(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_BusyHandler, "status", 503)
    monkeypatch.setattr(_BusyHandler, "headers_out", {"Retry-After": "3600"})
    with VeltClient(KEY, TOKEN, base_url=busy_server, timeout=30, retries=1) as client:
        with pytest.raises(VeltAPIError):
            client.get_users(organization_id="org-1")
    assert pauses == [RETRY_AFTER_CAP]
    assert _BusyHandler.count == 2


def test_client_stops_retrying_before_the_deadline(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Backoff of 0, 2 and 4 s: the third retry would end after 1 s x 4 attempts.
    monkeypatch.setattr(_BusyHandler, "status", 503)
    monkeypatch.setattr(_BusyHandler, "headers_out", {})
    client = VeltClient(
        KEY, TOKEN, base_url=busy_server, timeout=1, retries=3, backoff_factor=1
    )
    started = time.monotonic()
    with client, pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert caught.value.status == 503
    assert pauses == [2]
    assert _BusyHandler.count == 3
    assert time.monotonic() - started < 4


# ---- system checks of the REST API keys (velt.E030-E033) -----------------------------


def _check_ids(settings: Any, **velt: Any) -> list[str]:
    from velt_django.checks import check_settings

    settings.VELT = {**settings.VELT, **velt}
    return [m.id for m in check_settings() if str(m.id).startswith("velt.E03")]


def test_checks_accept_rest_api_defaults_and_valid_values(settings: Any) -> None:
    assert _check_ids(settings) == []
    assert (
        _check_ids(
            settings,
            API_KEY="k",
            AUTH_TOKEN="t",
            API_BASE_URL="http://localhost:8080/velt",
            API_TIMEOUT=2.5,
            API_RETRIES=0,
        )
        == []
    )


@pytest.mark.parametrize(
    "url",
    [
        "api.velt.dev",
        "ftp://api.velt.dev",
        "https://",
        "https://user:pw@api.velt.dev",
        "https://api.velt.dev/?x=1",
        "https://api.velt.dev/#f",
        "http://[::1",
        None,
        42,
    ],
)
def test_checks_malformed_api_base_url_is_e030(settings: Any, url: Any) -> None:
    assert _check_ids(settings, API_BASE_URL=url) == ["velt.E030"]


@pytest.mark.parametrize("timeout", [0, -1, "10", True, None])
def test_checks_bad_api_timeout_is_e031(settings: Any, timeout: Any) -> None:
    assert _check_ids(settings, API_TIMEOUT=timeout) == ["velt.E031"]


@pytest.mark.parametrize("retries", [-1, 1.5, "3", False, None])
def test_checks_bad_api_retries_is_e032(settings: Any, retries: Any) -> None:
    assert _check_ids(settings, API_RETRIES=retries) == ["velt.E032"]


@pytest.mark.parametrize("key", ["API_KEY", "AUTH_TOKEN"])
@pytest.mark.parametrize("value", ["", "  ", 123])
def test_checks_bad_credential_is_e033(settings: Any, key: str, value: Any) -> None:
    assert _check_ids(settings, **{key: value}) == ["velt.E033"]
