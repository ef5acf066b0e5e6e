"""Request validation of the annotation families (no database)."""

from __future__ import annotations

from typing import Any

import pytest

from velt_django.exceptions import InvalidInput
from velt_django.validation.annotations import (
    COMMENTS,
    REACTIONS,
    AnnotationFamily,
    parse_delete,
    parse_get,
    parse_save,
)
from velt_django.validation.base import event_value

FAMILIES = pytest.mark.parametrize(
    "family", [COMMENTS, REACTIONS], ids=["comments", "reactions"]
)

OPERATOR_VALUES = [{"$ne": None}, ["a"], True, False, {"x": 1}, 1.5]


def save_body(
    family: AnnotationFamily, records: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {family.save_field: records, **extra}


# ---- parse_get -----------------------------------------------------------------------------


@FAMILIES
def test_parse_get_reads_all_selectors(family: AnnotationFamily) -> None:
    result = parse_get(
        {
            "organizationId": "acme",
            family.ids_field: ["a1"],
            "documentIds": ["d1"],
            "folderId": "f1",
            "allDocuments": True,
        },
        family,
    )
    assert (
        result.organization_id,
        result.ids,
        result.document_ids,
        result.folder_id,
    ) == ("acme", ["a1"], ["d1"], "f1")


@FAMILIES
def test_parse_get_missing_organization_by_ids_is_orgless(
    family: AnnotationFamily,
) -> None:
    for org in ({}, {"organizationId": None}, {"organizationId": " "}):
        query = parse_get({**org, family.ids_field: ["a1"]}, family)
        assert query.organization_id is None and query.ids == ["a1"]


@FAMILIES
def test_parse_get_missing_organization_by_documents_is_invalid(
    family: AnnotationFamily,
) -> None:
    with pytest.raises(InvalidInput):
        parse_get({family.ids_field: ["a1"], "documentIds": ["d"]}, family)
    with pytest.raises(InvalidInput):
        parse_get({}, family)


@FAMILIES
def test_parse_get_empty_organization_is_invalid(family: AnnotationFamily) -> None:
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": ""}, family)


def test_parse_get_coerces_numeric_organization() -> None:
    assert parse_get({"organizationId": 42}, COMMENTS).organization_id == "42"


def test_parse_get_coerces_numeric_ids_to_strings() -> None:
    result = parse_get(
        {"organizationId": "acme", "commentAnnotationIds": [517204, "x", 7.0]}, COMMENTS
    )
    assert result.ids == ["517204", "x", "7"]


def test_parse_get_refuses_non_integral_float_id() -> None:
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": "acme", "commentAnnotationIds": [1.5]}, COMMENTS)


@pytest.mark.parametrize("value", OPERATOR_VALUES)
def test_parse_get_refuses_non_scalar_organization(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": value}, COMMENTS)


@pytest.mark.parametrize("value", [{"$ne": None}, ["nested"], True, 1.5])
def test_parse_get_refuses_operator_inside_id_list(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": "acme", "documentIds": [value]}, COMMENTS)


@pytest.mark.parametrize("value", [{"$in": ["a"]}, "a1", 5, True])
def test_parse_get_refuses_non_array_id_list(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": "acme", "reactionAnnotationIds": value}, REACTIONS)


@pytest.mark.parametrize("value", [{"$ne": None}, ["f"], True])
def test_parse_get_refuses_operator_folder(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_get(
            {"organizationId": "acme", "folderId": value, "allDocuments": True},
            COMMENTS,
        )


def test_parse_get_drops_duplicate_ids_keeping_order() -> None:
    result = parse_get(
        {"organizationId": "acme", "documentIds": ["b", "a", "b", 1, "1"]}, COMMENTS
    )
    assert result.document_ids == ["b", "a", "1"]


@pytest.mark.parametrize("value", [None, []])
def test_parse_get_null_or_empty_id_list_is_absent(value: Any) -> None:
    result = parse_get(
        {"organizationId": "acme", "commentAnnotationIds": value, "documentIds": value},
        COMMENTS,
    )
    assert (result.ids, result.document_ids) == ([], [])


def test_parse_get_drops_null_and_empty_list_elements() -> None:
    result = parse_get(
        {"organizationId": "acme", "documentIds": [None, "", "d1"]}, COMMENTS
    )
    assert result.document_ids == ["d1"]


def test_parse_get_accepts_id_list_at_limit(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 3}
    result = parse_get(
        {"organizationId": "acme", "documentIds": ["a", "b", "c"]}, COMMENTS
    )
    assert result.document_ids == ["a", "b", "c"]


def test_parse_get_refuses_id_list_over_limit(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 3}
    with pytest.raises(InvalidInput):
        parse_get(
            {"organizationId": "acme", "documentIds": ["a", "b", "c", "d"]}, COMMENTS
        )


def test_parse_get_refuses_id_longer_than_limit(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LENGTH": 4}
    with pytest.raises(InvalidInput):
        parse_get({"organizationId": "acme", "documentIds": ["abcde"]}, COMMENTS)


def test_parse_get_ignores_folder_without_all_documents() -> None:
    assert (
        parse_get({"organizationId": "acme", "folderId": "f1"}, COMMENTS).folder_id
        is None
    )


@pytest.mark.parametrize("flag", [False, "true", 1, None])
def test_parse_get_ignores_folder_unless_all_documents_is_true(flag: Any) -> None:
    assert (
        parse_get(
            {"organizationId": "acme", "folderId": "f1", "allDocuments": flag}, COMMENTS
        ).folder_id
        is None
    )


def test_parse_get_ignores_unknown_request_fields() -> None:
    result = parse_get({"organizationId": "acme", "somethingNew": {"$x": 1}}, COMMENTS)
    assert result.organization_id == "acme"


def test_parse_get_reads_family_specific_ids_field() -> None:
    body = {
        "organizationId": "acme",
        "commentAnnotationIds": ["c1"],
        "reactionAnnotationIds": ["r1"],
    }
    assert parse_get(body, COMMENTS).ids == ["c1"]
    assert parse_get(body, REACTIONS).ids == ["r1"]


# ---- parse_save: records and ids -------------------------------------------------------------


@FAMILIES
def test_parse_save_builds_one_record_per_entry(family: AnnotationFamily) -> None:
    body = save_body(
        family,
        {
            "a1": {"metadata": {"organizationId": "acme"}},
            "a2": {"metadata": {"organizationId": "globex"}},
        },
    )
    records = parse_save(body, family).records
    assert [(r.record_id, r.organization_id) for r in records] == [
        ("a1", "acme"),
        ("a2", "globex"),
    ]


@FAMILIES
def test_parse_save_missing_map_is_invalid(family: AnnotationFamily) -> None:
    with pytest.raises(InvalidInput):
        parse_save({"metadata": {"organizationId": "acme"}}, family)


@pytest.mark.parametrize("value", [["a1"], "a1", 5, True])
def test_parse_save_non_object_map_is_invalid(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_save(
            {"commentAnnotation": value, "metadata": {"organizationId": "acme"}},
            COMMENTS,
        )


def test_parse_save_empty_map_gives_no_records() -> None:
    assert parse_save({"commentAnnotation": {}}, COMMENTS).records == []


@pytest.mark.parametrize("value", [None, "text", ["x"], 1])
def test_parse_save_non_object_record_is_invalid(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_save(
            {
                "commentAnnotation": {"a1": value},
                "metadata": {"organizationId": "acme"},
            },
            COMMENTS,
        )


def test_parse_save_fills_missing_id_from_key() -> None:
    records = parse_save(
        {"commentAnnotation": {"a1": {}}, "metadata": {"organizationId": "acme"}},
        COMMENTS,
    ).records
    assert records[0].payload["annotationId"] == "a1"


def test_parse_save_key_wins_over_payload_id() -> None:
    body = {
        "commentAnnotation": {"a1": {"annotationId": "other"}},
        "metadata": {"organizationId": "acme"},
    }
    record = parse_save(body, COMMENTS).records[0]
    assert record.record_id == "a1"
    assert record.payload["annotationId"] == "a1"


def test_parse_save_key_wins_over_numeric_payload_id() -> None:
    body = {
        "commentAnnotation": {"7": {"annotationId": 7}},
        "metadata": {"organizationId": "acme"},
    }
    assert parse_save(body, COMMENTS).records[0].payload["annotationId"] == "7"


def test_parse_save_keeps_payload_otherwise_verbatim() -> None:
    payload = {
        "comments": {"1": {"commentId": 1}},
        "team.name": 0,
        "resolvedByUserId": None,
    }
    body = {
        "commentAnnotation": {"a1": dict(payload)},
        "metadata": {"organizationId": "acme"},
    }
    assert parse_save(body, COMMENTS).records[0].payload == {
        **payload,
        "annotationId": "a1",
    }


def test_parse_save_does_not_copy_request_fields_into_payload() -> None:
    body = {
        "commentAnnotation": {"a1": {}},
        "metadata": {"organizationId": "acme"},
        "event": "comment.add",
        "commentId": "1",
        "targetComment": {"commentId": 1},
    }
    assert parse_save(body, COMMENTS).records[0].payload == {"annotationId": "a1"}


def test_parse_save_refuses_record_count_over_limit(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 2}
    body = {
        "commentAnnotation": {"a": {}, "b": {}, "c": {}},
        "metadata": {"organizationId": "acme"},
    }
    with pytest.raises(InvalidInput):
        parse_save(body, COMMENTS)


def test_parse_save_accepts_record_count_at_limit(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 2}
    body = {
        "commentAnnotation": {"a": {}, "b": {}},
        "metadata": {"organizationId": "acme"},
    }
    assert len(parse_save(body, COMMENTS).records) == 2


def test_parse_save_accepts_annotations_alias() -> None:
    body = {"annotations": {"a1": {}}, "metadata": {"organizationId": "acme"}}
    assert [r.record_id for r in parse_save(body, COMMENTS).records] == ["a1"]


def test_parse_save_prefers_family_field_over_annotations_alias() -> None:
    body = {
        "commentAnnotation": {"a1": {}},
        "annotations": {"z9": {}},
        "metadata": {"organizationId": "acme"},
    }
    assert [r.record_id for r in parse_save(body, COMMENTS).records] == ["a1"]


def test_parse_save_reaction_field_is_not_read_for_comments() -> None:
    with pytest.raises(InvalidInput):
        parse_save(
            {"reactionAnnotation": {"a1": {}}, "metadata": {"organizationId": "acme"}},
            COMMENTS,
        )


# ---- parse_save: organization, document, folder ------------------------------------------


def _org_of(record_md: dict[str, Any] | None, request_md: dict[str, Any] | None) -> str:
    payload: dict[str, Any] = {} if record_md is None else {"metadata": record_md}
    body: dict[str, Any] = {"commentAnnotation": {"a1": payload}}
    if request_md is not None:
        body["metadata"] = request_md
    return parse_save(body, COMMENTS).records[0].organization_id


FULL_REQUEST_MD = {"clientOrganizationId": "req-client", "organizationId": "req-org"}


def test_parse_save_organization_prefers_payload_client_organization() -> None:
    assert (
        _org_of(
            {"clientOrganizationId": "p-client", "organizationId": "p-org"},
            FULL_REQUEST_MD,
        )
        == "p-client"
    )


def test_parse_save_organization_then_payload_organization() -> None:
    assert _org_of({"organizationId": "p-org"}, FULL_REQUEST_MD) == "p-org"


def test_parse_save_organization_then_request_client_organization() -> None:
    assert _org_of({"documentId": "d"}, FULL_REQUEST_MD) == "req-client"


def test_parse_save_organization_then_request_organization() -> None:
    assert _org_of(None, {"organizationId": "req-org"}) == "req-org"


def test_parse_save_missing_organization_is_invalid() -> None:
    with pytest.raises(InvalidInput):
        _org_of({"documentId": "d"}, {"documentId": "d"})


def test_parse_save_one_record_without_organization_fails_request() -> None:
    body = {
        "commentAnnotation": {"a1": {"metadata": {"organizationId": "acme"}}, "a2": {}}
    }
    with pytest.raises(InvalidInput):
        parse_save(body, COMMENTS)


@pytest.mark.parametrize("value", [{"$ne": None}, ["acme"], True])
def test_parse_save_refuses_operator_organization(value: Any) -> None:
    with pytest.raises(InvalidInput):
        _org_of({"organizationId": value}, None)


def test_parse_save_coerces_numeric_organization() -> None:
    assert _org_of({"organizationId": 1234}, None) == "1234"


def test_parse_save_ignores_non_object_payload_metadata() -> None:
    assert _org_of("not-an-object", {"organizationId": "req-org"}) == "req-org"  # type: ignore[arg-type]


def test_parse_save_refuses_non_object_request_metadata() -> None:
    with pytest.raises(InvalidInput):
        parse_save({"commentAnnotation": {"a1": {}}, "metadata": ["acme"]}, COMMENTS)


def test_parse_save_accepts_context_alias_for_request_metadata() -> None:
    body = {
        "commentAnnotation": {"a1": {}},
        "context": {"organizationId": "ctx-org", "documentId": "ctx-doc"},
    }
    record = parse_save(body, COMMENTS).records[0]
    assert (record.organization_id, record.document_id) == ("ctx-org", "ctx-doc")


def test_parse_save_prefers_metadata_over_context() -> None:
    body = {
        "commentAnnotation": {"a1": {}},
        "metadata": {"organizationId": "md"},
        "context": {"organizationId": "ctx"},
    }
    assert parse_save(body, COMMENTS).records[0].organization_id == "md"


def _doc_of(record_md: dict[str, Any], request_md: dict[str, Any]) -> str | None:
    body = {
        "commentAnnotation": {
            "a1": {"metadata": {"organizationId": "acme", **record_md}}
        },
        "metadata": request_md,
    }
    return parse_save(body, COMMENTS).records[0].document_id


def test_parse_save_document_prefers_payload_client_document() -> None:
    assert (
        _doc_of(
            {"clientDocumentId": "p-client", "documentId": "p-doc"},
            {"clientDocumentId": "r"},
        )
        == "p-client"
    )


def test_parse_save_document_then_payload_document() -> None:
    assert _doc_of({"documentId": "p-doc"}, {"clientDocumentId": "r-client"}) == "p-doc"


def test_parse_save_document_then_request_client_document() -> None:
    assert (
        _doc_of({}, {"clientDocumentId": "r-client", "documentId": "r-doc"})
        == "r-client"
    )


def test_parse_save_document_then_request_document() -> None:
    assert _doc_of({}, {"documentId": "r-doc"}) == "r-doc"


def test_parse_save_document_absent_is_none() -> None:
    assert _doc_of({}, {}) is None


def test_parse_save_folder_prefers_payload_then_request() -> None:
    body = {
        "commentAnnotation": {"a1": {"metadata": {"folderId": "p-f"}}, "a2": {}},
        "metadata": {"organizationId": "acme", "folderId": "r-f"},
    }
    assert [r.folder_id for r in parse_save(body, COMMENTS).records] == ["p-f", "r-f"]


# ---- parse_save: event and commentId ---------------------------------------------------------


def test_parse_save_reads_event_and_comment_id() -> None:
    body = {"commentAnnotation": {}, "event": "comment.delete", "commentId": 660913}
    result = parse_save(body, COMMENTS)
    assert (result.event, result.comment_id) == ("comment.delete", "660913")


def test_parse_save_event_and_comment_id_default_to_none() -> None:
    result = parse_save({"commentAnnotation": {}}, COMMENTS)
    assert (result.event, result.comment_id) == (None, None)


@pytest.mark.parametrize("value", [1, True, {"type": "x"}, ["comment.add"]])
def test_parse_save_refuses_non_string_event(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_save({"commentAnnotation": {}, "event": value}, COMMENTS)


@pytest.mark.parametrize("value", [{"$ne": None}, [1], True])
def test_parse_save_refuses_operator_comment_id(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_save({"commentAnnotation": {}, "commentId": value}, COMMENTS)


# ---- parse_delete ----------------------------------------------------------------------------


@FAMILIES
def test_parse_delete_reads_id_and_metadata(family: AnnotationFamily) -> None:
    body = {
        family.delete_field: "a1",
        "metadata": {"organizationId": "acme", "documentId": "d1"},
        "event": "x.delete",
    }
    result = parse_delete(body, family)
    assert (result.record_id, result.organization_id, result.document_id) == (
        "a1",
        "acme",
        "d1",
    )


@FAMILIES
def test_parse_delete_accepts_annotation_id_alias(family: AnnotationFamily) -> None:
    assert parse_delete({"annotationId": "a1"}, family).record_id == "a1"


def test_parse_delete_prefers_family_field_over_alias() -> None:
    assert (
        parse_delete(
            {"commentAnnotationId": "a1", "annotationId": "z9"}, COMMENTS
        ).record_id
        == "a1"
    )


@FAMILIES
def test_parse_delete_missing_id_is_invalid(family: AnnotationFamily) -> None:
    with pytest.raises(InvalidInput):
        parse_delete({"metadata": {"organizationId": "acme"}}, family)


def test_parse_delete_coerces_numeric_id() -> None:
    assert parse_delete({"reactionAnnotationId": 99}, REACTIONS).record_id == "99"


@pytest.mark.parametrize("value", [{"$ne": None}, ["a1"], True])
def test_parse_delete_refuses_operator_id(value: Any) -> None:
    with pytest.raises(InvalidInput):
        parse_delete({"commentAnnotationId": value}, COMMENTS)


def test_parse_delete_without_metadata_has_no_organization() -> None:
    result = parse_delete({"commentAnnotationId": "a1"}, COMMENTS)
    assert (result.organization_id, result.document_id) == (None, None)


def test_parse_delete_prefers_client_organization_and_document() -> None:
    md = {
        "clientOrganizationId": "c-org",
        "organizationId": "org",
        "clientDocumentId": "c-doc",
        "documentId": "doc",
    }
    result = parse_delete({"commentAnnotationId": "a1", "metadata": md}, COMMENTS)
    assert (result.organization_id, result.document_id) == ("c-org", "c-doc")


def test_parse_delete_refuses_non_object_metadata() -> None:
    with pytest.raises(InvalidInput):
        parse_delete({"commentAnnotationId": "a1", "metadata": "acme"}, COMMENTS)


@pytest.mark.parametrize("value", [5, {"$ne": None}, ["comment.delete"], True, 1.5])
def test_parse_delete_ignores_non_string_event(value: Any) -> None:
    # Informational on deletes (CONTRACT §4, A-8): refusing would make the record
    # undeletable while Velt retries.
    result = parse_delete({"commentAnnotationId": "a1", "event": value}, COMMENTS)
    assert (result.record_id, result.event) == ("a1", None)


def test_parse_delete_keeps_velt_event_value() -> None:
    body = {"commentAnnotationId": "a1", "event": "comment_annotation.delete"}
    assert parse_delete(body, COMMENTS).event == "comment_annotation.delete"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("comment_annotation.status_change", "comment_annotation.status_change"),
        ("custom:event-1", "custom:event-1"),
        ("bad\nline\x00", "bad_line_"),
        ("emoji 🎉 event", "emoji___event"),
        ("x" * 500, "x" * 100),
        ("", None),
    ],
)
def test_event_value_caps_length_and_characters(raw: str, expected: Any) -> None:
    assert event_value(raw) == expected
    assert event_value(raw, strict=False) == expected
