"""The example project in token mode, as real processes: runserver plus the command."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .test_example_project import (
    ExampleServer,
    _csrf_token,
    _env,
    _free_port,
    _manage,
    _opener,
    _serving_with_alice,
    _sign_in_alice,
)

SECRET = "example-token-mode-secret-" + "q" * 40


def _post(port: int, path: str, body: Any, token: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/velt/{path}",
        data=json.dumps(body).encode("utf-8"),
        headers=headers,
        method="POST",
    )
    try:
        with _opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.mongo
@pytest.mark.parametrize("debug", ["1", "0"], ids=["debug", "production"])
def test_example_token_mode_curl_round_trip(tmp_path: Path, debug: str) -> None:
    data_dir = tmp_path / "data"
    overrides = {
        "VELT_EXAMPLE_DATA_DIR": str(data_dir),
        "VELT_RESOLVER_TOKEN_SECRET": SECRET,
        "DJANGO_DEBUG": debug,
    }
    data_dir.mkdir()
    env = _env(**overrides)
    if debug == "0":
        from secantus import SecantusDBServer

        db = SecantusDBServer(
            host="127.0.0.1", port=0, storage_path=str(tmp_path / "s")
        )
        db.start()
        env.update(
            DJANGO_SECRET_KEY="test-only",
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            VELT_MONGODB_URI=db.uri,
        )
    port = _free_port()
    server = ExampleServer(port, data_dir, "--noreload", env=env)
    try:
        server.wait_until_serving()
        minted = _manage(
            "velt_resolver_token",
            "--user",
            "u1",
            "--organization",
            "acme-corp",
            env=env,
        )
        assert minted.returncode == 0, minted.stderr
        token = minted.stdout.strip().splitlines()[-1]
        assert token.count(".") == 2

        status, body = _post(
            port, "reactions/get", {"organizationId": "acme-corp"}, token
        )
        assert status == 200, body
        status, body = _post(
            port, "reactions/get", {"organizationId": "acme-corp"}, None
        )
        assert status == 401 and body["errorCode"] == "UNAUTHENTICATED"
        status, body = _post(port, "reactions/get", {"organizationId": "other"}, token)
        assert status == 403 and body["errorCode"] == "FORBIDDEN"
        status, body = _post(
            port, "reactions/get", {"organizationId": "acme-corp"}, token[:-4] + "AAAA"
        )
        assert status == 401 and body["authErrorCode"] == "INVALID_SIGNATURE"
    finally:
        server.stop()
        if debug == "0":
            db.stop()
    assert "UNAUTHENTICATED calls for EVERY organization" not in server.output
    assert token not in server.output and SECRET not in server.output


@pytest.mark.mongo
def test_example_token_mode_token_view_for_a_signed_in_user(tmp_path: Path) -> None:
    """The frontend recipe in the example: sign in, POST /velt/token, use the token."""
    data_dir = tmp_path / "data"
    env = _env(VELT_EXAMPLE_DATA_DIR=str(data_dir), VELT_RESOLVER_TOKEN_SECRET=SECRET)
    with _serving_with_alice(env, tmp_path) as server:
        port = server.port
        base = f"http://127.0.0.1:{port}"
        browser, jar = _sign_in_alice(base)
        assert any(c.name == "sessionid" for c in jar)
        csrf = _csrf_token(jar)

        request = urllib.request.Request(
            f"{base}/velt/token", data=b"", headers={"X-CSRFToken": csrf}, method="POST"
        )
        with browser.open(request, timeout=60) as response:
            minted = json.loads(response.read())
        token = minted["token"]
        assert minted["expiresAt"] > 0

        status, body = _post(
            port, "reactions/get", {"organizationId": "acme-corp"}, token
        )
        assert status == 200, body
        status, body = _post(port, "reactions/get", {"organizationId": "other"}, token)
        assert status == 403, body
    assert token not in server.output and SECRET not in server.output


def test_example_token_command_without_the_secret_says_to_export_it(
    tmp_path: Path,
) -> None:
    """The second shell of the two-shell flow needs the same variable."""
    minted = _manage(
        "velt_resolver_token",
        "--user",
        "u1",
        "--organization",
        "acme-corp",
        env=_env(VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data")),
    )
    assert minted.returncode == 1
    assert "VELT_RESOLVER_TOKEN_SECRET is not set" in minted.stderr
    assert "." not in minted.stdout.strip()
