"""The machinery of the ``VELT`` declarations: what a value must be (:class:`Kind`), one
declared key (:class:`Setting`, :class:`Key` for a key of a dict-valued one), the
conversions that give attributes their types, and the headings of docs/settings.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from . import VeltSettings


MiB = 1024 * 1024

T = TypeVar("T")

OrganizationAccess = Callable[[Any, str, str, "list[str]"], bool]
ReadFilter = Callable[[Any, str, str, "dict[str, dict[str, Any]]"], Any]


# ---- kinds: what a configured value must be ------------------------------------------


def _always(value: Any) -> bool:
    return True


@dataclass(frozen=True)
class Kind:
    """The values a setting accepts, as the system checks test them: a configured value
    that ``accepts`` refuses gives the setting's check, with the message
    ``VELT["KEY"] must be <description>.``. ``imports``: a dotted path (or a list of
    them) resolved by :meth:`VeltSettings._import`, checked by ``velt.E003``."""

    description: str
    accepts: Callable[[Any], bool] = _always
    imports: bool = False
    optional: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_string_list(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)


POSITIVE_INT = Kind("a positive integer", lambda v: _is_int(v) and v > 0)
NON_NEGATIVE_INT = Kind("an integer >= 0", lambda v: _is_int(v) and v >= 0)
OPTIONAL_POSITIVE_INT = Kind(
    "None or a positive integer", lambda v: v is None or (_is_int(v) and v > 0)
)
POSITIVE_NUMBER = Kind(
    "a positive number",
    lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and not v <= 0,
)
BOOL = Kind("True or False", lambda v: isinstance(v, bool))
OPTIONAL_STRING = Kind("None or a non-empty string", lambda v: v is None or _is_text(v))
STRING_LIST = Kind("a list of content types", _is_string_list)
DOTTED_PATH = Kind("a dotted import path", imports=True)
OPTIONAL_DOTTED_PATH = Kind("None or a dotted import path", imports=True, optional=True)
DOTTED_PATH_LIST = Kind("a list of dotted import paths", imports=True)


def one_of(*choices: str) -> Kind:
    return Kind(" or ".join(f'"{c}"' for c in choices), lambda v: v in choices)


# ---- declarations ----------------------------------------------------------------------


class _Absent:
    """The default of a nested key that is not in the default mapping."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Key:
    """One key of a dict-valued setting (``RESOLVER_TOKEN``, ``USER_FIELDS``)."""

    name: str
    default: Any
    doc: str
    kind: Kind | None = None
    check: str | None = None


def _key_defaults(keys: tuple[Key, ...]) -> dict[str, Any]:
    return {key.name: key.default for key in keys if key.default is not ABSENT}


class Setting(Generic[T]):
    """One key of ``VELT``: read on :class:`VeltSettings` it is the configured value (or
    ``default``) passed through ``convert``; read on the class it is this declaration.

    ``kind`` and ``check``: the values the system checks accept and the ID (defined in
    :mod:`velt_django.check_codes`) of a value they refuse; without ``check`` the kind
    documents the value only. ``keys``: the
    keys of a dict-valued setting, whose configured keys are laid over their defaults.
    ``group``: the heading of docs/settings.md the row goes under; ``doc``: the row's
    Markdown; ``default_doc``: the Default cell when the literal would not do."""

    name: str

    def __init__(
        self,
        default: Any,
        convert: Callable[[Any], T],
        *,
        group: str,
        doc: str,
        kind: Kind | None = None,
        check: str | None = None,
        keys: tuple[Key, ...] = (),
        default_doc: str | None = None,
    ) -> None:
        self.default = _key_defaults(keys) if keys else default
        self.convert = convert
        self.group = group
        self.doc = doc
        self.kind = kind
        self.check = check
        self.keys = keys
        self.default_doc = default_doc

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Setting[T]: ...

    @overload
    def __get__(self, instance: VeltSettings, owner: type[Any]) -> T: ...

    def __get__(
        self, instance: VeltSettings | None, owner: type[Any]
    ) -> Setting[T] | T:
        if instance is None:
            return self
        if self.kind is not None and self.kind.imports:
            return self.convert(instance._import(self.name))
        value = instance.get(self.name)
        cached = instance._values.get(self.name)
        if cached is not None and cached[0] is value:
            # The very object converted last time, and an immutable one: same answer.
            return cached[1]  # type: ignore[no-any-return]
        raw = value
        if self.keys:
            merged = dict(self.default)
            if isinstance(value, Mapping):
                merged.update(value)
            value = merged
        converted = self.convert(value)
        if type(raw) in _IMMUTABLE and type(converted) in _IMMUTABLE:
            instance._values[self.name] = (raw, converted)
        return converted

    def accepts(self, value: Any) -> bool:
        """Whether the system checks accept ``value`` for this setting."""
        return self.kind is None or self.kind.accepts(value)

    @property
    def key_names(self) -> frozenset[str]:
        return frozenset(key.name for key in self.keys)


#: Types of configured and converted values :class:`VeltSettings` remembers: reading
#: the same configured object again gives the remembered conversion. Anything mutable
#: (dicts, lists) is converted on every access, so a caller that changes what it got
#: cannot change the setting, and a list changed in place is seen.
_IMMUTABLE = frozenset({str, int, float, bool, type(None), tuple, frozenset})


# ---- conversions -----------------------------------------------------------------------


def _str(value: Any) -> str:
    return str(value)


def _truthy_str(value: Any) -> str | None:
    return str(value) if value else None


def _nonempty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return int(value)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float:
    return float(value)


def _bool(value: Any) -> bool:
    return bool(value)


def _is_true(value: Any) -> bool:
    return value is True


def _dict(value: Any) -> dict[str, Any]:
    return dict(value or {})


def _user_fields(value: Any) -> dict[str, str | None]:
    mapping: dict[str, str | None] = dict(value)
    return mapping


def _write_concern(value: Any) -> str | int:
    w: str | int = value
    return w


def _rate(value: Any) -> str | None:
    rate: str | None = value
    return rate


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value or []]


def _lower_strings(value: Any) -> list[str]:
    return [str(v).lower() for v in value or []]


def _string_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in value or [])


def _classes(value: Any) -> list[type]:
    return list(value)


def _class(value: Any) -> type:
    cls: type = value
    return cls


def _organization_access(value: Any) -> OrganizationAccess:
    hook: OrganizationAccess = value
    return hook


def _read_filter(value: Any) -> ReadFilter | None:
    hook: ReadFilter | None = value
    return hook


def _token_organizations(value: Any) -> Callable[[Any], Any] | None:
    hook: Callable[[Any], Any] | None = value
    return hook


def _private_key(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value if isinstance(value, str) and value.strip() else None


def _file_url_base(value: Any) -> str | None:
    return str(value).rstrip("/") if value else None


def _prefix(value: Any) -> str:
    return str(value or "")


#: Velt's REST API, also what an empty ``API_BASE_URL`` falls back to.
VELT_API = "https://api.velt.dev"


def _api_base_url(value: Any) -> str:
    return str(value or VELT_API).rstrip("/")


# ---- the headings of docs/settings.md --------------------------------------------------

STORAGE = "Storage backend"
MONGODB = "MongoDB"
LIMITS = "Request limits"
ACTIVITIES = "Activities"
SECURITY = "Authentication and authorization"
CORS = "CORS"
USERS = "User directory"
WEBHOOKS = "Webhooks"
FILES = "Files"
REST_API = "Velt REST API"
PERMISSION_PROVIDER = "Permission provider"
