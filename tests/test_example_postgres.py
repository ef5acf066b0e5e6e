"""The example project on PostgreSQL: ``VELT_DATABASE_URL`` names a database of the test
cluster; a comment saved over HTTP is read back over HTTP and found in its table, an
attachment uploaded over HTTP is served back and recorded in the file table, and no
embedded SecantusDB server is started."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from . import postgres
from .test_example_project import (
    START_LINE,
    THREAD,
    ExampleServer,
    _env,
    _free_port,
    _multipart,
    _opener,
)

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


ATTACHMENT = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


def _attachment_upload() -> tuple[bytes, str]:
    request_part = {
        "attachment": {
            "attachmentId": 284117,
            "name": "a.png",
            "mimeType": "image/png",
        },
        "metadata": {"organizationId": "example-org", "documentId": "example-doc"},
        "event": "attachment.add",
    }
    return _multipart(
        {
            "file": ("a.png", "image/png", ATTACHMENT),
            "request": (None, "", json.dumps(request_part).encode()),
        }
    )


def test_example_project_round_trip_on_postgresql(
    tmp_path: Path, example_database: str
) -> None:
    data_dir = tmp_path / "data"
    env = _env(VELT_EXAMPLE_DATA_DIR=str(data_dir), VELT_DATABASE_URL=example_database)
    server = ExampleServer(_free_port(), data_dir, "--noreload", env=env)
    try:
        server.wait_until_serving()
        # No embedded SecantusDB: nothing advertised, no storage files in the data dir.
        assert not (data_dir / "server.json").exists(), server.output
        assert not (data_dir / "WiredTiger").exists(), server.output
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

        body, content_type = _attachment_upload()
        url = server.upload("attachments/save", body, content_type)
        with _opener.open(url, timeout=60) as response:
            assert response.status == 200
            assert response.read() == ATTACHMENT
    finally:
        server.stop()
    assert START_LINE not in server.output
    assert "SecantusDB" not in server.output
    assert list((data_dir / "files").rglob("*"))  # the file itself: local storage
    # The record is in the PostgreSQL table, not in an embedded MongoDB.
    with psycopg.connect(example_database) as conn:
        rows = conn.execute(
            "SELECT organization_id, annotation_id FROM velt_comment_annotations"
        ).fetchall()
        files = conn.execute(
            "SELECT organization_id, attachment_id FROM velt_files"
        ).fetchall()
    assert rows == [("example-org", THREAD["annotationId"])]
    assert files == [("example-org", 284117)]


def test_example_database_keeps_connections_between_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Django's default ``CONN_MAX_AGE`` (0) would connect anew for every request: the
    example keeps a connection 60 s (``VELT_DATABASE_CONN_MAX_AGE``), health-checked."""
    from example_project.settings import postgres_database

    entry = postgres_database(
        "postgres://u:p%40ss@db.example:5433/velt?sslmode=require"
    )
    assert entry["CONN_MAX_AGE"] == 60
    assert entry["CONN_HEALTH_CHECKS"] is True
    assert (entry["NAME"], entry["PASSWORD"], entry["PORT"]) == ("velt", "p@ss", "5433")
    assert entry["OPTIONS"] == {"sslmode": "require"}
    monkeypatch.setenv("VELT_DATABASE_CONN_MAX_AGE", "0")
    assert postgres_database("postgres://u@h/velt")["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(
    ("query", "options"),
    [
        ("server_side_binding=true", {"server_side_binding": True}),
        ("server_side_binding=False", {"server_side_binding": False}),
        ("prepare_threshold=none", {"prepare_threshold": None}),
        (
            "server_side_binding=on&prepare_threshold=10&sslmode=disable",
            {
                "server_side_binding": True,
                "prepare_threshold": 10,
                "sslmode": "disable",
            },
        ),
    ],
)
def test_example_database_url_options_get_their_types(
    query: str, options: dict[str, Any]
) -> None:
    """Django turns server-side binding on only for ``True``: the text ``"true"`` of a
    URL would leave it off without a word."""
    from example_project.settings import postgres_database

    assert postgres_database(f"postgres://u@h/velt?{query}")["OPTIONS"] == options


@pytest.mark.parametrize(
    "query",
    ["server_side_binding=maybe", "prepare_threshold=-1", "prepare_threshold=x"],
)
def test_example_database_url_refuses_option_it_cannot_read(query: str) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from example_project.settings import postgres_database

    with pytest.raises(ImproperlyConfigured, match=query.split("=")[0]):
        postgres_database(f"postgres://u@h/velt?{query}")
