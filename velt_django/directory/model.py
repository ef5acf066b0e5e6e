"""The Django user directory: a model (``AUTH_USER_MODEL`` by default) with a field mapping."""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    models,
    router,
    transaction,
)
from django.db.models import Exists, F, Lookup, OuterRef
from django.db.models.functions import Lower, Trim
from django.utils.module_loading import import_string

from ..conf import velt_settings
from ..exceptions import (
    DatabaseUnavailableError,
    InvalidRecordError,
    RepositoryError,
    VeltConfigurationError,
)
from ..repository.sql.base import storable
from ..repository.users import UserWrite
from .base import Member, User, UserDirectory

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


def _djangos_full_name(model: type[models.Model]) -> bool:
    """Whether ``model.get_full_name`` is Django's own (first and last name)."""
    from django.contrib.auth.models import AbstractUser

    method = getattr(model, FULL_NAME, None)
    return method is AbstractUser.get_full_name and bool(
        concrete_field(model, "first_name")
    )


def _full_name(first: int, last: int, row: Sequence[Any]) -> str:
    """Cells ``first`` and ``last`` of ``row`` joined as ``AbstractUser.get_full_name``
    joins the first and last name."""
    return f"{row[first]} {row[last]}".strip()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class AnyOf(Lookup):
    """``<column> = ANY(%s)``: the values as one array parameter (PostgreSQL).

    The one SQL fragment of the user directory, because no ORM lookup says it: unlike
    ``__in`` (a placeholder per value) the statement's text is the same for any number
    of ids, so it is compiled once (``DjangoUserDirectory._statement``) and psycopg
    parses it once.
    """

    lookup_name = "velt_any"
    prepare_rhs = False

    def get_prep_lookup(self) -> Any:
        return self.rhs

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


#: Placeholder values a cached users statement is compiled with; ``UserStatement``
#: records where each went. NUL never reaches a text column, so no real value is equal.
_IDS_MARK = ["\x00velt-user-ids"]
_ORG_MARK = "\x00velt-organization"
_MEMBER_MARK = "\x00velt-requested-organization"
#: Most distinct statement shapes kept per process (the SQL text only, no data).
_STATEMENTS_MAX = 64


@dataclass(frozen=True)
class UserStatement:
    """A users get as the ORM compiles it: its SQL, what each parameter is (``"ids"``,
    ``"org"``, ``"member"``, or a ``"constant"`` of the default manager's queryset), the
    converters Django applies to its columns (position → functions, expression)."""

    sql: str
    params: tuple[tuple[str, Any], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    def parameters(
        self, ids: list[Any], organization: str | None, member: str | None
    ) -> list[Any]:
        slots = {"ids": ids, "org": organization, "member": member}
        return [
            value if kind == "constant" else slots[kind] for kind, value in self.params
        ]

    def convert(self, rows: list[Any], connection: Any) -> list[Any]:
        if not self.converters:
            return rows
        converted = []
        for row in rows:
            cells = list(row)
            for position, functions, expression in self.converters:
                value = cells[position]
                for function in functions:
                    value = function(value, expression, connection)
                cells[position] = value
            converted.append(cells)
        return converted


_statements: dict[tuple[Any, ...], UserStatement | None] = {}


class DjangoUserDirectory(UserDirectory):
    """Users read from a Django model through ``VELT["USER_FIELDS"]``.

    Only mapped fields are returned: the instance's other columns (password hashes,
    tokens) never leave this class. ``userId`` and ``email`` must be concrete fields
    (they are queried); the others may be fields, methods or dotted callables.

    ``User`` fields mapped to no column (``None`` or absent, and keys outside the
    mapping) are kept in velt_django's profile of the user when :func:`profile_model`
    allows it; a user carrying a field that can be stored nowhere (no profile, or a
    method or callable mapping, which is read-only) is refused, naming the field.
    """

    def __init__(self) -> None:
        self.model = user_model()
        self.mapping: Mapping[str, str | None] = velt_settings.USER_FIELDS
        uid = self.mapping.get("userId") or ""
        field = concrete_field(self.model, uid)
        if field is None:
            raise VeltConfigurationError(
                f'VELT["USER_FIELDS"]["userId"] must be a concrete field of '
                f"{self.model._meta.label}"
            )
        self.id_field = field
        self.id_lookup = "pk" if uid == "pk" else uid
        self.profile = profile_model(self.model)
        self.profile_relation = ""
        if self.profile is not None:
            from ..models import PROFILE_RELATION

            self.profile_relation = PROFILE_RELATION

    def _spec(self, key: str) -> str | None:
        """Where the mapping reads ``User`` field ``key`` from; ``None``: nowhere."""
        return self.mapping.get(key) if key in FIELD_KEYS else None

    # ---- reads -------------------------------------------------------------------

    def _membership(self, organization_id: str) -> Exists:
        """``EXISTS`` (one per user row) of a membership in ``organization_id`` through
        ``USER_FIELDS["organizations"]``.

        For the common ``"<many-to-many field>__<field>"`` form the subquery reads the
        relation's own table (``auth_user_groups`` joined to ``auth_group``), probed per
        user through its ``(user, group)`` index; any other lookup path is filtered on
        the model itself. EXISTS rather than a join and DISTINCT: no row per membership
        to fold back, no DISTINCT over every column of the user table.
        """
        path = str(self.mapping.get("organizations") or "")
        relation, _, lookup = path.partition("__")
        try:
            field = self.model._meta.get_field(relation)
        except FieldDoesNotExist:
            field = None
        if (
            isinstance(field, models.ManyToManyField)
            and lookup
            and field.model is self.model
        ):
            through = field.remote_field.through
            assert through is not None and not isinstance(through, str)
            members = through._default_manager.filter(
                **{
                    field.m2m_field_name(): OuterRef("pk"),
                    f"{field.m2m_reverse_field_name()}__{lookup}": organization_id,
                }
            )
        else:
            members = self.model._default_manager.filter(
                pk=OuterRef("pk"), **{path: organization_id}
            )
        return Exists(members)

    def _queryset(self, organization_id: str | None) -> models.QuerySet[Any]:
        queryset = self.model._default_manager.all()
        if organization_id is not None:
            if not self.mapping.get("organizations"):
                raise VeltConfigurationError(
                    'VELT["USER_ORGANIZATION_SCOPED"] needs VELT["USER_FIELDS"]'
                    '["organizations"] with the Django user directory'
                )
            queryset = queryset.filter(self._membership(organization_id))
        return queryset

    def _users_queryset(
        self,
        ids: Any,
        organization_id: str | None,
        requested_organization: str | None,
        check_membership: bool,
        *,
        any_of: bool = False,
    ) -> models.QuerySet[Any]:
        """The users of ``ids`` (in the organization when one is given), annotated with
        ``velt_member`` (a membership in ``requested_organization``) when
        ``check_membership``: a subquery of the same statement, still one query."""
        queryset = self._queryset(organization_id)
        if any_of:
            queryset = queryset.filter(AnyOf(F(self.id_lookup), ids))
        else:
            queryset = queryset.filter(**{f"{self.id_lookup}__in": ids})
        if check_membership:
            queryset = queryset.annotate(
                velt_member=self._membership(str(requested_organization))
            )
        return queryset

    def _statement(
        self, using: str, names: tuple[str, ...], scoped: bool, check_membership: bool
    ) -> UserStatement | None:
        """The compiled get of ``names`` on PostgreSQL, once per shape and process:
        building and compiling the queryset costs more than the query (and ``__in``
        with a placeholder per id is re-parsed for every count). ``None`` where the
        shape does not compile with placeholders (an organization path to a column
        that is not text, say): the get then goes through the ORM each time.

        The default manager's queryset is compiled once, on first use: a manager
        whose filter changes between calls (on the current time, say) is not kept.
        """
        key = (
            self.model,
            using,
            names,
            scoped,
            check_membership,
            tuple(sorted((k, str(v)) for k, v in self.mapping.items())),
        )
        if key in _statements:
            return _statements[key]
        statement: UserStatement | None = None
        try:
            query = (
                self._users_queryset(
                    _IDS_MARK,
                    _ORG_MARK if scoped else None,
                    _MEMBER_MARK,
                    check_membership,
                    any_of=True,
                )
                .using(using)
                .values_list(*names)
                .query
            )
            order = [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            if order == list(names):
                converters = compiler.get_converters(
                    [column[0] for column in compiler.select[: compiler.col_count]]
                )
                statement = UserStatement(
                    sql,
                    tuple(
                        ("ids", None)
                        if param is _IDS_MARK
                        else ("org", None)
                        if param == _ORG_MARK
                        else ("member", None)
                        if param == _MEMBER_MARK
                        else ("constant", param)
                        for param in params
                    ),
                    tuple(
                        (position, tuple(functions), expression)
                        for position, (functions, expression) in converters.items()
                    ),
                )
        except (ValueError, TypeError, ValidationError, FieldDoesNotExist):
            statement = None
        if len(_statements) >= _STATEMENTS_MAX:
            _statements.clear()
        _statements[key] = statement
        return statement

    def _rows(
        self,
        names: list[str],
        values: list[Any],
        organization_id: str | None,
        requested_organization: str | None,
        check_membership: bool,
    ) -> Iterable[Sequence[Any]]:
        """The ``names`` cells of the users of ``values``: on PostgreSQL through the
        statement compiled once per shape, elsewhere through the ORM."""
        using = router.db_for_read(self.model)
        connection = connections[using]
        statement = None
        if connection.vendor == "postgresql":
            statement = self._statement(
                using, tuple(names), organization_id is not None, check_membership
            )
        if statement is None:
            return self._users_queryset(
                values, organization_id, requested_organization, check_membership
            ).values_list(*names)
        with connection.cursor() as cursor:
            cursor.execute(
                statement.sql,
                statement.parameters(values, organization_id, requested_organization),
            )
            return statement.convert(cursor.fetchall(), connection)

    def _column_readers(
        self,
    ) -> tuple[list[str], dict[str, Callable[[Sequence[Any]], Any]]] | None:
        """The columns a get selects and, per mapped ``User`` key, how to read its raw
        value from a row of them, when every mapped value is a concrete field (or
        Django's own ``get_full_name``). ``None`` when a method or callable is mapped:
        what it reads is unknown, so the get loads model instances instead."""
        columns: list[str] = []

        def at(name: str) -> int:
            if name not in columns:
                columns.append(name)
            return columns.index(name)

        readers: dict[str, Callable[[Sequence[Any]], Any]] = {}
        for key, spec in self.mapping.items():
            if not spec or key in ("userId", "organizations"):
                continue
            if spec == FULL_NAME and _djangos_full_name(self.model):
                first, last = at("first_name"), at("last_name")
                # As AbstractUser.get_full_name() joins them.
                readers[key] = functools.partial(_full_name, first, last)
            elif concrete_field(self.model, spec) is not None:
                readers[key] = operator.itemgetter(at(spec))
            else:
                return None
        return columns, readers

    def _ids(self, user_ids: Sequence[str]) -> list[Any]:
        # An id the column cannot hold (text for an integer key) matches no one.
        # So does text holding NUL, which no PostgreSQL column holds (and which would
        # fail the statement there), on every database alike.
        values: list[Any] = []
        for user_id in user_ids:
            try:
                value = self.id_field.to_python(user_id)
            except (ValidationError, ValueError, TypeError):
                continue
            if not (isinstance(value, str) and "\x00" in value):
                values.append(value)
        return values

    def get_users(
        self,
        user_ids: Sequence[str],
        organization_id: str | None,
        requested_organization: str | None = None,
    ) -> dict[str, User]:
        values = self._ids(user_ids)
        if not values or (organization_id is not None and "\x00" in organization_id):
            return {}
        if requested_organization is not None and "\x00" in requested_organization:
            # No organization's id holds NUL: no membership to report.
            requested_organization = None
        path = self.mapping.get("organizations")
        check_membership = bool(
            organization_id is None and requested_organization is not None and path
        )
        # (user id, raw value per mapped key, stored profile fields, member or not)
        rows: list[tuple[Any, dict[str, Any], Any, bool]] = []
        plan = self._column_readers()
        with sql_errors("get users"):
            if plan is not None:
                # Only the mapped columns, as tuples: no model instance per user, and no
                # password hash read at all.
                columns, readers = plan
                names = [self.id_lookup, *columns]
                if self.profile is not None:
                    names.append(f"{self.profile_relation}__fields")
                if check_membership:
                    names.append("velt_member")
                for row in self._rows(
                    names,
                    values,
                    organization_id,
                    requested_organization,
                    check_membership,
                ):
                    cells = row[1:]
                    rows.append(
                        (
                            row[0],
                            {key: read(cells) for key, read in readers.items()},
                            row[len(columns) + 1] if self.profile is not None else None,
                            bool(check_membership and row[-1]),
                        )
                    )
            else:
                getters = {
                    key: value_reader(self.model, spec)
                    for key, spec in self.mapping.items()
                    if spec and key not in ("userId", "organizations")
                }
                queryset = self._users_queryset(
                    values, organization_id, requested_organization, check_membership
                )
                if self.profile is not None:
                    queryset = queryset.select_related(self.profile_relation)
                for instance in queryset:
                    profile = getattr(instance, self.profile_relation, None)
                    rows.append(
                        (
                            getattr(instance, self.id_lookup),
                            {key: read(instance) for key, read in getters.items()},
                            getattr(profile, "fields", None),
                            bool(check_membership and instance.velt_member),
                        )
                    )
        found: dict[str, User] = {}
        for raw_id, raw, stored, member in rows:
            user_id = str(raw_id)
            user: User = {"userId": user_id, **self._profile_fields(stored)}
            for key, value in raw.items():
                if key == "isAdmin":
                    if value is not None:
                        user[key] = bool(value)
                    continue
                text = _text(value)
                if text is not None:
                    user[key] = text
            if organization_id is not None:
                user["organizationId"] = organization_id
            elif member:
                user["organizationId"] = requested_organization
            found[user_id] = user
        return found

    def members(self, user_ids: Sequence[str]) -> dict[str, Member]:
        """The model's instances and their organizations (``USER_FIELDS
        ["organizations"]``; none without that mapping) in one query: a row per
        membership, joined with ``LEFT OUTER JOIN`` so users without one are found."""
        values = self._ids(list(dict.fromkeys(user_ids)))
        if not values:
            return {}
        queryset = self.model._default_manager.filter(
            **{f"{self.id_lookup}__in": values}
        )
        path = self.mapping.get("organizations")
        if path:
            queryset = queryset.annotate(velt_org=F(path))
        rows: dict[str, tuple[Any, list[str]]] = {}
        with sql_errors("get members"):
            instances = list(queryset)
        for instance in instances:
            user_id = str(getattr(instance, self.id_lookup))
            _, orgs = rows.setdefault(user_id, (instance, []))
            org = getattr(instance, "velt_org", None) if path else None
            if org is not None and str(org) and str(org) not in orgs:
                orgs.append(str(org))
        return {
            user_id: Member(instance, tuple(orgs))
            for user_id, (instance, orgs) in rows.items()
        }

    def _profile_fields(self, stored: Any) -> User:
        """The stored profile fields (``fields`` of the user's profile row, ``None``
        without one) that the mapping reads from nowhere else (a field mapped since it
        was stored is read from the model)."""
        if self.profile is None or not isinstance(stored, dict):
            return {}
        return {
            key: value
            for key, value in stored.items()
            if key not in OWN_KEYS and not self._spec(key)
        }

    def match_emails(
        self, emails_lower: Sequence[str], organization_id: str | None
    ) -> list[tuple[str, str]]:
        email = self.mapping.get("email")
        if not email or concrete_field(self.model, email) is None:
            return []
        # Text holding NUL is in no PostgreSQL column (and fails a statement there).
        emails_lower = storable(emails_lower)
        if not emails_lower or (organization_id and "\x00" in organization_id):
            return []
        rows = (
            self._queryset(organization_id)
            .annotate(velt_email_lower=Lower(Trim(email)))
            .filter(velt_email_lower__in=emails_lower)
            .values_list("velt_email_lower", self.id_lookup)
        )
        with sql_errors("match emails"):
            return [(str(found), str(user_id)) for found, user_id in rows]

    # ---- writes ------------------------------------------------------------------

    def _split(self, user: UserWrite) -> tuple[dict[str, Any], dict[str, Any]]:
        """``user``'s fields as ``(model columns by User key, profile fields)``.

        Raises :class:`InvalidRecordError` naming the fields that can be stored
        nowhere (never their values)."""
        columns: dict[str, Any] = {}
        profile: dict[str, Any] = {}
        read_only: list[str] = []
        unmapped: list[str] = []
        for key, value in user.fields.items():
            if key == "userId":
                continue
            spec = self._spec(key)
            if not spec:
                if self.profile is not None:
                    profile[key] = value
                else:
                    unmapped.append(key)
            elif concrete_field(self.model, spec) is not None or (
                spec == FULL_NAME and concrete_field(self.model, "first_name")
            ):
                columns[key] = value
            else:
                read_only.append(key)
        problems: list[str] = []
        label = self.model._meta.label
        if unmapped:
            why = (
                'VELT["USER_PROFILE"] is off'
                if not velt_settings.USER_PROFILE
                else "velt_django's user profile extends AUTH_USER_MODEL only"
            )
            problems.append(
                f"user field(s) {', '.join(sorted(unmapped))} cannot be stored: "
                f'VELT["USER_FIELDS"] maps them to no field of {label} and {why}'
            )
        if read_only:
            problems.append(
                f"user field(s) {', '.join(sorted(read_only))} cannot be stored: "
                f'VELT["USER_FIELDS"] reads them from a method or callable of {label}'
            )
        if problems:
            raise InvalidRecordError("; ".join(problems))
        return columns, profile

    def validate(self, user: UserWrite) -> None:
        """Refuse a user with a field that can be stored nowhere (see :meth:`_split`)."""
        self._split(user)

    def _assign(self, instance: Any, columns: Mapping[str, Any]) -> None:
        for key, value in columns.items():
            spec = str(self.mapping[key])  # _split put only mapped keys here
            if spec == FULL_NAME and concrete_field(self.model, "first_name"):
                # Django's get_full_name() joins first and last name: split on the
                # first space so that reading it back gives the same text.
                first, _, last = str(value or "").strip().partition(" ")
                instance.first_name = first
                if concrete_field(self.model, "last_name"):
                    instance.last_name = last.strip()
            else:
                setattr(instance, spec, value if key == "isAdmin" else (value or ""))

    def _save_profile(self, instance: Any, fields: Mapping[str, Any]) -> None:
        """Lay ``fields`` over the stored profile of ``instance``; a ``None`` value
        removes its key, and a profile left empty is deleted."""
        if self.profile is None or not fields:
            return
        manager = self.profile._default_manager
        profile = manager.filter(user=instance).first()
        stored = profile.fields if profile is not None else {}
        merged = {
            key: value
            for key, value in {**stored, **fields}.items()
            if value is not None
        }
        if not merged:
            if profile is not None:
                profile.delete()
            return
        if profile is None:
            profile = self.profile(user=instance)
        profile.fields = merged
        try:
            profile.clean_fields(exclude=["user"])
        except ValidationError as err:
            raise InvalidRecordError("user fields cannot be stored as JSON") from err
        profile.save()

    def _add_organizations(self, instance: Any, organization_ids: list[str]) -> None:
        path = self.mapping.get("organizations")
        if not organization_ids or not path:
            # Without an organizations mapping the model keeps no memberships, so
            # there is nothing to store them in (and nothing to scope by).
            return
        relation, _, lookup = (path or "").partition("__")
        try:
            field = self.model._meta.get_field(relation)
        except FieldDoesNotExist:
            field = None
        if field is None or not field.many_to_many or not lookup or "__" in lookup:
            raise VeltConfigurationError(
                'Storing organizations needs VELT["USER_FIELDS"]["organizations"] of the '
                'form "<many-to-many field>__<field>"'
            )
        related = field.related_model
        assert related is not None and not isinstance(related, str)
        for org in organization_ids:
            key: dict[str, Any] = {lookup: org}
            target, _ = related._default_manager.get_or_create(**key)
            getattr(instance, relation).add(target)

    def upsert(self, users: Sequence[UserWrite]) -> int:
        # Every user is checked before anything is written.
        splits = [self._split(user) for user in users]
        written = 0
        # The user model may live on another alias than "default" (a router's choice).
        using = router.db_for_write(self.model)
        with sql_errors("upsert users"), transaction.atomic(using=using):
            for user, (columns, profile_fields) in zip(users, splits, strict=True):
                values = self._ids([user.user_id])
                if not values:
                    raise InvalidRecordError("a userId does not fit the user id field")
                instance = self.model._default_manager.filter(
                    **{self.id_lookup: values[0]}
                ).first()
                if instance is None:
                    instance = self.model(**{self.id_field.attname: values[0]})
                    if hasattr(instance, "set_unusable_password"):
                        instance.set_unusable_password()
                self._assign(instance, columns)
                try:
                    instance.full_clean(validate_unique=False)
                except ValidationError as err:
                    raise InvalidRecordError(
                        f"user field(s) {', '.join(sorted(err.message_dict))} are invalid"
                    ) from err
                instance.save()
                self._save_profile(instance, profile_fields)
                self._add_organizations(instance, user.organization_ids)
                written += 1
        logger.info("users upserted=%d into %s", written, self.model._meta.label)
        return written

    def delete(self, user_ids: Sequence[str]) -> int:
        values = self._ids(user_ids)
        if not values:
            return 0
        queryset = self.model._default_manager.filter(
            **{f"{self.id_lookup}__in": values}
        )
        with sql_errors("delete users"):
            _, per_model = queryset.delete()
        # The total also counts rows of related tables (memberships): report users only.
        deleted = per_model.get(self.model._meta.label, 0)
        logger.info("users deleted=%d from %s", deleted, self.model._meta.label)
        return deleted
