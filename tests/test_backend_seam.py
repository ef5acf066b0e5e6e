"""The storage backend seam (velt_django/repository/backend.py): ``STORAGE_BACKEND``
picks, for every repository class the code names, the class itself (MongoDB) or its
PostgreSQL twin, without the views changing."""

# ``resolve`` is typed to return the class it is given; on PostgreSQL it returns the
# twin, which mypy takes for a class that cannot be the same.
# mypy: disable-error-code="comparison-overlap"

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from velt_django.exceptions import VeltConfigurationError
from velt_django.repository import (
    ActivityRepository,
    CommentRepository,
    FileRepository,
    NotificationRepository,
    ReactionRepository,
    RecordingRepository,
    UserRepository,
    WebhookDeliveryRepository,
    backend,
)
from velt_django.repository.backend import POSTGRESQL_TWINS, resolve

from . import postgres
from .families import COMMENTS, ORG
from .wire import FamilyClient


@pytest.fixture
def on_postgresql(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": postgres.ALIAS,
    }


class SeenTwin:
    """A stand-in PostgreSQL twin of ``CommentRepository`` that answers an empty get and
    counts its instances, so a test can tell which implementation a view used."""

    created = 0

    def __init__(self) -> None:
        type(self).created += 1

    def find(self, *args: Any) -> list[Any]:
        return []


@pytest.mark.parametrize(
    "cls", [CommentRepository, ReactionRepository, ActivityRepository, FileRepository]
)
def test_mongodb_keeps_every_class(settings: Any, cls: type[Any]) -> None:
    assert resolve(cls) is cls
    settings.VELT = {**settings.VELT, "STORAGE_BACKEND": "mongodb"}
    assert resolve(cls) is cls


@pytest.mark.usefixtures("on_postgresql")
def test_postgresql_picks_the_registered_twins() -> None:
    from velt_django.repository.sql import (
        SqlActivityRepository,
        SqlCommentRepository,
        SqlFileRepository,
        SqlNotificationRepository,
        SqlReactionRepository,
        SqlRecordingRepository,
        SqlUserRepository,
        SqlWebhookDeliveryRepository,
    )

    assert resolve(CommentRepository) is SqlCommentRepository
    assert resolve(ReactionRepository) is SqlReactionRepository
    assert resolve(RecordingRepository) is SqlRecordingRepository
    assert resolve(NotificationRepository) is SqlNotificationRepository
    assert resolve(ActivityRepository) is SqlActivityRepository
    assert resolve(UserRepository) is SqlUserRepository
    assert resolve(FileRepository) is SqlFileRepository
    assert resolve(WebhookDeliveryRepository) is SqlWebhookDeliveryRepository


@pytest.mark.usefixtures("on_postgresql")
def test_postgresql_refuses_a_class_without_a_twin() -> None:
    class CustomComments(CommentRepository):
        pass

    class CustomUsers(UserRepository):
        pass

    for cls in (CustomUsers, CustomComments):
        with pytest.raises(VeltConfigurationError, match=cls.__qualname__):
            resolve(cls)


@pytest.mark.usefixtures("mongo_db")
def test_the_comment_view_instantiates_the_twin_on_postgresql(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    velt: Callable[[Any], FamilyClient],
) -> None:
    monkeypatch.setitem(
        POSTGRESQL_TWINS, CommentRepository, f"{__name__}.{SeenTwin.__qualname__}"
    )
    monkeypatch.setattr(SeenTwin, "created", 0)
    monkeypatch.setattr(backend, "_imported", {})
    api = velt(COMMENTS)

    api.save(COMMENTS.record("c-1"))
    assert api.get(ORG, ids=["c-1"]) != {}
    assert SeenTwin.created == 0

    settings.VELT = {**settings.VELT, "STORAGE_BACKEND": "postgresql"}
    assert api.get(ORG, ids=["c-1"]) == {}
    assert SeenTwin.created == 1


@pytest.mark.usefixtures("mongo_db")
def test_a_repository_without_a_twin_answers_the_misconfigured_envelope(
    settings: Any, post_json: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file repository as if its twin were not registered.
    monkeypatch.delitem(POSTGRESQL_TWINS, FileRepository)
    settings.VELT = {**settings.VELT, "STORAGE_BACKEND": "postgresql"}
    response = post_json(
        "attachments/delete",
        {"attachmentId": 1, "metadata": {"organizationId": ORG, "documentId": "d-1"}},
    )
    assert response.status_code == 500
    body = response.json()
    assert (body["errorCode"], body["message"]) == (
        "INTERNAL_ERROR",
        "The resolver is misconfigured.",
    )


@pytest.mark.postgres
@pytest.mark.django_db(databases={"default", postgres.ALIAS})
@pytest.mark.usefixtures("on_postgresql")
def test_comments_round_trip_through_the_views_on_postgresql(
    velt: Callable[[Any], FamilyClient],
) -> None:
    from velt_django.models import CommentAnnotationRecord

    api = velt(COMMENTS)
    api.save(COMMENTS.record("c-pg"))

    assert set(api.get(ORG, ids=["c-pg"])) == {"c-pg"}
    stored = CommentAnnotationRecord.objects.using(postgres.ALIAS)
    assert list(stored.values_list("annotation_id", flat=True)) == ["c-pg"]
