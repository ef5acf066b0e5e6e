"""``python -m benchmarks.suite [--quick] [--postgres] [--mongodb-uri URI] [--scale F]
[--concurrency 1,8,32] [--duration S] [--only OPS] [--output DIR] [--profile DIR]``

Starts the database, seeds it, serves the example project (and the peer) under
gunicorn, loads every operation over HTTP at each concurrency next to its raw driver
work, counts round trips in process, and writes benchmarks/results/<backend>.json,
.md and .png (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import servers

RESULTS = Path(__file__).resolve().parents[1] / "results"


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.suite", description=__doc__)
    p.add_argument(
        "--quick", action="store_true", help="scale 0.1, 1 s cells, concurrency 1,8"
    )
    p.add_argument("--postgres", action="store_true", help="the PostgreSQL backend")
    p.add_argument("--mongodb-uri", default=os.environ.get(servers.MONGODB_URI_ENV))
    p.add_argument("--postgres-url", default=os.environ.get(servers.POSTGRES_URL_ENV))
    p.add_argument("--scale", type=float, default=None)
    p.add_argument(
        "--concurrency", default=None, help="comma-separated (default 1,8,32)"
    )
    p.add_argument(
        "--duration", type=float, default=None, help="seconds per cell (default 3)"
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before each cell (default 0.75)",
    )
    p.add_argument("--only", default=None, help="operations whose name contains a word")
    p.add_argument("--no-growth", action="store_true", help="skip the growth table")
    p.add_argument(
        "--growth-iterations", type=int, default=None, help="default 20 (5 quick)"
    )
    p.add_argument("--no-peer", action="store_true", help="skip the velt-py peer")
    p.add_argument(
        "--server-side-binding",
        action="store_true",
        help="PostgreSQL: serve the app with psycopg's server-side binding",
    )
    p.add_argument("--output", type=Path, default=RESULTS)
    p.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="sample the gunicorn workers with py-spy during each HTTP cell (into DIR)",
    )
    args = p.parse_args(argv)
    args.scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    default_levels = "1,8" if args.quick else "1,8,32"
    args.levels = [int(c) for c in (args.concurrency or default_levels).split(",")]
    args.duration = (
        args.duration if args.duration is not None else (1.0 if args.quick else 3.0)
    )
    args.warmup = (
        args.warmup if args.warmup is not None else (0.3 if args.quick else 0.75)
    )
    if args.growth_iterations is None:
        args.growth_iterations = 5 if args.quick else 20
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    from .run import run  # the run itself, with servers up

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
