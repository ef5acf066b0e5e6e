"""The development-only static shared-secret header (CONTRACT §16.2)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from velt_django import shared_secret

from .contracts import assert_failure, assert_success
from .families import ORG

SECRET = "dev-shared-secret-value"
GET = {"organizationId": ORG}
CLASS = "velt_django.shared_secret.InsecureSharedSecretAuthentication"


@pytest.fixture(autouse=True)
def _fresh_warning() -> Iterator[None]:
    shared_secret._warned.clear()
    yield
    shared_secret._warned.clear()


def configure(settings: Any, *, debug: bool = True, **velt: Any) -> None:
    settings.DEBUG = debug
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [CLASS],
        "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
        "INSECURE_SHARED_SECRET": SECRET,
        "ALLOW_INSECURE_SHARED_SECRET": True,
        **velt,
    }


def send(post_json: Any, secret: str | None, path: str = "comments/get") -> Any:
    headers = {} if secret is None else {"HTTP_X_VELT_SHARED_SECRET": secret}
    return post_json(path, GET, as_=None, **headers)


def test_shared_secret_right_header_is_accepted(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    configure(settings)
    assert_success(send(post_json, SECRET), read=True)


@pytest.mark.parametrize("wrong", ["", "dev-shared-secret-valuX", SECRET + "x", "x"])
def test_shared_secret_wrong_header_is_401(
    settings: Any, mongo_db: Any, post_json: Any, wrong: str
) -> None:
    configure(settings)
    assert_failure(send(post_json, wrong), 401, "UNAUTHENTICATED")


def test_shared_secret_missing_header_is_401(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    configure(settings)
    assert_failure(send(post_json, None), 401, "UNAUTHENTICATED")


def test_shared_secret_without_opt_in_is_refused(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    configure(settings, ALLOW_INSECURE_SHARED_SECRET=False)
    assert_failure(send(post_json, SECRET), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("truthy", ["true", 1, "yes"])
def test_shared_secret_opt_in_must_be_exactly_true(
    settings: Any, mongo_db: Any, post_json: Any, truthy: Any
) -> None:
    configure(settings, ALLOW_INSECURE_SHARED_SECRET=truthy)
    assert_failure(send(post_json, SECRET), 401, "UNAUTHENTICATED")


def test_shared_secret_without_secret_is_refused(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    configure(settings, INSECURE_SHARED_SECRET=None)
    assert_failure(send(post_json, ""), 401, "UNAUTHENTICATED")


def test_shared_secret_is_refused_while_debug_is_off(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    configure(settings, debug=False)
    assert_failure(send(post_json, SECRET), 401, "UNAUTHENTICATED")


def test_shared_secret_principal_has_no_organizations_under_velt_orgs_claim(
    settings: Any, mongo_db: Any, post_json: Any
) -> None:
    # No identity, no claims: the default policy refuses every organization.
    configure(settings, ORGANIZATION_ACCESS="velt_django.access.velt_orgs_claim")
    assert_failure(send(post_json, SECRET), 403, "FORBIDDEN")


def test_shared_secret_logs_a_warning_once_without_the_secret(
    settings: Any, mongo_db: Any, post_json: Any, caplog: pytest.LogCaptureFixture
) -> None:
    configure(settings)
    with caplog.at_level(logging.DEBUG):
        send(post_json, SECRET)
        send(post_json, "wrong-guess")
        send(post_json, SECRET)
    warnings = [
        r
        for r in caplog.records
        if r.name == "velt_django.shared_secret" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "X-Velt-Shared-Secret" in warnings[0].getMessage()
    assert SECRET not in caplog.text
    assert "wrong-guess" not in caplog.text


def test_shared_secret_compares_in_constant_time(
    settings: Any, mongo_db: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []
    real = shared_secret.constant_time_compare  # type: ignore[attr-defined]

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(shared_secret, "constant_time_compare", spy)
    configure(settings)
    assert_success(send(post_json, SECRET), read=True)
    assert calls == [(SECRET, SECRET)]
