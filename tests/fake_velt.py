"""A stand-in for Velt's REST API on loopback, for tests that run a real server (a
thread or a process) where ``responses`` cannot reach: point ``VELT["API_BASE_URL"]``
at :attr:`FakeVelt.url`."""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any

import jwt

#: Velt signs its user tokens with its own key, which the app never has.
VELT_SIGNING_KEY = "velt-own-signing-key-not-ours-0123456789"


class FakeVelt(http.server.ThreadingHTTPServer):
    """``POST /v2/auth/generate_token`` answered as Velt does, with a JWT signed by
    :data:`VELT_SIGNING_KEY`; every request kept in :attr:`received` as
    ``(headers, body)``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _VeltHandler)
        self.received: list[tuple[dict[str, str], Any]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FakeVelt:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()


class _VeltHandler(http.server.BaseHTTPRequestHandler):
    server: FakeVelt

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.server.received.append((dict(self.headers.items()), body))
        if self.path != "/v2/auth/generate_token":
            self.send_error(404)
            return
        token = jwt.encode(
            {"userId": body["data"]["userId"]}, VELT_SIGNING_KEY, algorithm="HS256"
        )
        answer = json.dumps({"result": {"status": "success", "data": {"token": token}}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass
