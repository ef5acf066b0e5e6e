"""The PostgreSQL backend's repositories, through Django's ORM: the twins of the MongoDB
repositories of ``velt_django.repository``, method for method."""

from __future__ import annotations

from .activities import SqlActivityRepository
from .annotations import SqlAnnotationRepository
from .base import database_alias
from .comments import SqlCommentRepository
from .files import SqlFileRepository
from .notifications import SqlNotificationRepository
from .reactions import SqlReactionRepository
from .recordings import SqlRecordingRepository
from .users import SqlUserRepository
from .webhooks import SqlWebhookDeliveryRepository

__all__ = [
    "SqlActivityRepository",
    "SqlAnnotationRepository",
    "SqlCommentRepository",
    "SqlFileRepository",
    "SqlNotificationRepository",
    "SqlReactionRepository",
    "SqlRecordingRepository",
    "SqlUserRepository",
    "SqlWebhookDeliveryRepository",
    "database_alias",
]
