"""VeltClient's notification, activity, GDPR, live-state and workspace calls
(``velt_django.client.workspace``)."""

from __future__ import annotations

import pytest
import responses

from velt_django.client import VeltClient

from .velt_api import BASE, OK, Call, DocumentedCalls, sent

# (method, keyword arguments, path, expected "data", retried on 429/5xx)
CALLS: list[Call] = [
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


class TestWorkspaceCalls(DocumentedCalls):
    calls = CALLS


def test_client_call_timeout_overrides_client_timeout(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/data/delete", json=OK)
    velt.delete_all_user_data(user_ids=["u-1"], timeout=42)
    assert sent(api).req_kwargs["timeout"] == 42


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


def test_client_rejects_empty_selectors(velt: VeltClient) -> None:
    with pytest.raises(ValueError):
        velt.delete_activities(organization_id="org-1")
    with pytest.raises(ValueError):
        velt.update_webhook_config()
