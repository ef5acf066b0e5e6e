"""``--profile DIR``: sample the served gunicorn workers with py-spy during each HTTP
cell, so time is measured where it is spent (in the worker, under real concurrency),
not in this process.

Each cell writes ``<side>-<operation>-c<level>.txt`` (py-spy's collapsed stacks, one
line per distinct stack with its sample count) and a summary beside it: where the
samples fall by layer (velt_django, DRF, Django, pymongo/psycopg, gunicorn, waiting on a
socket) and the frames with the most samples of their own.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: Layers, first match wins, by the file of the innermost frame of each sample.
LAYERS = [
    ("waiting on the database socket", re.compile(r"^\S*(recv|read|receive|wait)\S* \((pymongo|psycopg)[/.]", re.I)),
    ("waiting on the client socket", re.compile(r"^\S*(select|wait|accept|recv)\S* \((gunicorn|selectors)[/.]", re.I)),
    ("pymongo / bson", re.compile(r"\((pymongo|bson)[/.]")),
    ("psycopg", re.compile(r"\(psycopg[/.]")),
    ("velt_django", re.compile(r"\(velt_django[/.]")),
    ("velt-py", re.compile(r"\(velt[/.]")),
    ("DRF", re.compile(r"\(rest_framework[/.]")),
    ("Django", re.compile(r"\(django[/.]")),
    ("gunicorn", re.compile(r"\(gunicorn[/.]")),
]  # fmt: skip


def available() -> str | None:
    """py-spy beside this interpreter (a virtualenv's bin), else on ``PATH``."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@contextmanager
def sampling(
    directory: Path | None,
    pid: int,
    side: str,
    operation: str,
    level: int,
    *,
    database: int | None = None,
) -> Iterator[None]:
    """py-spy on ``pid`` and its subprocesses (gunicorn's workers) for the block, and on
    the ``database`` server process when it is Python (the embedded SecantusDB)."""
    spy = available()
    if directory is None or spy is None:
        yield
        return
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{side}-{_slug(operation)}-c{level}"
    targets = [(directory / f"{stem}.txt", pid, ["--subprocesses"])]
    if database is not None:
        targets.append((directory / f"{stem}.database.txt", database, []))
    spies = [
        (out, subprocess.Popen(
            [spy, "record", "--pid", str(target), *extra, "--format", "raw",
             "--rate", "250", "--nonblocking", "--output", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        for out, target, extra in targets
    ]  # fmt: skip
    groups: dict[str, Callable[[], list[int]]] = {
        "workers": lambda: _family(pid),
        "load generator": lambda: [os.getpid()],
    }
    if database is not None:
        groups["database server"] = lambda: [database]
    before = {name: _cpu(pids()) for name, pids in groups.items()}
    started = time.perf_counter()
    try:
        yield
    finally:
        wall = time.perf_counter() - started
        used = {name: _cpu(pids()) - before[name] for name, pids in groups.items()}
        (directory / f"{stem}.cpu.txt").write_text(
            f"{wall:.2f} s of wall time (2 × py-spy running); CPU seconds used:\n"
            + "".join(f"  {v:7.2f}  {k}\n" for k, v in used.items())
        )
        for _out, proc in spies:
            proc.send_signal(signal.SIGINT)
        for out, proc in spies:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if out.exists():
                out.with_suffix(".summary.txt").write_text(summarise(out.read_text()))


def _family(pid: int) -> list[int]:
    """``pid`` and its children (gunicorn's master and workers)."""
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        kids = []
    return [pid, *map(int, kids)]


def _cpu(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (Linux ``/proc``; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def summarise(collapsed: str, top: int = 25) -> str:
    """Samples by layer, then the frames with the most samples of their own."""
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        # Idle worker threads wait in gunicorn's poller or a lock; not request time.
        total += count
        leaf = frames[-1]
        own[leaf] += count
        for name, pattern in LAYERS:
            if any(pattern.search(f) for f in (leaf,)):
                layers[name] += count
                break
        else:
            inner = next(
                (n for f in reversed(frames) for n, p in LAYERS[2:] if p.search(f)),
                "other",
            )
            layers[f"{inner} (in C or the standard library)"] += count
    lines = [f"{total} samples", "", "by layer (innermost frame):"]
    for name, count in layers.most_common():
        lines.append(f"  {100 * count / max(total, 1):5.1f}%  {name}")
    lines += ["", f"top {top} frames by own samples:"]
    for frame, count in own.most_common(top):
        lines.append(f"  {100 * count / max(total, 1):5.1f}%  {frame}")
    return "\n".join(lines) + "\n"
