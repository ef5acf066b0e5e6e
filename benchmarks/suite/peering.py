"""The peer's side of a run: ``benchmarks.peer`` (velt-py 0.3.0 behind thin Django views),
its table of supported operations, its seeding from the same wire payloads, and its
count of lost concurrent comment additions, which is run against both servers."""

from __future__ import annotations

import importlib
from typing import Any

from . import corpus as corpus_module
from .corpus import ORG, Corpus
from .operations import Operation


def load_peer() -> tuple[Any, str]:
    """The peer's modules (views with ``SUPPORTED``, ``seed``), or ``None`` and why."""
    try:
        views = importlib.import_module("benchmarks.peer.views")
        peer_seed = importlib.import_module("benchmarks.peer.seed")
        lost = importlib.import_module("benchmarks.peer.lost_writes")
    except ImportError as err:
        return None, f"peer not available ({err.name or err})"
    return (views, peer_seed, lost), ""


def peer_support(views: Any, op: Operation) -> tuple[bool, str]:
    """Whether the peer supports ``op`` (``benchmarks.peer.views.SUPPORTED``), and its
    note on it."""
    entry = views.SUPPORTED.get(op.path)
    if entry is None:
        return False, "not listed by the peer"
    return bool(entry.supported), str(entry.reason)


def seed_peer(peer_seed: Any, corpus: Corpus, levels: int, env: dict[str, str]) -> str:
    """Seed the peer (``benchmarks.peer.seed``) from the same wire payloads; "" on
    success, else why its column is skipped."""
    acts = corpus.activities
    payloads = {
        "comments": [
            *corpus.threads().values(),
            *corpus.delete_threads(levels).values(),
        ],
        "reactions": [corpus.reaction(i) for i in range(corpus.reactions)],
        "recordings": [corpus.recording(i) for i in range(corpus.recordings)],
        "activities": [
            corpus.activity(corpus.activity_number(i), corpus.document(i))
            for i in range(acts)
        ],
        "notifications": [corpus.notification(i) for i in range(corpus.notifications)],
        "users": [corpus_module.person(i) for i in range(corpus.users)],
    }
    try:
        peer_seed.seed(payloads, organization_id=ORG, environ=env)
    except Exception as err:  # noqa: BLE001 - the peer's column is skipped, with the reason
        return f"peer seeding failed: {type(err).__name__}: {err}"
    return ""


def lost_writes(lost: Any, port: int, token: str, writers: int) -> dict[str, int | str]:
    """``benchmarks.peer.lost_writes``: ``writers`` concurrent replies to 4 shared
    threads, read back."""
    try:
        result = lost.lost_writes(
            f"http://127.0.0.1:{port}/velt/", writers, organization_id=ORG,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip
    except RuntimeError as err:
        return {"error": str(err)}
    return {
        "sent": result.sent,
        "acknowledged": result.acknowledged,
        "lost": result.lost,
    }
