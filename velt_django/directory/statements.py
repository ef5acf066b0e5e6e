"""The users get of the Django directory on PostgreSQL as one statement compiled once per
shape: the ``= ANY`` lookup that makes its text independent of the id count, and the
per-process cache of compiled statements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Lookup


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

#: Builds the users queryset of one shape from the placeholder values (ids,
#: organization, requested organization).
Build = Callable[[Any, Any, Any], "models.QuerySet[Any]"]


def compiled_statement(
    key: tuple[Any, ...], using: str, names: tuple[str, ...], build: Build
) -> UserStatement | None:
    """The statement of the ``names`` columns of ``build``'s queryset on ``using``,
    compiled the first time ``key`` (the shape: model, alias, columns, mapping, …) is
    asked for and kept per process: building and compiling the queryset costs more
    than the query (and ``__in`` with a placeholder per id is re-parsed for every
    count). ``None`` where the shape does not compile with placeholders (an
    organization path to a column that is not text, say): the get then goes through
    the ORM each time.

    The default manager's queryset is compiled once, on first use: a manager whose
    filter changes between calls (on the current time, say) is not kept.
    """
    if key in _statements:
        return _statements[key]
    statement: UserStatement | None = None
    try:
        query = (
            build(_IDS_MARK, _ORG_MARK, _MEMBER_MARK)
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
