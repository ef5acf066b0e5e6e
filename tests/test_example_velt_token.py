"""The example project's Velt user token view, as real processes: with Velt's REST
credentials in the environment, a signed-in user's index page offers the token and
``POST /velt/velt-token`` answers it (Velt's API a fake server on loopback)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .fake_velt import FakeVelt
from .test_example_project import (
    ExampleServer,
    _csrf_token,
    _env,
    _free_port,
    _serving_with_alice,
    _sign_in_alice,
)

KEY = "example-velt-api-key"
SECRET = "example-velt-auth-token-" + "s" * 20


def _mint(
    browser: urllib.request.OpenerDirector, base: str, csrf: str, body: object
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"{base}/velt/velt-token",
        data=json.dumps(body).encode(),
        headers={"X-CSRFToken": csrf, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with browser.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.mongo
def test_example_velt_token_for_a_signed_in_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with FakeVelt() as velt:
        env = _env(
            VELT_EXAMPLE_DATA_DIR=str(data_dir),
            VELT_API_KEY=KEY,
            VELT_AUTH_TOKEN=SECRET,
            VELT_API_BASE_URL=velt.url,
        )
        with _serving_with_alice(env, tmp_path) as server:
            base = f"http://127.0.0.1:{server.port}"
            _, _, anonymous_page = server.get("/")
            assert "velt-token" in anonymous_page  # the route is listed
            assert "fetchVeltToken" not in anonymous_page
            browser, jar = _sign_in_alice(base)
            csrf = _csrf_token(jar)
            with browser.open(f"{base}/", timeout=60) as page:
                signed_in_page = page.read().decode()
            assert "fetchVeltToken" in signed_in_page
            assert "/velt/velt-token" in signed_in_page

            status, body = _mint(browser, base, csrf, {})
            assert status == 200, body
            assert body["user"] == {
                "userId": "alice",
                "organizationId": "acme-corp",
                "name": "Alice",
                "email": "alice@acme.example",
            }
            [(headers, sent)] = velt.received
            assert sent["data"]["userId"] == "alice"
            assert headers["x-velt-api-key"] == KEY
            status, body = _mint(browser, base, csrf, {"organizationId": "other"})
            assert status == 403 and body["errorCode"] == "FORBIDDEN"
    assert SECRET not in server.output and KEY not in server.output


def test_example_velt_token_view_is_off_without_credentials(tmp_path: Path) -> None:
    # The page needs no database: point VELT at a port where nothing listens.
    env = _env(
        VELT_MONGODB_URI="mongodb://127.0.0.1:1/",
        VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
    )
    port = _free_port()
    server = ExampleServer(port, tmp_path / "data", "--noreload", env=env)
    try:
        server.wait_until_serving()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/velt/velt-token", data=b"", method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=60)
        assert refused.value.code == 404
    finally:
        server.stop()
