"""A real browser against the resolver endpoints (CONTRACT §16.3, §16.6).

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright's Python
package; Playwright's own browser downloads are never used) loads a page from one
origin (``http://localhost:<port>``) that calls the endpoints served on another
(``http://localhost:<other port>``), the way the Velt SDK does: JSON POSTs whose headers come
from an async ``headers`` function. In header-token mode the bearer token is fetched,
per request, from velt_django's token view (``velt:token``, a cross-origin POST with the
session cookie and the CSRF header) and verified by ``ResolverTokenAuthentication``.

Skipped, with the reason, when Playwright or Chromium is missing.
"""

from __future__ import annotations

import http.server
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connections

from .families import COMMENTS
from .urls_browser import use_cookie_mode

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright is not installed (pip install playwright)"
)
if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
    pytest.skip(
        f"Chromium not found at {CHROMIUM} (apt-get install chromium)",
        allow_module_level=True,
    )

PAGE_HTML = """<!doctype html>
<meta charset="utf-8">
<title>velt_django browser test</title>
<script>
// What the Velt SDK does for each endpoint: a JSON POST with the headers returned by an
// async function (awaited before every request) and the configured credentials mode.
const API = new URLSearchParams(location.search).get("api");
let csrfToken = null;

async function call(path, body, endpoint) {
  try {
    const response = await fetch(`${API}/velt/${path}`, {
      method: "POST",
      headers: {"Content-Type": "application/json", ...(await endpoint.headers())},
      credentials: endpoint.credentials,
      body: JSON.stringify(body),
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {status: 0, error: String(error)};  // refused by the browser (CORS)
  }
}

async function signIn(username) {
  try {
    const response = await fetch(`${API}/test/login`, {
      method: "POST", credentials: "include", body: JSON.stringify({username}),
    });
    csrfToken = (await response.json()).csrfToken;
    return response.status;
  } catch (error) {
    return 0;  // refused by the browser (CORS)
  }
}

const endpoints = {
  // Header-token mode: a fresh credential from the token view before every request;
  // the resolver call itself carries no cookie (credentials left to the default).
  token: {
    credentials: "same-origin",
    headers: async () => {
      const r = await fetch(`${API}/velt/token`, {
        method: "POST", credentials: "include", headers: {"X-CSRFToken": csrfToken},
      });
      return {Authorization: `Bearer ${(await r.json()).token}`};
    },
  },
  noToken: {credentials: "same-origin", headers: async () => ({})},
  // Cookie mode: the session cookie plus Django's CSRF header.
  cookie: {credentials: "include", headers: async () => ({"X-CSRFToken": csrfToken})},
  cookieWithoutCredentials: {
    credentials: "same-origin", headers: async () => ({"X-CSRFToken": csrfToken}),
  },
  cookieWithoutCsrf: {credentials: "include", headers: async () => ({})},
};

async function saveThenGet(mode, save, get) {
  const saved = await call("comments/save", save, endpoints[mode]);
  const got = await call("comments/get", get, endpoints[mode]);
  return {saved, got};
}

// An attachment upload as the SDK sends it (multipart: file + request JSON), then the
// returned URL in an <img>, which sends no custom header (only cookies, same-site).
async function uploadFile(mode, base64, request) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("file", new Blob([bytes], {type: "image/png"}), "pixel.png");
  form.append("request", JSON.stringify(request));
  const endpoint = endpoints[mode];
  try {
    const response = await fetch(`${API}/velt/attachments/save`, {
      method: "POST", headers: await endpoint.headers(),
      credentials: endpoint.credentials, body: form,
    });
    return {status: response.status, body: await response.json()};
  } catch (error) {
    return {status: 0, error: String(error)};
  }
}

function showImage(url) {
  return new Promise((resolve) => {
    const img = new Image();
    img.onload = () => resolve(img.naturalWidth);
    img.onerror = () => resolve(-1);
    img.src = url;
    document.body.appendChild(img);
  });
}

// A forged "simple" request (no preflight): text/plain or multipart, with cookies.
async function forge(kind, save) {
  const body = kind === "multipart" ? new FormData() : JSON.stringify(save);
  if (kind === "multipart") body.append("request", JSON.stringify(save));
  const init = {method: "POST", mode: "no-cors", credentials: "include", body};
  if (kind === "text") init.headers = {"Content-Type": "text/plain"};
  await fetch(`${API}/velt/comments/save`, init);
  return "sent";
}
</script>
"""


class _PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        body = PAGE_HTML.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: Any) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def page_origins() -> Iterator[tuple[str, str]]:
    """Two page servers on ``localhost``: the allowed origin and a disallowed one."""
    servers = [
        http.server.ThreadingHTTPServer(("localhost", 0), _PageHandler)
        for _ in range(2)
    ]
    for server in servers:
        _serve(server)
    yield tuple(f"http://localhost:{s.server_address[1]}" for s in servers)  # type: ignore[misc]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def api(
    settings: Any,
    transactional_db: None,
    mongo_db: Any,
    page_origins: tuple[str, str],
) -> Iterator[str]:
    """The test URLconf on another port in cookie mode, allowing the first page."""
    allowed, _ = page_origins
    use_cookie_mode(settings, allowed)
    # The in-memory SQLite database (Django users) is shared with the server threads,
    # as Django's LiveServerTestCase does; mongomock is patched in process-wide.
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()  # type: ignore[attr-defined]
    }
    for conn in shared.values():
        conn.inc_thread_sharing()
    server = ThreadedWSGIServer(
        ("127.0.0.1", 0), _QuietHandler, connections_override=shared
    )
    server.set_app(WSGIHandler())
    _serve(server)
    try:
        # Another port of localhost: another origin (CORS applies in full) but the same
        # site, so the browser keeps the session cookie (SameSite=Lax) without the
        # third-party cookie rules headless Chromium applies between localhost and
        # 127.0.0.1.
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def open_page(tmp_path: Any, api: str) -> Iterator[Callable[[str], Any]]:
    """``open_page(origin)`` → a Playwright page of the test page served by ``origin``."""
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.set_default_timeout(20_000)

        def open_(origin: str) -> Any:
            page = context.new_page()
            page.goto(f"{origin}/?api={api}")
            return page

        try:
            yield open_
        finally:
            context.close()


def save_body(record_id: str, text: str) -> dict[str, Any]:
    record = COMMENTS.record(record_id, org="acme")
    record["comments"]["100"]["commentText"] = text
    return COMMENTS.save_body(record)


def get_body(record_id: str) -> dict[str, Any]:
    return {"organizationId": "acme", "commentAnnotationIds": [record_id]}


def save_then_get(page: Any, mode: str, record_id: str, text: str) -> Any:
    return page.evaluate(
        "([mode, save, get]) => saveThenGet(mode, save, get)",
        [mode, save_body(record_id, text), get_body(record_id)],
    )


def texts(db: Any) -> list[str]:
    return [
        doc["payload"]["comments"]["100"]["commentText"]
        for doc in db[COMMENTS.collection].find({})
    ]


def test_token_and_cookie_modes_from_the_allowed_origin(
    open_page: Callable[[str], Any], page_origins: tuple[str, str], mongo_db: Any
) -> None:
    page = open_page(page_origins[0])
    assert page.evaluate("signIn('alice')") == 200

    token = save_then_get(page, "token", "t-token", "saved with a bearer header")
    assert token["saved"]["status"] == 200, token
    got = token["got"]["body"]["data"]["t-token"]
    assert got["comments"]["100"]["commentText"] == "saved with a bearer header"

    cookie = save_then_get(page, "cookie", "t-cookie", "saved with the session")
    assert cookie["saved"]["status"] == 200, cookie
    got = cookie["got"]["body"]["data"]["t-cookie"]
    assert got["comments"]["100"]["commentText"] == "saved with the session"


def test_calls_without_credentials_are_refused_by_the_server(
    open_page: Callable[[str], Any], page_origins: tuple[str, str], mongo_db: Any
) -> None:
    page = open_page(page_origins[0])
    assert page.evaluate("signIn('alice')") == 200
    for mode in ("noToken", "cookieWithoutCredentials"):
        result = save_then_get(page, mode, "t-1", "must not be stored")
        assert result["saved"]["status"] == 401, (mode, result)
        assert result["saved"]["body"]["errorCode"] == "UNAUTHENTICATED"
    result = save_then_get(page, "cookieWithoutCsrf", "t-1", "must not be stored")
    assert result["saved"]["status"] == 403, result
    assert texts(mongo_db) == []


def test_disallowed_origin_is_refused(
    open_page: Callable[[str], Any], page_origins: tuple[str, str], mongo_db: Any
) -> None:
    # The user is signed in (from the allowed page, same browser): the disallowed page's
    # requests carry a valid session cookie.
    allowed_page = open_page(page_origins[0])
    assert allowed_page.evaluate("signIn('alice')") == 200
    page = open_page(page_origins[1])
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if "/velt/" in r.url else None,
    )
    assert page.evaluate("signIn('alice')") == 0  # its answer is unreadable here
    for mode in ("token", "cookie"):
        result = save_then_get(page, mode, "t-1", "must not be stored")
        assert result["saved"]["status"] == 0, (mode, result)  # browser: CORS failure
        assert result["got"]["status"] == 0
    # Simple requests go out without a preflight, with the session cookie: the server
    # refuses them (Origin allowlist, CSRF) and nothing is written.
    for kind in ("text", "multipart"):
        page.evaluate(
            "([kind, save]) => forge(kind, save)", [kind, save_body("t-2", "forged")]
        )
    assert texts(mongo_db) == []
    assert statuses and all(status in (401, 403) for status in statuses), statuses


def _png(width: int = 3, height: int = 2) -> bytes:
    """A real (grey) PNG image the browser can decode."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def upload_request(attachment_id: int) -> dict[str, Any]:
    return {
        "attachment": {
            "attachmentId": attachment_id,
            "name": "pixel.png",
            "mimeType": "image/png",
        },
        "metadata": {"organizationId": "acme", "documentId": "doc-1"},
        "event": "attachment.add",
    }


@pytest.mark.parametrize("access", ["signature", "session"])
def test_uploaded_image_loads_in_an_img_tag(
    open_page: Callable[[str], Any],
    page_origins: tuple[str, str],
    settings: Any,
    access: str,
    tmp_path: Any,
) -> None:
    """Upload with a bearer token from the token view, then show the returned URL in an
    ``<img>``: with ``"signature"`` the URL itself admits the browser; with
    ``"session"`` the session cookie does, for members of the file's organization only."""
    import base64

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.VELT = {**settings.VELT, "FILE_ACCESS": [access]}
    page = open_page(page_origins[0])
    assert page.evaluate("signIn('alice')") == 200
    png = base64.b64encode(_png()).decode()
    result = page.evaluate(
        "([b64, req]) => uploadFile('token', b64, req)", [png, upload_request(1)]
    )
    assert result["status"] == 200, result
    url = result["body"]["data"]["url"]
    assert ("sig=" in url) == (access == "signature")
    assert page.evaluate("(url) => showImage(url)", url) == 3

    # Another member's browser: bob is in globex, not acme.
    other = open_page(page_origins[0])
    assert other.evaluate("signIn('bob')") == 200
    expected = 3 if access == "signature" else -1
    assert other.evaluate("(url) => showImage(url)", url) == expected
