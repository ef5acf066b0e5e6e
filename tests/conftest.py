"""Shared fixtures: mongomock for the unit tier, a real wire-protocol server for the
``mongo`` tier, a private PostgreSQL cluster for the ``postgres`` tier, and a JSON-posting
helper for Django's test client."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import mongomock
import mongomock.collection
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from velt_django.repository import connection, ensure_indexes

from . import postgres
from .families import Family
from .wire import FamilyClient, OutageServer, PostJson, json_poster

# mongomock 4.3 predates pymongo's `sort` argument on bulk UpdateOne/ReplaceOne; accept
# and ignore it so bulk_write works in the unit tier (the wire tier uses real pymongo).
_add_update = mongomock.collection.BulkOperationBuilder.add_update
_add_replace = mongomock.collection.BulkOperationBuilder.add_replace


def _compat_add_update(self: Any, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
    return _add_update(self, *args, **kwargs)  # type: ignore[no-untyped-call]


def _compat_add_replace(self: Any, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
    return _add_replace(self, *args, **kwargs)  # type: ignore[no-untyped-call]


mongomock.collection.BulkOperationBuilder.add_update = _compat_add_update  # type: ignore[method-assign]
mongomock.collection.BulkOperationBuilder.add_replace = _compat_add_replace  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fresh_token_memo() -> Iterator[None]:
    """Each test verifies its tokens afresh (tests swap keys, clocks and PyJWT)."""
    from velt_django.authentication import forget_verified_tokens

    forget_verified_tokens()
    yield
    forget_verified_tokens()


@pytest.fixture
def mongo_db(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[Any]:
    """A mongomock database wired into ``connection.get_client`` (unit tier)."""
    client: mongomock.MongoClient[dict[str, Any]] = mongomock.MongoClient()
    monkeypatch.setattr(connection, "get_client", lambda: client)
    db = client[settings.VELT["DATABASE_NAME"]]
    ensure_indexes(db)
    yield db


@pytest.fixture(scope="session")
def mongo_server_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URI of a real MongoDB wire-protocol server for the whole session.

    ``VELT_TEST_MONGODB_URI`` names an existing server (e.g. a real mongod); otherwise an
    embedded SecantusDB server is started on a free loopback port and stopped at the end.
    """
    external = os.environ.get("VELT_TEST_MONGODB_URI")
    if external:
        yield external
        return
    from secantus import SecantusDBServer

    server = SecantusDBServer(
        host="127.0.0.1", port=0, storage_path=str(tmp_path_factory.mktemp("secantus"))
    )
    server.start()
    try:
        yield server.uri
    finally:
        connection.close_client()
        server.stop()


class _LiveDatabase:
    """The configured database, looked up on every use: a test that changes ``VELT``
    closes the process client, and a handle taken before that would be dead."""

    def __getitem__(self, name: str) -> Any:
        return connection.get_database()[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(connection.get_database(), name)


@pytest.fixture
def wire_db(settings: Any, mongo_server_uri: str) -> Iterator[Any]:
    """A fresh database on the real server, configured through ``VELT``, with indexes."""
    name = f"velt_test_{uuid.uuid4().hex[:12]}"
    settings.VELT = {
        **settings.VELT,
        "MONGODB_URI": mongo_server_uri,
        "DATABASE_NAME": name,
    }
    ensure_indexes()
    try:
        yield _LiveDatabase()
    finally:
        connection.get_client().drop_database(name)
        connection.close_client()


@pytest.fixture
def outage_server(tmp_path: Any) -> Iterator[OutageServer]:
    """A SecantusDB server of the test's own, not started yet, for outage tests: start()
    returns its URI, stop() is the outage; closed and stopped at the end."""
    server = OutageServer(tmp_path / "data")
    try:
        yield server
    finally:
        connection.close_client()
        server.stop()


def _uses_postgres(item: pytest.Item) -> bool:
    if item.get_closest_marker("postgres") is not None:
        return True
    marker = item.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker is not None else None
    return databases == "__all__" or (
        databases is not None and postgres.ALIAS in databases
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[postgres.PostgresCluster | postgres.ExternalPostgres]:
    """The PostgreSQL tier's server for the whole session: ``VELT_TEST_POSTGRES_URL``'s,
    or a private cluster (``initdb``/``pg_ctl``, see tests/postgres.py) stopped and
    removed at the end. Skips the test when neither is available."""
    external = os.environ.get(postgres.EXTERNAL_URL_ENV)
    if external:
        yield postgres.ExternalPostgres(external)
        return
    bin_dir = postgres.find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed; .ci/run installs it")
    cluster = postgres.PostgresCluster(bin_dir)
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    request: pytest.FixtureRequest, django_db_modify_db_settings_parallel_suffix: None
) -> None:
    """pytest-django's hook before the test databases are created: when a collected test
    uses the ``velt_pg`` alias (or is marked ``postgres``), start the server and point the
    alias at it; otherwise the alias stays unconfigured and no server starts."""
    if not any(_uses_postgres(item) for item in request.session.items):
        return
    from django.conf import settings

    server = request.getfixturevalue("postgres_server")
    postgres.configure_alias(settings.DATABASES, server)


@pytest.fixture
def pg_cluster(
    postgres_server: postgres.PostgresCluster | postgres.ExternalPostgres,
) -> Iterator[postgres.PostgresCluster | postgres.ExternalPostgres]:
    """The session's PostgreSQL server for a test that stops and starts it (outage tests;
    use a transactional ``django_db`` marker): skips on ``VELT_TEST_POSTGRES_URL``'s
    server; at the end the server runs again and the alias's connection is closed, so
    the next test connects afresh."""
    if not postgres_server.can_restart:
        pytest.skip(f"the server {postgres.EXTERNAL_URL_ENV} names cannot be restarted")
    from django.db import connections

    try:
        yield postgres_server
    finally:
        if not postgres_server.running:
            postgres_server.start()
        connections[postgres.ALIAS].close()


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def post_json(client: Client) -> PostJson:
    """``post_json(path, body, as_=("user", "org", ...), content_type=...)`` → response;
    see ``tests.wire.json_poster``."""
    return json_poster(client)


@pytest.fixture
def velt(post_json: PostJson) -> Callable[[Family], FamilyClient]:
    """``velt(COMMENTS)`` → a ``FamilyClient`` that saves, gets and deletes over HTTP."""
    return lambda family: FamilyClient(family, post_json)


@pytest.fixture
def events() -> Iterator[list[Any]]:
    """Every event the ``webhook_received`` signal carries during the test."""
    from velt_django.signals import webhook_received

    seen: list[Any] = []

    def receiver(sender: Any, event: Any, **kwargs: Any) -> None:
        seen.append(event)

    webhook_received.connect(receiver, weak=False)
    yield seen
    webhook_received.disconnect(receiver)


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> Any:
    """``STORAGES["default"]`` as local storage in a temporary directory (the file tests'
    storage for both scopes); returns the directory."""
    root = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def rsa_pem() -> tuple[bytes, str]:
    """A fresh 2048-bit RSA key pair: the private key as PKCS#8 PEM bytes, the public
    key as SubjectPublicKeyInfo PEM text."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()
