"""Bad input for every declared family, on mongomock, MongoDB and PostgreSQL: operators in every id position,
wrong types, a missing organization and oversized id lists are refused with a 400
envelope, and nothing stored changes. ``test_bad_input.py`` goes deeper on comments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ..contracts import assert_failure
from ..families import ORG, Family, families_with, on_backends
from ..wire import FamilyClient
from .backends import stored_documents

pytestmark = on_backends(mongomock=True)

OPERATOR = {"$ne": None}


def _snapshot(family: Family) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in doc.items() if k not in ("_id", "updatedAt")}
        for doc in stored_documents(family.collection)
    ]


def _cases(family: Family) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, operation, body) of every malformed request this family can receive."""
    good = family.record("bad-1")
    cases: list[tuple[str, str, dict[str, Any]]] = []
    if "get" in family.operations:
        cases += [
            ("get-org-operator", "get", {"organizationId": OPERATOR}),
            # By ids alone it is the org-less get (§2.5); with documents it is not.
            (
                "get-org-missing",
                "get",
                {family.ids_field: ["seed-1"], "documentIds": ["doc-1"]},
            ),
            ("get-org-number-list", "get", {"organizationId": [ORG]}),
            ("get-ids-operator", "get", family.get_body(ids=[OPERATOR])),
            ("get-ids-not-a-list", "get", family.get_body(ids="seed-1")),  # type: ignore[arg-type]
            ("get-docs-operator", "get", family.get_body(documentIds=[OPERATOR])),
            ("get-docs-object", "get", family.get_body(documentIds=OPERATOR)),
        ]
        if "folder" in family.selectors:
            cases.append(
                (
                    "get-folder-operator",
                    "get",
                    family.get_body(folderId=OPERATOR, allDocuments=True),
                )
            )
    if "save" in family.operations:
        no_org = family.record("bad-1")
        del no_org["metadata"]["organizationId"]
        cases += [
            ("save-map-missing", "save", {"event": family.add_event}),
            ("save-map-list", "save", {family.map_field: [good]}),
            ("save-record-not-object", "save", {family.map_field: {"bad-1": "x"}}),
            ("save-org-missing", "save", family.save_body(no_org)),
            (
                "save-org-operator",
                "save",
                family.save_body(family.record("bad-1", org=OPERATOR)),  # type: ignore[arg-type]
            ),
            (
                "save-doc-operator",
                "save",
                family.save_body(family.record("bad-1", doc=OPERATOR)),  # type: ignore[arg-type]
            ),
            (
                "save-request-org-operator",
                "save",
                {
                    family.map_field: {"bad-1": {family.id_key: "bad-1"}},
                    "metadata": {"organizationId": OPERATOR},
                },
            ),
            ("save-event-object", "save", family.save_body(good, event=OPERATOR)),
        ]
    if "delete" in family.operations:
        cases += [
            ("delete-id-operator", "delete", family.delete_body(OPERATOR)),  # type: ignore[arg-type]
            ("delete-id-missing", "delete", {"metadata": {"organizationId": ORG}}),
            (
                "delete-org-operator",
                "delete",
                {family.id_field: "seed-1", "metadata": {"organizationId": OPERATOR}},
            ),
            (
                "delete-metadata-list",
                "delete",
                {family.id_field: "seed-1", "metadata": [ORG]},
            ),
        ]
    return cases


CASES = [
    pytest.param(family, operation, body, id=f"{family.name}-{name}")
    for family in families_with("get", "save")
    for name, operation, body in _cases(family)
]


@pytest.mark.parametrize(("family", "operation", "body"), CASES)
def test_malformed_request_is_400_and_changes_nothing(
    backend: str,
    velt: Callable[[Family], FamilyClient],
    family: Family,
    operation: str,
    body: dict[str, Any],
) -> None:
    api = velt(family)
    api.save(family.record("seed-1"))
    before = _snapshot(family)
    assert_failure(api.post(operation, body), 400, "INVALID_INPUT")
    assert _snapshot(family) == before


@pytest.mark.parametrize("family", families_with("get"), ids=str)
@pytest.mark.parametrize("selector", ["ids", "documentIds"])
def test_oversized_id_list_is_400(
    backend: str,
    velt: Callable[[Family], FamilyClient],
    settings: Any,
    family: Family,
    selector: str,
) -> None:
    settings.VELT = {**settings.VELT, "MAX_ID_LIST_LENGTH": 10}
    ids = [f"id-{n}" for n in range(11)]
    body = (
        family.get_body(ids=ids)
        if selector == "ids"
        else family.get_body(documentIds=ids)
    )
    assert_failure(velt(family).post("get", body), 400, "INVALID_INPUT")
    # The limit itself is allowed.
    body[family.ids_field if selector == "ids" else "documentIds"] = ids[:10]
    assert velt(family).post("get", body).status_code == 200


@pytest.mark.parametrize("family", families_with("save"), ids=str)
def test_oversized_save_is_400_and_writes_nothing(
    backend: str, velt: Callable[[Family], FamilyClient], settings: Any, family: Family
) -> None:
    settings.VELT = {**settings.VELT, "MAX_RECORDS_PER_SAVE": 3}
    records = [family.record(f"r-{n}") for n in range(4)]
    response = velt(family).post("save", family.save_body(*records))
    assert_failure(response, 400, "INVALID_INPUT")
    assert _snapshot(family) == []
