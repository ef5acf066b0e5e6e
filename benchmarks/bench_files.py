"""Benchmark velt_django's file uploads over real HTTP under gunicorn: the worker's memory
while a large file streams in, next to the raw storage write of the same bytes.

Run from the repository root with the ``dev`` and ``bench`` extras installed::

    python benchmarks/bench_files.py            # about a minute

It starts SecantusDB (or uses ``--uri``) and moto's S3 server in child processes, then
gunicorn (1 worker × 4 threads, gthread) serving ``bench_files_site`` once per storage
configuration: local ``FileSystemStorage``, S3 with boto3's default transfer settings,
and S3 with a bounded ``transfer_config`` (``--s3-transfer``, default ``2x5``: 2 parts of
5 MiB in flight, S3's smallest part size).

(a) Memory: a ``--large-mib`` (100 MiB) file is uploaded to ``recordings/files/save`` as
multipart from a file on disk (the client streams it; it never holds the body). The
worker's peak RSS (``VmHWM`` in ``/proc/<pid>/status``, reset through ``clear_refs``) is
compared with its RSS before the upload: once for the first large upload of the worker,
once for the next one (the baseline taken after that warm-up upload). Target: < 32 MiB.

The throughput of 256 KiB uploads is measured by the suite (``python -m
benchmarks.suite``, ``attachments/save``), next to the raw storage and database work.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

sys.path.insert(0, str(REPO_ROOT))

from benchmarks.suite.report import machine  # noqa: E402
from benchmarks.suite.servers import free_port, mongodb  # noqa: E402

Document = dict[str, Any]
MiB = 1024 * 1024
KiB = 1024
ORG = "bench-org"
DOC = "bench-doc"
DEFAULT_DATABASE = "velt_bench_files"
BOUNDARY = "----VeltBenchBoundary7MA4YWxkTrZu0gW"
MEMORY_TARGET_MIB = 32
RESULTS_DIR = BENCH_DIR / "results"


# ---- processes --------------------------------------------------------------------


@contextmanager
def moto_server() -> Iterator[tuple[str, int]]:
    """moto's S3 server in a child process; yield ``(endpoint, pid)``."""
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=log,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/moto-api/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise SystemExit(f"moto did not start:\n{log.read()}") from None
                time.sleep(0.2)
        yield endpoint, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(child) for child in path.read_text().split()]
    except OSError:
        return []


@contextmanager
def gunicorn_server(
    env: dict[str, str], threads: int
) -> Iterator[tuple[int, int, int]]:
    """gunicorn (1 worker, gthread) serving ``bench_files_site``; yield ``(port, master
    pid, worker pid)``."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", "1",
        "--threads", str(threads),
        "--worker-class", "gthread",
        "--bind", f"127.0.0.1:{port}",
        "--keep-alive", "60",
        "--timeout", "300",
        "--log-level", "warning",
        "--pythonpath", f"{REPO_ROOT},{BENCH_DIR}",
        "bench_files_site:application",
    ]  # fmt: skip
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115
    proc = subprocess.Popen(
        command,
        env={**os.environ, **env, "DJANGO_SETTINGS_MODULE": "bench_files_site"},
        stdout=log,
        stderr=log,
        cwd=str(REPO_ROOT),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = request(port, "GET", "/bench/whoami")
                if status == 200:
                    worker = int(json.loads(body)["pid"])
                    if worker in _children(proc.pid):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"gunicorn did not start:\n{log.read()}")
            time.sleep(0.2)
        yield port, proc.pid, worker
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 300,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---- memory of a process ----------------------------------------------------------


def status_kib(pid: int) -> dict[str, int]:
    """``VmRSS``/``VmHWM`` of ``pid`` in KiB (from ``/proc/<pid>/status``)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset ``VmHWM`` to the current RSS (``echo 5 > /proc/<pid>/clear_refs``)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Highest ``VmRSS`` of ``pid`` seen every 2 ms (a check on ``VmHWM``, and the
    figure used where ``clear_refs`` cannot be written)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kib(self.pid)["VmRSS"])
            time.sleep(0.002)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---- request bodies ---------------------------------------------------------------


def request_json(attachment_id: int, name: str, mime: str) -> bytes:
    """The ``request`` part Velt sends (CONTRACT §9.2)."""
    return json.dumps(
        {
            "attachment": {
                "attachmentId": attachment_id,
                "name": name,
                "mimeType": mime,
            },
            "metadata": {
                "organizationId": ORG,
                "documentId": DOC,
                "attachmentId": attachment_id,
                "apiKey": "bench",
            },
            "event": "attachment.add",
        }
    ).encode()


def multipart_parts(attachment_id: int, name: str, mime: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's content in a Velt upload."""
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {mime}\r\n\r\n"
    ).encode()
    tail = (
        f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="request"\r\n\r\n'.encode()
        + request_json(attachment_id, name, mime)
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return head, tail


UPLOAD_HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


class StreamedBody:
    """A multipart body read piece by piece: head bytes, a file on disk, tail bytes.
    ``http.client`` sends it with ``read()`` and its length comes from ``len()``, so
    neither side of the client holds the file."""

    def __init__(self, head: bytes, path: Path, tail: bytes) -> None:
        self._pieces: list[Any] = [head, path, tail]
        self._length = len(head) + path.stat().st_size + len(tail)
        self._handle: Any = None

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        while self._pieces:
            piece = self._pieces[0]
            if isinstance(piece, bytes):
                if not piece:
                    self._pieces.pop(0)
                    continue
                n = len(piece) if size < 0 else size
                chunk, self._pieces[0] = piece[:n], piece[n:]
                return chunk
            if self._handle is None:
                self._handle = open(piece, "rb")  # noqa: SIM115
            chunk = self._handle.read(size if size > 0 else MiB)
            if chunk:
                return bytes(chunk)
            self._handle.close()
            self._handle = None
            self._pieces.pop(0)
        return b""


def write_random_file(path: Path, size: int) -> str:
    """Write ``size`` random bytes to ``path``; return their SHA-256."""
    sha = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(MiB, left))
            sha.update(block)
            out.write(block)
            left -= len(block)
    return sha.hexdigest()


# ---- (a) a large upload -----------------------------------------------------------


def large_upload(
    port: int, worker: int, data: Path, attachment_id: int, scope: str = "recording"
) -> Document:
    """Upload ``data`` once; the worker's RSS before, its peak during, and the time."""
    path = (
        "/velt/recordings/files/save"
        if scope == "recording"
        else "/velt/attachments/save"
    )
    head, tail = multipart_parts(attachment_id, "talk.webm", "video/webm")
    body = StreamedBody(head, data, tail)
    before = status_kib(worker)["VmRSS"]
    resettable = reset_peak(worker)
    with RssSampler(worker) as sampler:
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request(
            "POST", path, body, {**UPLOAD_HEADERS, "Content-Length": str(len(body))}
        )
        response = conn.getresponse()
        answer = response.read()
        conn.close()
        seconds = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {answer[:300]!r}")
    hwm = status_kib(worker)["VmHWM"]
    peak = hwm if resettable else sampler.peak
    return {
        "seconds": round(seconds, 3),
        "mib_per_s": round(data.stat().st_size / MiB / seconds, 1),
        "rss_before_mib": round(before / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "growth_mib": round((peak - before) / 1024, 1),
        "sampled_growth_mib": round((sampler.peak - before) / 1024, 1),
        "peak_source": "VmHWM" if resettable else "sampled VmRSS",
        "url": json.loads(answer)["data"]["url"],
    }


def measure_memory(
    port: int, worker: int, data: Path, sha256: str, files: Any, raw_storage: Any
) -> Document:
    """A small upload (imports, connections), then two large ones: the first large
    upload of the worker, and the next one measured from the RSS the first left."""
    head, tail = multipart_parts(1, "warm.bin", "application/octet-stream")
    status, answer = request(
        port, "POST", "/velt/attachments/save", head + os.urandom(256 * KiB) + tail,
        UPLOAD_HEADERS,
    )  # fmt: skip
    if status != 200:
        raise SystemExit(f"attachments/save answered {status}: {answer[:300]!r}")
    # Fresh attachment ids: the same bytes under an id used before would be a retry
    # (§9.4), answered without storing anything.
    ids = [secrets.randbelow(10**12) + 10**12 for _ in range(2)]
    first = large_upload(port, worker, data, ids[0])
    second = large_upload(port, worker, data, ids[1])
    size = data.stat().st_size
    for attachment_id in ids:
        record = files.find_one({"attachmentId": attachment_id, "scope": "recording"})
        if (
            record is None
            or record["sha256"] != sha256
            or raw_storage.size(record["storageKey"]) != size
        ):
            raise SystemExit(f"the large upload {attachment_id} did not arrive intact")
    # The same file written straight to an identically configured storage.
    from django.core.files import File

    start = time.perf_counter()
    with open(data, "rb") as handle:
        name = raw_storage.save(f"raw/{uuid.uuid4().hex}", File(handle, "talk.webm"))
    raw_seconds = time.perf_counter() - start
    raw_storage.delete(name)
    return {
        "first": first,
        "second": second,
        "raw_save_seconds": round(raw_seconds, 3),
        "raw_save_mib_per_s": round(data.stat().st_size / MiB / raw_seconds, 1),
    }


Maker = Callable[[int], tuple[Callable[[int], None], Callable[[], None]]]


def make_raw_storage(kind: str, env: dict[str, str]) -> Any:
    """In this process, a storage configured like the server's (from the same
    environment)."""
    if kind == "local":
        from django.core.files.storage import FileSystemStorage

        return FileSystemStorage(location=env["VELT_BENCH_MEDIA"])
    os.environ.update(env)
    import bench_files_site
    from storages.backends.s3 import S3Storage

    return S3Storage(**bench_files_site.s3_options())


def print_tables(results: Document) -> None:
    print("\n(a) peak RSS growth of the gunicorn worker during one "
          f"{results['large_mib']} MiB upload (target < {MEMORY_TARGET_MIB} MiB)")  # fmt: skip
    head = f"{'storage':<28} {'upload':<12} {'RSS before':>10} {'growth':>8} {'sampled':>8} {'s':>6} {'MiB/s':>7} {'raw save MiB/s':>15}"
    print(head)
    print("-" * len(head))
    for label, mem in results["memory"].items():
        for which in ("first", "second"):
            row = mem[which]
            raw = f"{mem['raw_save_mib_per_s']:.1f}" if which == "first" else ""
            print(
                f"{label if which == 'first' else '':<28} {which + ' large':<12} {row['rss_before_mib']:>8.1f} M {row['growth_mib']:>6.1f} M {row['sampled_growth_mib']:>6.1f} M {row['seconds']:>6.2f} {row['mib_per_s']:>7.1f} {raw:>15}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads")
    parser.add_argument("--large-mib", type=int, default=100)
    parser.add_argument(
        "--s3-transfer",
        default="2x5",
        help="bounded transfer_config(s) to measure, comma-separated "
        "<max_concurrency>x<part MiB> (default 2x5)",
    )
    parser.add_argument("--no-s3", action="store_true", help="local storage only")
    parser.add_argument(
        "--uri",
        default=os.environ.get("VELT_BENCH_MONGODB_URI"),
        help="use this server instead of an embedded SecantusDB",
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument(
        "--output", type=Path, default=RESULTS_DIR / "files_latest.json"
    )
    args = parser.parse_args(argv)

    import boto3
    import pymongo

    work = Path(tempfile.mkdtemp(prefix="velt-bench-files-"))
    results: Document = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "machine": machine(),
        "large_mib": args.large_mib,
        "gunicorn": {"workers": 1, "threads": args.threads, "worker_class": "gthread"},
        "memory": {},
    }
    try:
        data = work / "large.bin"
        sha256 = write_random_file(data, args.large_mib * MiB)
        with (
            mongodb(args.uri, work) as (uri, server_kind, _database_pid),
            moto_server() as (
                s3_endpoint,
                _moto_pid,
            ),
        ):
            results["server"] = server_kind
            # In process: velt_django on the served settings (bench_settings.py).
            os.environ.update(
                VELT_BENCH_MONGODB_URI=uri, VELT_BENCH_DATABASE=args.database
            )
            os.environ["DJANGO_SETTINGS_MODULE"] = "bench_settings"
            import django

            django.setup()
            from velt_django.repository import close_client, ensure_indexes
            from velt_django.repository.files import FileRepository

            raw_client: pymongo.MongoClient[Document] = pymongo.MongoClient(
                uri, tz_aware=True, w="majority", socketTimeoutMS=120_000
            )
            raw_client.drop_database(args.database)
            ensure_indexes()
            close_client()
            files = raw_client[args.database][FileRepository.collection_name()]
            s3 = boto3.client(
                "s3",
                endpoint_url=s3_endpoint,
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            configs = [("local", "local FileSystemStorage", "")]
            if not args.no_s3:
                configs.append(("s3", "S3 (moto), boto3 defaults", ""))
                configs += [
                    ("s3", f"S3 (moto), transfer {spec}", spec)
                    for spec in args.s3_transfer.split(",")
                ]
            for n, (kind, label, transfer) in enumerate(configs):
                media = work / f"media-{n}"
                media.mkdir()
                bucket = f"velt-bench-{n}-{uuid.uuid4().hex[:8]}"
                if kind == "s3":
                    s3.create_bucket(Bucket=bucket)
                env = {
                    "VELT_BENCH_MONGODB_URI": uri,
                    "VELT_BENCH_DATABASE": args.database,
                    "VELT_BENCH_FILE_STORAGE": kind,
                    "VELT_BENCH_MEDIA": str(media),
                    "VELT_BENCH_S3_ENDPOINT": s3_endpoint,
                    "VELT_BENCH_S3_BUCKET": bucket,
                    "VELT_BENCH_S3_TRANSFER": transfer,
                    "AWS_ACCESS_KEY_ID": "bench",
                    "AWS_SECRET_ACCESS_KEY": "bench",
                }
                raw_storage = make_raw_storage(kind, env)
                with gunicorn_server(env, args.threads) as (port, master, worker):
                    print(
                        f"{label}: gunicorn 1 worker (pid {worker}) x {args.threads} threads on port {port}"
                    )
                    mem = measure_memory(port, worker, data, sha256, files, raw_storage)
                    results["memory"][label] = mem
                    print(
                        f"  {args.large_mib} MiB upload: peak RSS growth first {mem['first']['growth_mib']:.1f} MiB, "
                        f"next {mem['second']['growth_mib']:.1f} MiB ({mem['second']['mib_per_s']:.0f} MiB/s; raw save {mem['raw_save_mib_per_s']:.0f} MiB/s)"
                    )
                if kind == "local":
                    shutil.rmtree(media, ignore_errors=True)
            raw_client.drop_database(args.database)
            raw_client.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_tables(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
