"""Checks of the user directory settings (no database access): ``velt.E009``–``E012``
and ``velt.E110``–``E119``, defined in :mod:`velt_django.check_codes`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.checks import CheckMessage

from ..check_codes import Directory
from ..conf import VeltSettings, velt_settings
from ..exceptions import VeltConfigurationError
from .base import UserDirectory
from .fields import concrete_field, user_model, value_reader
from .model import DjangoUserDirectory


def _mapping_errors(raw: Any) -> list[CheckMessage]:
    if not isinstance(raw, Mapping):
        return [Directory.E010('VELT["USER_FIELDS"] must be a dict.')]
    known = VeltSettings.USER_FIELDS.key_names
    messages: list[CheckMessage] = []
    for key, value in raw.items():
        if key not in known:
            messages.append(
                Directory.E110(
                    f'VELT["USER_FIELDS"] has an unknown key {key!r}.',
                    hint=f"Known keys: {', '.join(sorted(known))}.",
                )
            )
        elif value is not None and (not isinstance(value, str) or not value):
            messages.append(
                Directory.E111(
                    f'VELT["USER_FIELDS"][{key!r}] must be a non-empty string or None.'
                )
            )
    if "userId" in raw and not raw["userId"]:
        messages.append(Directory.E112('VELT["USER_FIELDS"]["userId"] must be set.'))
    return messages


def _model_errors() -> list[CheckMessage]:
    try:
        model = user_model()
    except VeltConfigurationError as err:
        return [Directory.E011(str(err))]
    mapping = velt_settings.USER_FIELDS
    messages: list[CheckMessage] = []
    for key in ("userId", "email"):
        spec = mapping.get(key)
        if spec and concrete_field(model, spec) is None:
            messages.append(
                Directory.E114(
                    f'VELT["USER_FIELDS"][{key!r}] must be a concrete field of '
                    f"{model._meta.label}: it is queried."
                )
            )
    for key, spec in mapping.items():
        if not spec or key in ("userId", "email", "organizations"):
            continue
        try:
            value_reader(model, spec)
        except VeltConfigurationError as err:
            messages.append(Directory.E115(str(err)))
    if velt_settings.USER_ORGANIZATION_SCOPED and not mapping.get("organizations"):
        messages.append(
            Directory.E012(
                'VELT["USER_ORGANIZATION_SCOPED"] is on but VELT["USER_FIELDS"]'
                '["organizations"] is not set.',
                hint='Name an ORM lookup from the user model to an organization id, e.g. "teams__slug".',
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
            Directory.E009(
                'VELT["USER_DIRECTORY_CLASS"] must name a subclass of '
                "velt_django.directory.UserDirectory."
            )
        ]
    # USER_PROFILE's type is checked with the other declared kinds (velt.E113).
    messages = _mapping_errors(velt_settings.get("USER_FIELDS"))
    if not messages and issubclass(cls, DjangoUserDirectory):
        messages.extend(_model_errors())
    return messages
