"""Cost of the get-by-document ``find`` under different projections, on one server.

Run from the repository root::

    python benchmarks/bench_projection.py            # embedded SecantusDB, 2 rounds
    python benchmarks/bench_projection.py --uri mongodb://127.0.0.1:27017/   # a real mongod

Seeds the corpus of ``bench_endpoints.py`` (2,000 threads, 100 per document) through the
package, then times ``find({organizationId, documentId: {$in: [doc]}}, projection)`` for each
projection below: serially (end to end with BSON decoding, and with the documents left as
raw BSON, i.e. server plus transfer), with the server process's CPU time per query when
the server is the embedded one, and at concurrency 8 (8 threads, one ``MongoClient``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from bench_endpoints import (  # noqa: E402
    DOCUMENT_COUNT,
    ORG,
    RESULTS_DIR,
    THREADS_PER_DOCUMENT,
    Bench,
    Corpus,
    TestClientTransport,
    configure_django,
    machine,
)
from bench_http import Phase, cpu_seconds, percentile, secantus_server  # noqa: E402

Document = dict[str, Any]

PROJECTIONS: dict[str, Document | None] = {
    "current inclusion": {"_id": 0, "annotationId": 1, "payload": 1, "esc": 1},
    "inclusion + documentId": {
        "_id": 0,
        "annotationId": 1,
        "payload": 1,
        "esc": 1,
        "documentId": 1,
    },
    "none (full documents)": None,
    "exclusion": {"_id": 0, "createdAt": 0, "updatedAt": 0, "lastEvent": 0, "rev": 0},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--serial", type=int, default=60, help="serial queries per projection and round"
    )
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="concurrency phase length"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--velt-path", type=Path, default=BENCH_DIR.parent)
    parser.add_argument("--uri", default=os.environ.get("VELT_BENCH_MONGODB_URI"))
    parser.add_argument("--database", default="velt_bench_projection")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "projection.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.velt_path.resolve()))

    import pymongo
    from bson.codec_options import CodecOptions
    from bson.raw_bson import RawBSONDocument

    with secantus_server(args.uri) as (uri, server_kind, server_pid):
        configure_django(uri, args.database)
        from velt_django.repository import (
            CommentRepository,
            close_client,
            ensure_indexes,
        )

        client: pymongo.MongoClient[Document] = pymongo.MongoClient(
            uri, tz_aware=True, socketTimeoutMS=120_000
        )
        client.drop_database(args.database)
        try:
            ensure_indexes()
            corpus = Corpus()
            collection = client[args.database][CommentRepository.collection_name()]
            bench = Bench(TestClientTransport(), client[args.database], corpus)
            print(
                f"server: {server_kind}; seeded {len(corpus.ids)} threads in {bench.seed():.1f} s"
            )
            raw_collection = collection.with_options(
                codec_options=CodecOptions(document_class=RawBSONDocument)
            )
            sample = collection.find_one({"organizationId": ORG})
            print(f"stored document fields: {sorted(sample or {})}")

            def query(i: int) -> Document:
                return {
                    "organizationId": ORG,
                    "documentId": {"$in": [f"spec-{i % DOCUMENT_COUNT:02d}"]},
                }

            stats: dict[str, dict[str, list[float]]] = {
                name: {} for name in PROJECTIONS
            }

            def add(name: str, key: str, values: list[float]) -> None:
                stats[name].setdefault(key, []).extend(values)

            names = list(PROJECTIONS)
            for name in names:  # warm-up
                for i in range(5):
                    list(collection.find(query(i), PROJECTIONS[name]))
            for r in range(args.rounds):
                for name in names if r % 2 == 0 else names[::-1]:
                    projection = PROJECTIONS[name]
                    for label, coll in (
                        ("decoded", collection),
                        ("raw_bson", raw_collection),
                    ):
                        times, sizes = [], []
                        cpu0 = cpu_seconds(server_pid) if server_pid else 0.0
                        for i in range(args.serial):
                            t0 = time.perf_counter()
                            docs = list(coll.find(query(i), projection))
                            times.append((time.perf_counter() - t0) * 1e3)
                            if label == "raw_bson":
                                sizes.append(sum(len(d.raw) for d in docs))
                            elif len(docs) != THREADS_PER_DOCUMENT:
                                raise SystemExit(f"{name}: {len(docs)} documents")
                        cpu1 = cpu_seconds(server_pid) if server_pid else 0.0
                        add(name, f"serial_{label}_ms", times)
                        add(
                            name,
                            f"server_cpu_ms_{label}",
                            [(cpu1 - cpu0) / args.serial * 1e3],
                        )
                        if sizes:
                            add(name, "bytes", sizes)

                    def make(k: int, projection: Document | None = projection) -> Any:
                        def call(n: int) -> None:
                            list(collection.find(query(k * 3 + n), projection))

                        return call, (lambda: None)

                    cpu0 = cpu_seconds(server_pid) if server_pid else 0.0
                    got, wall = Phase(make, args.concurrency).run(args.seconds)
                    cpu1 = cpu_seconds(server_pid) if server_pid else 0.0
                    add(name, "c8_ms", [g / 1e6 for g in got])
                    add(name, "c8_rps", [len(got) / wall])
                    add(name, "server_cpu_ms_c8", [(cpu1 - cpu0) / len(got) * 1e3])
                    print(
                        f"  round {r + 1}: {name} done (load {os.getloadavg()[0]:.2f})"
                    )

            report: Document = {}
            head = f"{'projection':<24} {'bytes/query':>11} {'serial p50':>10} {'raw-BSON p50':>12} {'db cpu/q':>9} {'c8 p50':>8} {'c8 p95':>8} {'c8 q/s':>7} {'db cpu/q c8':>11}"
            print("\n" + head + "\n" + "-" * len(head))
            for name in names:
                s = stats[name]
                c8 = sorted(int(v * 1e6) for v in s["c8_ms"])
                row = {
                    "projection": PROJECTIONS[name],
                    "bytes_per_query": round(statistics.mean(s["bytes"])),
                    "serial_p50_ms": round(
                        statistics.median(s["serial_decoded_ms"]), 2
                    ),
                    "serial_raw_bson_p50_ms": round(
                        statistics.median(s["serial_raw_bson_ms"]), 2
                    ),
                    "server_cpu_ms_per_query": round(
                        statistics.mean(
                            s["server_cpu_ms_decoded"] + s["server_cpu_ms_raw_bson"]
                        ),
                        2,
                    ),
                    "c8_p50_ms": round(percentile(c8, 0.5), 2),
                    "c8_p95_ms": round(percentile(c8, 0.95), 2),
                    "c8_queries_per_s": round(statistics.mean(s["c8_rps"]), 1),
                    "server_cpu_ms_per_query_c8": round(
                        statistics.mean(s["server_cpu_ms_c8"]), 2
                    ),
                }
                report[name] = row
                print(
                    f"{name:<24} {row['bytes_per_query']:>11} {row['serial_p50_ms']:>10.2f} {row['serial_raw_bson_p50_ms']:>12.2f} "
                    f"{row['server_cpu_ms_per_query']:>9.2f} {row['c8_p50_ms']:>8.2f} {row['c8_p95_ms']:>8.2f} {row['c8_queries_per_s']:>7.1f} {row['server_cpu_ms_per_query_c8']:>11.2f}"
                )
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(
                json.dumps(
                    {
                        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                            timespec="seconds"
                        ),
                        "machine": machine(),
                        "server": server_kind,
                        "rounds": args.rounds,
                        "results": report,
                    },
                    indent=2,
                )
                + "\n"
            )
            print(f"\nwrote {args.output}")
        finally:
            close_client()
            client.drop_database(args.database)
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
