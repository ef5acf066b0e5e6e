"""System checks of the webhook settings (velt_django/webhooks/checks.py): the exact IDs
(velt.E040–E047, W040–W044)."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.webhook_helpers import SIGNING_SECRET, TOKEN, RsaPair
from velt_django.checks import check_settings

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
    # Memberships, which e-mail recipients need (velt.W043).
    "USER_FIELDS": {"organizations": "groups__name"},
}
APP_TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
]


def ids(settings: Any, **velt: Any) -> list[str]:
    settings.VELT = {**GOOD, **velt}
    return [message.id for message in check_settings() if message.id]


def test_check_webhooks_good_settings_pass(settings: Any) -> None:
    settings.TEMPLATES = APP_TEMPLATES
    pair = RsaPair()
    assert (
        ids(
            settings,
            WEBHOOK_AUTH_TOKEN=TOKEN,
            WEBHOOK_SIGNING_SECRET=SIGNING_SECRET,
            WEBHOOK_PRIVATE_KEY=pair.private_pem,
            WEBHOOK_EMAILS=True,
            WEBHOOK_EMAIL_FROM="velt@app.example.com",
            WEBHOOK_DEDUP_DAYS=3,
            WEBHOOK_MAX_BODY_SIZE=1024,
        )
        == []
    )


def test_check_webhooks_base64_der_private_key_passes(settings: Any) -> None:
    assert ids(settings, WEBHOOK_PRIVATE_KEY=RsaPair().private_der_base64) == []


@pytest.mark.parametrize("token", ["", "   ", 42, b"bytes-token-0123456789"])
def test_check_webhooks_bad_auth_token_is_e040(settings: Any, token: Any) -> None:
    assert ids(settings, WEBHOOK_AUTH_TOKEN=token) == ["velt.E040"]


def test_check_webhooks_short_auth_token_is_w041(settings: Any) -> None:
    assert ids(settings, WEBHOOK_AUTH_TOKEN="short") == ["velt.W041"]


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_!!!", 7])
def test_check_webhooks_bad_signing_secret_is_e041(settings: Any, secret: Any) -> None:
    assert ids(settings, WEBHOOK_SIGNING_SECRET=secret) == ["velt.E041"]


def test_check_webhooks_signing_secret_without_svix_is_e042(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "svix" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert ids(settings, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET) == ["velt.E042"]


@pytest.mark.parametrize(
    "key",
    [
        "not a key",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        42,
        b"\xff\xfe",
    ],
)
def test_check_webhooks_bad_private_key_is_e043(settings: Any, key: Any) -> None:
    assert ids(settings, WEBHOOK_PRIVATE_KEY=key) == ["velt.E043"]


def test_check_webhooks_non_rsa_private_key_is_e043(settings: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert ids(settings, WEBHOOK_PRIVATE_KEY=pem) == ["velt.E043"]


@pytest.mark.parametrize("enabled", ["yes", 1])
def test_check_webhooks_emails_not_a_bool_is_e044(settings: Any, enabled: Any) -> None:
    assert ids(settings, WEBHOOK_AUTH_TOKEN=TOKEN, WEBHOOK_EMAILS=enabled) == [
        "velt.E044"
    ]


@pytest.mark.parametrize("sender", ["", ["a@b.example"]])
def test_check_webhooks_bad_email_sender_is_e047(settings: Any, sender: Any) -> None:
    assert ids(settings, WEBHOOK_AUTH_TOKEN=TOKEN, WEBHOOK_EMAIL_FROM=sender) == [
        "velt.E047"
    ]


@pytest.mark.parametrize(
    "key",
    [
        "WEBHOOK_DEDUP_DAYS",
        "WEBHOOK_MAX_BODY_SIZE",
        "WEBHOOK_LEASE_SECONDS",
        "WEBHOOK_EMAIL_BUDGET_SECONDS",
    ],
)
@pytest.mark.parametrize("value", [0, -1, "7", True, None])
def test_check_webhooks_sizes_must_be_positive_ints_e005(
    settings: Any, key: str, value: Any
) -> None:
    assert ids(settings, **{key: value}) == ["velt.E005"]


def test_check_webhooks_dedup_shorter_than_velts_retries_is_e045(
    settings: Any,
) -> None:
    # Velt retries for about 28 hours: one day would forget a delivery too early.
    assert ids(settings, WEBHOOK_DEDUP_DAYS=1) == ["velt.E045"]
    assert ids(settings, WEBHOOK_DEDUP_DAYS=2) == []


@pytest.mark.parametrize("lease", [10, 5])
def test_check_webhooks_lease_not_longer_than_the_email_budget_is_e046(
    settings: Any, lease: int
) -> None:
    velt = {"WEBHOOK_LEASE_SECONDS": lease, "WEBHOOK_EMAIL_BUDGET_SECONDS": 10}
    assert ids(settings, **velt) == ["velt.E046"]
    assert ids(settings, WEBHOOK_LEASE_SECONDS=lease) == ["velt.E046"]


def test_check_webhooks_email_budget_beyond_velts_timeout_is_w044(
    settings: Any,
) -> None:
    assert ids(settings, WEBHOOK_EMAIL_BUDGET_SECONDS=15) == ["velt.W044"]
    assert ids(settings, WEBHOOK_EMAIL_BUDGET_SECONDS=14) == []


def test_check_webhooks_emails_without_any_secret_is_w040(settings: Any) -> None:
    settings.TEMPLATES = APP_TEMPLATES
    assert ids(settings, WEBHOOK_EMAILS=True) == ["velt.W040"]


def test_check_webhooks_emails_without_templates_is_w042(settings: Any) -> None:
    settings.TEMPLATES = []
    assert ids(settings, WEBHOOK_EMAILS=True, WEBHOOK_AUTH_TOKEN=TOKEN) == ["velt.W042"]


def test_check_webhooks_emails_with_a_directory_without_memberships_is_w043(
    settings: Any,
) -> None:
    settings.TEMPLATES = APP_TEMPLATES
    settings.VELT = {**GOOD, "WEBHOOK_EMAILS": True, "WEBHOOK_AUTH_TOKEN": TOKEN}
    del settings.VELT["USER_FIELDS"]
    assert [m.id for m in check_settings()] == ["velt.W043"]
    settings.VELT["USER_FIELDS"] = {"organizations": None, "email": "email"}
    assert [m.id for m in check_settings()] == ["velt.W043"]


@pytest.mark.parametrize(
    "velt",
    [
        {"WEBHOOK_EMAILS": False},
        {"USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory"},
    ],
)
def test_check_webhooks_w043_only_for_emails_through_the_django_directory(
    settings: Any, velt: dict[str, Any]
) -> None:
    settings.TEMPLATES = APP_TEMPLATES
    settings.VELT = {**GOOD, "WEBHOOK_EMAILS": True, "WEBHOOK_AUTH_TOKEN": TOKEN}
    del settings.VELT["USER_FIELDS"]
    settings.VELT.update(velt)
    assert [m.id for m in check_settings()] == []


def test_check_webhooks_templates_are_not_needed_while_emails_are_off(
    settings: Any,
) -> None:
    settings.TEMPLATES = []
    assert ids(settings, WEBHOOK_AUTH_TOKEN=TOKEN) == []


def test_check_webhooks_call_command_check_fails_on_an_error(settings: Any) -> None:
    settings.VELT = {**GOOD, "WEBHOOK_SIGNING_SECRET": "whsec_"}
    with pytest.raises(SystemCheckError, match="velt.E041"):
        call_command("check")
