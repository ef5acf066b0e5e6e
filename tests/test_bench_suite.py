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


def test_replays_touch_the_records_their_own_request_names() -> None:
    """The raw side's replay of request n swaps every id the body derives from n (the
    thread ids of a comment save too), all at once; a replay that kept the capture's
    thread would pile every raw save onto one growing document."""
    from benchmarks.suite.corpus import CAPTURE, Corpus
    from benchmarks.suite.operations import select
    from benchmarks.suite.raw import derived_ids, swap

    corpus = Corpus(0.01)
    save = select("comments/save: 1 thread")[0]
    ids = derived_ids(save, corpus, CAPTURE, 1_000_123)
    captured = save.body(corpus, CAPTURE)
    replayed = swap(captured, str(CAPTURE), "1000123", ids)
    expected = save.body(corpus, 1_000_123)
    assert list(replayed["commentAnnotation"]) == list(expected["commentAnnotation"])
    assert list(replayed["commentAnnotation"]) != list(captured["commentAnnotation"])
    # Simultaneous: a replacement never feeds another.
    assert swap(
        "a-00001 a-00002", "x", "y", {"a-00001": "a-00002", "a-00002": "a-00003"}
    ) == ("a-00002 a-00003")
    assert swap({"n": CAPTURE, "t": True}, str(CAPTURE), "42") == {"n": 42, "t": True}


def test_profile_summary_counts_layers_and_frames() -> None:
    from benchmarks.suite.profiling import summarise

    collapsed = "\n".join(
        [
            "handle (gunicorn/workers/gthread.py:1);find (velt_django/repository/a.py:2) 30",
            "handle (gunicorn/workers/gthread.py:1);recv_into (pymongo/network_layer.py:3) 70",
        ]
    )
    text = summarise(collapsed)
    assert text.startswith("100 samples")
    assert "70.0%  waiting on the database socket" in text
    assert "30.0%  velt_django" in text
    assert "30.0%  find (velt_django/repository/a.py:2)" in text
