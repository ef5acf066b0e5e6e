"""The load generator: N client threads, each with a worker of its own (a persistent
HTTP/1.1 connection, or a raw database connection), run for a warm-up and then a fixed
duration (or until their side's pool of request numbers is used up); every request's
latency is recorded.

A request counts as done when the server answered 200 (HTTP) or the driver returned
(raw); anything else counts as an error and its latency is left out.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: A worker: does request number ``n``, returns whether it succeeded. A worker with a
#: ``prepare(n)`` method receives what that returned instead, and only the call is
#: timed (bodies and replayed commands are built off the clock).
Worker = Callable[[Any], bool]


class HttpClient:
    """One persistent HTTP/1.1 connection to the served project, with the token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=300
                )
            try:
                headers = {**self.headers, "Content-Type": content_type}
                self.conn.request("POST", f"/velt/{path}", body, headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def json(self, path: str, body: Any) -> Any:
        status, content = self.post(path, json.dumps(body).encode(), "application/json")
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {content[:200]!r}")
        return json.loads(content)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


@dataclass
class Cell:
    concurrency: int
    seconds: float = 0.0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    #: Request numbers that succeeded in the measured phase.
    done: list[int] = field(default_factory=list)
    first_error: str | None = None

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        rps = self.requests / self.seconds if self.seconds else 0.0
        p50, p99 = self.percentile(0.50), self.percentile(0.99)
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "rps": round(rps, 1),
            "p50_ms": None if p50 is None else round(p50, 2),
            "p99_ms": None if p99 is None else round(p99, 2),
            **({"first_error": self.first_error} if self.first_error else {}),
        }


class Numbers:
    """Request numbers of one side, shared by its threads across cells."""

    def __init__(self, start: int, limit: int | None = None) -> None:
        self.start, self.next = start, start
        self.end = None if limit is None else start + limit
        self._lock = threading.Lock()

    def take(self) -> int | None:
        with self._lock:
            if self.end is not None and self.next >= self.end:
                return None
            self.next += 1
            return self.next - 1


def run_cell(
    make_worker: Callable[[], tuple[Worker, Callable[[], None]]],
    concurrency: int,
    duration: float,
    warmup: float,
    numbers: Numbers,
) -> Cell:
    """Run ``concurrency`` threads, each with ``make_worker()`` (worker, close)."""
    cell = Cell(concurrency)
    pooled = numbers.end is not None
    warm_count = (
        max(1, (numbers.end - numbers.start) // 10) if numbers.end is not None else 0
    )
    lock = threading.Lock()
    start_line = threading.Barrier(concurrency + 1)
    clock: dict[str, float] = {}
    first_error: list[str] = []
    measured = [0]

    def client() -> None:
        worker, close = make_worker()
        prepare = getattr(worker, "prepare", None)
        latencies, done, errors, first = [], [], 0, float("inf")
        try:
            start_line.wait()
            while True:
                now = time.perf_counter()
                # Past the duration, a slow cell goes on (up to 4 durations) until it
                # has measured two requests per client.
                if now >= clock["end"] and (
                    measured[0] >= 2 * concurrency or now >= clock["hard_end"]
                ):
                    break
                n = numbers.take()
                if n is None:
                    break
                # What request n sends is built before its clock starts.
                job = prepare(n) if prepare is not None else n
                now = time.perf_counter()
                try:
                    ok = worker(job)
                except Exception as err:  # noqa: BLE001 - counted, the run goes on
                    ok = False
                    if not errors:
                        first_error.append(f"{type(err).__name__}: {err}"[:300])
                finished = time.perf_counter()
                # A pool's first tenth is its warm-up (a fast delete could use up the
                # pool in a timed warm-up); otherwise the warm-up is timed.
                warm = (
                    n - numbers.start < warm_count if pooled else now < clock["measure"]
                )
                if not warm:
                    first = min(first, now)
                    if ok:
                        with lock:
                            measured[0] += 1
                        latencies.append((finished - now) * 1000)
                        done.append(n)
                    else:
                        errors += 1
        finally:
            close()
            with lock:
                cell.latencies_ms += latencies
                cell.done += done
                cell.errors += errors
                clock["last"] = max(clock.get("last", 0.0), time.perf_counter())
                clock["first"] = min(clock.get("first", float("inf")), first)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    begin = time.perf_counter()
    # A pooled cell warms up on its pool's first tenth, within the same time budget.
    end = begin + warmup + duration
    clock.update(measure=begin if pooled else begin + warmup, end=end)
    clock["hard_end"] = end + 3 * duration
    start_line.wait()
    for thread in threads:
        thread.join()
    cell.first_error = first_error[0] if first_error else None
    first = clock.get("first", float("inf"))
    start = first if pooled and first != float("inf") else clock["measure"]
    last = min(clock.get("last", clock["end"]), clock["hard_end"])
    cell.seconds = max(1e-9, last - start)
    return cell
