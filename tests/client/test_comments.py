"""VeltClient's comment annotation and comment calls (``velt_django.client.comments``)."""

from __future__ import annotations

from .velt_api import Call, DocumentedCalls

# (method, keyword arguments, path, expected "data", retried on 429/5xx)
CALLS: list[Call] = [
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
]


class TestCommentsCalls(DocumentedCalls):
    calls = CALLS
