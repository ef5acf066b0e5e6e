"""VeltClient's transport (``velt_django.client.base``): retries, timeouts, error
answers, the generic call, configuration and secrecy.

Velt's API is mocked with ``responses`` (no network). The real-retry tests run a loopback
HTTP server instead, because ``responses`` only emulates urllib3's retry loop.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
import responses

from velt_django.client import VeltClient
from velt_django.client.base import RETRY_AFTER_CAP
from velt_django.conf import velt_settings
from velt_django.exceptions import VeltAPIError, VeltConfigurationError

from .velt_api import BASE, KEY, OK, TOKEN, sent


def test_client_retries_429_then_succeeds(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    url = f"{BASE}/v2/users/get"
    api.post(url, status=429, headers={"Retry-After": "0"}, json={})
    api.post(url, status=429, headers={"Retry-After": "0"}, json={})
    api.post(url, json=OK)
    assert velt.get_users(organization_id="org-1") == OK
    assert len(api.calls) == 3


def test_client_gives_up_after_configured_retries(
    api: responses.RequestsMock, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "API_RETRIES": 2}
    body = {"error": {"status": "UNAVAILABLE", "message": "try later"}}
    api.post(f"{BASE}/v2/users/get", status=503, json=body)
    client = VeltClient(KEY, TOKEN, base_url=BASE, backoff_factor=0)
    with pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert len(api.calls) == 3  # the first attempt and two retries
    assert caught.value.status == 503
    assert caught.value.body == body


def test_client_without_retries_sends_once(api: responses.RequestsMock) -> None:
    api.post(f"{BASE}/v2/users/get", status=502, body="Bad gateway")
    client = VeltClient(KEY, TOKEN, base_url=BASE, retries=0)
    with pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert len(api.calls) == 1
    assert caught.value.status == 502
    assert caught.value.body == "Bad gateway"


def test_client_does_not_retry_client_errors(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", status=400, json={"error": {}})
    with pytest.raises(VeltAPIError):
        velt.get_users(organization_id="org-1")
    assert len(api.calls) == 1


def test_client_read_timeout_maps_to_api_error(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(VeltAPIError) as caught:
        velt.get_users(organization_id="org-1")
    assert caught.value.status is None
    assert caught.value.body is None
    assert "no answer within 7 s" in str(caught.value)
    assert isinstance(caught.value.__cause__, requests.exceptions.ReadTimeout)


def test_client_connection_error_maps_to_api_error(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/add", body=requests.exceptions.ConnectionError("down"))
    with pytest.raises(VeltAPIError) as caught:
        velt.add_users(organization_id="org-1", users=[{"userId": "u"}])
    assert caught.value.status is None
    assert "connection failed (ConnectionError)" in str(caught.value)


def test_client_timeout_defaults_to_setting(
    api: responses.RequestsMock, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "API_TIMEOUT": 2.5}
    api.post(f"{BASE}/v2/users/get", json=OK)
    VeltClient(KEY, TOKEN, base_url=BASE).get_users(organization_id="org-1")
    assert sent(api).req_kwargs["timeout"] == 2.5


def test_client_error_status_and_body_from_envelope(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"message": "Organization not found.", "status": "NOT_FOUND"}}
    api.post(f"{BASE}/v2/organizations/documents/get", status=404, json=body)
    with pytest.raises(VeltAPIError) as caught:
        velt.get_documents(organization_id="org-x")
    assert caught.value.status == 404
    assert caught.value.body == body
    assert str(caught.value) == (
        "Velt API v2/organizations/documents/get: HTTP 404 NOT_FOUND: "
        "Organization not found."
    )


def test_client_error_envelope_with_200_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"message": "Auth token not found.", "status": "INVALID_ARGUMENT"}}
    api.post(f"{BASE}/v2/auth/generate_token", json=body)
    with pytest.raises(VeltAPIError) as caught:
        velt.generate_token(user_id="u-1", resources=[])
    assert caught.value.status == 200
    assert caught.value.body == body


def test_client_error_with_code_field(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    body = {"error": {"code": "not-found", "message": "Folder not found."}}
    api.post(f"{BASE}/v2/organizations/folders/delete", status=404, json=body)
    with pytest.raises(VeltAPIError, match="HTTP 404 not-found: Folder not found."):
        velt.delete_folder(organization_id="org-1", folder_id="f-9")


def test_client_answer_that_is_not_an_object_raises(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", json=[1, 2])
    with pytest.raises(VeltAPIError, match="not a JSON object") as caught:
        velt.get_users(organization_id="org-1")
    assert caught.value.body == [1, 2]


def test_client_empty_success_answer_is_empty_dict(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/users/get", body="")
    assert velt.get_users(organization_id="org-1") == {}


def test_client_generic_call_sends_body_as_is(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/crdt/get", status=503, json={})
    api.post(f"{BASE}/v2/crdt/get", json=OK)
    body = {"data": {"organizationId": "org-1", "documentId": "doc-1"}}
    assert velt.call("/v2/crdt/get", body, idempotent=True) == OK
    assert json.loads(sent(api, 1).body) == body


def test_client_generic_call_defaults_to_single_attempt(
    api: responses.RequestsMock, velt: VeltClient
) -> None:
    api.post(f"{BASE}/v2/crdt/add", status=503, json={})
    with pytest.raises(VeltAPIError):
        velt.call("v2/crdt/add")
    assert json.loads(sent(api).body) == {"data": {}}
    assert len(api.calls) == 1


@pytest.mark.parametrize("path", ["https://evil.test/v2/users/get", "//evil.test/x"])
def test_client_refuses_absolute_paths(velt: VeltClient, path: str) -> None:
    with pytest.raises(ValueError):
        velt.call(path)


# ---- configuration ------------------------------------------------------------------


def test_client_reads_settings(api: responses.RequestsMock, settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "API_KEY": "settings-key",
        "AUTH_TOKEN": "settings-token",
        "API_BASE_URL": "https://proxy.test/velt/",
    }
    api.post("https://proxy.test/velt/v2/users/get", json=OK)
    client = VeltClient()
    assert client.base_url == "https://proxy.test/velt"
    client.get_users(organization_id="org-1")
    assert sent(api).headers["x-velt-api-key"] == "settings-key"
    assert sent(api).headers["x-velt-auth-token"] == "settings-token"


def test_client_falls_back_to_environment(
    api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELT_API_KEY", "env-key")
    monkeypatch.setenv("VELT_AUTH_TOKEN", "env-token")
    api.post("https://api.velt.dev/v2/users/get", json=OK)
    VeltClient().get_users(organization_id="org-1")
    assert sent(api).headers["x-velt-api-key"] == "env-key"
    assert sent(api).headers["x-velt-auth-token"] == "env-token"


def test_client_explicit_credentials_win(
    api: responses.RequestsMock, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VELT_API_KEY", "env-key")
    settings.VELT = {**settings.VELT, "API_KEY": "settings-key", "AUTH_TOKEN": "s-t"}
    api.post(f"{BASE}/v2/users/get", json=OK)
    VeltClient("arg-key", base_url=BASE).get_users(organization_id="org-1")
    assert sent(api).headers["x-velt-api-key"] == "arg-key"
    assert sent(api).headers["x-velt-auth-token"] == "s-t"


def test_client_without_credentials_fails_at_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    client = VeltClient(api_key="only-the-key")
    assert not client.has_credentials
    with pytest.raises(VeltConfigurationError, match="AUTH_TOKEN"):
        client.get_users(organization_id="org-1")


def test_settings_defaults_of_the_rest_api(monkeypatch: pytest.MonkeyPatch) -> None:
    assert velt_settings.API_KEY is None
    assert velt_settings.AUTH_TOKEN is None
    assert velt_settings.API_BASE_URL == "https://api.velt.dev"
    assert velt_settings.API_TIMEOUT == 10.0
    assert velt_settings.API_RETRIES == 3
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    client = VeltClient()
    assert (client.base_url, client.timeout, client.retries) == (
        "https://api.velt.dev",
        10.0,
        3,
    )


# ---- secrets ------------------------------------------------------------------------


def test_client_repr_hides_credentials(velt: VeltClient) -> None:
    text = repr(velt)
    assert text == "<VeltClient https://velt.test credentials=configured>"
    assert KEY not in text and TOKEN not in text
    assert KEY not in repr(vars(velt)) and TOKEN not in repr(vars(velt))


def test_client_keeps_secrets_out_of_errors_and_logs(
    api: responses.RequestsMock, velt: VeltClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"error": {"status": "INVALID_ARGUMENT", "message": f"bad token {TOKEN}"}}
    api.post(f"{BASE}/v1/auth/token/get", status=400, json=echo)
    api.post(f"{BASE}/v2/users/get", body=requests.exceptions.ReadTimeout("slow"))
    api.post(f"{BASE}/v2/users/update", body=f"<html>{KEY}</html>", status=500)
    api.post(f"{BASE}/v2/organizations/get", json=OK)
    errors: list[VeltAPIError] = []
    with caplog.at_level(logging.DEBUG):
        velt.get_organizations()
        calls: tuple[Callable[[], Any], ...] = (
            lambda: velt.generate_token_v1(user_id="u-1"),
            lambda: velt.get_users(organization_id="org-1"),
            lambda: VeltClient(KEY, TOKEN, base_url=BASE, retries=0).update_users(
                organization_id="org-1", users=[]
            ),
        )
        for call in calls:
            with pytest.raises(VeltAPIError) as caught:
                call()
            errors.append(caught.value)
    assert "bad token ***" in str(errors[0])
    assert errors[2].body == "<html>***</html>"
    assert "v2/organizations/get" in caplog.text  # the log does record calls
    for text in [caplog.text, *map(str, errors), *map(repr, errors)]:
        assert KEY not in text and TOKEN not in text


# ---- real retries (urllib3's loop, not the responses emulation) ---------------------


class _FlakyHandler(BaseHTTPRequestHandler):
    """Answers 503 to the first request of each path, then 200."""

    seen: dict[str, int] = {}

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        count = self.seen.get(self.path, 0) + 1
        self.seen[self.path] = count
        status = 503 if count == 1 else 200
        payload = json.dumps(OK if status == 200 else {"error": {}}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def flaky_server() -> Iterator[str]:
    _FlakyHandler.seen = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FlakyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_client_urllib3_retries_idempotent_post(
    flaky_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with VeltClient(KEY, TOKEN, base_url=flaky_server, backoff_factor=0) as client:
        assert client.get_users(organization_id="org-1") == OK
    assert _FlakyHandler.seen == {"/v2/users/get": 2}


def test_client_urllib3_sends_non_idempotent_post_once(
    flaky_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with VeltClient(KEY, TOKEN, base_url=flaky_server, backoff_factor=0) as client:
        with pytest.raises(VeltAPIError) as caught:
            client.add_users(organization_id="org-1", users=[{"userId": "u"}])
    assert caught.value.status == 503
    assert _FlakyHandler.seen == {"/v2/users/add": 1}


class _BusyHandler(BaseHTTPRequestHandler):
    """Answers every request with ``status`` and ``headers`` (a busy Velt)."""

    status = 429
    headers_out: dict[str, str] = {}
    count = 0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).count += 1
        payload = json.dumps({"error": {"status": "BUSY"}}).encode()
        self.send_response(self.status)
        for name, value in self.headers_out.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def busy_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _BusyHandler.count = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BusyHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Records the retry pauses instead of sleeping; the monotonic clock moves on by
    each pause, so deadlines see the time as if it had been slept."""
    slept: list[float] = []
    real_monotonic = time.monotonic

    def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(time, "sleep", fake_sleep)
    monkeypatch.setattr(time, "monotonic", lambda: real_monotonic() + sum(slept))
    return slept


def test_client_caps_retry_after_at_the_attempt_timeout(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_BusyHandler, "status", 429)
    monkeypatch.setattr(_BusyHandler, "headers_out", {"Retry-After": "4"})
    client = VeltClient(KEY, TOKEN, base_url=busy_server, timeout=1, retries=3)
    started = time.monotonic()
    with client, pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert caught.value.status == 429
    assert pauses == [1, 1]  # not the 4 s asked for
    # The deadline is 4 x 1 s: after 2 s, a pause and an attempt would reach it.
    assert _BusyHandler.count == 3
    assert time.monotonic() - started < 4
    assert KEY not in str(caught.value) and TOKEN not in str(caught.value)


def test_client_caps_a_long_retry_after(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_BusyHandler, "status", 503)
    monkeypatch.setattr(_BusyHandler, "headers_out", {"Retry-After": "3600"})
    with VeltClient(KEY, TOKEN, base_url=busy_server, timeout=30, retries=1) as client:
        with pytest.raises(VeltAPIError):
            client.get_users(organization_id="org-1")
    assert pauses == [RETRY_AFTER_CAP]
    assert _BusyHandler.count == 2


def test_client_stops_retrying_before_the_deadline(
    busy_server: str, pauses: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Backoff of 0, 2 and 4 s: the third retry would end after 1 s x 4 attempts.
    monkeypatch.setattr(_BusyHandler, "status", 503)
    monkeypatch.setattr(_BusyHandler, "headers_out", {})
    client = VeltClient(
        KEY, TOKEN, base_url=busy_server, timeout=1, retries=3, backoff_factor=1
    )
    started = time.monotonic()
    with client, pytest.raises(VeltAPIError) as caught:
        client.get_users(organization_id="org-1")
    assert caught.value.status == 503
    assert pauses == [2]
    assert _BusyHandler.count == 3
    assert time.monotonic() - started < 4
