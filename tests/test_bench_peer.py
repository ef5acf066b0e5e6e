"""The benchmark's velt-py peer (benchmarks/peer) served by gunicorn over real HTTP,
against the wire-tier SecantusDB: round trips, 501s, the seed and the lost-writes count."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from benchmarks.peer import seed, views
from benchmarks.peer.lost_writes import lost_writes, post

pytestmark = pytest.mark.mongo

ROOT = Path(__file__).resolve().parent.parent
ORG = "peer-org"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def peer_env(mongo_server_uri: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VELT_", "DJANGO_", "AWS_"))
    }
    env.update(
        VELT_PEER_MONGODB_URI=mongo_server_uri,
        VELT_PEER_DATABASE=f"velt_peer_{uuid.uuid4().hex[:10]}",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def _serving(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """The peer under gunicorn (1 worker, 4 threads): its ``/velt/`` base URL."""
    port = _free_port()
    with log_path.open("w+") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers=1",
                "--threads=4",
                f"--bind=127.0.0.1:{port}",
                "benchmarks.peer.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}/velt/"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    post(base, "token", {}, timeout=2)  # 501, touches no database
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        pytest.fail(f"the peer did not start:\n{log.read()}")
                    time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def peer(
    peer_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with _serving(peer_env, tmp_path_factory.mktemp("peer") / "gunicorn.log") as base:
        yield base


def _thread(annotation_id: str, *comment_ids: str) -> dict[str, object]:
    return {
        "annotationId": annotation_id,
        "comments": {
            cid: {"commentId": cid, "commentText": f"text of {cid}"}
            for cid in comment_ids
        },
    }


def test_save_then_get_round_trips(peer: str) -> None:
    status, answer = post(
        peer,
        "comments/save",
        {
            "commentAnnotation": {"rt-1": _thread("rt-1", "c1")},
            "metadata": {"organizationId": ORG, "documentId": "doc-rt"},
            "event": "comment_annotation.add",
        },
    )
    assert (status, answer) == (200, {"success": True, "statusCode": 200})

    status, answer = post(
        peer, "comments/get/", {"organizationId": ORG, "documentIds": ["doc-rt"]}
    )
    assert status == 200 and answer["success"] is True
    stored = answer["data"]["rt-1"]
    assert stored["comments"] == {
        "c1": {"commentId": "c1", "commentText": "text of c1"}
    }
    assert stored["metadata"] == {"organizationId": ORG, "documentId": "doc-rt"}
    # Another organization sees nothing of it.
    assert (
        post(
            peer, "comments/get", {"organizationId": "other", "documentIds": ["doc-rt"]}
        )[1]["data"]
        == {}
    )


def test_operations_velt_py_lacks_answer_501(peer: str) -> None:
    unsupported = [op for op, row in views.SUPPORTED.items() if not row.supported]
    assert "activities/delete" in unsupported and "recordings/files/save" in unsupported
    for operation in unsupported:
        path = "f/abc/name.txt" if operation == "f" else operation
        assert post(peer, path, {}) == (
            501,
            {"success": False, "error": "not supported by velt-py"},
        ), operation
    supported = [op for op, row in views.SUPPORTED.items() if row.supported]
    assert all(views.SUPPORTED[op].method for op in supported)


def test_bad_bodies_are_json_4xx(peer: str) -> None:
    request = urllib.request.Request(
        peer + "comments/get", data=b"{not json", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request)
    assert caught.value.code == 400
    assert json.loads(caught.value.read())["errorCode"] == "INVALID_INPUT"
    status, answer = post(
        peer,
        "comments/save",
        {"commentAnnotation": "x", "metadata": {"organizationId": ORG}},
    )
    assert status == 400 and answer["success"] is False


def test_seeded_corpus_is_what_the_peer_reads(
    peer: str, peer_env: dict[str, str]
) -> None:
    comments = [
        {
            "annotationId": f"seed-{n}",
            "metadata": {
                "clientOrganizationId": ORG,
                "organizationId": "velt-internal",
                "documentId": "doc-seed",
                "folderId": "f1",
                "pageInfo": {"x": 1},
            },
            "comments": {
                "m1": {
                    "commentId": "m1",
                    "commentText": "hello",
                    "attachments": {"7": {"attachmentId": 7, "url": "https://x/y"}},
                }
            },
            "customField": n,
        }
        for n in range(5)
    ]
    notifications = [
        {"notificationId": "n1", "organizationId": ORG, "displayBodyMessage": "hi"}
    ]
    counts = seed.seed(
        {"comments": comments, "notifications": notifications},
        environ=peer_env,
        batch_size=2,
    )
    assert counts == {"comments": 5, "notifications": 1}

    status, answer = post(
        peer, "comments/get", {"organizationId": ORG, "documentIds": ["doc-seed"]}
    )
    assert status == 200
    assert sorted(answer["data"]) == [f"seed-{n}" for n in range(5)]
    record = answer["data"]["seed-3"]
    assert record["customField"] == 3
    # velt-py's layout: organization resolved as velt_django does, BaseMetadata's keys only.
    assert record["metadata"] == {
        "organizationId": ORG,
        "clientOrganizationId": ORG,
        "documentId": "doc-seed",
        "folderId": "f1",
    }
    assert record["comments"]["m1"]["attachments"] == {
        "7": {"attachmentId": 7, "url": "https://x/y", "name": ""}
    }
    assert (
        post(
            peer,
            "notifications/get",
            {"organizationId": ORG, "notificationIds": ["n1"]},
        )[1]["data"]["n1"]["displayBodyMessage"]
        == "hi"
    )


def test_velt_py_loses_concurrent_replies(peer: str) -> None:
    # 4 replies to 2 threads: velt-py keeps the last save of each thread only.
    result = lost_writes(peer, 4, annotations=2, organization_id=ORG)
    assert result == (4, 4, 2)


@pytest.mark.postgres
def test_peer_on_postgresql(postgres_server: Any, tmp_path: Path) -> None:
    """The same peer on velt-py's PostgreSQL backend, in a schema of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VELT_", "DJANGO_", "AWS_"))
    }
    env.update(
        VELT_PEER_POSTGRES_URL=postgres_server.url,
        VELT_PEER_SCHEMA=f"velt_peer_{uuid.uuid4().hex[:10]}",
    )
    payload = {
        "annotationId": "pg-1",
        "metadata": {"organizationId": ORG, "documentId": "doc-pg"},
        "comments": {"m1": {"commentId": "m1", "commentText": "hello"}},
    }
    assert seed.seed({"comments": [payload]}, environ=env) == {"comments": 1}
    with _serving(env, tmp_path / "gunicorn.log") as base:
        status, answer = post(
            base, "comments/get", {"organizationId": ORG, "documentIds": ["doc-pg"]}
        )
        assert status == 200
        assert answer["data"]["pg-1"]["comments"]["m1"]["commentText"] == "hello"
        # The advisory lock serializes the upserts; the later one still replaces.
        assert lost_writes(base, 4, annotations=2, organization_id=ORG) == (4, 4, 2)
