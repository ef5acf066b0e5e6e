"""A health check of persistent PostgreSQL connections that costs no round trip.

With ``CONN_MAX_AGE`` above 0 a worker thread keeps its connection between requests,
and ``CONN_HEALTH_CHECKS = True`` makes Django test it before its first use in each
request with a ``SELECT 1``: one extra round trip per request. For a small resolver get
that is most of the database time (measured on the benchmark's PostgreSQL run: about
0.4 ms of a 1.8 ms request at concurrency 1).

A connection the server or a pooler has ended is visible without asking the server:
PostgreSQL sends an error message (``terminating connection due to administrator
command``, ``idle-session timeout`` …) and closes the socket, PgBouncer closes it, a
restarted server's kernel resets it. Each of these leaves the idle socket readable,
while a healthy idle connection has nothing to read (every reply was read up to its
``ReadyForQuery``). So at the start of each request (``request_started``) this module
polls the socket of every open PostgreSQL connection with a zero timeout:

* nothing to read: the connection counts as checked (``health_check_done``), so
  Django's ``SELECT 1`` is skipped;
* readable, hung up or broken: the connection is closed, and the request's first query
  connects afresh. The request succeeds where it would otherwise have failed with
  ``503 DATABASE_ERROR`` on the dead connection (with Django's health checks off) or
  paid the ``SELECT 1`` to find out (with them on).

What neither check can see in time is a silent network partition (no reset reaches the
client); a query then fails by its timeouts, the answer is 503 and Django closes the
connection after the request, as before. ``VELT["CONNECTION_CHECK"] = "django"`` turns
this module off and leaves Django's own behaviour as configured. Connections inside an
atomic block or with autocommit off are left alone (closing them would end a transaction).
"""

from __future__ import annotations

import logging
import select
from typing import Any

from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

#: ``VELT["CONNECTION_CHECK"]`` values.
SOCKET = "socket"
DJANGO = "django"


def server_hung_up(raw: Any) -> bool:
    """Whether the idle DB-API connection ``raw`` (psycopg 3 or psycopg2) has anything to
    read, is hung up or broken, or is closed: then it cannot serve another query."""
    if getattr(raw, "closed", False) or getattr(raw, "broken", False):
        return True
    try:
        fd = raw.fileno()
    except Exception:  # closed or broken in a way the attributes did not say
        return True
    if fd < 0:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    readable, _, broken = select.select([fd], [], [fd], 0)  # pragma: no cover (Windows)
    return bool(readable or broken)  # pragma: no cover


def check_connections(**kwargs: Any) -> None:
    """``request_started`` receiver: check each open, idle PostgreSQL connection of this
    thread as the module docstring says, unless ``VELT["CONNECTION_CHECK"]`` is
    ``"django"``."""
    from ...conf import velt_settings

    if velt_settings.CONNECTION_CHECK != SOCKET:
        return
    for connection in connections.all(initialized_only=True):
        if (
            connection.vendor != "postgresql"
            or connection.connection is None
            or connection.in_atomic_block
            or not connection.autocommit
        ):
            continue
        if server_hung_up(connection.connection):
            logger.info(
                "PostgreSQL connection %r was closed by the server; reconnecting",
                connection.alias,
            )
            try:
                connection.close()
            except DatabaseError:  # Django forgets the connection either way
                pass
        else:
            # Django (4.1+) skips its SELECT 1 for the request (not in django-stubs).
            connection.health_check_done = True  # type: ignore[attr-defined]
