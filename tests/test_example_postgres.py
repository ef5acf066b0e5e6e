"""The example project on PostgreSQL: ``VELT_DATABASE_URL`` names a database of the test
cluster, and a comment saved over HTTP is read back over HTTP and found in its table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from . import postgres
from .test_example_project import THREAD, ExampleServer, _env, _free_port

pytestmark = pytest.mark.postgres


def _url(server: Any, dbname: str) -> str:
    auth = quote(server.user, safe="")
    if server.password:
        auth += ":" + quote(server.password, safe="")
    return f"postgres://{auth}@{server.host}:{server.port}/{quote(dbname, safe='')}"


@pytest.fixture
def example_database(
    postgres_server: postgres.PostgresCluster | postgres.ExternalPostgres,
) -> Iterator[str]:
    """The URL of a fresh database on the session's server, dropped at the end."""
    name = f"velt_example_{uuid.uuid4().hex[:12]}"
    maintenance = _url(postgres_server, postgres_server.dbname)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _url(postgres_server, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_example_project_round_trip_on_postgresql(
    tmp_path: Path, example_database: str
) -> None:
    env = _env(
        VELT_EXAMPLE_DATA_DIR=str(tmp_path / "data"),
        VELT_DATABASE_URL=example_database,
    )
    server = ExampleServer(_free_port(), tmp_path / "data", "--noreload", env=env)
    try:
        server.wait_until_serving()
        status, saved = server.post(
            "comments/save",
            {
                "commentAnnotation": {THREAD["annotationId"]: THREAD},
                "event": "comment.add",
            },
        )
        assert (status, saved["success"]) == (200, True), server.output
        status, got = server.post(
            "comments/get",
            {"organizationId": "example-org", "documentIds": ["example-doc"]},
        )
        assert status == 200
        assert got["data"] == {THREAD["annotationId"]: THREAD}
    finally:
        server.stop()
    # The record is in the PostgreSQL table, not in an embedded MongoDB.
    with psycopg.connect(example_database) as conn:
        rows = conn.execute(
            "SELECT organization_id, annotation_id FROM velt_comment_annotations"
        ).fetchall()
    assert rows == [("example-org", THREAD["annotationId"])]
