"""The data of a run, as wire payloads (what Velt sends to the resolvers), built from a
fixed seed so that every side of a run and every run read the same records.

Sizes at ``--scale 1``: 10,000 comment threads in 100 documents (100 per document, 3
messages each), 2,000 reactions, 500 recordings, 5,000 activities, 1,000 users and
1,000 notifications in one organization, plus documents of 10, 100 and 1,000 threads
for the growth table. A smaller scale keeps 100 threads per document and fewer
documents. Request ids are numbers from disjoint pools, one per side (``POOLS``), so the
raw side and the peer never write or delete what the endpoint side does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

Document = dict[str, Any]
ORG = "acme-bench"
API_KEY = "pk_live_bench"
USER = "bench-operator"
THREADS_PER_DOCUMENT = 100
MESSAGES_PER_THREAD = 3
GROWTH_DOCUMENTS = {"growth-10": 10, "growth-100": 100, "growth-1000": 1000}
#: First request number of each side; ``CAPTURE`` is the one call whose database work
#: the raw side replays, with its number swapped for the raw side's own.
POOLS = {"endpoint": 1_000_000, "peer": 2_000_000, "raw": 3_000_000}
CAPTURE = 4_827_193
#: Each concurrency level of a side numbers its requests from its own stretch.
LEVEL_STRIDE = 300_000
ATTACHMENT_BYTES = 256 * 1024

_FIRST = "Priya Jonas Mei Tomás Amara Lukas Sofia Kenji Zainab Oliver".split()
_LAST = "Raman Berg Chen Silva Okafor Weber Rossi Tanaka Haddad Brown".split()
_WORDS = (
    "the onboarding flow takes four screens can we cut this to two agreed see mock "
    "latest copy needs review legal approved pricing table numbers look off for the "
    "enterprise tier please double check before friday launch"
).split()


def user_id(index: int) -> str:
    return f"user-{index:05d}"


def person(index: int) -> Document:
    first, last = _FIRST[index % 10], _LAST[(index // 10) % 10]
    return {
        "userId": user_id(index),
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{index}@acme.example",
    }


def _sentence(rng: random.Random, low: int = 6, high: int = 18) -> str:
    words = (rng.choice(_WORDS) for _ in range(rng.randint(low, high)))
    return " ".join(words).capitalize()


@dataclass
class Corpus:
    scale: float = 1.0
    documents: list[str] = field(default_factory=list)
    users: int = 0

    def __post_init__(self) -> None:
        count = max(2, round(100 * self.scale))
        self.documents = [f"doc-{d:04d}" for d in range(count)]
        self.users = max(100, round(1000 * self.scale))
        self.reactions = max(100, round(2000 * self.scale))
        self.recordings = max(50, round(500 * self.scale))
        self.activities = max(100, round(5000 * self.scale))
        self.notifications = max(50, round(1000 * self.scale))
        #: Records each side may delete at each concurrency level.
        self.delete_pool = max(200, round(2000 * self.scale))

    # ---- ids ------------------------------------------------------------------

    @property
    def thread_count(self) -> int:
        return len(self.documents) * THREADS_PER_DOCUMENT

    def thread_id(self, index: int) -> str:
        index %= self.thread_count
        return f"cmt-{index // THREADS_PER_DOCUMENT:04d}-{index % THREADS_PER_DOCUMENT:03d}"

    def document(self, index: int) -> str:
        return self.documents[index % len(self.documents)]

    def metadata(self, document_id: str, folder: int | None = None) -> Document:
        folder = hash_index(document_id) % 4 if folder is None else folder
        return {
            "apiKey": API_KEY,
            "organizationId": ORG,
            "documentId": document_id,
            "folderId": f"folder-{folder}",
            "documentMetadata": {"documentName": f"Spec {document_id} (Q3 review)"},
            "sdkVersion": "5.0.2",
        }

    # ---- payloads -------------------------------------------------------------

    def message(self, comment_id: int) -> Document:
        rng = random.Random(comment_id)
        text = _sentence(rng)
        author, mentioned = (
            person(rng.randrange(self.users)),
            person(rng.randrange(self.users)),
        )
        return {
            "commentId": comment_id,
            "commentText": text,
            "commentHtml": f"<p>{text} <span class='mention'>@{mentioned['name']}</span></p>",
            "from": author,
            "to": [mentioned],
            "createdAt": 1767225600000 + comment_id,
        }

    def thread(self, annotation_id: str, document_id: str, number: int) -> Document:
        rng = random.Random(annotation_id)
        comments = {
            str(number * 10 + m): self.message(number * 10 + m)
            for m in range(MESSAGES_PER_THREAD)
        }
        return {
            "annotationId": annotation_id,
            "metadata": self.metadata(document_id),
            "from": next(iter(comments.values()))["from"],
            "targetTextRange": {"text": _sentence(rng, 4, 10)},
            "comments": comments,
            "status": {"id": "OPEN", "type": "default"},
            "internalTicketId": f"OPS-{rng.randint(1000, 9999)}",
        }

    def seeded_thread(self, index: int) -> Document:
        index %= self.thread_count
        document_id = self.documents[index // THREADS_PER_DOCUMENT]
        return self.thread(self.thread_id(index), document_id, index)

    def threads(self) -> dict[str, Document]:
        return {
            self.thread_id(i): self.seeded_thread(i) for i in range(self.thread_count)
        }

    def growth_threads(self) -> dict[str, Document]:
        records = {}
        for document_id, count in GROWTH_DOCUMENTS.items():
            for n in range(count):
                annotation_id = f"{document_id}-{n:04d}"
                records[annotation_id] = self.thread(
                    annotation_id, document_id, 50_000_000 + n
                )
        return records

    def delete_threads(self, levels: int) -> dict[str, Document]:
        """The records the delete requests remove: a pool per side and concurrency
        level, and the capture's."""
        numbers = [
            base + level * LEVEL_STRIDE + k
            for base in POOLS.values()
            for level in range(levels)
            for k in range(self.delete_pool)
        ]
        return {
            f"del-{n}": self.thread(f"del-{n}", f"trash-{n % 20:02d}", n)
            for n in [*numbers, CAPTURE]
        }

    def reaction(self, index: int) -> Document:
        document_id = self.document(index)
        return {
            "annotationId": f"rxn-{index:06d}",
            "metadata": self.metadata(document_id),
            "icon": ("1f680", "1f44d", "2764", "1f389")[index % 4],
            "from": person(index % self.users),
        }

    def recording(self, index: int) -> Document:
        annotation_id = f"rec-{index:06d}"
        rng = random.Random(annotation_id)
        return {
            "annotationId": annotation_id,
            "metadata": self.metadata(self.document(index)),
            "from": person(index % self.users),
            "transcription": {
                "transcriptedText": " ".join(rng.choice(_WORDS) for _ in range(40)),
                "lastUpdated": 1767225012000 + index,
            },
            "attachments": [
                {
                    "attachmentId": 900_000 + index,
                    "url": f"https://files.example/{annotation_id}.webm",
                    "mimeType": "video/webm",
                    "size": 3_145_728,
                }
            ],
            "chunkUrls": {
                str(n): f"https://files.example/{annotation_id}/{n}" for n in range(4)
            },
            "isUrlAvailable": True,
        }

    def activity(self, activity_id: str, document_id: str) -> Document:
        return {
            "id": activity_id,
            "metadata": {
                "organizationId": ORG,
                "documentId": document_id,
                "apiKey": API_KEY,
            },
            "featureType": "comment",
            "actionType": "comment.add",
            "changes": {
                "commentText": {"from": "Can we cut this?", "to": "Cut it to two."}
            },
            "entityData": {"releaseName": "v2.4.0", "deployKey": activity_id},
            "displayMessageTemplateData": {"actor": person(len(activity_id) % 50)},
        }

    def activity_number(self, index: int) -> str:
        return f"act-{index:06d}"

    def notification(self, index: int) -> Document:
        document_id = self.document(index)
        return {
            "notificationId": f"ntf-{index:06d}",
            "metadata": {
                "organizationId": ORG,
                "documentId": document_id,
                "apiKey": API_KEY,
            },
            "notificationSource": "comment",
            "actionType": "newlyAdded",
            "displayHeadlineMessageTemplate": "{actionUser} commented on {documentName}",
            "displayBodyMessage": "Can we cut this to two screens?",
            "actionUser": person(index % self.users),
            "notifyUsers": {user_id((index + k) % self.users): True for k in range(3)},
            "timestamp": 1767225600000 + index,
        }


def hash_index(text: str) -> int:
    """A stable small number from a string (Python's ``hash`` is salted per process)."""
    return sum(text.encode())
