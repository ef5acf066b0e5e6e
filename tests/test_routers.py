"""velt_django.routers.VeltRouter: the storage models on ``VELT["DATABASE_ALIAS"]`` for
reads, writes and migrations; every other model left to the host."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import router

from velt_django.models import (
    CommentAnnotationRecord,
    ReactionAnnotationRecord,
    VeltUserProfile,
)
from velt_django.repository.sql import database_alias
from velt_django.routers import VeltRouter

from . import postgres
from .commands import command_output
from .families import COMMENTS, ORG
from .wire import FamilyClient

ROUTER = "velt_django.routers.VeltRouter"


@pytest.fixture
def routed(settings: Any) -> None:
    """The router installed, and the PostgreSQL backend on the ``velt_pg`` alias."""
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": postgres.ALIAS,
    }


def test_database_alias_reads_the_setting(settings: Any) -> None:
    assert database_alias() == "default"
    settings.VELT = {**settings.VELT, "DATABASE_ALIAS": postgres.ALIAS}
    assert database_alias() == postgres.ALIAS


@pytest.mark.usefixtures("routed")
def test_storage_models_read_and_write_on_the_alias() -> None:
    for model in (CommentAnnotationRecord, ReactionAnnotationRecord):
        assert router.db_for_read(model) == postgres.ALIAS
        assert router.db_for_write(model) == postgres.ALIAS


@pytest.mark.usefixtures("routed")
def test_other_models_are_left_to_the_host() -> None:
    router_ = VeltRouter()
    for model in (VeltUserProfile, get_user_model()):
        assert router_.db_for_read(model) is None
        assert router_.db_for_write(model) is None
    assert router_.allow_migrate("default", "auth", "user") is None
    assert (
        router_.allow_migrate(postgres.ALIAS, "velt_django", "veltuserprofile") is None
    )


@pytest.mark.usefixtures("routed")
def test_storage_models_migrate_on_the_alias_only() -> None:
    router_ = VeltRouter()
    name = "commentannotationrecord"
    assert router_.allow_migrate(postgres.ALIAS, "velt_django", name) is True
    assert router_.allow_migrate("default", "velt_django", name) is False
    hinted = router_.allow_migrate(
        "default", "velt_django", model=CommentAnnotationRecord
    )
    assert hinted is False


def test_the_alias_follows_the_setting(settings: Any) -> None:
    settings.DATABASE_ROUTERS = [ROUTER]
    assert router.db_for_write(CommentAnnotationRecord) == "default"
    assert router.allow_migrate_model("default", CommentAnnotationRecord)
    settings.VELT = {**settings.VELT, "DATABASE_ALIAS": postgres.ALIAS}
    assert router.db_for_write(CommentAnnotationRecord) == postgres.ALIAS
    assert not router.allow_migrate_model("default", CommentAnnotationRecord)


@pytest.mark.postgres
# SQLite's schema editor refuses to run inside the test's transaction.
@pytest.mark.django_db(databases={"default", postgres.ALIAS}, transaction=True)
@pytest.mark.usefixtures("routed")
@pytest.mark.parametrize(
    ("alias", "creates"), [("default", False), (postgres.ALIAS, True)]
)
def test_the_annotation_migration_creates_tables_on_the_alias_only(
    alias: str, creates: bool
) -> None:
    # sqlmigrate runs the migration's operations through the router, as migrate does.
    sql = command_output("sqlmigrate", "velt_django", "0002", "--database", alias)
    assert ('CREATE TABLE "velt_comment_annotations"' in sql) is creates
    assert ('CREATE TABLE "velt_recorder_annotations"' in sql) is creates


@pytest.mark.postgres
@pytest.mark.django_db(databases={"default", postgres.ALIAS})
@pytest.mark.usefixtures("routed")
def test_saves_over_http_land_on_the_alias(
    velt: Callable[[Any], FamilyClient],
) -> None:
    api = velt(COMMENTS)
    api.save(COMMENTS.record("c-routed"))

    # The router sends the manager's queries to velt_pg without naming it ...
    routed_ids = CommentAnnotationRecord.objects.values_list("annotation_id", flat=True)
    assert list(routed_ids) == ["c-routed"]
    on_alias = CommentAnnotationRecord.objects.using(postgres.ALIAS)
    assert on_alias.filter(organization_id=ORG).count() == 1
    # ... and nothing reached the default database's copy of the table.
    assert not CommentAnnotationRecord.objects.using("default").exists()
