"""Organization, document and folder endpoints of ``VeltClient``."""

from __future__ import annotations

from collections.abc import Sequence

from .base import AccessType, BaseClient, JSONObject, Record, _body


class OrganizationsMixin(BaseClient):
    """Organizations, their documents and folders (``v1/organizations``, ``v2/organizations``)."""

    # ---- organizations -----------------------------------------------------------

    def add_organizations(self, *, organizations: Sequence[Record]) -> JSONObject:
        """``v1/organizations/add`` with ``{"organizationId", "organizationName", ...}``."""
        return self._call_once(
            "v1/organizations/add", _body(organizations=organizations)
        )

    def get_organizations(
        self,
        *,
        organization_ids: Sequence[str] | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/organizations/get`` (all organizations without ids; paginated)."""
        return self._call_retried(
            "v2/organizations/get",
            _body(
                organizationIds=organization_ids,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_organizations(self, *, organizations: Sequence[Record]) -> JSONObject:
        """``v1/organizations/update``."""
        return self._call_retried(
            "v1/organizations/update", _body(organizations=organizations)
        )

    def delete_organizations(self, *, organization_ids: Sequence[str]) -> JSONObject:
        """``v1/organizations/delete``."""
        return self._call_retried(
            "v1/organizations/delete", _body(organizationIds=organization_ids)
        )

    def set_organizations_disabled(
        self, *, organization_ids: Sequence[str], disabled: bool
    ) -> JSONObject:
        """``v1/organizations/access/disablestate/update``: cut or restore access."""
        return self._call_retried(
            "v1/organizations/access/disablestate/update",
            _body(organizationIds=organization_ids, disabled=disabled),
        )

    # ---- documents ---------------------------------------------------------------

    def add_documents(
        self,
        *,
        organization_id: str,
        documents: Sequence[Record],
        folder_id: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/organizations/documents/add`` with ``{"documentId", "documentName"}``."""
        return self._call_once(
            "v2/organizations/documents/add",
            _body(
                extra,
                organizationId=organization_id,
                documents=documents,
                folderId=folder_id,
            ),
        )

    def get_documents(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str] | None = None,
        folder_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/organizations/documents/get`` (paginated)."""
        return self._call_retried(
            "v2/organizations/documents/get",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                folderId=folder_id,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_documents(
        self, *, organization_id: str, documents: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/documents/update``."""
        return self._call_retried(
            "v2/organizations/documents/update",
            _body(organizationId=organization_id, documents=documents),
        )

    def delete_documents(
        self, *, organization_id: str, document_ids: Sequence[str]
    ) -> JSONObject:
        """``v2/organizations/documents/delete``."""
        return self._call_retried(
            "v2/organizations/documents/delete",
            _body(organizationId=organization_id, documentIds=document_ids),
        )

    def move_documents(
        self, *, organization_id: str, document_ids: Sequence[str], folder_id: str
    ) -> JSONObject:
        """``v2/organizations/documents/move`` into ``folder_id``."""
        return self._call_retried(
            "v2/organizations/documents/move",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                folderId=folder_id,
            ),
        )

    def update_document_access(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str],
        access_type: AccessType,
    ) -> JSONObject:
        """``v2/organizations/documents/access/update``."""
        return self._call_retried(
            "v2/organizations/documents/access/update",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                accessType=access_type,
            ),
        )

    def set_documents_disabled(
        self, *, organization_id: str, document_ids: Sequence[str], disabled: bool
    ) -> JSONObject:
        """``v2/organizations/documents/access/disablestate/update``."""
        return self._call_retried(
            "v2/organizations/documents/access/disablestate/update",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                disabled=disabled,
            ),
        )

    # ---- folders -----------------------------------------------------------------

    def add_folders(
        self, *, organization_id: str, folders: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/folders/add`` with ``{"folderId", "folderName",
        "parentFolderId"}``."""
        return self._call_once(
            "v2/organizations/folders/add",
            _body(organizationId=organization_id, folders=folders),
        )

    def get_folders(
        self, *, organization_id: str, folder_id: str | None = None
    ) -> JSONObject:
        """``v2/organizations/folders/get``: one folder and its subfolders, or all."""
        return self._call_retried(
            "v2/organizations/folders/get",
            _body(organizationId=organization_id, folderId=folder_id),
        )

    def update_folders(
        self, *, organization_id: str, folders: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/folders/update`` (rename, or move under a new parent)."""
        return self._call_retried(
            "v2/organizations/folders/update",
            _body(organizationId=organization_id, folders=folders),
        )

    def delete_folder(self, *, organization_id: str, folder_id: str) -> JSONObject:
        """``v2/organizations/folders/delete``: the folder and everything in it."""
        return self._call_retried(
            "v2/organizations/folders/delete",
            _body(organizationId=organization_id, folderId=folder_id),
        )

    def update_folder_access(
        self,
        *,
        organization_id: str,
        folder_ids: Sequence[str],
        access_type: AccessType,
    ) -> JSONObject:
        """``v2/organizations/folders/access/update``."""
        return self._call_retried(
            "v2/organizations/folders/access/update",
            _body(
                organizationId=organization_id,
                folderIds=folder_ids,
                accessType=access_type,
            ),
        )
