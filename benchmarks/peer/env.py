"""The peer's configuration, read from environment variables only.

========================== ===========================================================
``VELT_PEER_MONGODB_URI``  MongoDB URI (SecantusDB or a real mongod)
``VELT_PEER_DATABASE``     the MongoDB database name (required with the URI, unless the
                           URI names one)
``VELT_PEER_POSTGRES_URL`` PostgreSQL instead (wins over the MongoDB variables)
``VELT_PEER_SCHEMA``       PostgreSQL schema of velt-py's tables (default ``public``)
``VELT_PEER_API_KEY``      optional: the ``apiKey`` velt-py writes into stored metadata
                           and then filters every get by (unset: no key, no filter)
``VELT_PEER_POOL_MAX_SIZE`` optional: velt-py's connection pool bound (its default is 5)
========================== ===========================================================

velt-py itself reads ``VELT_API_KEY`` when the configuration has no ``apiKey``; the peer
always passes one (``None`` when unset) so that the host's environment never changes
what the benchmark measures.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


class PeerNotConfigured(RuntimeError):
    """No database named by the environment."""


def sdk_config(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The dictionary for ``VeltSDK.initialize`` described by ``environ``
    (default: ``os.environ``). Raises :class:`PeerNotConfigured`."""
    env = os.environ if environ is None else environ
    database: dict[str, Any]
    postgres_url = env.get("VELT_PEER_POSTGRES_URL")
    mongodb_uri = env.get("VELT_PEER_MONGODB_URI")
    if postgres_url:
        database = {
            "type": "postgresql",
            "connection_string": postgres_url,
            "schema": env.get("VELT_PEER_SCHEMA") or "public",
        }
    elif mongodb_uri:
        database = {"connection_string": mongodb_uri}
        if env.get("VELT_PEER_DATABASE"):
            database["database_name"] = env["VELT_PEER_DATABASE"]
    else:
        raise PeerNotConfigured(
            "set VELT_PEER_MONGODB_URI (+ VELT_PEER_DATABASE) or VELT_PEER_POSTGRES_URL"
        )
    if env.get("VELT_PEER_POOL_MAX_SIZE"):
        database["pool_max_size"] = int(env["VELT_PEER_POOL_MAX_SIZE"])
    return {"database": database, "apiKey": env.get("VELT_PEER_API_KEY") or None}
