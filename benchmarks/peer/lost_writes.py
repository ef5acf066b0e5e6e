"""Concurrent replies to shared threads, counted back: how many acknowledged writes a
server loses. The same requests go to velt_django and to the velt-py peer.

Each writer plays a browser that has loaded a thread (its first message) and adds one
reply: it sends ``comments/save`` with the thread as it knows it, the first message plus
its own, ``event: comment.add``, ``commentId`` and ``targetComment``, exactly as Velt's
frontend does. All writers start together (a barrier). Afterwards one ``comments/get``
reads the threads back, and every acknowledged reply that is not in its thread is lost.

A server that merges the ``comments`` map (velt_django) keeps every reply; one that
stores the whole thread as sent (velt-py) keeps only the last reply per thread.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

# Never let a proxy from the environment intercept calls to a local server.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LostWrites(NamedTuple):
    """Replies sent, answered with success, and answered with success but not stored."""

    sent: int
    acknowledged: int
    lost: int


def post(
    base_url: str,
    path: str,
    body: Mapping[str, Any],
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as JSON to ``base_url`` + ``path``: (HTTP status, JSON answer; ``{}``
    when the answer is not a JSON object)."""
    request = urllib.request.Request(
        base_url.rstrip("/") + "/" + path.lstrip("/"),
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    return status, answer if isinstance(answer, dict) else {}


def _message(comment_id: str, user: str, text: str) -> dict[str, Any]:
    return {
        "commentId": comment_id,
        "commentText": text,
        "commentHtml": f"<p>{text}</p>",
        "from": {"userId": user},
        "type": "text",
    }


def _thread(
    annotation_id: str,
    messages: list[dict[str, Any]],
    metadata: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "annotationId": annotation_id,
        "metadata": dict(metadata),
        "from": {"userId": "author"},
        "status": {"id": "OPEN", "type": "default"},
        "comments": {message["commentId"]: message for message in messages},
    }


def _save(
    annotation_id: str,
    messages: list[dict[str, Any]],
    metadata: Mapping[str, Any],
    event: str,
) -> dict[str, Any]:
    last = messages[-1]
    return {
        "commentAnnotation": {
            annotation_id: _thread(annotation_id, messages, metadata)
        },
        "event": event,
        "commentId": last["commentId"],
        "targetComment": last,
        "metadata": dict(metadata),
    }


def _success(status: int, answer: Mapping[str, Any]) -> bool:
    return status == 200 and answer.get("success") is True


def lost_writes(
    base_url: str,
    threads: int,
    *,
    annotations: int = 4,
    organization_id: str = "bench-lost-writes",
    document_id: str = "bench-lost-writes-doc",
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> LostWrites:
    """Send ``threads`` concurrent replies, spread round-robin over ``annotations`` new
    threads, to ``base_url`` (the mount, e.g. ``http://127.0.0.1:8000/velt/``), then
    read the threads back. Every run uses fresh thread ids, so runs do not interfere.

    Raises :class:`RuntimeError` when the first messages cannot be stored or the threads
    cannot be read back (the count would mean nothing).
    """
    if threads < 1 or annotations < 1:
        raise ValueError("threads and annotations must be at least 1")
    run = uuid.uuid4().hex[:10]
    metadata = {"organizationId": organization_id, "documentId": document_id}
    ids = [f"lw-{run}-{k}" for k in range(min(annotations, threads))]
    first = {
        annotation_id: _message(f"{annotation_id}-first", "author", "first message")
        for annotation_id in ids
    }
    for annotation_id in ids:
        status, answer = post(
            base_url,
            "comments/save",
            _save(
                annotation_id,
                [first[annotation_id]],
                metadata,
                "comment_annotation.add",
            ),
            headers=headers,
            timeout=timeout,
        )
        if not _success(status, answer):
            raise RuntimeError(f"the first message was refused: HTTP {status}")

    replies = [
        (ids[n % len(ids)], _message(f"{run}-reply-{n}", f"user-{n}", f"reply {n}"))
        for n in range(threads)
    ]
    barrier = threading.Barrier(threads)

    def reply(item: tuple[str, dict[str, Any]]) -> bool:
        annotation_id, message = item
        body = _save(
            annotation_id, [first[annotation_id], message], metadata, "comment.add"
        )
        barrier.wait(timeout)
        try:
            status, answer = post(
                base_url, "comments/save", body, headers=headers, timeout=timeout
            )
        except OSError:
            return False
        return _success(status, answer)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        acknowledged = [
            item
            for item, ok in zip(replies, pool.map(reply, replies), strict=True)
            if ok
        ]

    status, answer = post(
        base_url,
        "comments/get",
        {"organizationId": organization_id, "commentAnnotationIds": ids},
        headers=headers,
        timeout=timeout,
    )
    data = answer.get("data")
    if not _success(status, answer) or not isinstance(data, dict):
        raise RuntimeError(f"the threads could not be read back: HTTP {status}")
    lost = 0
    for annotation_id, message in acknowledged:
        thread = data.get(annotation_id)
        comments = thread.get("comments") if isinstance(thread, dict) else None
        if not isinstance(comments, dict) or message["commentId"] not in comments:
            lost += 1
    return LostWrites(sent=threads, acknowledged=len(acknowledged), lost=lost)
