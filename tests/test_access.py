"""The ready-made organization access policies."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from velt_django.access import (
    allow_all,
    deny_all,
    is_document_scoped,
    organization_level,
    velt_orgs_claim,
)


def request_with(auth: Any) -> Any:
    return SimpleNamespace(auth=auth)


@pytest.mark.parametrize("action", ["get", "save", "delete", "resolve"])
def test_allow_all_allows_every_action(action: str) -> None:
    assert allow_all(request_with(None), action, "any-org", []) is True


def test_allow_all_is_marked_for_the_check() -> None:
    assert allow_all.velt_allows_everything is True  # type: ignore[attr-defined]


@pytest.mark.parametrize("action", ["get", "save", "delete", "resolve"])
def test_deny_all_denies_every_action(action: str) -> None:
    assert (
        deny_all(request_with({"velt_orgs": ["acme"]}), action, "acme", ["d1"]) is False
    )


def test_deny_all_is_not_marked_allow_everything() -> None:
    assert getattr(deny_all, "velt_allows_everything", False) is False


def test_velt_orgs_claim_allows_listed_organization() -> None:
    assert (
        velt_orgs_claim(
            request_with({"velt_orgs": ["acme", "globex"]}), "get", "globex", []
        )
        is True
    )


def test_velt_orgs_claim_denies_unlisted_organization() -> None:
    assert (
        velt_orgs_claim(request_with({"velt_orgs": ["acme"]}), "save", "globex", [])
        is False
    )


def test_velt_orgs_claim_accepts_single_string_claim() -> None:
    assert (
        velt_orgs_claim(request_with({"velt_orgs": "acme"}), "get", "acme", []) is True
    )


def test_velt_orgs_claim_string_claim_is_not_a_substring_match() -> None:
    assert (
        velt_orgs_claim(request_with({"velt_orgs": "acme-corp"}), "get", "acme", [])
        is False
    )


def test_velt_orgs_claim_accepts_tuple_claim() -> None:
    assert (
        velt_orgs_claim(request_with({"velt_orgs": ("acme",)}), "get", "acme", [])
        is True
    )


def test_velt_orgs_claim_denies_without_claim() -> None:
    assert velt_orgs_claim(request_with({"sub": "u1"}), "get", "acme", []) is False


@pytest.mark.parametrize("claim", [None, 1, {"acme": True}])
def test_velt_orgs_claim_denies_unusable_claim(claim: Any) -> None:
    assert (
        velt_orgs_claim(request_with({"velt_orgs": claim}), "get", "acme", []) is False
    )


@pytest.mark.parametrize("auth", [None, "token-string", ["acme"]])
def test_velt_orgs_claim_denies_non_mapping_auth(auth: Any) -> None:
    assert velt_orgs_claim(request_with(auth), "get", "acme", []) is False


def test_velt_orgs_claim_denies_request_without_auth_attribute() -> None:
    assert velt_orgs_claim(object(), "get", "acme", []) is False


@pytest.mark.parametrize("policy", [allow_all, deny_all, velt_orgs_claim])
def test_shipped_policies_are_organization_level(policy: Any) -> None:
    assert is_document_scoped(policy) is False


def test_unmarked_policy_is_document_scoped() -> None:
    def custom(request: Any, action: str, org: str, docs: Any) -> bool:
        return True

    assert is_document_scoped(custom) is True
    assert organization_level(custom) is custom
    assert is_document_scoped(custom) is False
