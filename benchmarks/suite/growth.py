"""Growth: how a get and a save scale with the records they carry, in round trips and
in time, measured in this process through Django's test client (round trips are
counted where they are sent: the MongoDB command listener, Django's query log).

Gets by one document holding 10 / 100 / 1,000 threads; saves of 1 / 10 / 100 threads.
Ratios are against the smallest of each kind.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from .corpus import GROWTH_DOCUMENTS, ORG, Corpus
from .operations import Operation, comment_save
from .raw import capture, client_call

SAVE_SIZES = (1, 10, 100)


def _document_get(document_id: str, corpus: Corpus, n: int) -> dict[str, Any]:
    return {"organizationId": ORG, "documentIds": [document_id]}


def _threads_save(size: int, corpus: Corpus, n: int) -> dict[str, Any]:
    return comment_save(corpus, n, size)


def _operations() -> list[tuple[str, int, Operation]]:
    rows = []
    for document_id, count in GROWTH_DOCUMENTS.items():
        op = Operation(
            f"comments/get: 1 document of {count:,} threads",
            "comments/get",
            partial(_document_get, document_id),
        )
        rows.append(("get", count, op))
    for size in SAVE_SIZES:
        op = Operation(
            f"comments/save: {size} threads",
            "comments/save",
            partial(_threads_save, size),
        )
        rows.append(("save", size, op))
    return rows


def measure(corpus: Corpus, token: str, iterations: int) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    base: dict[str, dict[str, Any]] = {}
    for n, (kind, size, op) in enumerate(_operations()):
        trips = capture(op, corpus, token, n=7_000_000 + n * 1000).round_trips
        times = []
        for i in range(iterations):
            start = time.perf_counter()
            status, _ = client_call(op, corpus, 7_000_000 + n * 1000 + 1 + i, token)
            times.append((time.perf_counter() - start) * 1000)
            if status != 200:
                raise SystemExit(f"{op.name} answered {status}")
        p50 = sorted(times)[len(times) // 2]
        row = {"kind": kind, "records": size, "name": op.name, "round_trips": trips,
               "p50_ms": round(p50, 2)}  # fmt: skip
        first = base.setdefault(kind, row)
        row["records_ratio"] = size / first["records"]
        row["round_trip_ratio"] = round(trips / first["round_trips"], 2)
        row["p50_ratio"] = round(p50 / first["p50_ms"], 2) if first["p50_ms"] else None
        results.append(row)
    return results
