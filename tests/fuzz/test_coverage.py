"""Every route of velt_django's URLconf is fuzzed: a route added without a fuzz
endpoint fails here, by name."""

from __future__ import annotations

import pytest

from velt_django.validation.annotations import ANNOTATION_FAMILIES

from .endpoints import discovered, route_names


def test_every_route_has_a_fuzz_endpoint() -> None:
    missing = [name for name, endpoint in discovered().items() if endpoint is None]
    assert not missing, (
        f"routes not covered by the fuzz tier: {missing}; add each to "
        "tests/fuzz/endpoints.py KNOWN"
    )


@pytest.mark.parametrize("family", ANNOTATION_FAMILIES, ids=lambda f: f.name)
def test_every_annotation_family_is_fuzzed_from_its_declaration(family: object) -> None:
    names = {f"{family.name}-{action}" for action in ("get", "save", "delete")}  # type: ignore[attr-defined]
    assert names <= {n for n, e in discovered().items() if e is not None}


def test_routes_are_read_from_the_urlconf() -> None:
    names = route_names()
    assert {"comments-save", "webhooks-velt", "permissions-check", "file"} <= set(names)
