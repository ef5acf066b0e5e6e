"""VeltClient's organization, document and folder calls
(``velt_django.client.organizations``)."""

from __future__ import annotations

from .velt_api import Call, DocumentedCalls

# (method, keyword arguments, path, expected "data", retried on 429/5xx)
CALLS: list[Call] = [
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
]


class TestOrganizationsCalls(DocumentedCalls):
    calls = CALLS
