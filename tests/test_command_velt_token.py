"""``manage.py velt_token``: a Velt user JWT from v2/auth/generate_token (mocked)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import requests
import responses
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

URL = "https://api.velt.dev/v2/auth/generate_token"
KEY = "velt-key-0c31"
SECRET = "velt-auth-token-9e8d"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJ1LTEifQ.sig"
ANSWER = {"result": {"status": "success", "data": {"token": JWT}}}


@pytest.fixture
def credentials(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    settings.VELT = {
        **settings.VELT,
        "API_KEY": KEY,
        "AUTH_TOKEN": SECRET,
        "API_RETRIES": 0,
    }


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def run(*args: str, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("velt_token", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def sent(api: responses.RequestsMock) -> Any:
    body = api.calls[0].request.body
    assert body is not None
    return json.loads(body)["data"]


def test_velt_token_prints_token_as_last_line(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(URL, json=ANSWER)
    out, _ = run("--user-id", "u-1", "--organization", "acme")
    assert out.splitlines()[-1] == JWT
    assert sent(api) == {
        "userId": "u-1",
        "userProperties": {},
        "permissions": {"resources": [{"type": "organization", "id": "acme"}]},
    }
    request = api.calls[0].request
    assert request.headers["x-velt-api-key"] == KEY
    assert request.headers["x-velt-auth-token"] == SECRET


def test_velt_token_sends_documents_role_and_user_properties(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(URL, json=ANSWER)
    run(
        "--user-id=u-1",
        "--organization=acme",
        "--document=doc-1",
        "--document=doc-2",
        "--access-role=viewer",
        "--admin",
        "--email=sam@acme.test",
        "--name=Sam Reyes",
    )
    assert sent(api) == {
        "userId": "u-1",
        "userProperties": {
            "isAdmin": True,
            "name": "Sam Reyes",
            "email": "sam@acme.test",
        },
        "permissions": {
            "resources": [
                {"type": "organization", "id": "acme", "accessRole": "viewer"},
                {
                    "type": "document",
                    "id": "doc-1",
                    "organizationId": "acme",
                    "accessRole": "viewer",
                },
                {
                    "type": "document",
                    "id": "doc-2",
                    "organizationId": "acme",
                    "accessRole": "viewer",
                },
            ]
        },
    }


def test_velt_token_json_output(credentials: None, api: responses.RequestsMock) -> None:
    api.post(URL, json=ANSWER)
    out, _ = run("--user-id", "u-1", "--organization", "acme", "--json")
    assert json.loads(out) == {"token": JWT, "userId": "u-1", "organizationId": "acme"}


def test_velt_token_writes_only_to_stdout(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(URL, json=ANSWER)
    _, err = run("--user-id", "u-1", "--organization", "acme", verbosity=2)
    assert err == ""


def test_velt_token_without_credentials_fails(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    with pytest.raises(CommandError, match="API_KEY"):
        run("--user-id", "u-1", "--organization", "acme")


def test_velt_token_reads_credentials_from_environment(
    monkeypatch: pytest.MonkeyPatch, api: responses.RequestsMock
) -> None:
    monkeypatch.setenv("VELT_API_KEY", KEY)
    monkeypatch.setenv("VELT_AUTH_TOKEN", SECRET)
    api.post(URL, json=ANSWER)
    out, _ = run("--user-id", "u-1", "--organization", "acme")
    assert out.splitlines()[-1] == JWT


def test_velt_token_refused_by_velt(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(
        URL,
        status=401,
        json={"error": {"status": "UNAUTHENTICATED", "message": f"bad {SECRET}"}},
    )
    with pytest.raises(CommandError) as caught:
        run("--user-id", "u-1", "--organization", "acme")
    message = str(caught.value)
    assert "HTTP 401 UNAUTHENTICATED" in message
    assert SECRET not in message and KEY not in message


def test_velt_token_answer_without_token_fails(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(URL, json={"result": {"status": "success"}})
    with pytest.raises(CommandError, match="holds no token"):
        run("--user-id", "u-1", "--organization", "acme")


def test_velt_token_timeout_fails(
    credentials: None, api: responses.RequestsMock
) -> None:
    api.post(URL, body=requests.exceptions.ReadTimeout())
    with pytest.raises(CommandError, match="no answer within"):
        run("--user-id", "u-1", "--organization", "acme")


@pytest.mark.parametrize(
    "args",
    [
        ("--user-id", " ", "--organization", "acme"),
        ("--user-id", "u-1", "--organization", ""),
        ("--user-id", "u-1", "--organization", "acme", "--document", " "),
        ("--user-id", "u-1", "--organization", "acme", "--email", "not-an-address"),
        ("--user-id", "u-1"),
        ("--user-id", "u-1", "--organization", "acme", "--access-role", "owner"),
    ],
)
def test_velt_token_rejects_bad_arguments(
    credentials: None, args: tuple[str, ...]
) -> None:
    with pytest.raises(CommandError):
        run(*args)


def test_velt_token_failure_exits_non_zero(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)
    command = load_command_class("velt_django", "velt_token")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(
            ["manage.py", "velt_token", "--user-id", "u-1", "--organization", "acme"]
        )
    assert exited.value.code == 1
    assert "credentials are not configured" in capsys.readouterr().err


def test_velt_token_help_lists_options() -> None:
    command = load_command_class("velt_django", "velt_token")
    text = command.create_parser("manage.py", "velt_token").format_help()
    for option in ("--user-id", "--organization", "--document", "--admin", "--json"):
        assert option in text


def test_velt_token_runs_despite_unrelated_system_check_errors(
    credentials: None,
    settings: Any,
    api: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings.VELT = {**settings.VELT, "MONGODB_URI": None}  # velt.E001
    api.post(URL, json=ANSWER)
    command = load_command_class("velt_django", "velt_token")
    command.run_from_argv(
        ["manage.py", "velt_token", "--user-id", "u-1", "--organization", "acme"]
    )
    assert capsys.readouterr().out.splitlines()[-1] == JWT
