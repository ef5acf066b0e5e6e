"""The codes table (velt_django/check_codes.py): every check ID is defined once, every
ID the package emits is in the table and every code in the table is emitted, each by
one call site or one setting declaration, and each is triggered by a settings
override that produces it alone."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests import settings as test_settings
from tests.webhook_helpers import SIGNING_SECRET, TOKEN
from velt_django import check_codes
from velt_django.check_codes import SECTIONS, Code, all_codes, code
from velt_django.checks import check_settings
from velt_django.conf import SETTINGS, Key, Setting

PACKAGE = Path(check_codes.__file__).resolve().parent
CHECK_ID = re.compile(r"velt\.[EW]\d{3}")
#: A code emitted by hand, e.g. ``Tokens.E021(``.
SECTION_NAMES = "|".join(section.__name__ for section in SECTIONS)
CALL = re.compile(rf"\b(?:{SECTION_NAMES})\.([EW]\d{{3}})\(")

GOOD = {
    "MONGODB_URI": "mongodb://localhost:27017",
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
}
ALLOW_ALL = "velt_django.access.allow_all"
TOKEN_CLASS = "velt_django.authentication.ResolverTokenAuthentication"
SECRET = "a-test-only-resolver-secret-" + "x" * 40
JWKS = "https://id.example/jwks.json"
ORGANIZATIONS = "tests.test_tokens.organizations_of"
S3 = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "b"}}
UNSIGNED_S3 = {**S3, "OPTIONS": {"bucket_name": "b", "querystring_auth": False}}
APP_TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
]
#: Memberships, which e-mail recipients need (velt.W043).
MEMBERSHIPS = {"organizations": "groups__name"}


def _without_svix(name: str, *args: Any) -> Any:
    return None if name == "svix" else _FIND_SPEC(name, *args)


_FIND_SPEC = importlib.util.find_spec


@dataclass
class Trigger:
    """A ``VELT`` dict (``GOOD`` plus ``velt``, or ``raw`` as it is), other Django
    settings, and attributes to patch, that together produce one check ID."""

    velt: dict[str, Any] = field(default_factory=dict)
    django: dict[str, Any] = field(default_factory=dict)
    patch: dict[str, Any] = field(default_factory=dict)
    raw: Any = None
    #: Environment variables to remove.
    unset_env: tuple[str, ...] = ()


def token(**keys: Any) -> Trigger:
    return Trigger({"RESOLVER_TOKEN": keys})


TRIGGERS: dict[str, Trigger] = {
    # Core settings
    "velt.E001": Trigger(raw={"ORGANIZATION_ACCESS": GOOD["ORGANIZATION_ACCESS"]}),
    "velt.E002": Trigger(raw=["MONGODB_URI"]),
    "velt.E003": Trigger({"READ_FILTER": "tests.policies.nope"}),
    "velt.E004": Trigger({"ORGANIZATION_ACCESS": ALLOW_ALL}, {"DEBUG": False}),
    "velt.E005": Trigger({"MAX_BODY_SIZE": 0}),
    "velt.E006": Trigger(
        django={
            "INSTALLED_APPS": [
                app for app in test_settings.INSTALLED_APPS if app != "rest_framework"
            ]
        }
    ),
    "velt.E007": Trigger({"WRITE_CONCERN": 0}),
    "velt.E008": Trigger({"ACTIVITY_RETENTION_DAYS": 0}),
    "velt.E013": Trigger({"THROTTLE_RATE": "lots"}),
    "velt.E016": Trigger({"ALLOWED_API_KEYS": "pk_live"}),
    "velt.E017": Trigger({"COLLECTION_PREFIX": "velt$"}),
    "velt.W001": Trigger({"MONGO_URI": "mongodb://typo"}),
    "velt.W002": Trigger({"ORGANIZATION_ACCESS": ALLOW_ALL}, {"DEBUG": True}),
    "velt.W003": Trigger(raw={"MONGODB_URI": GOOD["MONGODB_URI"]}),
    # User directory
    "velt.E009": Trigger({"USER_DIRECTORY_CLASS": ALLOW_ALL}),
    "velt.E010": Trigger({"USER_FIELDS": ["userId"]}),
    "velt.E011": Trigger({"USER_MODEL": "userapp.Nobody"}),
    "velt.E012": Trigger({"USER_ORGANIZATION_SCOPED": True}),
    "velt.E110": Trigger({"USER_FIELDS": {"userid": "username"}}),
    "velt.E111": Trigger({"USER_FIELDS": {"name": 5}}),
    "velt.E112": Trigger({"USER_FIELDS": {"userId": None}}),
    "velt.E113": Trigger({"USER_PROFILE": "yes"}),
    "velt.E114": Trigger({"USER_FIELDS": {"email": "get_username"}}),
    "velt.E115": Trigger({"USER_FIELDS": {"photoUrl": "no_such_field"}}),
    # Shared-secret header
    "velt.E014": Trigger({"INSECURE_SHARED_SECRET": ""}),
    "velt.E015": Trigger(
        {"INSECURE_SHARED_SECRET": "s", "ALLOW_INSECURE_SHARED_SECRET": True},
        {"DEBUG": False},
    ),
    "velt.E018": Trigger({"ALLOW_INSECURE_SHARED_SECRET": "true"}),
    "velt.W004": Trigger(
        {"INSECURE_SHARED_SECRET": "s", "ALLOW_INSECURE_SHARED_SECRET": True},
        {"DEBUG": True},
    ),
    # Resolver tokens
    "velt.E020": Trigger({"AUTHENTICATION_CLASSES": [TOKEN_CLASS]}),
    "velt.E021": token(SECRET=SECRET, ALGORITHMS=[]),
    "velt.E022": token(PUBLIC_KEY="key", JWKS_URL=JWKS, ALGORITHMS=["RS256"]),
    "velt.E023": token(JWKS_URL="http://id.example/jwks", ALGORITHMS=["RS256"]),
    "velt.E024": Trigger({"RESOLVER_TOKEN": "not a dict"}),
    "velt.E025": Trigger(
        {"RESOLVER_TOKEN": {"PUBLIC_KEY": "key", "ALGORITHMS": ["RS256"]}},
        patch={"velt_django.tokens.checks.has_crypto": False},
    ),
    "velt.E026": token(SECRET=SECRET, ALGORITHMS=["none"]),
    "velt.E027": token(SECRET=SECRET, ALGORITHMS=["XS999"]),
    "velt.E028": token(SECRET=SECRET, ALGORITHMS=["HS256", "RS256"]),
    "velt.E029": token(
        SECRET="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    ),
    "velt.E120": token(SECRET=12345),
    "velt.E121": token(SECRET=SECRET, ALGORITHMS=["RS256"]),
    "velt.E122": token(PUBLIC_KEY="key"),
    "velt.E123": token(SECRET=SECRET, TYPO=1),
    "velt.E124": token(SECRET=SECRET, TTL=0),
    "velt.E125": token(SECRET=SECRET, MAX_TTL=60),
    "velt.E126": token(SECRET=SECRET, REQUIRE_EXP="yes"),
    "velt.W020": token(SECRET="short"),
    # Velt REST client
    "velt.E030": Trigger({"API_BASE_URL": "ftp://api.velt.dev"}),
    "velt.E031": Trigger({"API_TIMEOUT": 0}),
    "velt.E032": Trigger({"API_RETRIES": -1}),
    "velt.E033": Trigger({"API_KEY": ""}),
    "velt.E034": Trigger(
        {"USER_TOKEN_VIEW": True, "TOKEN_ORGANIZATIONS": ORGANIZATIONS},
        unset_env=("VELT_API_KEY", "VELT_AUTH_TOKEN"),
    ),
    "velt.E035": Trigger({"USER_TOKEN_VIEW": True, "API_KEY": "k", "AUTH_TOKEN": "t"}),
    "velt.E036": Trigger({"USER_TOKEN_VIEW": "yes"}),
    # Webhooks
    "velt.E040": Trigger({"WEBHOOK_AUTH_TOKEN": "  "}),
    "velt.E041": Trigger({"WEBHOOK_SIGNING_SECRET": "whsec_"}),
    "velt.E042": Trigger(
        {"WEBHOOK_SIGNING_SECRET": SIGNING_SECRET},
        patch={"importlib.util.find_spec": _without_svix},
    ),
    "velt.E043": Trigger({"WEBHOOK_PRIVATE_KEY": "not a key"}),
    "velt.E044": Trigger({"WEBHOOK_EMAILS": "yes"}),
    "velt.E045": Trigger({"WEBHOOK_DEDUP_DAYS": 1}),
    "velt.E046": Trigger({"WEBHOOK_LEASE_SECONDS": 5}),
    "velt.E047": Trigger({"WEBHOOK_EMAIL_FROM": ""}),
    "velt.W040": Trigger(
        {"WEBHOOK_EMAILS": True, "USER_FIELDS": MEMBERSHIPS},
        {"TEMPLATES": APP_TEMPLATES},
    ),
    "velt.W041": Trigger({"WEBHOOK_AUTH_TOKEN": "short"}),
    "velt.W042": Trigger(
        {
            "WEBHOOK_EMAILS": True,
            "WEBHOOK_AUTH_TOKEN": TOKEN,
            "USER_FIELDS": MEMBERSHIPS,
        },
        {"TEMPLATES": []},
    ),
    "velt.W043": Trigger(
        {"WEBHOOK_EMAILS": True, "WEBHOOK_AUTH_TOKEN": TOKEN},
        {"TEMPLATES": APP_TEMPLATES},
    ),
    "velt.W044": Trigger({"WEBHOOK_EMAIL_BUDGET_SECONDS": 15}),
    # Files
    "velt.E050": Trigger({"FILE_URL_MODE": "secret"}),
    "velt.E051": Trigger({"FILE_ACCESS": ["cookie"]}),
    "velt.E052": Trigger({"RECORDING_STORAGE": "videos"}),
    "velt.E053": Trigger({"FILE_URL_BASE": "app.example.com"}),
    "velt.E054": Trigger({"FILE_DENIED_TYPES": "text/html"}),
    "velt.E055": Trigger({"FILE_ACCESS": []}),
    "velt.W050": Trigger(
        {"ATTACHMENT_STORAGE": "files", "FILE_URL_MODE": "public"},
        {"STORAGES": {**test_settings.STORAGES, "files": S3}},
    ),
    "velt.W051": Trigger({"FILE_INLINE_TYPES": ["image/png", "text/html"]}),
    "velt.W052": Trigger(
        {"ATTACHMENT_STORAGE": "files"},
        {"STORAGES": {**test_settings.STORAGES, "files": UNSIGNED_S3}},
    ),
    "velt.W053": Trigger(
        django={
            "MEDIA_ROOT": "",
            "STORAGES": {
                **test_settings.STORAGES,
                "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            },
        }
    ),
    # Storage backend
    "velt.E070": Trigger({"STORAGE_BACKEND": "postgres"}),
    "velt.E071": Trigger({"STORAGE_BACKEND": "postgresql", "DATABASE_ALIAS": "velt"}),
    "velt.E072": Trigger({"STORAGE_BACKEND": "postgresql"}),
    "velt.E073": Trigger({"CONNECTION_CHECK": "select"}),
    # Permission provider
    "velt.E060": Trigger({"PERMISSION_PROVIDER_TOKEN": " "}),
    "velt.E061": Trigger({"PERMISSION_PROVIDER_TOKEN": "a long token with spaces"}),
    "velt.E062": Trigger({"PERMISSION_PROVIDER_TTL": 0}),
    "velt.E063": Trigger({"PERMISSION_PROVIDER_MAX_BATCH": "500"}),
    "velt.W060": Trigger({"PERMISSION_PROVIDER_TOKEN": "short"}),
}


def _source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _declarations() -> list[Setting[Any] | Key]:
    found: list[Setting[Any] | Key] = []
    for setting in SETTINGS:
        found.append(setting)
        found.extend(setting.keys)
    return found


def test_every_code_is_defined_once() -> None:
    ids = [c.id for c in all_codes()]
    assert len(ids) > 60  # the sections were collected
    assert len(ids) == len(set(ids)), "an ID is defined twice"
    for section in SECTIONS:
        for name, value in vars(section).items():
            if isinstance(value, Code):
                assert value.id == f"velt.{name}", f"{section.__name__}.{name}"
    text = Path(check_codes.__file__).read_text(encoding="utf-8")
    for check_id in ids:
        defined = re.findall(rf'Code\(\s*"{re.escape(check_id)}"', text)
        assert len(defined) == 1, check_id


def test_the_triggers_list_every_code() -> None:
    assert sorted(TRIGGERS) == sorted(c.id for c in all_codes())


def test_every_id_in_the_source_is_in_the_table() -> None:
    table = {c.id for c in all_codes()}
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        unknown = sorted(set(CHECK_ID.findall(text)) - table)
        assert unknown == [], f"{path.name} names IDs the table lacks: {unknown}"
        # Messages are made by the codes, never with a literal id=.
        assert 'id="velt.' not in text, path.name


def test_every_code_has_one_emitter() -> None:
    """One code, one problem: a code is emitted by one call site, or it is the check of
    setting declarations (one generic loop), never both."""
    calls: list[str] = []
    for path in _source_files():
        calls.extend(
            f"velt.{m}" for m in CALL.findall(path.read_text(encoding="utf-8"))
        )
    called_twice = sorted({c for c in calls if calls.count(c) > 1})
    assert called_twice == []
    declared = {d.check for d in _declarations() if d.check is not None}
    assert sorted(declared & set(calls)) == []
    assert sorted(declared | set(calls)) == sorted(c.id for c in all_codes())


def test_declared_checks_are_table_codes_with_a_kind() -> None:
    for declaration in _declarations():
        if declaration.check is not None:
            assert code(declaration.check).id == declaration.check
            assert declaration.kind is not None, declaration.name


def test_declared_defaults_pass_their_own_kind() -> None:
    for declaration in _declarations():
        if declaration.kind is not None and not declaration.kind.imports:
            assert declaration.kind.accepts(declaration.default), declaration.name


@pytest.mark.parametrize("check_id", sorted(TRIGGERS))
def test_each_code_is_produced_by_its_trigger(
    check_id: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = TRIGGERS[check_id]
    for name, value in trigger.django.items():
        setattr(settings, name, value)
    for target, value in trigger.patch.items():
        monkeypatch.setattr(target, value)
    for name in trigger.unset_env:
        monkeypatch.delenv(name, raising=False)
    settings.VELT = {**GOOD, **trigger.velt} if trigger.raw is None else trigger.raw
    messages = check_settings()
    assert [m.id for m in messages] == [check_id]
    assert messages[0].level == (40 if check_id.startswith("velt.E") else 30)
