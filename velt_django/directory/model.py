"""The Django user directory: a model (``AUTH_USER_MODEL`` by default) with a field
mapping (:mod:`.fields`); its PostgreSQL get is one cached statement
(:mod:`.statements`), its writes live in :mod:`.writes`."""

from __future__ import annotations

import functools
import logging
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models, router
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Lower, Trim

from ..conf import velt_settings
from ..exceptions import VeltConfigurationError
from ..repository.sql.base import storable
from .base import Member, User, UserDirectory
from .fields import (
    FIELD_KEYS,
    FULL_NAME,
    OWN_KEYS,
    clean_text,
    concrete_field,
    djangos_full_name,
    full_name,
    profile_model,
    sql_errors,
    user_model,
    value_reader,
)
from .statements import AnyOf, UserStatement, compiled_statement
from .writes import DjangoUserWrites

logger = logging.getLogger(__name__)


class DjangoUserDirectory(DjangoUserWrites, UserDirectory):
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
        """The compiled get of ``names`` on PostgreSQL (:func:`compiled_statement`),
        scoped to an organization or not, asking for membership or not."""
        key = (
            self.model,
            using,
            names,
            scoped,
            check_membership,
            tuple(sorted((k, str(v)) for k, v in self.mapping.items())),
        )
        return compiled_statement(
            key,
            using,
            names,
            lambda ids, org, member: self._users_queryset(
                ids, org if scoped else None, member, check_membership, any_of=True
            ),
        )

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
    ) -> tuple[list[str], list[tuple[str, Callable[[Sequence[Any]], Any]]]] | None:
        """The columns a get selects after the id and, per mapped ``User`` key, how to
        read its raw value from a row (the id, then those columns), when every mapped value is a concrete field (or
        Django's own ``get_full_name``). ``None`` when a method or callable is mapped:
        what it reads is unknown, so the get loads model instances instead."""
        columns: list[str] = []

        def at(name: str) -> int:
            if name not in columns:
                columns.append(name)
            return columns.index(name) + 1  # cell 0 of a row is the user id

        readers: list[tuple[str, Callable[[Sequence[Any]], Any]]] = []
        for key, spec in self.mapping.items():
            if not spec or key in ("userId", "organizations"):
                continue
            if spec == FULL_NAME and djangos_full_name(self.model):
                first, last = at("first_name"), at("last_name")
                # As AbstractUser.get_full_name() joins them.
                readers.append((key, functools.partial(full_name, first, last)))
            elif concrete_field(self.model, spec) is not None:
                readers.append((key, operator.itemgetter(at(spec))))
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
        found: dict[str, User] = {}
        plan = self._column_readers()
        with sql_errors("get users"):
            if plan is not None:
                # Only the mapped columns, as tuples: no model instance per user, and no
                # password hash read at all.
                columns, readers = plan
                names = [self.id_lookup, *columns]
                profile_at = len(names) if self.profile is not None else None
                if profile_at is not None:
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
                    user = self._user(
                        str(row[0]),
                        None if profile_at is None else row[profile_at],
                        [(key, read(row)) for key, read in readers],
                        organization_id
                        if organization_id is not None
                        else requested_organization
                        if check_membership and row[-1]
                        else None,
                    )
                    found[user["userId"]] = user
            else:
                getters = [
                    (key, value_reader(self.model, spec))
                    for key, spec in self.mapping.items()
                    if spec and key not in ("userId", "organizations")
                ]
                queryset = self._users_queryset(
                    values, organization_id, requested_organization, check_membership
                )
                if self.profile is not None:
                    queryset = queryset.select_related(self.profile_relation)
                for instance in queryset:
                    profile = getattr(instance, self.profile_relation, None)
                    user = self._user(
                        str(getattr(instance, self.id_lookup)),
                        getattr(profile, "fields", None),
                        [(key, read(instance)) for key, read in getters],
                        organization_id
                        if organization_id is not None
                        else requested_organization
                        if check_membership and instance.velt_member
                        else None,
                    )
                    found[user["userId"]] = user
        return found

    def _user(
        self,
        user_id: str,
        stored: Any,
        raw: Iterable[tuple[str, Any]],
        organization_id: str | None,
    ) -> User:
        """The ``User`` of one row: its id, its stored profile fields (``stored``), the
        mapped values ``raw`` (texts stripped, empty ones left out; ``isAdmin`` as a
        bool), and ``organizationId`` when one is given."""
        user: User = {"userId": user_id}
        if stored is not None:
            user.update(self._profile_fields(stored))
        for key, value in raw:
            if key == "isAdmin":
                if value is not None:
                    user[key] = bool(value)
                continue
            text = clean_text(value)
            if text is not None:
                user[key] = text
        if organization_id is not None:
            user["organizationId"] = organization_id
        return user

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
