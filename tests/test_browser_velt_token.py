"""A real browser fetches both tokens of the signed-in user: Velt's own user token
(``velt:velt-token``, for the SDK's ``authProvider``) and a resolver token
(``velt:token``, for our endpoints), and calls a resolver endpoint with each.

The page and the live server are those of ``tests/test_browser.py`` (another origin,
cookie mode). Velt's REST API is a fake HTTP server on loopback that
``VELT["API_BASE_URL"]`` points at: it records what it is sent and signs a token with a
key of its own, as Velt does. Skipped, with the reason, when Playwright or Chromium is
missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest

from .fake_velt import VELT_SIGNING_KEY, FakeVelt
from .test_browser import api, open_page, page_origins  # noqa: F401 (fixtures)

KEY = "velt-key-browser"
SECRET = "velt-auth-token-browser"


@pytest.fixture
def fake_velt(settings: Any, api: str) -> Iterator[FakeVelt]:  # noqa: F811
    with FakeVelt() as server:
        settings.VELT = {
            **settings.VELT,
            "USER_TOKEN_VIEW": True,
            "API_KEY": KEY,
            "AUTH_TOKEN": SECRET,
            "API_BASE_URL": server.url,
            "API_RETRIES": 0,
        }
        yield server


# What a page does: the Velt token for authProvider's generateToken, the resolver token
# for the endpoints' headers; then comments/get with each credential, no cookie.
BOTH_TOKENS = """async () => {
  const tokenHeaders = {"X-CSRFToken": csrfToken, "Content-Type": "application/json"};
  const velt = await fetch(`${API}/velt/velt-token`, {
    method: "POST", credentials: "include", headers: tokenHeaders,
    body: JSON.stringify({organizationId: "acme"}),
  });
  const veltBody = await velt.json();
  const resolver = await fetch(`${API}/velt/token`, {
    method: "POST", credentials: "include", headers: {"X-CSRFToken": csrfToken},
  });
  const resolverBody = await resolver.json();
  const get = {organizationId: "acme", commentAnnotationIds: ["t-1"]};
  const bearer = (token) => ({credentials: "same-origin",
                              headers: async () => ({Authorization: `Bearer ${token}`})});
  return {
    velt: {status: velt.status, body: veltBody},
    resolver: {status: resolver.status},
    withVeltToken: await call("comments/get", get, bearer(veltBody.token)),
    withResolverToken: await call("comments/get", get, bearer(resolverBody.token)),
  };
}"""


def test_a_page_fetches_both_tokens_and_uses_each(
    open_page: Callable[[str], Any],  # noqa: F811
    page_origins: tuple[str, str],  # noqa: F811
    fake_velt: FakeVelt,
) -> None:
    page = open_page(page_origins[0])
    assert page.evaluate("signIn('alice')") == 200
    result = page.evaluate(BOTH_TOKENS)

    assert result["velt"]["status"] == 200, result
    assert result["velt"]["body"]["user"] == {
        "userId": "alice",
        "organizationId": "acme",
    }
    velt_token = result["velt"]["body"]["token"]
    assert jwt.decode(velt_token, VELT_SIGNING_KEY, algorithms=["HS256"]) == {
        "userId": "alice"
    }
    # What Velt was asked for: alice's token, for acme, with the workspace secrets.
    [(headers, body)] = fake_velt.received
    assert body["data"]["userId"] == "alice"
    assert body["data"]["permissions"] == {
        "resources": [{"type": "organization", "id": "acme"}]
    }
    assert headers["x-velt-api-key"] == KEY
    assert headers["x-velt-auth-token"] == SECRET

    # Velt's token is for Velt's servers: our resolvers cannot verify its signature.
    refused = result["withVeltToken"]
    assert refused["status"] == 401, result
    assert refused["body"]["errorCode"] == "UNAUTHENTICATED"
    assert refused["body"]["authErrorCode"] == "INVALID_SIGNATURE"
    assert result["resolver"]["status"] == 200, result
    assert result["withResolverToken"]["status"] == 200, result
    assert result["withResolverToken"]["body"]["success"] is True


def test_signed_out_page_gets_no_velt_token(
    open_page: Callable[[str], Any],  # noqa: F811
    page_origins: tuple[str, str],  # noqa: F811
    fake_velt: FakeVelt,
) -> None:
    page = open_page(page_origins[0])
    result = page.evaluate(
        """async () => {
          const r = await fetch(`${API}/velt/velt-token`, {
            method: "POST", credentials: "include",
          });
          return {status: r.status, body: await r.json()};
        }"""
    )
    assert result["status"] == 403, result
    assert result["body"]["errorCode"] == "UNAUTHENTICATED"
    assert fake_velt.received == []
