"""What is measured: one row per resolver operation, each with the request it sends for
request number ``n`` (``corpus.POOLS``: every side numbers its requests from its own
pool, so writes and deletes never collide across sides).

``--only`` selects rows whose name contains one of its comma-separated words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .corpus import ATTACHMENT_BYTES, ORG, Corpus

Document = dict[str, Any]
BOUNDARY = "----VeltBenchSuiteBoundary7MA4YWxk"
JSON = "application/json"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
#: The bytes of every upload (a fixed pattern: storage does not compress).
FILE_BYTES = bytes(range(256)) * (ATTACHMENT_BYTES // 256)


@dataclass(frozen=True)
class Operation:
    name: str
    path: str
    body: Callable[[Corpus, int], Document]
    #: Whether each request consumes one record of its side's pool (deletes).
    pooled: bool = False
    #: ``"upload"`` or ``"delete"`` when the raw side also writes or deletes a file.
    file: str | None = None
    #: Whether to count lost concurrent comment additions after each cell.
    lost_writes: bool = False

    @property
    def family(self) -> str:
        return self.path.split("/")[0]

    def request(self, corpus: Corpus, n: int) -> tuple[bytes, str]:
        """(body bytes, content type) of request number ``n``."""
        body = self.body(corpus, n)
        if self.file != "upload":
            return json.dumps(body).encode(), JSON
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="mock-{n}.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        tail = (
            f'\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name="request"\r\n\r\n'
            f"{json.dumps(body)}\r\n--{BOUNDARY}--\r\n"
        ).encode()
        return head + FILE_BYTES + tail, MULTIPART


def _ids(
    corpus: Corpus, n: int, count: int, make: Callable[[int], str], size: int
) -> list[str]:
    return [make((n * 37 + k * 13) % size) for k in range(count)]


def comment_save(corpus: Corpus, n: int, count: int) -> Document:
    """``comment.add`` on ``count`` existing threads: each as Velt sends it, its stored
    messages plus a new one numbered from ``n``.

    Consecutive requests go to different threads, so each stored thread stays about the
    size of the body (as with Velt, whose client sends the whole thread): a few hot
    threads would grow by hundreds of messages a second on velt_django, which keeps
    them, and not on the peer, which replaces the thread with the body, and the two
    sides would no longer do the same work. Concurrent additions to one thread, and
    what each side loses of them, are counted apart (``lost_writes``)."""
    records: Document = {}
    new_id = n
    for k in range(count):
        index = (n * count + k) % corpus.thread_count
        thread = corpus.seeded_thread(index)
        new_id = n if count == 1 else n * 100 + k
        thread["comments"] = {**thread["comments"], str(new_id): corpus.message(new_id)}
        records[thread["annotationId"]] = thread
    body: Document = {
        "commentAnnotation": records,
        "event": "comment.add",
        "metadata": next(iter(records.values()))["metadata"],
    }
    if count == 1:
        thread = next(iter(records.values()))
        body.update(commentId=new_id, targetComment=thread["comments"][str(new_id)])
    return body


def _upload(corpus: Corpus, n: int) -> Document:
    document_id = corpus.document(n)
    return {
        "attachment": {
            "attachmentId": n,
            "name": f"mock-{n}.png",
            "mimeType": "image/png",
        },
        "metadata": {**corpus.metadata(document_id), "attachmentId": n},
        "event": "attachment.add",
    }


OPERATIONS: list[Operation] = [
    Operation(
        "comments/get: 1 document (100 threads)",
        "comments/get",
        lambda c, n: {"organizationId": ORG, "documentIds": [c.document(n)]},
    ),
    Operation(
        "comments/get: 50 ids",
        "comments/get",
        lambda c, n: {
            "organizationId": ORG,
            "commentAnnotationIds": _ids(c, n, 50, c.thread_id, c.thread_count),
        },
    ),
    Operation(
        "comments/save: 1 thread",
        "comments/save",
        lambda c, n: comment_save(c, n, 1),
        lost_writes=True,
    ),
    Operation(
        "comments/save: 10 threads",
        "comments/save",
        lambda c, n: comment_save(c, n, 10),
    ),
    Operation(
        "comments/save: 100 threads",
        "comments/save",
        lambda c, n: comment_save(c, n, 100),
    ),
    Operation(
        "comments/delete: 1 thread",
        "comments/delete",
        lambda c, n: {
            "commentAnnotationId": f"del-{n}",
            "metadata": {"organizationId": ORG},
        },
        pooled=True,
    ),
    Operation(
        "reactions/get: 1 document",
        "reactions/get",
        lambda c, n: {"organizationId": ORG, "documentIds": [c.document(n)]},
    ),
    Operation(
        "reactions/save: 1 reaction",
        "reactions/save",
        lambda c, n: {
            "reactionAnnotation": {
                f"rxn-{n}": {**c.reaction(n), "annotationId": f"rxn-{n}"}
            },
            "event": "reaction.add",
            "metadata": c.reaction(n)["metadata"],
        },
    ),
    Operation(
        "recordings/get: 1 document",
        "recordings/get",
        lambda c, n: {"organizationId": ORG, "documentIds": [c.document(n)]},
    ),
    Operation(
        "recordings/save: 1 recording",
        "recordings/save",
        lambda c, n: {
            "recorderAnnotation": {
                f"rec-{n}": {**c.recording(n), "annotationId": f"rec-{n}"}
            },
            "event": "recorder_annotation.update",
            "metadata": c.recording(n)["metadata"],
        },
    ),
    Operation(
        "notifications/get: 50 ids",
        "notifications/get",
        lambda c, n: {
            "organizationId": ORG,
            "notificationIds": _ids(
                c, n, 50, lambda i: f"ntf-{i:06d}", c.notifications
            ),
        },
    ),
    Operation(
        "activities/get: 1 document",
        "activities/get",
        lambda c, n: {"organizationId": ORG, "documentIds": [c.document(n)]},
    ),
    Operation(
        "activities/save: 1 new activity",
        "activities/save",
        lambda c, n: {
            "activity": {f"act-new-{n}": c.activity(f"act-new-{n}", c.document(n))},
            "event": "activity.save",
            "metadata": c.activity("", c.document(n))["metadata"],
        },
    ),
    Operation(
        "users/get: 100 ids",
        "users/get",
        lambda c, n: {
            "organizationId": ORG,
            "userIds": _ids(c, n, 100, lambda i: f"user-{i:05d}", c.users),
        },
    ),
    Operation("attachments/save: 256 KiB", "attachments/save", _upload, file="upload"),
    Operation(
        "attachments/delete: 1 file",
        "attachments/delete",
        lambda c, n: {"attachmentId": n, "metadata": {"organizationId": ORG}},
        pooled=True,
        file="delete",
    ),
]


def select(only: str | None) -> list[Operation]:
    if not only:
        return list(OPERATIONS)
    words = [w.strip() for w in only.split(",") if w.strip()]
    chosen = [op for op in OPERATIONS if any(w in op.name for w in words)]
    if not chosen:
        raise SystemExit(f"--only {only!r} matches no operation")
    return chosen
