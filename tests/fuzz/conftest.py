"""Fixtures of the fuzz tier: the Hypothesis budget, each endpoint's settings and seed
data, a snapshot of everything stored (every MongoDB collection or PostgreSQL table,
and every file in storage) and the check every answer must pass.

``VELT_FUZZ_EXAMPLES`` (default 20) is the number of examples per endpoint and test;
runs are derandomized (the same examples every run) and write no example database.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import responses
from django.test import Client
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings

from velt_django.repository import connection

from .. import webhook_helpers
from ..families import ORG, OTHER, POSTGRES_ALIAS, POSTGRESQL, storage_models
from ..permissions import helpers as permissions
from ..views.conftest import backend  # noqa: F401 - the PostgreSQL runs use it
from .endpoints import Endpoint

#: Examples per endpoint and test (``VELT_FUZZ_EXAMPLES=5000`` for a long run).
EXAMPLES = int(os.environ.get("VELT_FUZZ_EXAMPLES", "20"))
#: Largest file of either scope during the fuzz (small, so oversized parts are cheap).
MAX_FILE = 64 * 1024
VELT_API_TOKEN_URL = "https://api.velt.dev/v2/auth/generate_token"


#: Requests the fuzz tests sent in this session (printed in the terminal summary).
SENT = [0]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SENT[0]:
        terminalreporter.write_line(
            f"fuzz: {SENT[0]} requests ({EXAMPLES} examples per endpoint and test)"
        )


def budget(fraction: float = 1.0) -> hypothesis_settings:
    """Hypothesis settings of ``fraction`` of :data:`EXAMPLES`: derandomized, no
    deadline (a loaded CI machine is slow), no example database, health checks off
    (the fixtures are function-scoped on purpose: the store persists between examples
    and each request is compared with a snapshot taken just before it)."""
    return hypothesis_settings(
        max_examples=max(1, int(EXAMPLES * fraction)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink, Phase.explain],
        print_blob=False,
    )


def organizations_of(user: Any) -> list[str]:
    """``TOKEN_ORGANIZATIONS`` of the token views under fuzz."""
    return [ORG, OTHER]


def _session(settings: Any) -> None:
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]


def _setup(name: str, settings: Any, request: pytest.FixtureRequest) -> None:
    velt = dict(settings.VELT)
    if name == "files":
        velt.update(ATTACHMENT_MAX_SIZE=MAX_FILE, RECORDING_MAX_SIZE=MAX_FILE)
    elif name in ("token", "velt-token"):
        _session(settings)
        velt.update(
            RESOLVER_TOKEN={"SECRET": "fuzz-secret-0123456789abcdef0123"},
            TOKEN_ORGANIZATIONS=f"{__name__}.organizations_of",
        )
        if name == "velt-token":
            velt.update(
                USER_TOKEN_VIEW=True,
                API_KEY="velt-key-fuzz",
                AUTH_TOKEN="velt-auth-fuzz",
                API_RETRIES=0,
            )
            api = request.getfixturevalue("velt_api")
            api.post(
                VELT_API_TOKEN_URL,
                json={"result": {"status": "success", "data": {"token": "jwt"}}},
            )
    settings.VELT = velt
    if name == "webhook":
        webhook_helpers.configure(settings)
    elif name == "permissions":
        permissions.configure(settings)
        permissions.user("alice", ORG)


@pytest.fixture
def velt_api() -> Iterator[responses.RequestsMock]:
    """Velt's REST API, mocked (no request reaches the network)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# ---- what is stored -------------------------------------------------------------------


def stored_data(media: Path) -> dict[str, Any]:
    """Everything stored: each MongoDB collection's documents (or each PostgreSQL
    table's rows) and each file in storage with its SHA-256."""
    from django.conf import settings

    tables: dict[str, Any] = {}
    if settings.VELT.get("STORAGE_BACKEND") == POSTGRESQL:
        for model in storage_models():
            rows = model._default_manager.using(POSTGRES_ALIAS).order_by("pk")
            tables[model._meta.db_table] = list(rows.values())
    else:
        db = connection.get_database()
        for name in sorted(db.list_collection_names()):
            docs = db[name].find({}, sort=[("_id", 1)])
            tables[name] = sorted(repr(d) for d in docs)
    files = {
        str(path.relative_to(media)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(media.rglob("*"))
        if path.is_file()
    }
    return {"tables": tables, "files": files}


# ---- the check of every answer --------------------------------------------------------


def check_answer(
    endpoint: Endpoint, response: Any, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """Never a 5xx or a stack trace; a refusal is the failure envelope with its
    status and changes nothing stored; a 2xx JSON answer is the success envelope."""
    status = response.status_code
    content = b"".join(response) if response.streaming else response.content
    assert status < 500, content[:2000]
    assert b"Traceback" not in content and b'File "/' not in content
    if status < 300 and endpoint.kind == "download":
        return
    if 300 <= status < 400 or (status == 416 and "Content-Range" in response):
        # A redirect to a presigned URL, or an unsatisfiable Range: the download's
        # documented plain HTTP answers (docs/files.md).
        assert endpoint.kind == "download", status
        return
    assert response["Content-Type"].startswith("application/json"), status
    body = json.loads(content)
    assert isinstance(body, dict)
    if status >= 400:
        assert body["success"] is False, body
        assert body["statusCode"] == status, body
        assert isinstance(body["errorCode"], str) and body["errorCode"], body
        assert isinstance(body["message"], str), body
        assert after == before, f"a refused request ({status}) changed stored data"
    elif endpoint.envelope:
        assert body["success"] is True and body["statusCode"] == status, body


@dataclass
class Fuzz:
    """One endpoint made ready for hostile requests: ``send`` posts one and checks
    the answer (see :func:`check_answer`)."""

    endpoint: Endpoint
    client: Client
    media: Path
    headers: dict[str, str]

    def send(
        self, data: bytes, content_type: str = "application/json", **extra: Any
    ) -> Any:
        SENT[0] += 1
        before = stored_data(self.media)
        # generic(): post() would re-encode the bytes in the header's charset.
        response = self.client.generic(
            "POST",
            f"/velt/{self.endpoint.path}",
            data,
            content_type=content_type,
            **{**self.headers, **extra},
        )
        check_answer(self.endpoint, response, before, stored_data(self.media))
        return response

    def get(self, path: str, **extra: Any) -> Any:
        SENT[0] += 1
        before = stored_data(self.media)
        response = self.client.get(f"/velt/{path}", **{**self.headers, **extra})
        check_answer(self.endpoint, response, before, stored_data(self.media))
        return response


def ready(
    endpoint: Endpoint, request: pytest.FixtureRequest, settings: Any, media: Path
) -> Fuzz:
    """Settings, credential and seed data of ``endpoint``; the database fixture (the
    unit tier's mongomock unless the test chose a ``backend``) must be set up first."""
    _setup(endpoint.setup, settings, request)
    client = Client(raise_request_exception=True)
    headers = endpoint.credential(client)
    for path, body in endpoint.seeds:
        response = client.post(
            f"/velt/{path}",
            json.dumps(body),
            content_type="application/json",
            **headers,
        )
        assert response.status_code == 200, response.content
    return Fuzz(endpoint, client, media, headers)


@pytest.fixture
def make_fuzz(
    request: pytest.FixtureRequest, settings: Any, media: Path
) -> Callable[[Endpoint], Fuzz]:
    """``make_fuzz(endpoint)`` → a :class:`Fuzz` on the test's database."""
    return lambda endpoint: ready(endpoint, request, settings, media)
