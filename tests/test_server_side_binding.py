"""The PostgreSQL tier again, with psycopg's server-side binding on the test alias
(``OPTIONS = {"server_side_binding": True}``, docs/postgresql.md): every statement the
backend sends, including the ones it compiles itself, must also run as a prepared,
parameter-bound statement, which PostgreSQL types more strictly than quoted text."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import postgres

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent


def test_postgres_tier_passes_with_server_side_binding() -> None:
    if postgres.find_bin_dir() is None and not os.environ.get(
        postgres.EXTERNAL_URL_ENV
    ):
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed; .ci/run installs it")
    env = {**os.environ, postgres.SERVER_SIDE_BINDING_ENV: "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-m",
            "postgres",
            # Not this module again, and not the fuzz run the outer tier already made.
            f"--ignore={Path(__file__).relative_to(ROOT)}",
            "--ignore=tests/fuzz",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = result.stdout[-3000:] + result.stderr[-2000:]
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), tail
    assert not re.search(r"\d+ (failed|error)", summary), tail
    # The inner run really had server-side binding: the check of it ran and passed.
    check = "test_postgres_fixture.py::test_alias_binding_follows_the_environment"
    assert f"PASSED tests/{check}" in result.stdout, tail
