"""Checks ``velt.E009``–``velt.E012``: the user directory settings (no database access)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage, Error

from ..conf import velt_settings
from ..exceptions import VeltConfigurationError
from .base import UserDirectory
from .model import (
    MAPPING_KEYS,
    DjangoUserDirectory,
    concrete_field,
    user_model,
    value_reader,
)


def _mapping_errors(raw: Any) -> list[CheckMessage]:
    if not isinstance(raw, Mapping):
        return [Error('VELT["USER_FIELDS"] must be a dict.', id="velt.E010")]
    messages: list[CheckMessage] = []
    for key, value in raw.items():
        if key not in MAPPING_KEYS:
            messages.append(
                Error(
                    f'VELT["USER_FIELDS"] has an unknown key {key!r}.',
                    hint=f"Known keys: {', '.join(sorted(MAPPING_KEYS))}.",
                    id="velt.E010",
                )
            )
        elif value is not None and (not isinstance(value, str) or not value):
            messages.append(
                Error(
                    f'VELT["USER_FIELDS"][{key!r}] must be a non-empty string or None.',
                    id="velt.E010",
                )
            )
    if "userId" in raw and not raw["userId"]:
        messages.append(
            Error('VELT["USER_FIELDS"]["userId"] must be set.', id="velt.E010")
        )
    return messages


def _model_errors() -> list[CheckMessage]:
    try:
        model = user_model()
    except VeltConfigurationError as err:
        return [Error(str(err), id="velt.E011")]
    mapping = velt_settings.USER_FIELDS
    messages: list[CheckMessage] = []
    for key in ("userId", "email"):
        spec = mapping.get(key)
        if spec and concrete_field(model, spec) is None:
            messages.append(
                Error(
                    f'VELT["USER_FIELDS"][{key!r}] must be a concrete field of '
                    f"{model._meta.label}: it is queried.",
                    id="velt.E011",
                )
            )
    for key, spec in mapping.items():
        if not spec or key in ("userId", "email", "organizations"):
            continue
        try:
            value_reader(model, spec)
        except VeltConfigurationError as err:
            messages.append(Error(str(err), id="velt.E011"))
    if velt_settings.USER_ORGANIZATION_SCOPED and not mapping.get("organizations"):
        messages.append(
            Error(
                'VELT["USER_ORGANIZATION_SCOPED"] is on but VELT["USER_FIELDS"]'
                '["organizations"] is not set.',
                hint='Name an ORM lookup from the user model to an organization id, e.g. "teams__slug".',
                id="velt.E012",
            )
        )
    return messages


def check_user_directory(raw: Mapping[str, Any]) -> list[CheckMessage]:
    """Errors of the user directory settings in ``raw`` (the ``VELT`` dict)."""
    try:
        cls = velt_settings.USER_DIRECTORY_CLASS
    except VeltConfigurationError:
        return []  # velt.E003 reports the failed import
    if not (isinstance(cls, type) and issubclass(cls, UserDirectory)):
        return [
            Error(
                'VELT["USER_DIRECTORY_CLASS"] must name a subclass of '
                "velt_django.directory.UserDirectory.",
                id="velt.E009",
            )
        ]
    messages = _mapping_errors(raw.get("USER_FIELDS", {}))
    if not messages and issubclass(cls, DjangoUserDirectory):
        messages.extend(_model_errors())
    if not isinstance(raw.get("USER_PROFILE", True), bool):
        messages.append(
            Error('VELT["USER_PROFILE"] must be True or False.', id="velt.E010")
        )
    return messages
