"""The results of a run: ``<backend>.json`` (everything), ``<backend>.md`` (the tables
and the machine) and ``<backend>.png`` (req/s per operation and concurrency, the
example project next to the raw work and the peer), in the output directory."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
from importlib import metadata
from pathlib import Path
from typing import Any

Document = dict[str, Any]
PACKAGES = ("velt-django", "Django", "djangorestframework", "pymongo", "psycopg",
            "gunicorn", "secantus", "velt-py", "orjson")  # fmt: skip


def machine() -> Document:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    }


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "—"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def progress_line(row: Document) -> str:
    velt, raw = row["velt_django"], row["raw"]
    peer = row.get("peer")
    tail = f" peer {peer['rps']} req/s" if peer else f" ({row.get('peer_note', '')})"
    return (
        f"{row['operation']:<40} c={row['concurrency']:<3} {velt['rps']:>8} req/s "
        f"p50 {velt['p50_ms']} ms, raw p50 {raw['p50_ms']} ms, errors {velt['errors']}{tail}"
    )


def markdown(results: Document) -> str:
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    title = {"mongodb": "MongoDB", "postgresql": "PostgreSQL"}[results["backend"]]
    lines = [f"## {title}: {results['server']}", ""]
    if results.get("run") != "full":
        lines += [
            f"*A {results.get('run')} run, not a run of record: "
            "`python -m benchmarks.suite` makes one.*",
            "",
        ]
    lines += [
        f"{m['date']}; {m['cpu']}, {m['cores']} cores; Python {m['python']}; {versions}.",
        f"Database: {results['server']}; scale {results['scale']}; "
        f"{results.get('duration')} s per cell after {results.get('warmup')} s warm-up; "
        f"seeding {results.get('seed_seconds')} s, whole run {results.get('total_seconds')} s.",
        "",
        "| Operation | Concurrency | req/s | p50 ms | p99 ms | errors | raw req/s "
        "| raw p50 ms | req/s / raw | p50 / raw | velt_django / velt-py req/s | peer "
        "| lost writes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in results.get("rows", []):
        velt, raw, peer = row["velt_django"], row["raw"], row.get("peer")
        lost = [
            f"{label} "
            + (f"{lw['lost']} of {lw['acknowledged']}" if "lost" in lw else lw["error"])
            for label, side in (("velt_django", velt), ("velt-py", peer or {}))
            if (lw := side.get("lost_writes"))
        ]
        note = row.get("peer_note", "")
        peer_cell = (
            f"{_num(peer['rps'])} req/s, p50 {_num(peer['p50_ms'], 2)} ms"
            + (f", {peer['errors']} errors" if peer["errors"] else "")
            + (f" ({note})" if note else "")
            if peer
            else note
        )
        lines.append(
            f"| {row['operation']} | {row['concurrency']} | {_num(velt['rps'])} "
            f"| {_num(velt['p50_ms'], 2)} | {_num(velt['p99_ms'], 2)} | {velt['errors']} "
            f"| {_num(raw['rps'])} | {_num(raw['p50_ms'], 2)} "
            f"| {_ratio(velt['rps'], raw['rps'])} | {_ratio(velt['p50_ms'], raw['p50_ms'])} "
            f"| {_ratio(velt['rps'], peer['rps']) if peer else '—'} | {peer_cell} "
            f"| {', '.join(lost) or ''} |"
        )
    if results.get("growth"):
        lines += [
            "",
            "Growth (in process, Django's test client): round trips and p50 against the "
            "smallest of each kind.",
            "",
            "| Request | Records | Round trips | p50 ms | records × | round trips × | p50 × |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for g in results["growth"]:
            lines.append(
                f"| {g['name']} | {g['records']:,} | {g['round_trips']} | {_num(g['p50_ms'], 2)} "
                f"| {g['records_ratio']:g}× | {g['round_trip_ratio']:g}× | {g['p50_ratio']}× |"
            )
    for note in results.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def chart(results: Document, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results.get("rows", [])
    levels = sorted({r["concurrency"] for r in rows})
    names = list(dict.fromkeys(r["operation"] for r in rows))
    fig, axes = plt.subplots(1, len(levels), figsize=(5 * len(levels), 0.45 * len(names) + 1.5),
                             sharey=True, squeeze=False)  # fmt: skip
    for ax, level in zip(axes[0], levels, strict=True):
        by_name = {r["operation"]: r for r in rows if r["concurrency"] == level}
        y = range(len(names))
        for offset, (side, label) in enumerate(
            (
                ("raw", "raw driver"),
                ("velt_django", "velt_django"),
                ("peer", "velt-py peer"),
            )
        ):
            values = [
                (by_name.get(n, {}).get(side) or {}).get("rps") or 0 for n in names
            ]
            ax.barh(
                [i + (offset - 1) * 0.27 for i in y], values, height=0.27, label=label
            )
        ax.set_xscale("symlog", linthresh=1)
        ax.set_title(f"concurrency {level}")
        ax.set_xlabel("requests per second")
        ax.set_yticks(list(y), names, fontsize=8)
        ax.invert_yaxis()
    axes[0][0].legend(loc="lower right", fontsize=8)
    fig.suptitle(
        f"velt_django benchmark suite, {results['backend']} ({results['server']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(
    results: Document, directory: Path, docs_chart: Path | None = None
) -> list[Path]:
    """Write the three files; ``docs_chart``: a copy of the chart for the docs site."""
    directory.mkdir(parents=True, exist_ok=True)
    results["machine"] = machine()
    base = directory / results["backend"]
    paths = [base.with_suffix(suffix) for suffix in (".json", ".md", ".png")]
    paths[0].write_text(json.dumps(results, indent=2) + "\n")
    paths[1].write_text(markdown(results))
    chart(results, paths[2])
    if docs_chart is not None:
        docs_chart.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths[2], docs_chart)
        paths.append(docs_chart)
    return paths
