"""What a ``VELT["USER_FIELDS"]`` mapping names, how its values are read from the user
model, and how Django database failures become repository errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    models,
)
from django.utils.module_loading import import_string

from ..conf import velt_settings
from ..exceptions import (
    DatabaseUnavailableError,
    InvalidRecordError,
    RepositoryError,
    VeltConfigurationError,
)

if TYPE_CHECKING:
    from ..models import VeltUserProfile

logger = logging.getLogger(__name__)

#: Velt ``User`` fields a mapping may fill (docs/users.md, "Django's user model"), plus
#: ``organizations``: an ORM lookup path from the model to an organization id (e.g.
#: ``"teams__slug"``).
TEXT_FIELDS = ("name", "email", "photoUrl", "initial", "color", "textColor")
#: The mapping keys that say where a ``User`` field is read from.
FIELD_KEYS = frozenset({*TEXT_FIELDS, "isAdmin"})
MAPPING_KEYS = frozenset({"userId", *FIELD_KEYS, "organizations"})
#: ``User`` keys the directory sets itself, never taken from a stored profile.
OWN_KEYS = frozenset({"userId", "organizationId"})
#: Mapping values naming a method of Django's own user model that splits on write.
FULL_NAME = "get_full_name"


def user_model() -> type[models.Model]:
    """The model named by ``VELT["USER_MODEL"]``, else ``AUTH_USER_MODEL``."""
    label = velt_settings.USER_MODEL or settings.AUTH_USER_MODEL
    try:
        return apps.get_model(label, require_ready=False)
    except (LookupError, ValueError) as err:
        raise VeltConfigurationError(
            f'VELT["USER_MODEL"] names no installed model: {label!r}'
        ) from err


def profile_model(model: type[models.Model]) -> type[VeltUserProfile] | None:
    """velt_django's :class:`~velt_django.models.VeltUserProfile` when it can keep
    fields of ``model``'s users: ``VELT["USER_PROFILE"]`` is on and ``model`` is
    ``AUTH_USER_MODEL`` (the profile's one-to-one target); else ``None``."""
    if not velt_settings.USER_PROFILE or not apps.is_installed("velt_django"):
        return None
    from ..models import VeltUserProfile  # lazily: it needs the app registry

    target = VeltUserProfile._meta.get_field("user").related_model
    return VeltUserProfile if target is model else None


def concrete_field(
    model: type[models.Model], name: str
) -> models.Field[Any, Any] | None:
    """The concrete, non-relational field ``name`` of ``model`` (``pk`` included)."""
    if name == "pk":
        pk = model._meta.pk
        return pk if isinstance(pk, models.Field) else None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not isinstance(found, models.Field) or not found.concrete or found.is_relation:
        return None
    return found


def value_reader(model: type[models.Model], spec: str) -> Callable[[Any], Any]:
    """How to read one mapped value from an instance: a concrete field, a method of the
    model (called without arguments), or a dotted path to ``callable(instance)``.

    Raises :class:`VeltConfigurationError` naming the setting when ``spec`` is none.
    """
    if concrete_field(model, spec) is not None:
        attname = "pk" if spec == "pk" else spec
        return lambda instance: getattr(instance, attname)
    if callable(getattr(model, spec, None)):
        return lambda instance: getattr(instance, spec)()
    if "." in spec:
        try:
            func = import_string(spec)
        except ImportError as err:
            raise VeltConfigurationError(
                f'VELT["USER_FIELDS"] value {spec!r} could not be imported: {err}'
            ) from err
        if callable(func):
            return lambda instance: func(instance)
    raise VeltConfigurationError(
        f'VELT["USER_FIELDS"] value {spec!r} is neither a field nor a method of '
        f"{model._meta.label} nor a dotted path to a callable"
    )


@contextmanager
def sql_errors(operation: str) -> Iterator[None]:
    """Django database failures as the repository errors the views answer: an outage
    (``OperationalError``/``InterfaceError``) is 503, a unique conflict on a write is an
    invalid record (400), anything else a permanent failure (500)."""
    try:
        yield
    except (OperationalError, InterfaceError) as err:
        logger.warning("user database unavailable during %s", operation)
        raise DatabaseUnavailableError("the user database is unavailable") from err
    except IntegrityError as err:
        raise InvalidRecordError("a user conflicts with a stored user") from err
    except DatabaseError as err:
        logger.error("user database %s failed: %s", operation, type(err).__name__)
        raise RepositoryError("user database operation failed") from err


def django_users(user_ids: Sequence[str]) -> dict[str, Any]:
    """``userId → instance`` of the user model (``VELT["USER_MODEL"]``, else
    ``AUTH_USER_MODEL``) whose ``USER_FIELDS["userId"]`` field holds the id, in one
    query; unknown ids, and ids the column cannot hold, are absent.

    Raises :class:`VeltConfigurationError` when the model cannot be loaded or the
    mapping names no concrete field of it.
    """
    model = user_model()
    spec = velt_settings.USER_FIELDS.get("userId") or ""
    field = concrete_field(model, spec)
    if field is None:
        raise VeltConfigurationError(
            f'VELT["USER_FIELDS"]["userId"] must be a concrete field of '
            f"{model._meta.label}"
        )
    lookup = "pk" if spec == "pk" else spec
    values: list[Any] = []
    for user_id in dict.fromkeys(user_ids):
        try:
            values.append(field.to_python(user_id))
        except (ValidationError, ValueError, TypeError):
            continue
    if not values:
        return {}
    queryset = model._default_manager.filter(**{f"{lookup}__in": values})
    with sql_errors("get users"):
        return {str(getattr(instance, lookup)): instance for instance in queryset}


def djangos_full_name(model: type[models.Model]) -> bool:
    """Whether ``model.get_full_name`` is Django's own (first and last name)."""
    from django.contrib.auth.models import AbstractUser

    method = getattr(model, FULL_NAME, None)
    return method is AbstractUser.get_full_name and bool(
        concrete_field(model, "first_name")
    )


def full_name(first: int, last: int, row: Sequence[Any]) -> str:
    """Cells ``first`` and ``last`` of ``row`` joined as ``AbstractUser.get_full_name``
    joins the first and last name."""
    return f"{row[first]} {row[last]}".strip()


def clean_text(value: Any) -> str | None:
    """A mapped value as the ``User`` text it fills: stripped, ``None`` when empty."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
