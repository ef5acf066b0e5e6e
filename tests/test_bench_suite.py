"""A smoke run of the benchmark suite (``python -m benchmarks.suite``): a tiny corpus and
two operations on an embedded SecantusDB, the example project under gunicorn; the
JSON, Markdown and PNG it writes hold sane figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("comments/get: 1 document (100 threads)", "comments/save: 1 thread")

pytestmark = pytest.mark.mongo


def test_suite_writes_sane_results(tmp_path: Path) -> None:
    pytest.importorskip("gunicorn")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("VELT_", "DJANGO_"))
    }
    command = [
        sys.executable, "-m", "benchmarks.suite", "--scale", "0.01",
        "--concurrency", "1,2", "--duration", "0.4", "--warmup", "0.1", "--growth-iterations", "2",
        "--only", ",".join(OPERATIONS), "--no-peer", "--output", str(tmp_path),
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    data = json.loads((tmp_path / "mongodb.json").read_text())
    rows = {(row["operation"], row["concurrency"]): row for row in data["rows"]}
    assert set(rows) == {(op, c) for op in OPERATIONS for c in (1, 2)}
    for row in rows.values():
        for side in ("velt_django", "raw"):
            cell = row[side]
            assert cell["errors"] == 0, (side, cell)
            assert cell["requests"] > 0 and cell["rps"] > 0, (side, cell)
            assert 0 < cell["p50_ms"] <= cell["p99_ms"] < 5_000, (side, cell)
        assert row["round_trips"] == 1
        assert "peer" not in row and row["peer_note"]
    growth = {g["name"]: g for g in data["growth"]}
    assert growth["comments/get: 1 document of 1,000 threads"]["round_trips"] == 1
    assert growth["comments/save: 100 threads"]["round_trip_ratio"] == 1
    assert data["machine"]["cores"] and data["machine"]["python"]

    table = (tmp_path / "mongodb.md").read_text()
    assert "| Operation | Concurrency | req/s | p50 ms |" in table
    for op in OPERATIONS:
        assert f"| {op} | 2 |" in table
    png = (tmp_path / "mongodb.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
