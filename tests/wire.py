"""Request helpers shared by the wire-tier tests: JSON posts, a family-bound client that
saves, gets and deletes through the endpoints, a barrier for concurrent requests, and a
server to stop and start again for outages."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.test import Client

from velt_django.repository import connection

from .auth import principal
from .contracts import assert_success
from .families import BOTH, ORG, Family

PostJson = Callable[..., Any]


def json_poster(client: Client) -> PostJson:
    """``post(path, body, as_=("user", "org", ...), content_type=..., **headers)``.

    ``body`` is JSON-encoded unless it is already ``str``/``bytes``; ``as_=None`` sends no
    credential. Paths are relative to the ``/velt/`` mount.
    """

    def post(
        path: str,
        body: Any,
        as_: tuple[str, ...] | None = ("u_test", ORG),
        content_type: str = "application/json",
        **extra: Any,
    ) -> Any:
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        headers = principal(*as_) if as_ else {}
        headers.update(extra)
        return client.post(f"/velt/{path}", data, content_type=content_type, **headers)

    return post


class FamilyClient:
    """One family's endpoints over HTTP; every helper asserts the success envelope.

    Requests are sent as ``BOTH`` (a principal of ``ORG`` and ``OTHER``) unless ``as_``
    says otherwise. ``post()`` is the raw call for tests that expect a failure.
    """

    def __init__(self, family: Family, post_json: PostJson) -> None:
        self.family = family
        self.post_json = post_json

    def post(
        self, operation: str, body: Any, as_: tuple[str, ...] | None = BOTH, **kw: Any
    ) -> Any:
        return self.post_json(self.family.path(operation), body, as_=as_, **kw)

    def save(
        self, *payloads: dict[str, Any], as_: tuple[str, ...] = BOTH, **request: Any
    ) -> None:
        body = self.family.save_body(*payloads, **request)
        assert_success(self.post("save", body, as_=as_), read=False)

    def get(
        self,
        org: str = ORG,
        ids: list[Any] | None = None,
        as_: tuple[str, ...] = BOTH,
        **selectors: Any,
    ) -> dict[str, Any]:
        """The ``data`` of a get; ``ids`` fills the family's ids selector."""
        body = self.family.get_body(org, ids, **selectors)
        data: dict[str, Any] = assert_success(
            self.post("get", body, as_=as_), read=True
        )["data"]
        return data

    def get_one(self, record_id: str, org: str = ORG) -> dict[str, Any]:
        """The returned payload of one record, which must exist."""
        data = self.get(org, ids=[record_id])
        assert record_id in data, data
        payload: dict[str, Any] = data[record_id]
        return payload

    def delete(self, body: dict[str, Any], as_: tuple[str, ...] = BOTH) -> None:
        assert_success(self.post("delete", body, as_=as_), read=False)

    def documents(
        self, record_id: str | None = None, org: str | None = None
    ) -> list[Any]:
        """The stored envelopes (not payloads), optionally of one id and organization."""
        query: dict[str, Any] = {}
        if record_id is not None:
            query[self.family.stored_id] = record_id
        if org is not None:
            query["organizationId"] = org
        # Changing VELT closes the client, so never keep a database handle.
        collection = connection.get_database()[self.family.collection]
        return list(collection.find(query, sort=[("organizationId", 1), ("_id", 1)]))

    def stored(self, record_id: str, org: str = ORG) -> dict[str, Any] | None:
        """The stored envelope of one record, or ``None``."""
        docs = self.documents(record_id, org)
        return docs[0] if docs else None

    def count(self, **query: Any) -> int:
        collection = connection.get_database()[self.family.collection]
        return int(collection.count_documents(query))


def run_together(workers: list[Callable[[Client], None]]) -> list[BaseException]:
    """Run each worker in its own thread with its own ``Client``, released together by a
    barrier; returns the exceptions raised (empty when all succeeded)."""
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(worker: Callable[[Client], None]) -> None:
        client = Client()
        try:
            barrier.wait(timeout=30)
            worker(client)
        except BaseException as err:  # noqa: BLE001 - reported to the test thread
            with lock:
                errors.append(err)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a worker did not finish"
    return errors


class OutageServer:
    """A dedicated SecantusDB server that can be stopped and started again on the same
    port and data directory (a stopped instance cannot restart, so each start is new)."""

    def __init__(self, storage_path: Path) -> None:
        self.storage_path = str(storage_path)
        self.port = 0
        self.instance: Any = None

    def start(self) -> str:
        from secantus import SecantusDBServer

        self.instance = SecantusDBServer(
            host="127.0.0.1", port=self.port, storage_path=self.storage_path
        )
        self.instance.start()
        self.port = self.instance.address[1]
        return str(self.instance.uri)

    def stop(self) -> None:
        if self.instance is not None:
            self.instance.stop()
            self.instance = None
