"""The storage backend seam: which implementation of a repository class serves a request.

The code that reads and writes names the MongoDB repository classes
(``CommentRepository``, ``FileRepository`` …) and instantiates them through
:func:`resolve`: with ``VELT["STORAGE_BACKEND"] = "mongodb"`` (the default) that is the
class itself; with ``"postgresql"`` it is the class's PostgreSQL twin, listed in
:data:`POSTGRESQL_TWINS` by dotted path (``repository.sql``, Django's ORM on
``VELT["DATABASE_ALIAS"]``). The twin is imported on first use, so a MongoDB deployment
never imports the ORM repositories.

A twin is no subclass of its MongoDB class: it has the same public methods, with the
same arguments and answers, and :func:`resolve` returns it typed as the class it stands
for. A repository class without a twin, a subclass of one included, is refused under the
PostgreSQL backend (:class:`~velt_django.exceptions.VeltConfigurationError`) rather than
quietly served by MongoDB or by its parent's twin.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.utils.module_loading import import_string

from ..conf import velt_settings
from ..exceptions import VeltConfigurationError
from .activities import ActivityRepository
from .base import BaseRepository
from .comments import CommentRepository
from .files import FileRepository
from .notifications import NotificationRepository
from .reactions import ReactionRepository
from .recordings import RecordingRepository
from .users import UserRepository
from .webhooks import WebhookDeliveryRepository

R = TypeVar("R", bound=BaseRepository)

POSTGRESQL = "postgresql"

#: MongoDB repository class → dotted path of its PostgreSQL twin. A repository the
#: PostgreSQL backend implements needs only its line here.
POSTGRESQL_TWINS: dict[type[BaseRepository], str] = {
    CommentRepository: "velt_django.repository.sql.SqlCommentRepository",
    ReactionRepository: "velt_django.repository.sql.SqlReactionRepository",
    RecordingRepository: "velt_django.repository.sql.SqlRecordingRepository",
    NotificationRepository: "velt_django.repository.sql.SqlNotificationRepository",
    ActivityRepository: "velt_django.repository.sql.SqlActivityRepository",
    UserRepository: "velt_django.repository.sql.SqlUserRepository",
    FileRepository: "velt_django.repository.sql.SqlFileRepository",
    WebhookDeliveryRepository: "velt_django.repository.sql.SqlWebhookDeliveryRepository",
}

_imported: dict[str, type[Any]] = {}


def uses_postgresql() -> bool:
    """Whether ``VELT["STORAGE_BACKEND"]`` selects the PostgreSQL backend."""
    return velt_settings.STORAGE_BACKEND == POSTGRESQL


def twin(cls: type[BaseRepository]) -> type[Any]:
    """The PostgreSQL implementation of ``cls``, imported on first use; refuses a
    class the PostgreSQL backend does not implement."""
    path = POSTGRESQL_TWINS.get(cls)
    if path is None:
        raise VeltConfigurationError(
            f'{cls.__qualname__} has no implementation for STORAGE_BACKEND "postgresql"'
        )
    if path not in _imported:
        _imported[path] = import_string(path)
    return _imported[path]


def resolve(cls: type[R]) -> type[R]:
    """The class that implements ``cls`` on the configured backend: ``cls`` itself on
    MongoDB, its twin on PostgreSQL (typed as ``cls``: the twin has its methods)."""
    if not uses_postgresql():
        return cls
    return cast("type[R]", twin(cls))
