"""Notification, activity, GDPR, live state and webhook endpoints of ``VeltClient``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .base import GDPR_DELETE_TIMEOUT, BaseClient, JSONObject, Order, Record, _body


class WorkspaceMixin(BaseClient):
    """Notifications, activities, GDPR user data, live state and the webhook configuration."""

    # ---- notifications -----------------------------------------------------------

    def add_notification(
        self,
        *,
        organization_id: str,
        action_user: Record,
        display_headline_message_template: str | None = None,
        display_headline_message_template_data: Record | None = None,
        display_body_message: str | None = None,
        document_id: str | None = None,
        notify_users: Sequence[Record] | None = None,
        notification_source_data: Record | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/notifications/add``; ``extra`` carries the other documented fields
        (``notifyAll``, ``createDocument``, ``createOrganization``, ...)."""
        return self._call_once(
            "v2/notifications/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                actionUser=action_user,
                displayHeadlineMessageTemplate=display_headline_message_template,
                displayHeadlineMessageTemplateData=display_headline_message_template_data,
                displayBodyMessage=display_body_message,
                notifyUsers=notify_users,
                notificationSourceData=notification_source_data,
            ),
        )

    def get_notifications(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
        notification_ids: Sequence[str] | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/notifications/get`` by document or user (paginated)."""
        return self._call_retried(
            "v2/notifications/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notificationIds=notification_ids,
                order=order,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_notifications(
        self,
        *,
        organization_id: str,
        notifications: Sequence[Record],
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
    ) -> JSONObject:
        """``v2/notifications/update``: each entry has the notification ``id``."""
        return self._call_retried(
            "v2/notifications/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notifications=notifications,
            ),
        )

    def delete_notifications(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
        notification_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/delete``."""
        return self._call_retried(
            "v2/notifications/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notificationIds=notification_ids,
            ),
        )

    def get_notification_config(
        self,
        *,
        organization_id: str,
        user_id: str,
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/config/get``: a user's preferences."""
        return self._call_retried(
            "v2/notifications/config/get",
            _body(
                organizationId=organization_id, userId=user_id, documentIds=document_ids
            ),
        )

    def set_notification_config(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        config: Mapping[str, str],
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/config/set``: ``{"inbox"|"email"|"slack": "ALL"|"MINE"|
        "NONE"}`` for users."""
        return self._call_retried(
            "v2/notifications/config/set",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                userIds=user_ids,
                config=dict(config),
            ),
        )

    # ---- activities --------------------------------------------------------------

    def add_activities(
        self, *, organization_id: str, document_id: str, activities: Sequence[Record]
    ) -> JSONObject:
        """``v2/activities/add`` (needs the activity service enabled in the console)."""
        return self._call_once(
            "v2/activities/add",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                activities=activities,
            ),
        )

    def get_activities(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        target_entity_id: str | None = None,
        feature_types: Sequence[str] | None = None,
        action_types: Sequence[str] | None = None,
        user_id: str | None = None,
        activity_ids: Sequence[str] | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/activities/get`` (paginated)."""
        return self._call_retried(
            "v2/activities/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                targetEntityId=target_entity_id,
                featureTypes=feature_types,
                actionTypes=action_types,
                userId=user_id,
                activityIds=activity_ids,
                order=order,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_activities(
        self, *, organization_id: str, activities: Sequence[Record]
    ) -> JSONObject:
        """``v2/activities/update``: each entry has the activity ``id``."""
        return self._call_retried(
            "v2/activities/update",
            _body(organizationId=organization_id, activities=activities),
        )

    def delete_activities(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        target_entity_id: str | None = None,
        activity_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/activities/delete``: give at least one selector."""
        if document_id is None and target_entity_id is None and not activity_ids:
            raise ValueError(
                "delete_activities needs document_id, target_entity_id or activity_ids"
            )
        return self._call_retried(
            "v2/activities/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                targetEntityId=target_entity_id,
                activityIds=activity_ids,
            ),
        )

    # ---- GDPR --------------------------------------------------------------------

    def delete_all_user_data(
        self,
        *,
        user_ids: Sequence[str],
        organization_ids: Sequence[str] | None = None,
        timeout: float = GDPR_DELETE_TIMEOUT,
    ) -> JSONObject:
        """``v2/users/data/delete``: starts a deletion job; the answer's ``data.jobId``
        feeds :meth:`get_delete_user_data_status`. Velt may take minutes to answer,
        hence the long default ``timeout``."""
        return self._call_retried(
            "v2/users/data/delete",
            _body(userIds=user_ids, organizationIds=organization_ids),
            timeout=timeout,
        )

    def get_all_user_data(
        self, *, organization_id: str, user_id: str, page_token: str | None = None
    ) -> JSONObject:
        """``v2/users/data/get``: a user's comments, reactions, recordings and
        notifications, 100 of each per page."""
        return self._call_retried(
            "v2/users/data/get",
            _body(organizationId=organization_id, userId=user_id, pageToken=page_token),
        )

    def get_delete_user_data_status(self, *, job_id: str) -> JSONObject:
        """``v2/users/data/delete/status`` of a deletion job."""
        return self._call_retried("v2/users/data/delete/status", _body(jobId=job_id))

    # ---- live state and workspace ------------------------------------------------

    def broadcast_event(
        self,
        *,
        organization_id: str,
        document_id: str,
        live_state_data_id: str,
        data: object,
        merge: bool | None = None,
    ) -> JSONObject:
        """``v2/livestate/broadcast``: ``data`` (any JSON value) to a document's live
        state; sent once (a repeat would be a second event)."""
        return self._call_once(
            "v2/livestate/broadcast",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                liveStateDataId=live_state_data_id,
                data=data,
                merge=merge,
            ),
        )

    def get_webhook_config(self) -> JSONObject:
        """``v2/workspace/webhookconfig/get`` (the answer holds the webhook secret)."""
        return self._call_retried("v2/workspace/webhookconfig/get", _body())

    def update_webhook_config(
        self,
        *,
        use_webhook_service: bool | None = None,
        webhook_service_config: Record | None = None,
    ) -> JSONObject:
        """``v2/workspace/webhookconfig/update`` (basic webhooks; merged by Velt)."""
        if use_webhook_service is None and webhook_service_config is None:
            raise ValueError(
                "update_webhook_config needs use_webhook_service or webhook_service_config"
            )
        return self._call_retried(
            "v2/workspace/webhookconfig/update",
            _body(
                useWebhookService=use_webhook_service,
                webhookServiceConfig=webhook_service_config,
            ),
        )
