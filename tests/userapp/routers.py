"""A router that keeps ``userapp`` (the model the Django directory is pointed at) on the
PostgreSQL tier's alias: the directory's PostgreSQL path, and a user model that does not
live on ``"default"``."""

from __future__ import annotations

from typing import Any

from ..postgres import ALIAS


class UserappOnPostgres:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return ALIAS if model._meta.app_label == "userapp" else None

    db_for_write = db_for_read

    def allow_relation(self, a: Any, b: Any, **hints: Any) -> bool | None:
        apps = {a._meta.app_label, b._meta.app_label}
        return True if apps == {"userapp"} else None


class AuthOnPostgres:
    """Django's own user model (and velt_django's profile of it) on the PostgreSQL
    tier's alias: the default directory as a PostgreSQL-backed project runs it."""

    labels = frozenset({"auth", "contenttypes"})

    def _on_postgres(self, model: type[Any]) -> bool:
        meta = model._meta
        return (
            meta.app_label in self.labels or meta.label == "velt_django.VeltUserProfile"
        )

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        return ALIAS if self._on_postgres(model) else None

    db_for_write = db_for_read

    def allow_relation(self, a: Any, b: Any, **hints: Any) -> bool | None:
        return (
            True if self._on_postgres(type(a)) and self._on_postgres(type(b)) else None
        )
