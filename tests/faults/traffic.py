"""A bounded stream of mixed saves over real HTTP, with a ledger of every answer and a
check, through the API, that every acknowledged write is stored.

Each comment id, reaction id and recording id belongs to one sending thread, so the
operations on it are sequential: after the last acknowledged operation only that one or
a later failed one (which may have been applied before the failure) can be stored.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ORGS = ("fault-org-a", "fault-org-b", "fault-org-c", "fault-org-d")
#: Shared comment threads: every sender adds its own messages to each of them.
THREADS_PER_ORG = 2
AUTHORIZATION = f"Test u_fault:{','.join(ORGS)}"
#: A request still unanswered after this long counts as a hang.
CLIENT_TIMEOUT_S = 20.0

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

ABSENT = object()
#: A sender's pause after an answer that acknowledged nothing.
BACKOFF_S = 0.1


def post(base_url: str, path: str, body: Any) -> tuple[int, Any]:
    """``(status, JSON body)``; a connection failure is status 0 and its class name."""
    request = urllib.request.Request(
        f"{base_url}/velt/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": AUTHORIZATION},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=CLIENT_TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, raw.decode(errors="replace")
    # Reset, refused, timeout, a bad answer; and a body cut short (a worker killed
    # while it was sending its answer raises IncompleteRead, an HTTPException).
    except (OSError, ValueError, http.client.HTTPException) as err:
        return 0, type(err).__name__


def thread_id(org: str, number: int) -> str:
    return f"{org}-thread-{number}"


@dataclass
class Answer:
    status: int
    elapsed: float
    body: Any


@dataclass
class Ledger:
    """What was sent and what came back; ``outcomes[key]`` lists, in order, the value
    each operation on ``key`` would leave (``ABSENT`` for a removal) and whether it
    was acknowledged."""

    answers: list[Answer] = field(default_factory=list)
    outcomes: dict[tuple[str, ...], list[tuple[Any, bool]]] = field(
        default_factory=dict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: tuple[str, ...], value: Any, answer: Answer) -> bool:
        acknowledged = 200 <= answer.status < 300
        with self.lock:
            self.answers.append(answer)
            self.outcomes.setdefault(key, []).append((value, acknowledged))
        return acknowledged

    def candidates(self, key: tuple[str, ...]) -> list[Any]:
        """The values that may be stored under ``key``."""
        ops = self.outcomes[key]
        last = max((i for i, (_, ok) in enumerate(ops) if ok), default=None)
        if last is None:
            return [ABSENT, *(value for value, _ in ops)]
        return [value for value, _ in ops[last:]]

    def figures(self) -> dict[str, int]:
        acknowledged = sum(200 <= a.status < 300 for a in self.answers)
        server_errors = sum(a.status >= 500 for a in self.answers)
        return {
            "sent": len(self.answers),
            "acknowledged": acknowledged,
            "5xx": server_errors,
            "other": len(self.answers) - acknowledged - server_errors,
        }


class Sender:
    """One sending thread's operations: comment adds, updates and message deletes in
    the shared threads, reactions and recordings of its own."""

    def __init__(
        self, number: int, base_url: Callable[[], str], ledger: Ledger
    ) -> None:
        self.number = number
        self.base_url = base_url
        self.ledger = ledger
        self.step = 0
        self.mine: list[tuple[str, str, int]] = []  # (org, thread, comment id)

    def send(self, path: str, key: tuple[str, ...], value: Any, body: Any) -> bool:
        started = time.monotonic()
        status, answer = post(self.base_url(), path, body)
        acknowledged = self.ledger.record(
            key, value, Answer(status, time.monotonic() - started, answer)
        )
        if not acknowledged:
            time.sleep(BACKOFF_S)  # as a client would before its next call
        return acknowledged

    def comment_save(
        self, org: str, thread: str, comment_id: int, text: str | None, event: str
    ) -> None:
        payload: dict[str, Any] = {
            "annotationId": thread,
            "metadata": {"organizationId": org, "documentId": "doc-faults"},
        }
        value: Any = ABSENT
        body: dict[str, Any] = {"event": event}
        if text is not None:
            value = {"commentId": comment_id, "commentText": text}
            payload["comments"] = {str(comment_id): value}
        else:
            body["commentId"] = str(comment_id)
        body["commentAnnotation"] = {thread: payload}
        self.send(
            "comments/save", ("comment", org, thread, str(comment_id)), value, body
        )

    def one(self) -> None:
        n, self.step = self.step, self.step + 1
        org = ORGS[(self.number + n) % len(ORGS)]
        kind = n % 6
        if kind in (2, 5) and self.mine:
            org, thread, comment_id = self.mine[n % len(self.mine)]
            if kind == 2:
                text = f"s{self.number} c{comment_id} v{n}"
                self.comment_save(org, thread, comment_id, text, "comment.update")
            else:
                self.mine.remove((org, thread, comment_id))
                self.comment_save(org, thread, comment_id, None, "comment.delete")
        elif kind == 3:
            self.record_save("reactions", org, f"rx-{self.number}-{n}", n)
        elif kind == 4:
            self.record_save("recordings", org, f"rec-{self.number}-{n}", n)
        else:
            thread = thread_id(org, n % THREADS_PER_ORG)
            comment_id = self.number * 100_000 + n
            text = f"s{self.number} c{comment_id} v0"
            self.comment_save(org, thread, comment_id, text, "comment.add")
            self.mine.append((org, thread, comment_id))

    def record_save(self, family: str, org: str, record_id: str, n: int) -> None:
        payload = {
            "annotationId": record_id,
            "metadata": {"organizationId": org, "documentId": "doc-faults"},
            "from": {"userId": f"u_{self.number}"},
            "step": n,
        }
        map_field = (
            "reactionAnnotation" if family == "reactions" else ("recorderAnnotation")
        )
        body = {map_field: {record_id: payload}, "event": f"{family}.add"}
        self.send(f"{family}/save", (family, org, record_id), payload, body)


def drive(
    senders: int,
    base_url: Callable[[], str],
    ledger: Ledger,
    keep_going: Callable[[], bool],
    max_requests: int,
    first: int = 0,
    sender: type[Sender] = Sender,
) -> list[Sender]:
    """Run ``senders`` threads sending while ``keep_going()`` and fewer than
    ``max_requests`` operations were started in all (``sender`` objects numbered from
    ``first``); returns them once every one has stopped."""
    crew = [sender(first + i, base_url, ledger) for i in range(senders)]
    sent = [0]
    lock = threading.Lock()
    crashed: list[BaseException] = []

    def run(sender: Sender) -> None:
        try:
            while keep_going():
                with lock:
                    if sent[0] >= max_requests:
                        return
                    sent[0] += 1
                sender.one()
        except BaseException as err:  # an operation the ledger would miss
            crashed.append(err)
            raise

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in crew]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a sender hung"
    assert not crashed, f"a sender died: {crashed[0]!r}"
    return crew


def read_back(base_url: str, ledger: Ledger) -> list[str]:
    """Every key of the ledger read through the gets; the list of discrepancies (an
    acknowledged write missing or overwritten, a foreign message in a thread …)."""
    problems: list[str] = []
    keys = list(ledger.outcomes)
    for org in ORGS:
        threads = [thread_id(org, n) for n in range(THREADS_PER_ORG)]
        status, got = post(
            base_url,
            "comments/get",
            {"organizationId": org, "commentAnnotationIds": threads},
        )
        assert status == 200, got
        stored = got["data"]
        for thread, payload in stored.items():
            if payload["metadata"]["organizationId"] != org:
                problems.append(f"{thread} carries another organization")
            for comment_id in payload.get("comments", {}):
                if ("comment", org, thread, comment_id) not in ledger.outcomes:
                    problems.append(f"{thread} holds a foreign message {comment_id}")
        for key in (k for k in keys if k[0] == "comment" and k[1] == org):
            _, _, thread, comment_id = key
            value = stored.get(thread, {}).get("comments", {}).get(comment_id, ABSENT)
            if value not in ledger.candidates(key):
                problems.append(
                    f"message {key} is {show(value)}: {history(ledger, key)}"
                )
        for family, ids_field in (
            ("reactions", "reactionAnnotationIds"),
            ("recordings", "recorderAnnotationIds"),
        ):
            family_keys = [k for k in keys if k[0] == family and k[1] == org]
            status, got = post(
                base_url,
                f"{family}/get",
                {"organizationId": org, ids_field: [k[2] for k in family_keys]},
            )
            assert status == 200, got
            for key in family_keys:
                value = got["data"].get(key[2], ABSENT)
                if value is not ABSENT:
                    value = {k: value[k] for k in value if k in key_fields(value)}
                if value not in ledger.candidates(key):
                    problems.append(
                        f"{family} {key} is {show(value)}: {history(ledger, key)}"
                    )
    return problems


def show(value: Any) -> str:
    return "absent" if value is ABSENT else repr(value)


def history(ledger: Ledger, key: tuple[str, ...]) -> str:
    """The operations on ``key``: what each would leave, and whether it was acknowledged."""
    return ", ".join(
        f"{show(value)} {'ack' if ok else 'failed'}"
        for value, ok in ledger.outcomes[key]
    )


def key_fields(payload: dict[str, Any]) -> set[str]:
    """The fields a save of ``Sender.record_save`` sent (gets may add others)."""
    return {"annotationId", "metadata", "from", "step"} & set(payload)


class LiveServer:
    """The test settings' WSGI application served by Django's threaded server on a free
    loopback port, in this process (so ``settings`` changes apply); ``url``, ``stop()``."""

    def __init__(self) -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadedWSGIServer(
            ("127.0.0.1", 0), Quiet, allow_reuse_address=True
        )
        self.httpd.set_app(WSGIHandler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


#: The tables (collections) of the ledger's kinds of key, by the name both backends
#: give them.
TABLES = {
    "comment": "velt_comment_annotations",
    "reactions": "velt_reaction_annotations",
    "recordings": "velt_recorder_annotations",
}

#: ``(table, organization, record id, payload)``, one per stored record.
StoredRow = tuple[str, str, str, Any]


def check_stored(ledger: Ledger, rows: list[StoredRow]) -> list[str]:
    """The discrepancies between the ledger and the records as the database itself
    holds them (``rows`` of the ``TABLES``, read with pymongo or psycopg): a record
    stored twice for one organization and id, one or a message never sent, and a key
    whose stored value no operation on it left (half-written, or acknowledged but
    missing)."""
    problems: list[str] = []
    stored: dict[tuple[str, str, str], Any] = {}
    kinds = {table: kind for kind, table in TABLES.items()}
    for table, org, record_id, payload in rows:
        if (table, org, record_id) in stored:
            problems.append(f"{table} {org}/{record_id} is stored twice")
        stored[table, org, record_id] = payload
        kind = kinds[table]
        if kind == "comment":
            foreign = [
                c
                for c in payload.get("comments", {})
                if (kind, org, record_id, c) not in ledger.outcomes
            ]
            if foreign:
                problems.append(f"{record_id} holds foreign messages {foreign}")
        elif (kind, org, record_id) not in ledger.outcomes:
            problems.append(f"{table} holds a foreign record {org}/{record_id}")
    for key in ledger.outcomes:
        if key[0] == "comment":
            _, org, thread, comment_id = key
            payload = stored.get((TABLES["comment"], org, thread), {})
            value = payload.get("comments", {}).get(comment_id, ABSENT)
        else:
            value = stored.get((TABLES[key[0]], key[1], key[2]), ABSENT)
            if value is not ABSENT:
                value = {k: value[k] for k in key_fields(value)}
        if value not in ledger.candidates(key):
            problems.append(f"stored {key} is {show(value)}: {history(ledger, key)}")
    return problems
