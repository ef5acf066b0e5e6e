"""``manage.py velt_import_velt_py`` from velt-py's PostgreSQL storage: the source tables
are written by velt-py 0.3.0 itself (its self-hosting service and its PostgresAdapter,
tables created by its first connect), in a database of their own on the session's
PostgreSQL server; the imported records are read back over HTTP, on either target
backend (mongomock, or the PostgreSQL tables)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management.base import CommandError

from velt_django.repository import velt_py

from . import test_import_velt_py as mongo
from .contracts import assert_success
from .postgres import ExternalPostgres, PostgresCluster, use_postgresql_target
from .repository_sql.conftest import DATABASES

ACME, run, run_json, counts = mongo.ACME, mongo.run, mongo.run_json, mongo.counts

#: The schema of the second velt-py deployment, whose comments table is renamed.
OTHER_SCHEMA = "velt_data"
RENAMED = "threads"

#: A thread velt-py's own saveComments wrote (on top of tests/test_import_velt_py.py's
#: documents, which go in through its adapter).
SDK_THREAD = {
    "commentAnnotation": {
        "ann-sdk": {"comments": {"5": {"commentId": 5, "commentText": "Saved by SDK"}}}
    },
    "metadata": {"organizationId": ACME, "documentId": "doc-2"},
}

#: The counts of a first run: tests/test_import_velt_py.py's, plus the SDK's thread.
FIRST_RUN = {**mongo.FIRST_RUN, "comment_annotations": (3, 0, 1, 1)}

PASSWORD = "s3cret-Pw"


def _maintenance_uri(server: PostgresCluster | ExternalPostgres, db: str) -> str:
    auth = server.user + (f":{server.password}" if server.password else "")
    return f"postgresql://{auth}@{server.host}:{server.port}/{db}"


def _write_with_velt_py(uri: str, schema: str, collections: dict[str, str]) -> None:
    """velt-py's tables in ``schema``, created by its first connect, holding the shared
    velt-py documents (its adapter's insert) and SDK_THREAD (its saveComments)."""
    from velt_py import VeltSDK
    from velt_py.models.comment import SaveCommentResolverRequest

    sdk = VeltSDK.initialize(
        {
            "database": {
                "type": "postgresql",
                "connection_string": uri,
                "schema": schema,
            },
            "collections": collections,
            "apiKey": "pk_x",
        }
    )
    try:
        adapter = sdk.selfHosting.database
        renamed = {"comment_annotations": collections.get("comments")}
        for name, docs in mongo.velt_py_documents().items():
            table = renamed.get(name) or name
            for doc in docs:
                # JSONB holds JSON: velt-py stores dates as text there.
                adapter.insert_one(table, velt_py.json_ready(doc))
        saved = sdk.selfHosting.comments.saveComments(
            SaveCommentResolverRequest.from_dict(SDK_THREAD)
        )
        assert saved["success"] is True, saved
    finally:
        sdk.close()


@dataclass(frozen=True)
class VeltPyDatabase:
    server: PostgresCluster | ExternalPostgres
    name: str

    @property
    def uri(self) -> str:
        return _maintenance_uri(self.server, self.name)


@pytest.fixture(scope="module")
def velt_py_db(
    postgres_server: PostgresCluster | ExternalPostgres,
) -> Iterator[VeltPyDatabase]:
    """A database written by velt-py, read-only for the tests: its default layout in
    ``public``, and a second deployment in OTHER_SCHEMA with the comments table renamed
    to RENAMED."""
    import psycopg

    name = f"velt_py_{uuid.uuid4().hex[:12]}"
    admin = _maintenance_uri(postgres_server, postgres_server.dbname)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database = VeltPyDatabase(postgres_server, name)
    try:
        _write_with_velt_py(database.uri, "public", {})
        _write_with_velt_py(database.uri, OTHER_SCHEMA, {"comments": RENAMED})
        yield database
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(
    params=[
        "mongodb",
        pytest.param("postgresql", marks=pytest.mark.django_db(databases=DATABASES)),
    ]
)
def target(request: pytest.FixtureRequest, settings: Any) -> str:
    """velt_django's backend the import writes to: mongomock, or the PostgreSQL tables."""
    if request.param == "mongodb":
        request.getfixturevalue("mongo_db")
        settings.VELT = {
            **settings.VELT,
            "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        }
    else:
        use_postgresql_target(settings)
    return str(request.param)


def _get(post_json: Any, path: str, body: dict[str, Any], org: str = ACME) -> Any:
    response = post_json(path, {"organizationId": org, **body}, as_=("u_test", org))
    return assert_success(response, read=True)["data"]


def _comment_ids(post_json: Any) -> set[str]:
    return set(_get(post_json, "comments/get", {"documentIds": ["doc-1", "doc-2"]}))


@pytest.mark.postgres
def test_import_from_velt_py_postgresql_answers_over_http_and_repeats_as_a_no_op(
    velt_py_db: VeltPyDatabase, target: str, post_json: Any
) -> None:
    first = run_json("--source-uri", velt_py_db.uri)
    assert {name: counts(first, name) for name in FIRST_RUN} == FIRST_RUN

    documents = mongo.velt_py_documents()
    # The thread without an organization was counted and left out.
    assert _comment_ids(post_json) == {"ann-1", "ann-sdk"}
    threads = _get(post_json, "comments/get", {"commentAnnotationIds": ["ann-1"]})
    assert (
        threads["ann-1"]["comments"] == documents["comment_annotations"][0]["comments"]
    )
    assert threads["ann-1"]["createdAt"] == "2025-03-01T12:30:05.250Z"
    sdk = _get(post_json, "comments/get", {"commentAnnotationIds": ["ann-sdk"]})
    assert sdk["ann-sdk"]["comments"]["5"]["commentText"] == "Saved by SDK"
    other = _get(
        post_json, "comments/get", {"commentAnnotationIds": ["ann-2"]}, "client-org"
    )
    assert set(other) == {"ann-2"}
    reactions = _get(post_json, "reactions/get", {"reactionAnnotationIds": ["r-1"]})
    assert reactions["r-1"]["icon"] == "1f680"
    recordings = _get(post_json, "recordings/get", {"recorderAnnotationIds": ["rec-1"]})
    assert recordings["rec-1"]["transcription"] == {"transcriptedText": "hello"}
    notifications = _get(post_json, "notifications/get", {"notificationIds": ["n-1"]})
    assert notifications["n-1"]["displayBodyMessage"] == "Please review"
    users = _get(post_json, "users/get", {"userIds": ["u1", "u2"]})
    assert users["u1"]["email"] == "Ann@Example.test"
    assert "passwordHash" not in users["u1"]

    second = run_json("--source-uri", velt_py_db.uri)
    for name, (imported, _, skipped, invalid) in FIRST_RUN.items():
        assert counts(second, name) == (0, imported, skipped, invalid), name


@pytest.mark.postgres
def test_dry_run_from_velt_py_postgresql_writes_nothing(
    velt_py_db: VeltPyDatabase, target: str, post_json: Any
) -> None:
    result = run_json("--source-uri", velt_py_db.uri, "--dry-run")
    assert {name: counts(result, name) for name in FIRST_RUN} == FIRST_RUN
    assert _comment_ids(post_json) == set()
    assert _get(post_json, "reactions/get", {"reactionAnnotationIds": ["r-1"]}) == {}


@pytest.mark.postgres
@pytest.mark.django_db(databases=DATABASES)
def test_another_schema_and_a_renamed_table(
    velt_py_db: VeltPyDatabase, settings: Any, post_json: Any
) -> None:
    use_postgresql_target(settings)
    # --source-db overrides the URI's database, as velt-py's database_name does.
    uri = _maintenance_uri(velt_py_db.server, velt_py_db.server.dbname)
    args = ("--source-uri", uri, "--source-db", velt_py_db.name)
    result = run_json(
        *args,
        "--source-schema",
        OTHER_SCHEMA,
        "--collections-map",
        f'{{"comment_annotations": "{RENAMED}"}}',
    )
    assert counts(result, "comment_annotations") == (3, 0, 1, 1)
    assert result["collections"]["comment_annotations"]["source"] == RENAMED
    assert _comment_ids(post_json) == {"ann-1", "ann-sdk"}

    text, _ = run(*args, "--source-schema", OTHER_SCHEMA)
    assert "comment_annotations: not in the source" in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ("--source-schema", "nowhere"),
            r'database "velt_py_\w+" has no schema "nowhere"; check --source-schema',
        ),
        (
            ("--source-schema", "information_schema"),
            r'schema "information_schema" of database "velt_py_\w+" has none of the '
            "velt-py tables; check --source-schema, --source-db and --collections-map",
        ),
    ],
)
@pytest.mark.postgres
def test_a_schema_without_velt_py_tables_is_a_command_error(
    velt_py_db: VeltPyDatabase, mongo_db: Any, options: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        run("--source-uri", velt_py_db.uri, *options)


@pytest.mark.postgres
def test_a_missing_database_is_a_command_error(
    velt_py_db: VeltPyDatabase, mongo_db: Any
) -> None:
    with pytest.raises(CommandError, match="the database does not exist"):
        run("--source-uri", velt_py_db.uri, "--source-db", "no_such_db")


def _assert_no_password(err: BaseException) -> None:
    """Not in the error, nor in the chain a traceback prints with it."""
    seen: BaseException | None = err
    while seen is not None:
        assert PASSWORD not in str(seen)
        shown = None if seen.__suppress_context__ else seen.__context__
        seen = seen.__cause__ or shown


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            f"postgresql://velt:{PASSWORD}@127.0.0.1:1/velt",
            r"import failed: the source database \(velt-py, --source-uri\) is "
            "unavailable",
        ),
        (
            f"postgres://velt:{PASSWORD} x@127.0.0.1/velt",
            "cannot open the source database: the source URI is not a valid "
            "PostgreSQL connection string",
        ),
    ],
)
def test_a_bad_or_unreachable_source_never_shows_the_password(
    mongo_db: Any, settings: Any, uri: str, message: str
) -> None:
    settings.VELT = {**settings.VELT, "SERVER_SELECTION_TIMEOUT_MS": 1000}
    with pytest.raises(CommandError, match=message) as caught:
        run("--source-uri", uri)
    _assert_no_password(caught.value)


# ---- no server needed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--source-uri", "mongodb://h/"),
            "--source-db is required for a MongoDB source",
        ),
        (
            (
                "--source-uri",
                "mongodb://h/",
                "--source-db",
                "x",
                "--source-schema",
                "s",
            ),
            r"--source-schema applies to a PostgreSQL source \(postgres://…\) only",
        ),
        (
            ("--source-uri", "postgres://h/db", "--source-schema", ""),
            "--source-schema must not be empty",
        ),
    ],
)
def test_source_options_are_checked(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_postgresql_source_without_psycopg_is_a_command_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(CommandError, match=r"needs psycopg 3: pip install"):
        run("--source-uri", "postgresql://h/db")
