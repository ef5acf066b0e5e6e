"""The documentation: the MkDocs site builds in strict mode, and the reference pages
declare every setting, system check and management command the package has.

The site build needs the ``docs`` extra (part of ``dev``): mkdocs and mkdocs-material.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from velt_django.conf import DEFAULTS
from velt_django.tokens import TOKEN_DEFAULTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "velt_django"

CHECK_ID = re.compile(r"velt\.[EW]\d{3}")
#: The first cell of a Markdown table row, e.g. ``| `MAX_BODY_SIZE` | ...``.
FIRST_CELL = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)


def _page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of the
    same or a higher level."""
    lines = text.splitlines()
    start = lines.index(heading)
    level = len(heading) - len(heading.lstrip("#"))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("#") and len(line) - len(line.lstrip("#")) <= level:
            break
        body.append(line)
    return "\n".join(body)


def test_docs_site_builds_in_strict_mode(tmp_path: Path) -> None:
    # NO_MKDOCS_2_WARNING: Material's end-of-life banner is not a build warning.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "WARNING" not in log, log
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "wire-protocol" / "index.html").is_file()


def test_docs_settings_page_has_one_row_per_setting() -> None:
    """Every key of ``VELT`` has its own row in the settings table, and every row names a
    real key."""
    table = _section(_page("settings.md"), "## Settings")
    rows = FIRST_CELL.findall(table)
    assert len(rows) == len(set(rows)), "a setting is declared twice"
    missing = sorted(set(DEFAULTS) - set(rows))
    assert missing == [], f"settings missing from docs/settings.md: {missing}"
    unknown = sorted(set(rows) - set(DEFAULTS))
    assert unknown == [], f"docs/settings.md declares unknown settings: {unknown}"


def test_docs_settings_page_has_one_row_per_resolver_token_key() -> None:
    table = _section(_page("settings.md"), "## `RESOLVER_TOKEN` keys")
    rows = FIRST_CELL.findall(table)
    assert len(rows) == len(set(rows))
    assert sorted(rows) == sorted(TOKEN_DEFAULTS)


def _check_ids_in_source() -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        found.update(CHECK_ID.findall(path.read_text(encoding="utf-8")))
    return found


def test_docs_checks_page_lists_every_system_check() -> None:
    in_source = _check_ids_in_source()
    assert len(in_source) > 40  # the scan found the checks modules
    rows = set(FIRST_CELL.findall(_page("checks.md")))
    missing = sorted(in_source - rows)
    assert missing == [], f"system checks missing from docs/checks.md: {missing}"
    unknown = sorted(row for row in rows - in_source if CHECK_ID.fullmatch(row))
    assert unknown == [], f"docs/checks.md lists checks the code lacks: {unknown}"


def test_docs_commands_page_has_a_section_per_command() -> None:
    commands = sorted(
        path.stem
        for path in (PACKAGE / "management" / "commands").glob("*.py")
        if not path.stem.startswith("_")
    )
    assert "velt_ensure_indexes" in commands
    headings = set(re.findall(r"^## `([a-z_]+)`$", _page("commands.md"), re.MULTILINE))
    missing = [name for name in commands if name not in headings]
    assert missing == [], f"commands without a section in docs/commands.md: {missing}"
    unknown = sorted(headings - set(commands))
    assert unknown == [], f"docs/commands.md documents unknown commands: {unknown}"


README = ROOT / "README.md"
EXAMPLE_COMMAND = (
    'python3 -m venv --upgrade-deps .venv && .venv/bin/pip install -e ".[example]" '
    "&& .venv/bin/python manage.py runserver"
)
TEST_COMMAND = (
    'python3 -m venv --upgrade-deps .venv && .venv/bin/pip install -e ".[dev]" '
    "&& .venv/bin/python -m pytest"
)


def test_readme_is_a_short_front_page() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 260, f"README.md has {len(lines)} lines"


def test_readme_starts_with_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.startswith("# velt_django\n")
    first_block = re.search(r"```sh\n(.*?)```", text, re.DOTALL)
    assert first_block is not None
    # Nothing but one line of prose between the title and the commands.
    assert text[: first_block.start()].count("\n\n") <= 2
    commands = [
        line
        for line in first_block.group(1).splitlines()
        if line and not line.startswith("#")
    ]
    assert commands == [EXAMPLE_COMMAND, TEST_COMMAND]


def test_readme_test_command_is_what_ci_runs() -> None:
    """.ci/run's last three commands are the README's test command, one per line."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    steps = [line.strip() for line in script if line.strip()][-3:]
    assert steps[-1] == '.venv/bin/python -m pytest "$@"'
    assert " && ".join([*steps[:-1], ".venv/bin/python -m pytest"]) == TEST_COMMAND


def test_readme_links_point_at_files_of_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert any(t.startswith("docs/") for t in local)
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == [], f"README.md links to missing files: {missing}"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_pages_do_not_cite_the_internal_contract(page: str) -> None:
    """The pages are the package's own reference: no "CONTRACT §…" citations of a
    document users do not have."""
    assert "CONTRACT" not in _page(page)
