"""The README's quickstart, pasted into a fresh ``django-admin startproject`` project as
written: migrate, index, check, mint a token, then one save and one get over HTTP with
it, and a token from ``POST /velt/token`` for a signed-in user of a group."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .test_example_project import ExampleServer, _free_port

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"```python\n# mysite/(?P<file>\S+): (?P<how>append|new file)\n(?P<code>.*?)```",
    re.S,
)
PASSWORD = "quickstart-" + "p" * 20


def quickstart_blocks() -> list[tuple[str, str, str]]:
    """``(file, "append" | "new file", code)`` of the README's quickstart blocks."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["file"], m["how"], m["code"]) for m in BLOCK.finditer(readme)]


def test_the_readme_has_the_quickstart_blocks() -> None:
    files = [(file, how) for file, how, _ in quickstart_blocks()]
    assert ("settings.py", "append") in files
    assert ("urls.py", "append") in files


def build_project(tmp_path: Path) -> Path:
    project = tmp_path / "proj"
    project.mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "mysite", str(project)],
        check=True,
        capture_output=True,
    )
    for file, how, code in quickstart_blocks():
        target = project / "mysite" / file
        if how == "append":
            target.write_text(target.read_text() + "\n" + code, encoding="utf-8")
        else:
            target.write_text(code, encoding="utf-8")
    return project


def post(
    opener: Any, url: str, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body
    request = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.mongo
def test_quickstart_in_a_fresh_startproject(
    tmp_path: Path, mongo_server_uri: str
) -> None:
    project = build_project(tmp_path)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    env.update(
        VELT_MONGODB_URI=mongo_server_uri,
        VELT_RESOLVER_TOKEN_SECRET=secrets.token_urlsafe(48),
        DJANGO_SETTINGS_MODULE="mysite.settings",
        PYTHONUNBUFFERED="1",
    )

    def manage(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=project,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result

    # The README's commands, as written.
    manage("migrate")
    manage("velt_ensure_indexes")
    check = manage("velt_check")
    assert "FAIL" not in check.stdout
    minted = manage("velt_resolver_token", "--user", "u1", "--organization", "acme")
    token = minted.stdout.strip().splitlines()[-1]

    port = _free_port()
    server = ExampleServer(
        port,
        tmp_path / "unused",
        argv=[sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        env=env,
        cwd=project,
    )
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    thread = {
        "annotationId": "qs-thread",
        "metadata": {"organizationId": "acme", "documentId": "qs-doc"},
        "comments": {"1": {"commentId": 1, "commentText": "hello from the quickstart"}},
    }
    try:
        server.wait_until_serving()
        bearer = {"Authorization": f"Bearer {token}"}
        status, body = post(
            opener,
            f"{base}/velt/comments/save",
            {"commentAnnotation": {"qs-thread": thread}},
            bearer,
        )
        assert status == 200 and body["success"] is True, body
        status, body = post(
            opener,
            f"{base}/velt/comments/get",
            {"organizationId": "acme", "documentIds": ["qs-doc"]},
            bearer,
        )
        assert status == 200, body
        stored = body["data"]["qs-thread"]["comments"]["1"]["commentText"]
        assert stored == "hello from the quickstart"
        status, body = post(
            opener, f"{base}/velt/comments/get", {"organizationId": "other"}, bearer
        )
        assert status == 403, body

        # POST /velt/token for a signed-in user (the stock admin's sign-in page), whose
        # group names its organizations (mysite.velt.organizations_of).
        manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "alice",
            "--email",
            "alice@example.com",
            DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        )
        manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import Group, User; "
            "User.objects.get(username='alice').groups.add("
            "Group.objects.create(name='acme'))",
        )
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
        )
        with browser.open(f"{base}/admin/login/", timeout=60):
            pass
        csrf = next(str(c.value) for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode(
            {
                "username": "alice",
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf,
                "next": "/admin/",
            }
        ).encode()
        with browser.open(f"{base}/admin/login/", data=form, timeout=60):
            pass
        csrf = next(str(c.value) for c in jar if c.name == "csrftoken")
        status, minted_body = post(
            browser, f"{base}/velt/token", b"", {"X-CSRFToken": csrf}
        )
        assert status == 200, minted_body
        user_token = {"Authorization": f"Bearer {minted_body['token']}"}
        status, body = post(
            opener, f"{base}/velt/comments/get", {"organizationId": "acme"}, user_token
        )
        assert status == 200 and "qs-thread" in body["data"], body
    finally:
        server.stop()
        import pymongo

        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            mongo_server_uri
        )
        client.drop_database("velt")
        client.close()
    assert "Traceback" not in server.output, server.output


@pytest.mark.django_db
def test_the_cookie_mode_policy_recipe_runs_on_a_stock_project() -> None:
    """docs/organization-access.md's group policy, as written, on Django's own models."""
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser, Group, User

    page = (ROOT / "docs" / "organization-access.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n# mysite/velt.py\n(.*?)```", page, re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code[1], namespace)  # the documented recipe itself
    policy = namespace["can_access_organization"]
    alice = User.objects.create(username="alice")
    alice.groups.add(Group.objects.create(name="acme"))
    as_alice = SimpleNamespace(user=alice)
    assert policy(as_alice, "get", "acme", []) is True
    assert policy(as_alice, "save", "globex", ["doc-1"]) is False
    assert policy(SimpleNamespace(user=AnonymousUser()), "get", "acme", []) is False
