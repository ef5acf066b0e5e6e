"""The example project run as real processes: embedded database, HTTP round trip, checks."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import velt_django.urls

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
START_LINE = "started embedded SecantusDB dev server at mongodb://127.0.0.1:"
REUSE_LINE = "using the embedded SecantusDB dev server"
NO_DATABASE = "no database configured"
OPEN_ACCESS_LINE = "accepts UNAUTHENTICATED calls for EVERY organization"
# A pure-Python database on a slow CI machine: be generous.
STARTUP_TIMEOUT = 180.0

# Never let a proxy from the environment intercept calls to the local server.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _env(**overrides: str) -> dict[str, str]:
    """The current environment without VELT_*/DJANGO_* variables, set up for the example."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="example_project.settings", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )


def _assert_no_crash(result: subprocess.CompletedProcess[str]) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert "WiredTiger" not in output, output
    assert START_LINE not in output, output


class ExampleServer:
    """``manage.py runserver`` (or ``argv``) in its own process group, output collected."""

    def __init__(
        self,
        port: int,
        data_dir: Path,
        *extra: str,
        argv: list[str] | None = None,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.port = port
        self.lines: list[str] = []
        if argv is None:
            argv = [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}"]
        self.proc = subprocess.Popen(
            [*argv, *extra],
            cwd=cwd,
            env=env or _env(VELT_EXAMPLE_DATA_DIR=str(data_dir)),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                pytest.fail(
                    f"example server exited with {self.proc.returncode}:\n{self.output}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(
            f"example server did not listen within {STARTUP_TIMEOUT}s:\n{self.output}"
        )

    def get(self, path: str) -> tuple[int, str, str]:
        """``(status, Content-Type, body)`` of a GET."""
        url = f"http://127.0.0.1:{self.port}{path}"
        with _opener.open(url, timeout=60) as response:
            body = response.read().decode("utf-8")
            return response.status, response.headers["Content-Type"], body

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/velt/{path}",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with _opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())

    def upload(self, path: str, body: bytes, content_type: str) -> str:
        """POST a multipart body (see :func:`_multipart`); returns ``data.url``."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/velt/{path}",
            data=body,
            headers={"Content-Type": content_type},
            method="POST",
        )
        with _opener.open(request, timeout=60) as response:
            return str(json.loads(response.read())["data"]["url"])

    def stop(self) -> int:
        """SIGTERM the whole group (the autoreloader's child too); returns the exit code."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # The autoreloader's child (or a gunicorn worker) may outlive the process we
        # started by a moment while it stops its database: wait for the whole group.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        self._reader.join(timeout=5)
        return self.proc.returncode


ALICE_PASSWORD = "a-long-test-password-1"


@contextmanager
def _serving_with_alice(env: dict[str, str], tmp_path: Path) -> Iterator[ExampleServer]:
    """The example server (``--noreload``, on a free port, with ``env``) once it listens,
    with the superuser alice (alice@acme.example, ``ALICE_PASSWORD``) and her Velt user
    record (name Alice, organization acme-corp) loaded; stopped on exit."""
    server = ExampleServer(
        _free_port(), Path(env["VELT_EXAMPLE_DATA_DIR"]), "--noreload", env=env
    )
    try:
        server.wait_until_serving()
        created = _manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "alice",
            "--email",
            "alice@acme.example",
            env={**env, "DJANGO_SUPERUSER_PASSWORD": ALICE_PASSWORD},
        )
        assert created.returncode == 0, created.stderr
        users = tmp_path / "users.jsonl"
        users.write_text('{"userId": "alice", "name": "Alice"}\n', encoding="utf-8")
        loaded = _manage(
            "velt_load_users", str(users), "--organization", "acme-corp", env=env
        )
        assert loaded.returncode == 0, loaded.stderr
        yield server
    finally:
        server.stop()


def _sign_in_alice(
    base: str,
) -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    """A cookie-keeping opener signed in as alice through the login form, and its
    cookies (the CSRF token the login rotated among them)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    with browser.open(f"{base}/accounts/login/", timeout=60) as page:
        assert page.status == 200
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = {
        "username": "alice",
        "password": ALICE_PASSWORD,
        "csrfmiddlewaretoken": csrf,
    }
    data = urllib.parse.urlencode(form).encode()
    with browser.open(f"{base}/accounts/login/", data=data, timeout=60) as page:
        assert page.status == 200  # redirected to the index page
    return browser, jar


def _csrf_token(jar: http.cookiejar.CookieJar) -> str:
    return next(str(c.value) for c in jar if c.name == "csrftoken")


THREAD = {
    "annotationId": "example-thread-1",
    "metadata": {"organizationId": "example-org", "documentId": "example-doc"},
    "from": {"userId": "u_1"},
    "comments": {
        "517204": {
            "commentId": 517204,
            "commentText": "first message",
            "from": {"userId": "u_1"},
            "flags": {"zero": 0, "no": False, "none": None, "empty": ""},
        }
    },
    "team.name": "custom field with an unsafe key",
}


@pytest.mark.mongo
def test_example_project_runserver_round_trip_on_embedded_database(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    server = ExampleServer(_free_port(), data_dir, "--noreload")
    try:
        server.wait_until_serving()
        status, saved = server.post(
            "comments/save",
            {
                "commentAnnotation": {THREAD["annotationId"]: THREAD},
                "event": "comment.add",
            },
        )
        assert status == 200
        assert saved["success"] is True and "data" not in saved

        status, got = server.post(
            "comments/get",
            {"organizationId": "example-org", "documentIds": ["example-doc"]},
        )
        assert status == 200
        assert got["data"] == {THREAD["annotationId"]: THREAD}
    finally:
        returncode = server.stop()
    started = [line for line in server.lines if START_LINE in line]
    assert len(started) == 1, server.output
    assert str(data_dir) in started[0]
    assert any(OPEN_ACCESS_LINE in line and "WARNING" in line for line in server.lines)
    assert (data_dir / "WiredTiger").exists()
    # SIGTERM became a normal exit, so atexit stopped the database cleanly and withdrew
    # its advertisement. (Under the autoreloader, Django's watching parent kills the
    # serving child when it gets the signal itself, so that is only checked here.)
    assert returncode == 128 + signal.SIGTERM, server.output
    assert not (data_dir / "server.json").exists()


@pytest.mark.mongo
def test_example_project_autoreloader_starts_one_database(tmp_path: Path) -> None:
    server = ExampleServer(_free_port(), tmp_path / "data")
    try:
        server.wait_until_serving()
        status, got = server.post("reactions/get", {"organizationId": "example-org"})
        assert status == 200
        assert got["data"] == {}
    finally:
        server.stop()
    assert "Watching for file changes" in server.output
    assert sum(START_LINE in line for line in server.lines) == 1, server.output
    # Said once, by the serving child, not by the autoreloader's parent too.
    assert sum(OPEN_ACCESS_LINE in line for line in server.lines) == 1, server.output


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "test-only-secret",
    # Checks never connect, so nothing needs to listen here.
    "VELT_MONGODB_URI": "mongodb://127.0.0.1:1/",
}


def test_example_project_check_passes_with_debug_off_and_default_policy() -> None:
    result = _manage("check", env=_env(**PRODUCTION_ENV))
    assert result.returncode == 0, result.stderr
    assert "velt.E" not in result.stdout + result.stderr


def test_example_project_check_refuses_allow_all_with_debug_off() -> None:
    env = _env(
        **PRODUCTION_ENV, VELT_ORGANIZATION_ACCESS="velt_django.access.allow_all"
    )
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "velt.E004" in result.stderr


def test_example_project_debug_off_starts_no_database(tmp_path: Path) -> None:
    env = _env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="test-only-secret",
        VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
    )
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "velt.E001" in result.stderr
    assert START_LINE not in result.stderr
    assert not (tmp_path / "data").exists()


def test_example_project_requires_secret_key_with_debug_off() -> None:
    env = _env(DJANGO_DEBUG="0", VELT_MONGODB_URI="mongodb://127.0.0.1:1/")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.mongo
def test_example_project_commands_use_the_database_of_a_running_server(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = _env(VELT_EXAMPLE_DATA_DIR=str(data_dir))
    server = ExampleServer(_free_port(), data_dir)
    try:
        server.wait_until_serving()
        advertised = json.loads((data_dir / "server.json").read_text())
        assert advertised["uri"].startswith("mongodb://127.0.0.1:")

        check = _manage("check", env=env)
        assert check.returncode == 0, check.stderr
        _assert_no_crash(check)
        assert f"{REUSE_LINE} of process {advertised['pid']}" in check.stderr

        indexes = _manage("velt_ensure_indexes", env=env)
        assert indexes.returncode == 0, indexes.stderr
        _assert_no_crash(indexes)
        assert "Indexes are in place." in indexes.stdout

        status, got = server.post("reactions/get", {"organizationId": "example-org"})
        assert status == 200 and got["data"] == {}
    finally:
        server.stop()
    assert sum(START_LINE in line for line in server.lines) == 1, server.output


def test_example_project_check_with_no_server_running_starts_no_database(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    result = _manage("check", env=_env(VELT_EXAMPLE_DATA_DIR=str(data_dir)))
    assert result.returncode == 0, result.stderr
    _assert_no_crash(result)
    assert "velt.E001" not in result.stderr
    assert not data_dir.exists()


@pytest.mark.parametrize(
    "command", [("velt_check",), ("velt_gdpr", "export", "--user-id", "u1")]
)
def test_example_project_commands_print_no_warnings_first(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """The allow-all warning belongs to the serving process; a command prints only
    its own output (velt.W002 is silenced, the log line is not repeated)."""
    result = _manage(*command, env=_env(VELT_EXAMPLE_DATA_DIR=str(tmp_path / "d")))
    output = result.stdout + result.stderr
    assert OPEN_ACCESS_LINE not in output
    assert "System check identified" not in output
    assert "WARNING" not in output


def test_example_project_velt_check_with_no_server_running_says_what_to_do(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    result = _manage("velt_check", env=_env(VELT_EXAMPLE_DATA_DIR=str(data_dir)))
    assert result.returncode == 1
    _assert_no_crash(result)
    mongodb = next(line for line in result.stdout.splitlines() if "mongodb" in line)
    assert mongodb.startswith("FAIL") and NO_DATABASE in mongodb
    assert "manage.py runserver" in mongodb and "VELT_MONGODB_URI" in mongodb
    assert not data_dir.exists()


def test_example_project_ensure_indexes_with_no_server_running_says_what_to_do(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    result = _manage(
        "velt_ensure_indexes", env=_env(VELT_EXAMPLE_DATA_DIR=str(data_dir))
    )
    assert result.returncode == 1
    _assert_no_crash(result)
    assert f"CommandError: {NO_DATABASE}" in result.stderr
    assert "manage.py runserver" in result.stderr
    assert "VELT_MONGODB_URI" in result.stderr
    assert not data_dir.exists()


@pytest.mark.mongo
def test_example_project_ignores_the_advertisement_of_a_killed_server(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    env = _env(VELT_EXAMPLE_DATA_DIR=str(data_dir))
    killed = ExampleServer(_free_port(), data_dir, "--noreload")
    killed.wait_until_serving()
    os.killpg(killed.proc.pid, signal.SIGKILL)
    killed.stop()
    assert (data_dir / "server.json").exists()  # SIGKILL runs no cleanup.

    result = _manage("velt_ensure_indexes", env=env)
    assert result.returncode == 1
    _assert_no_crash(result)
    assert NO_DATABASE in result.stderr

    # The next server takes the directory over.
    server = ExampleServer(_free_port(), data_dir, "--noreload")
    try:
        server.wait_until_serving()
        status, _ = server.post("reactions/get", {"organizationId": "example-org"})
        assert status == 200
    finally:
        server.stop()
    assert sum(START_LINE in line for line in server.lines) == 1, server.output


@pytest.mark.mongo
@pytest.mark.parametrize("preload", [False, True], ids=["workers", "preload"])
def test_example_project_under_gunicorn_starts_one_database(
    tmp_path: Path, preload: bool
) -> None:
    pytest.importorskip("gunicorn")
    data_dir = tmp_path / "data"
    port = _free_port()
    argv = [sys.executable, "-m", "gunicorn", "example_project.wsgi"]
    argv += ["--bind", f"127.0.0.1:{port}", "--workers", "2"]
    if preload:
        argv.append("--preload")
    server = ExampleServer(port, data_dir, argv=argv)
    try:
        server.wait_until_serving()
        for _ in range(4):  # Sync workers take turns; each must reach the database.
            status, got = server.post("reactions/get", {"organizationId": "x"})
            assert status == 200 and got["data"] == {}
        indexes = _manage(
            "velt_ensure_indexes", env=_env(VELT_EXAMPLE_DATA_DIR=str(data_dir))
        )
        assert indexes.returncode == 0, indexes.stderr
    finally:
        returncode = server.stop()
    assert sum(START_LINE in line for line in server.lines) == 1, server.output
    # Without --preload the second worker uses the first one's server.
    assert sum(REUSE_LINE in line for line in server.lines) == (0 if preload else 1)
    assert "WiredTiger" not in server.output and "SIGSEGV" not in server.output
    assert returncode == 0, server.output
    assert not (data_dir / "server.json").exists()


def test_example_project_index_page_lists_the_mounted_endpoints(
    tmp_path: Path,
) -> None:
    # The page needs no database: point VELT at a port where nothing listens.
    env = _env(
        VELT_MONGODB_URI="mongodb://127.0.0.1:1/",
        VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
    )
    server = ExampleServer(_free_port(), tmp_path / "data", "--noreload", env=env)
    try:
        server.wait_until_serving()
        status, content_type, body = server.get("/")
    finally:
        server.stop()
    assert status == 200
    assert content_type.startswith("text/html")
    names = [p.name for p in velt_django.urls.urlpatterns]
    # Every family's routes, whichever families are mounted now.
    assert {"comments-get", "users-get", "anonymous-users-resolve"} <= set(names)
    for pattern in velt_django.urls.urlpatterns:
        assert f"<code>velt:{pattern.name}</code>" in body
        regex = pattern.pattern.regex
        if not regex.groupindex:
            route = regex.pattern.removeprefix("^").removesuffix("/?$")
            assert f"<code>/velt/{route}</code>" in body
    # Routes with arguments are shown with their argument names.
    assert "<code>/velt/f/PUBLIC_ID/NAME</code>" in body
    assert START_LINE not in server.output


#: The ``User`` fields of §3.4 that Django's user model has no column for.
SAM_EXTRA = {
    "userId": "u_8841",
    "photoUrl": "https://cdn.acme.example/avatars/u_8841.png",
    "initial": "S",
    "color": "#2F7D6D",
    "textColor": "#FFFFFF",
    "isAdmin": True,
}


@pytest.mark.mongo
def test_example_project_users_from_django_user_model_round_trip(
    tmp_path: Path,
) -> None:
    # The example's user directory is Django's user model in SQLite under the data
    # directory; the serving process applies the migrations on a fresh checkout.
    data_dir = tmp_path / "data"
    server = ExampleServer(_free_port(), data_dir, "--noreload")
    try:
        server.wait_until_serving()
        users_file = tmp_path / "users.jsonl"
        users_file.write_text(
            json.dumps({**SAM_EXTRA, "name": "Sam Reyes", "email": "Sam@acme.example"})
            + "\n",
            encoding="utf-8",
        )
        loaded = _manage(
            "velt_load_users",
            str(users_file),
            "--organization",
            "example-org",
            env=_env(VELT_EXAMPLE_DATA_DIR=str(data_dir)),
        )
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert "Stored 1 user(s)" in loaded.stdout

        status, got = server.post(
            "users/get", {"organizationId": "example-org", "userIds": ["u_8841", "u_0"]}
        )
        assert status == 200
        assert got["data"] == {
            "u_8841": {
                "userId": "u_8841",
                "name": "Sam Reyes",
                "email": "Sam@acme.example",
                # No column of Django's user model: kept in velt_django's profile.
                **SAM_EXTRA,
                "organizationId": "example-org",  # a Django group of that name
            }
        }
        status, resolved = server.post(
            "anonymous-users/resolve",
            {"organizationId": "example-org", "emails": ["sam@ACME.example"]},
        )
        assert status == 200
        assert resolved["data"] == {"sam@ACME.example": "u_8841"}
    finally:
        server.stop()
    assert (data_dir / "example.sqlite3").is_file()


def _multipart(fields: dict[str, tuple[str | None, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body as a browser's FormData builds it: name → (filename, type, bytes)."""
    boundary = "----VeltExampleBoundary7MA4YWxkTrZu0gW"
    chunks: list[bytes] = []
    for name, (filename, content_type, data) in fields.items():
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


@pytest.mark.mongo
def test_example_project_file_saved_before_a_restart_is_served_after_it(
    tmp_path: Path,
) -> None:
    """An attachment uploaded to the example (local storage under its data directory)
    is served from the same URL by a new server process on the same data."""
    data_dir = tmp_path / "data"
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    request_part = {
        "attachment": {
            "attachmentId": 284117,
            "name": "mock.png",
            "mimeType": "image/png",
        },
        "metadata": {"organizationId": "example-org", "documentId": "example-doc"},
        "event": "attachment.add",
    }
    body, content_type = _multipart(
        {
            "file": ("mock.png", "image/png", content),
            "request": (None, "", json.dumps(request_part).encode()),
        }
    )
    port = _free_port()
    first = ExampleServer(port, data_dir, "--noreload")
    try:
        first.wait_until_serving()
        url = first.upload("attachments/save", body, content_type)
    finally:
        first.stop()
    assert url.startswith(f"http://127.0.0.1:{port}/velt/f/")
    assert list((data_dir / "files").rglob("*"))  # on disk, under the data directory

    second = ExampleServer(port, data_dir, "--noreload")
    try:
        second.wait_until_serving()
        with _opener.open(url, timeout=60) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "image/png"
            assert response.read() == content
        ranged = urllib.request.Request(url, headers={"Range": "bytes=8-15"})
        with _opener.open(ranged, timeout=60) as response:
            assert response.status == 206
            assert response.read() == content[8:16]
    finally:
        second.stop()


@pytest.mark.mongo
def test_example_project_keeps_files_in_the_s3_bucket_it_is_given(
    tmp_path: Path,
) -> None:
    """``VELT_S3_BUCKET`` (+ endpoint) puts the example's uploads into that bucket, with
    the bounded transfer settings; the private URL redirects to a presigned URL."""
    import requests

    from .s3 import FAKE_ENVIRONMENT, Bucket, moto_s3_server

    content = b"recording-bytes-" * 4096
    request_part = {
        "attachment": {
            "attachmentId": 905321,
            "name": "rec.webm",
            "mimeType": "video/webm",
        },
        "metadata": {"organizationId": "example-org", "documentId": "example-doc"},
    }
    body, content_type = _multipart(
        {
            "file": ("rec.webm", "video/webm", content),
            "request": (None, "", json.dumps(request_part).encode()),
        }
    )
    with moto_s3_server() as endpoint:
        bucket = Bucket(endpoint).create()
        env = _env(
            VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
            VELT_S3_BUCKET=bucket.name,
            VELT_S3_ENDPOINT_URL=endpoint,
            VELT_S3_REGION="us-east-1",
            **FAKE_ENVIRONMENT,
        )
        port = _free_port()
        server = ExampleServer(port, tmp_path / "data", "--noreload", env=env)
        try:
            server.wait_until_serving()
            url = server.upload("recordings/files/save", body, content_type)
            (key,) = bucket.keys()
            assert key.startswith("velt/recording/example-org/example-doc/")
            assert bucket.read(key) == content
            assert not (tmp_path / "data" / "files").exists()
            http = requests.Session()
            http.trust_env = False  # no proxy from the environment for loopback
            redirect = http.get(url, allow_redirects=False, timeout=60)
            assert redirect.status_code == 302
            assert redirect.headers["Location"].startswith(endpoint)
            served = http.get(redirect.headers["Location"], timeout=60)
            assert served.content == content
        finally:
            server.stop()
