"""``manage.py velt_check``: each check's success and failure, JSON output, exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import responses
from django.core.files.storage import InMemoryStorage, Storage, storages
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError

VELT_PROBE_URL = "https://api.velt.dev/v1/organizations/get"
KEY = "velt-key-5a"
SECRET = "velt-secret-6b"
NAMES = [
    "config",
    "mongodb",
    "write-concern",
    "indexes",
    "storage:attachment",
    "storage:recording",
    "velt-api",
]


class BrokenStorage(Storage):
    """A backend whose every lookup fails, like a bucket without read permission."""

    def exists(self, name: str) -> bool:
        raise PermissionError("access denied")


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VELT_API_KEY", raising=False)
    monkeypatch.delenv("VELT_AUTH_TOKEN", raising=False)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    """Velt's API; a call that matches nothing fails the check (and so the test)."""
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def credentials(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "API_KEY": KEY,
        "AUTH_TOKEN": SECRET,
        "API_RETRIES": 0,
    }


@pytest.fixture
def unreachable_mongodb(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 100}


def run(*args: str, **options: Any) -> tuple[str, str]:
    """Output and error streams; raises CommandError as the command does."""
    out, err = StringIO(), StringIO()
    try:
        call_command("velt_check", *args, stdout=out, stderr=err, **options)
    except CommandError as error:
        error.out = out.getvalue()  # type: ignore[attr-defined]
        raise
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, CommandError]:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value.out, caught.value  # type: ignore[attr-defined]


def line(out: str, name: str) -> str:
    [match] = [text for text in out.splitlines() if text[5:].startswith(name + " ")]
    return match


def checks(out: str) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in json.loads(out)["checks"]}


def test_velt_check_passes_without_velt_credentials(mongo_db: Any) -> None:
    out, _ = run()
    assert line(out, "config").startswith("OK   ")
    assert line(out, "mongodb").startswith("OK   ")
    assert " ms)" in line(out, "mongodb")
    assert line(out, "write-concern").endswith("acknowledged (w=majority)")
    assert line(out, "indexes").startswith("OK   ")
    assert "InMemoryStorage" in line(out, "storage:attachment")
    assert line(out, "storage:recording").startswith("OK   ")
    assert line(out, "velt-api").startswith("SKIP ")
    assert "not configured" in line(out, "velt-api")
    assert out.splitlines()[-1] == "All checks passed."


def test_velt_check_json_lists_every_check(mongo_db: Any) -> None:
    out, _ = run("--json")
    payload = json.loads(out)
    assert payload["ok"] is True
    assert [check["name"] for check in payload["checks"]] == NAMES
    assert {check["status"] for check in payload["checks"]} == {"ok", "skip"}


def test_velt_check_velt_credentials_accepted(
    mongo_db: Any, credentials: None, api: responses.RequestsMock
) -> None:
    api.post(VELT_PROBE_URL, json={"result": {"status": "success", "data": []}})
    out, _ = run()
    assert line(out, "velt-api").startswith("OK   ")
    request = api.calls[0].request
    assert request.headers["x-velt-api-key"] == KEY
    assert request.body is not None
    assert json.loads(request.body) == {
        "data": {"organizationIds": ["velt-check-probe"]}
    }


def test_velt_check_velt_credentials_refused(
    mongo_db: Any, credentials: None, api: responses.RequestsMock
) -> None:
    refusal = {"error": {"status": "PERMISSION_DENIED", "message": "Invalid API key."}}
    api.post(VELT_PROBE_URL, status=403, json=refusal)
    out, error = run_failing()
    assert line(out, "velt-api").startswith("FAIL ")
    assert "PERMISSION_DENIED" in line(out, "velt-api")
    assert str(error) == "1 check(s) failed: velt-api"
    assert KEY not in out and SECRET not in out


def test_velt_check_auth_token_missing_fails(mongo_db: Any, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "API_KEY": KEY}
    out, _ = run_failing()
    assert "no auth token" in line(out, "velt-api")


def test_velt_check_skip_network_makes_no_call(
    mongo_db: Any, credentials: None, api: responses.RequestsMock
) -> None:
    out, _ = run("--skip-network")
    assert line(out, "velt-api").startswith("SKIP ")
    assert "--skip-network" in line(out, "velt-api")
    assert len(api.calls) == 0


def test_velt_check_unreachable_mongodb_fails(unreachable_mongodb: None) -> None:
    out, error = run_failing("--skip-network")
    assert line(out, "mongodb").startswith("FAIL ")
    assert "unreachable" in line(out, "mongodb")
    assert "127.0.0.1" not in line(out, "mongodb")  # no URI (it may hold a password)
    assert line(out, "indexes").startswith("SKIP ")
    assert "mongodb" in str(error)


def test_velt_check_missing_uri_fails(settings: Any) -> None:
    settings.VELT = {**settings.VELT, "MONGODB_URI": None}
    out, error = run_failing("--json")
    result = checks(out)
    assert result["config"]["status"] == "fail"
    assert "velt.E001" in result["config"]["detail"]
    assert result["mongodb"]["status"] == "fail"
    assert str(error) == "2 check(s) failed: config, mongodb"


def test_velt_check_unacknowledged_write_concern_fails(
    mongo_db: Any, settings: Any
) -> None:
    settings.VELT = {**settings.VELT, "WRITE_CONCERN": 0}
    out, _ = run_failing("--json")
    result = checks(out)
    assert result["write-concern"]["status"] == "fail"
    assert "velt.E007" in result["config"]["detail"]
    assert result["mongodb"]["status"] == "fail"


def test_velt_check_missing_index_fails(mongo_db: Any) -> None:
    mongo_db["velt_comment_annotations"].drop_index("org_document")
    out, _ = run_failing()
    assert "velt_comment_annotations.org_document" in line(out, "indexes")
    assert "velt_ensure_indexes" in line(out, "indexes")


def test_velt_check_expects_retention_ttl_index(mongo_db: Any, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "ACTIVITY_RETENTION_DAYS": 30}
    out, _ = run_failing()
    assert "velt_activities.created_ttl" in line(out, "indexes")
    call_command("velt_ensure_indexes", stdout=StringIO())
    out, _ = run()
    assert line(out, "indexes").startswith("OK   ")


def test_velt_check_broken_storage_fails(mongo_db: Any, settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "broken": {"BACKEND": "tests.test_command_velt_check.BrokenStorage"},
    }
    settings.VELT = {**settings.VELT, "ATTACHMENT_STORAGE": "broken"}
    out, error = run_failing()
    assert line(out, "storage:attachment").startswith("FAIL ")
    assert "PermissionError: access denied" in line(out, "storage:attachment")
    assert line(out, "storage:recording").startswith("OK   ")
    assert str(error) == "1 check(s) failed: storage:attachment"


def test_velt_check_unknown_storage_alias_fails(mongo_db: Any, settings: Any) -> None:
    settings.VELT = {**settings.VELT, "RECORDING_STORAGE": "recordings"}
    out, _ = run_failing()
    assert "STORAGES['recordings']" in line(out, "storage:recording")


def test_velt_check_filesystem_storage_is_not_written(
    mongo_db: Any, settings: Any, tmp_path: Path
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.VELT = {**settings.VELT, "ATTACHMENT_STORAGE": "files"}
    out, _ = run()
    assert "FileSystemStorage" in line(out, "storage:attachment")
    assert list(tmp_path.iterdir()) == []


def test_velt_check_fails_a_storage_writing_under_the_working_directory(
    mongo_db: Any, settings: Any
) -> None:
    """A stock project: FileSystemStorage with Django's empty MEDIA_ROOT."""
    settings.MEDIA_ROOT = ""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    out, error = run_failing()
    attachment = line(out, "storage:attachment")
    assert attachment.startswith("FAIL ")
    assert "working directory" in attachment and "MEDIA_ROOT is empty" in attachment
    assert "velt.W053" in line(out, "config")
    assert "storage:attachment" in str(error)


def test_velt_check_in_memory_storage_is_not_written(mongo_db: Any) -> None:
    run()
    storage = storages["default"]
    assert isinstance(storage, InMemoryStorage)
    assert storage.listdir("") == ([], [])


def test_velt_check_progress_on_stderr(mongo_db: Any) -> None:
    out, err = run()
    assert err == "velt_check: 7/7 (100%)\n"
    assert "velt_check:" not in out


def test_velt_check_progress_redrawn_on_a_terminal(mongo_db: Any) -> None:
    class Tty(StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    call_command("velt_check", stdout=StringIO(), stderr=err)
    assert err.getvalue().startswith("\r\x1b[Kvelt_check: 0/7 (0%)")
    assert err.getvalue().endswith("\r\x1b[Kvelt_check: 7/7 (100%)\n")


def test_velt_check_no_progress_with_verbosity_0(mongo_db: Any) -> None:
    _, err = run(verbosity=0)
    assert err == ""


def test_velt_check_failure_exits_non_zero(
    unreachable_mongodb: None, capsys: pytest.CaptureFixture[str]
) -> None:
    command = load_command_class("velt_django", "velt_check")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "velt_check", "--skip-network"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "FAIL mongodb" in captured.out
    assert "check(s) failed: mongodb" in captured.err


def test_velt_check_reports_system_check_errors_itself(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.VELT = {**settings.VELT, "MONGODB_URI": None}
    command = load_command_class("velt_django", "velt_check")
    with pytest.raises(SystemExit):
        command.run_from_argv(["manage.py", "velt_check", "--skip-network"])
    out = capsys.readouterr().out
    assert "velt.E001" in line(out, "config")
    assert line(out, "storage:attachment").startswith("OK   ")


def test_velt_check_help_lists_options() -> None:
    command = load_command_class("velt_django", "velt_check")
    text = command.create_parser("manage.py", "velt_check").format_help()
    assert "--skip-network" in text and "--json" in text
