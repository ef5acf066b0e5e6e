"""User token, access control, user and user group endpoints of ``VeltClient``."""

from __future__ import annotations

from collections.abc import Sequence

from ..exceptions import VeltAPIError
from .base import BaseClient, JSONObject, PermissionResource, Record, _body


class UsersMixin(BaseClient):
    """User tokens, permissions, users and user groups (``v1|v2/auth``, ``v2/users``)."""

    # ---- auth tokens and access control -----------------------------------------

    def generate_token(
        self,
        *,
        user_id: str,
        resources: Sequence[PermissionResource],
        is_admin: bool | None = None,
        name: str | None = None,
        email: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/auth/generate_token``: a user JWT for the frontend's ``identify``
        (valid 48 hours); the token is ``["result"]["data"]["token"]``."""
        properties = {
            key: value
            for key, value in (("isAdmin", is_admin), ("name", name), ("email", email))
            if value is not None
        }
        return self._call_retried(
            "v2/auth/generate_token",
            _body(
                extra,
                userId=user_id,
                userProperties=properties,
                permissions={"resources": list(resources)},
            ),
        )

    def user_token(
        self,
        *,
        user_id: str,
        resources: Sequence[PermissionResource],
        is_admin: bool | None = None,
        name: str | None = None,
        email: str | None = None,
    ) -> str:
        """The token of :meth:`generate_token` alone; an answer without one raises
        :class:`VeltAPIError`."""
        answer = self.generate_token(
            user_id=user_id,
            resources=resources,
            is_admin=is_admin,
            name=name,
            email=email,
        )
        result = answer.get("result")
        data = result.get("data") if isinstance(result, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise VeltAPIError(
                "Velt API v2/auth/generate_token: the answer holds no token",
                status=200,
                body=answer,
            )
        return token

    def generate_token_v1(
        self,
        *,
        user_id: str,
        organization_id: str | None = None,
        is_admin: bool | None = None,
        email: str | None = None,
    ) -> JSONObject:
        """``v1/auth/token/get``: the older token call, credentials in the body."""
        api_key, auth_token = self._secrets()
        properties = {
            key: value
            for key, value in (
                ("organizationId", organization_id),
                ("isAdmin", is_admin),
                ("email", email),
            )
            if value is not None
        }
        return self._call_retried(
            "v1/auth/token/get",
            _body(
                apiKey=api_key,
                authToken=auth_token,
                userId=user_id,
                userProperties=properties,
            ),
        )

    def add_permissions(
        self, *, user_id: str, resources: Sequence[PermissionResource]
    ) -> JSONObject:
        """``v2/auth/permissions/add`` (granting again changes nothing: retried)."""
        return self._call_retried(
            "v2/auth/permissions/add",
            _body(user={"userId": user_id}, permissions={"resources": list(resources)}),
        )

    def remove_permissions(
        self, *, user_id: str, resources: Sequence[PermissionResource]
    ) -> JSONObject:
        """``v2/auth/permissions/remove``."""
        return self._call_retried(
            "v2/auth/permissions/remove",
            _body(userId=user_id, permissions={"resources": list(resources)}),
        )

    def get_permissions(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        folder_ids: Sequence[str] | None = None,
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/auth/permissions/get``: permissions per user and resource."""
        return self._call_retried(
            "v2/auth/permissions/get",
            _body(
                organizationId=organization_id,
                userIds=user_ids,
                folderIds=folder_ids,
                documentIds=document_ids,
            ),
        )

    # ---- users and user groups ---------------------------------------------------

    def add_users(
        self,
        *,
        organization_id: str,
        users: Sequence[Record],
        document_id: str | None = None,
        folder_id: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/users/add`` to the organization, or only to a document or folder."""
        return self._call_once(
            "v2/users/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                users=users,
            ),
        )

    def get_users(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        folder_id: str | None = None,
        user_ids: Sequence[str] | None = None,
        organization_user_group_ids: Sequence[str] | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/users/get`` (paginated)."""
        return self._call_retried(
            "v2/users/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                userIds=user_ids,
                organizationUserGroupIds=organization_user_group_ids,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_users(
        self,
        *,
        organization_id: str,
        users: Sequence[Record],
        document_id: str | None = None,
        folder_id: str | None = None,
    ) -> JSONObject:
        """``v2/users/update``: user metadata."""
        return self._call_retried(
            "v2/users/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                users=users,
            ),
        )

    def delete_users(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        document_id: str | None = None,
        folder_id: str | None = None,
    ) -> JSONObject:
        """``v2/users/delete``: remove access (not the user's data; see GDPR)."""
        return self._call_retried(
            "v2/users/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                userIds=user_ids,
            ),
        )

    def add_user_groups(
        self, *, organization_id: str, groups: Sequence[Record]
    ) -> JSONObject:
        """``v1/organizations/usergroups/add`` with ``{"groupId", "groupName"}``."""
        return self._call_once(
            "v1/organizations/usergroups/add",
            _body(organizationId=organization_id, organizationUserGroups=groups),
        )

    def add_users_to_group(
        self, *, organization_id: str, group_id: str, user_ids: Sequence[str]
    ) -> JSONObject:
        """``v1/organizations/usergroups/users/add``."""
        return self._call_once(
            "v1/organizations/usergroups/users/add",
            _body(
                organizationId=organization_id,
                organizationUserGroupId=group_id,
                userIds=user_ids,
            ),
        )

    def delete_users_from_group(
        self,
        *,
        organization_id: str,
        group_id: str,
        user_ids: Sequence[str] | None = None,
        delete_all: bool | None = None,
    ) -> JSONObject:
        """``v1/organizations/usergroups/users/delete``: some users, or all."""
        return self._call_retried(
            "v1/organizations/usergroups/users/delete",
            _body(
                organizationId=organization_id,
                organizationUserGroupId=group_id,
                userIds=user_ids,
                deleteAll=delete_all,
            ),
        )
