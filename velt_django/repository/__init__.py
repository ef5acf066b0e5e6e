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

#: Every repository whose indexes ``velt_ensure_indexes`` creates.
REPOSITORIES: tuple[type[BaseRepository], ...] = (
    CommentRepository,
    ReactionRepository,
    RecordingRepository,
    NotificationRepository,
    ActivityRepository,
    UserRepository,
    WebhookDeliveryRepository,
    FileRepository,
)


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
