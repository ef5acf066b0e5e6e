"""A database router for the ``"postgresql"`` storage backend's tables.

The PostgreSQL repositories name their database themselves (``VELT["DATABASE_ALIAS"]``),
so the resolver works without a router. Django's own tooling does not know that alias:
``manage.py migrate`` creates every table on the database it is given, and the ORM reads
and writes a model on ``"default"`` unless told otherwise. When ``DATABASE_ALIAS`` is
not ``"default"``, add this router to ``DATABASE_ROUTERS``::

    DATABASE_ROUTERS = ["velt_django.routers.VeltRouter"]

and run ``manage.py migrate --database <alias>`` as well as ``manage.py migrate``: the
storage tables are created on the alias only, and reads and writes of their models (the
admin, ``dumpdata``, a shell) go there.

The storage models are every model of the ``velt_django`` app but
:class:`~velt_django.models.VeltUserProfile`, which belongs beside ``AUTH_USER_MODEL``
(it has a foreign key to it) and is left to the host's other routers, like every model
of other apps.
"""

from __future__ import annotations

from typing import Any

from .conf import velt_settings

APP_LABEL = "velt_django"

#: Models of the app that are not the storage backend's (lowercase model names).
NOT_STORAGE = frozenset({"veltuserprofile"})


def is_storage_model(app_label: str, model_name: str | None) -> bool:
    """Whether ``app_label.model_name`` is one of the storage backend's tables."""
    return (
        app_label == APP_LABEL
        and model_name is not None
        and model_name.lower() not in NOT_STORAGE
    )


def _is_storage(model: Any) -> bool:
    meta = model._meta
    return is_storage_model(meta.app_label, meta.model_name)


class VeltRouter:
    """Routes velt_django's storage models to ``VELT["DATABASE_ALIAS"]`` and has no
    opinion on any other model (see the module docstring)."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return velt_settings.DATABASE_ALIAS if _is_storage(model) else None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return velt_settings.DATABASE_ALIAS if _is_storage(model) else None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if model_name is None and "model" in hints:
            model_name = hints["model"]._meta.model_name
        if is_storage_model(app_label, model_name):
            return db == velt_settings.DATABASE_ALIAS
        return None
