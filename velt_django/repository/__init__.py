"""The only package that talks to MongoDB: one module per collection family."""

from __future__ import annotations

from pymongo.database import Database

from .activities import ActivityRepository
from .annotations import AnnotationRepository, FoundRecord
from .base import BaseRepository, RecordWrite
from .comments import CommentRepository
from .connection import close_client, get_client, get_database
from .files import FileRepository
from .notifications import NotificationRepository
from .reactions import ReactionRepository
from .recordings import RecordingRepository
from .users import UserRepository
from .webhooks import WebhookDeliveryRepository


def _collections(base: type[BaseRepository]) -> list[type[BaseRepository]]:
    """The subclasses of ``base`` that name a collection, in the order they were
    defined (a subclass of one of them that keeps its collection is left out)."""
    found: list[type[BaseRepository]] = []
    for subclass in base.__subclasses__():
        if "collection_suffix" in vars(subclass):
            found.append(subclass)
        found += _collections(subclass)
    return found


#: Every repository of this package, whose indexes ``velt_ensure_indexes`` creates and
#: ``velt_check`` expects: each class the modules imported above define with a
#: ``collection_suffix``. A new repository module only needs its import here.
REPOSITORIES: tuple[type[BaseRepository], ...] = tuple(_collections(BaseRepository))


def ensure_indexes(db: Database | None = None) -> dict[str, list[str]]:  # type: ignore[type-arg]
    """Create the indexes of every repository; returns index names per collection."""
    return {repo.collection_name(): repo(db).ensure_indexes() for repo in REPOSITORIES}


__all__ = [
    "REPOSITORIES",
    "ActivityRepository",
    "AnnotationRepository",
    "BaseRepository",
    "FoundRecord",
    "CommentRepository",
    "FileRepository",
    "NotificationRepository",
    "ReactionRepository",
    "RecordingRepository",
    "RecordWrite",
    "UserRepository",
    "WebhookDeliveryRepository",
    "close_client",
    "ensure_indexes",
    "get_client",
    "get_database",
]
