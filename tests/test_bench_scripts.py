"""Smoke runs of the two stand-alone benchmark scripts, so a change that keeps them from
starting fails here and not on the operator who runs them: ``bench_files.py`` (one
upload served by gunicorn on an embedded SecantusDB, local storage only, a small file)
and ``bench_permissions.py --quick`` (the permission provider in process, on SQLite
for the host's user table). Each writes
JSON with figures taken from what it really did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(command: list[str]) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.mongo
def test_bench_files_uploads_through_gunicorn(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    output = tmp_path / "files.json"
    _run(
        [sys.executable, "benchmarks/bench_files.py", "--no-s3", "--large-mib", "2",
         "--output", str(output)]
    )  # fmt: skip

    data = json.loads(output.read_text())
    assert data["large_mib"] == 2 and data["server"]
    local = data["memory"]["local FileSystemStorage"]
    for upload in ("first", "second"):
        cell = local[upload]
        assert cell["seconds"] > 0 and cell["mib_per_s"] > 0, cell
        assert cell["peak_mib"] >= cell["rss_before_mib"] > 0, cell
        # The upload answered with a signed URL of velt_django's file view.
        assert "/velt/f/" in cell["url"] and "sig=" in cell["url"], cell
    assert local["raw_save_mib_per_s"] > 0
    assert list(data["memory"]) == ["local FileSystemStorage"]  # --no-s3


def test_bench_permissions_answers_a_batch(tmp_path: Path) -> None:
    output = tmp_path / "permissions.json"
    _run(
        [sys.executable, "benchmarks/bench_permissions.py", "--quick",
         "--output", str(output)]
    )  # fmt: skip

    data = json.loads(output.read_text())
    assert data["iterations"] == 50
    assert data["sql_queries_per_batch"] >= 1
    for side in ("endpoint", "policy_calls", "users_query"):
        cell = data["summary"][side]
        assert cell["n"] == 50, (side, cell)
        assert 0 < cell["p50_ms"] <= cell["p99_ms"], (side, cell)
    # The endpoint does the policy's work and more, so it cannot be the faster side.
    assert data["ratios"]["endpoint / policy calls"] > 1
