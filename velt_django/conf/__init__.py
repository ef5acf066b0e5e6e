"""The ``VELT`` settings dict, read through one object with defaults.

Each key is declared once, as a :class:`Setting` on one of the classes
:class:`VeltSettings` is made of (:mod:`.storage`, :mod:`.security`, :mod:`.files`,
:mod:`.integrations`, one per part of docs/settings.md): its default, the conversion
that gives the attribute its type, the kind of value the system checks accept, and its
documentation (the tables of docs/settings.md are generated from these declarations).
:data:`DEFAULTS`, :data:`IMPORT_STRINGS`, :data:`OPTIONAL_IMPORTS` and
:data:`POSITIVE_INTS` are derived from them. Only this module reads ``settings.VELT``;
importing it needs no configured Django settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ..exceptions import VeltConfigurationError
from .base import (
    ABSENT,
    BOOL,
    DOTTED_PATH,
    DOTTED_PATH_LIST,
    NON_NEGATIVE_INT,
    OPTIONAL_DOTTED_PATH,
    OPTIONAL_POSITIVE_INT,
    OPTIONAL_STRING,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    STRING_LIST,
    VELT_API,
    Key,
    Kind,
    MiB,
    OrganizationAccess,
    ReadFilter,
    Setting,
    one_of,
)
from .files import FileSettings
from .integrations import IntegrationSettings
from .keys import TOKEN_KEYS, USER_FIELD_KEYS
from .security import SecuritySettings
from .storage import StorageSettings


class VeltSettings(
    StorageSettings, SecuritySettings, FileSettings, IntegrationSettings
):
    """Typed, always-fresh view of ``settings.VELT``.

    Values are read from Django settings on every access, so ``override_settings``,
    pytest-django's ``settings`` fixture and a ``VELT`` dict changed in place all work
    without helpers. The conversion of an immutable value (text, numbers, tuples) is
    remembered with the configured object it came from and reused while ``VELT`` still
    holds that object: a resolver request reads some twenty settings, and converting
    each again cost a few per cent of its CPU. Imported dotted paths are cached, and
    both caches are cleared when ``VELT`` changes.
    """

    def __init__(self) -> None:
        self._imports: dict[str, Any] = {}
        self._values: dict[str, tuple[Any, Any]] = {}

    @property
    def user_settings(self) -> Mapping[str, Any]:
        value = getattr(settings, "VELT", {})
        # ``type(...) is dict`` first: the ABC check costs more than the rest of a read.
        return value if type(value) is dict or isinstance(value, Mapping) else {}

    def get(self, key: str) -> Any:
        """The configured value of ``key``, else its default (not converted)."""
        if key not in DEFAULTS:
            raise AttributeError(f"Unknown velt_django setting: {key}")
        return self.user_settings.get(key, DEFAULTS[key])

    def is_set(self, key: str) -> bool:
        return key in self.user_settings

    def _import(self, key: str) -> Any:
        if key in self._imports:
            return self._imports[key]
        value = self.get(key)
        try:
            if value is None and key in OPTIONAL_IMPORTS:
                resolved: Any = None
            elif isinstance(value, str):
                resolved = import_string(value)
            else:
                resolved = [import_string(path) for path in value]
        except (ImportError, TypeError) as err:
            raise VeltConfigurationError(
                f"VELT[{key!r}] could not be imported: {err}"
            ) from err
        self._imports[key] = resolved
        return resolved

    def clear_cache(self) -> None:
        self._imports.clear()
        self._values.clear()

    def storage_alias(self, scope: str) -> str:
        """The ``STORAGES`` key of a file scope (``"attachment"`` or ``"recording"``)."""
        return str(self.get(f"{scope.upper()}_STORAGE"))

    def max_file_size(self, scope: str) -> int:
        return int(self.get(f"{scope.upper()}_MAX_SIZE"))


#: The classes declaring the keys, in the order of docs/settings.md.
_DECLARING = (StorageSettings, SecuritySettings, FileSettings, IntegrationSettings)

#: Every declaration, in the order of docs/settings.md.
SETTINGS: tuple[Setting[Any], ...] = tuple(
    value
    for declaring in _DECLARING
    for value in vars(declaring).values()
    if isinstance(value, Setting)
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}

#: Keys holding dotted import paths; resolved objects are cached until VELT changes.
IMPORT_STRINGS = frozenset(
    setting.name
    for setting in SETTINGS
    if setting.kind is not None and setting.kind.imports
)

#: Dotted-path keys that may be ``None`` (feature off).
OPTIONAL_IMPORTS = frozenset(
    setting.name
    for setting in SETTINGS
    if setting.kind is not None and setting.kind.imports and setting.kind.optional
)

#: Integer settings that must be positive.
POSITIVE_INTS = frozenset(
    setting.name for setting in SETTINGS if setting.kind is POSITIVE_INT
)


velt_settings = VeltSettings()


@receiver(setting_changed)
def _reload_velt_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "VELT":
        velt_settings.clear_cache()


__all__ = [
    "ABSENT",
    "BOOL",
    "DEFAULTS",
    "DOTTED_PATH",
    "DOTTED_PATH_LIST",
    "IMPORT_STRINGS",
    "NON_NEGATIVE_INT",
    "OPTIONAL_DOTTED_PATH",
    "OPTIONAL_IMPORTS",
    "OPTIONAL_POSITIVE_INT",
    "OPTIONAL_STRING",
    "POSITIVE_INT",
    "POSITIVE_INTS",
    "POSITIVE_NUMBER",
    "SETTINGS",
    "STRING_LIST",
    "TOKEN_KEYS",
    "USER_FIELD_KEYS",
    "VELT_API",
    "Key",
    "Kind",
    "MiB",
    "OrganizationAccess",
    "ReadFilter",
    "Setting",
    "VeltSettings",
    "one_of",
    "velt_settings",
]
