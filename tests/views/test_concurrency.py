"""Concurrent saves over the wire (CONTRACT §5.4): no lost entries, no duplicate
records, idempotent retries, last writer wins per key without losing other keys; on
MongoDB and on PostgreSQL (a transactional database: the saves come from threads)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ..families import COMMENTS, ORG, REACTIONS, on_backends
from ..wire import FamilyClient, json_poster
from ..wire import run_together as run_threads
from .backends import closing_connections, family_client

pytestmark = on_backends(transaction=True)

THREADS = 8
SAVES_PER_THREAD = 25


def comment_body(
    annotation_id: str, comments: dict[str, Any], **payload: Any
) -> dict[str, Any]:
    record = COMMENTS.record(
        annotation_id, comments=comments, **{"from": {"userId": "u_1"}, **payload}
    )
    metadata = {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": ORG}
    return COMMENTS.save_body(record, event="comment.add", metadata=metadata)


def post(client: Client, path: str, body: Any) -> Any:
    return json_poster(client)(path, body, as_=("u_test", ORG))


@pytest.fixture
def family_api(backend: str) -> Callable[..., FamilyClient]:
    """``family_api(family=COMMENTS)``: its client, reading the stored records of
    ``backend``."""
    return lambda family=COMMENTS: family_client(family, json_poster(Client()), backend)


@pytest.fixture
def docs(family_api: Callable[..., FamilyClient]) -> Callable[[str], list[Any]]:
    return lambda annotation_id: family_api().documents(annotation_id, ORG)


@pytest.fixture
def get_thread(family_api: Callable[..., FamilyClient]) -> Callable[[str], Any]:
    return lambda annotation_id: family_api().get_one(annotation_id)


def run_together(workers: list[Callable[[Client], None]]) -> list[BaseException]:
    """``tests.wire.run_together``, each thread closing its connections at the end."""
    return run_threads([closing_connections(w) for w in workers])


def test_concurrent_comment_adds_to_one_new_thread_keep_every_comment(
    docs: Any, get_thread: Any
) -> None:
    def worker(thread_no: int) -> Callable[[Client], None]:
        def save_all(client: Client) -> None:
            for n in range(SAVES_PER_THREAD):
                comment_id = str(thread_no * 1000 + n)
                comment = {
                    "commentId": int(comment_id),
                    "commentText": f"t{thread_no} n{n}",
                }
                response = post(
                    client,
                    "comments/save",
                    comment_body("ann-hot", {comment_id: comment}),
                )
                assert response.status_code == 200, response.content

        return save_all

    errors = run_together([worker(t) for t in range(THREADS)])
    assert errors == []

    expected = {
        str(t * 1000 + n): {"commentId": t * 1000 + n, "commentText": f"t{t} n{n}"}
        for t in range(THREADS)
        for n in range(SAVES_PER_THREAD)
    }
    assert get_thread("ann-hot")["comments"] == expected
    stored = docs("ann-hot")
    assert len(stored) == 1
    assert stored[0]["payload"]["comments"] == expected
    assert stored[0]["payload"]["metadata"]["organizationId"] == ORG


def test_retried_identical_save_is_idempotent(docs: Any, get_thread: Any) -> None:
    body = comment_body(
        "ann-retry",
        {
            "517204": {
                "commentId": 517204,
                "commentText": "Can we cut this?",
                "from": {"userId": "u_1"},
            }
        },
        internalTicketId="OPS-2291",
        tags=["a", "b"],
    )
    client = Client()
    assert post(client, "comments/save", body).status_code == 200
    first = get_thread("ann-retry")
    first_doc = docs("ann-retry")
    assert post(client, "comments/save", body).status_code == 200
    second_doc = docs("ann-retry")
    assert get_thread("ann-retry") == first
    assert len(first_doc) == len(second_doc) == 1
    assert second_doc[0]["payload"] == first_doc[0]["payload"]
    assert second_doc[0]["_id"] == first_doc[0]["_id"]
    assert first == body["commentAnnotation"]["ann-retry"]


def test_concurrent_identical_retries_leave_one_document(docs: Any) -> None:
    body = comment_body("ann-dup", {"1": {"commentId": 1, "commentText": "once"}})
    errors = run_together(
        [lambda c: _assert_ok(post(c, "comments/save", body)) for _ in range(THREADS)]
    )
    assert errors == []
    stored = docs("ann-dup")
    assert len(stored) == 1
    assert stored[0]["payload"] == body["commentAnnotation"]["ann-dup"]


def _assert_ok(response: Any) -> None:
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("round_no", range(3))
def test_concurrent_first_saves_create_exactly_one_document(
    docs: Any, round_no: int
) -> None:
    annotation_id = f"ann-first-{round_no}"

    def worker(thread_no: int) -> Callable[[Client], None]:
        comment = {
            str(thread_no): {
                "commentId": thread_no,
                "commentText": f"first from {thread_no}",
            }
        }
        return lambda client: _assert_ok(
            post(client, "comments/save", comment_body(annotation_id, comment))
        )

    errors = run_together([worker(t) for t in range(THREADS)])
    assert errors == []
    stored = docs(annotation_id)
    assert len(stored) == 1
    assert sorted(stored[0]["payload"]["comments"]) == sorted(
        str(t) for t in range(THREADS)
    )


def test_concurrent_saves_of_same_key_keep_one_value_and_other_keys(
    docs: Any, get_thread: Any
) -> None:
    client = Client()
    seed = comment_body(
        "ann-race",
        {"1": {"commentId": 1, "commentText": "original"}},
        status="open",
        keep="untouched",
    )
    assert post(client, "comments/save", seed).status_code == 200

    def worker(thread_no: int) -> Callable[[Client], None]:
        def save(c: Client) -> None:
            for n in range(5):
                body = comment_body(
                    "ann-race",
                    {f"{thread_no}-{n}": {"commentText": f"from {thread_no}"}},
                    status=f"status-{thread_no}",
                    **{f"own-{thread_no}": n},
                )
                _assert_ok(post(c, "comments/save", body))

        return save

    errors = run_together([worker(t) for t in range(THREADS)])
    assert errors == []
    payload = get_thread("ann-race")
    assert payload["status"] in {f"status-{t}" for t in range(THREADS)}
    assert payload["keep"] == "untouched"
    assert payload["comments"]["1"] == {"commentId": 1, "commentText": "original"}
    for t in range(THREADS):
        assert payload[f"own-{t}"] == 4
        for n in range(5):
            assert payload["comments"][f"{t}-{n}"] == {"commentText": f"from {t}"}
    assert len(docs("ann-race")) == 1


def test_concurrent_reaction_first_saves_create_one_document(
    family_api: Any,
) -> None:
    def worker(thread_no: int) -> Callable[[Client], None]:
        body = {
            "reactionAnnotation": {
                "rx-1": {"icon": f"icon-{thread_no}", f"k{thread_no}": thread_no}
            },
            "metadata": {"organizationId": ORG},
            "event": "reaction.add",
        }
        return lambda client: _assert_ok(post(client, "reactions/save", body))

    errors = run_together([worker(t) for t in range(THREADS)])
    assert errors == []
    stored = family_api(REACTIONS).documents("rx-1")
    assert len(stored) == 1
    payload = stored[0]["payload"]
    assert payload["icon"] in {f"icon-{t}" for t in range(THREADS)}
    assert {k: payload[k] for k in payload if k.startswith("k")} == {
        f"k{t}": t for t in range(THREADS)
    }
