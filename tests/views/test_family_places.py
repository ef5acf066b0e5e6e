"""The places an annotation family touches (docs/adding-a-family.md): every family in
``ANNOTATION_FAMILIES`` is routed by its own views, its repository is in
``REPOSITORIES``, the GDPR command knows it, the write signals document its name and the
suite's ``tests/families.py`` tests it. A declared family with no views of its own is
served by the shared ones."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from django.urls import URLPattern, include, path

from velt_django import gdpr, signals, urls
from velt_django.management.commands.velt_gdpr import FAMILY_LABELS
from velt_django.repository import REPOSITORIES, BaseRepository
from velt_django.repository.annotations import AnnotationRepository
from velt_django.validation.annotations import (
    ANNOTATION_FAMILIES,
    COMMENTS,
    REACTIONS,
    AnnotationFamily,
)
from velt_django.views.annotations import (
    AnnotationGetView,
    AnnotationSaveView,
    family_views,
)
from velt_django.views.comments import GetCommentsView
from velt_django.views.reactions import (
    DeleteReactionsView,
    GetReactionsView,
    SaveReactionsView,
)

from .. import families as suite
from ..contracts import assert_failure
from ..families import ORG
from ..wire import PostJson

ACTIONS = ("get", "save", "delete")


def missing_places(
    family: AnnotationFamily,
    *,
    urlpatterns: list[Any] | None = None,
    repositories: tuple[type[BaseRepository], ...] = REPOSITORIES,
    gdpr_families: tuple[gdpr.Family, ...] = gdpr.FAMILIES,
    tested: tuple[suite.Family, ...] = suite.FAMILIES,
) -> list[str]:
    """What ``family`` lacks of the places docs/adding-a-family.md lists."""
    missing = []
    routed = {
        p.name: p
        for p in (urls.urlpatterns if urlpatterns is None else urlpatterns)
        if isinstance(p, URLPattern)
    }
    for action in ACTIONS:
        pattern = routed.get(f"{family.name}-{action}")
        view = getattr(getattr(pattern, "callback", None), "view_class", None)
        if view is None or getattr(view, "family", None) != family:
            missing.append(f"route {family.name}-{action}")
        elif view.action != action or str(pattern.pattern) != (  # type: ignore[union-attr]
            f"^{family.name}/{action}/?$"
        ):
            missing.append(f"route {family.name}-{action} (path or view)")
    if family.repository not in repositories:
        missing.append("REPOSITORIES")
    erasure = next((f for f in gdpr_families if f.name == family.name), None)
    if erasure is None or erasure.repository is not family.repository:
        missing.append("GDPR family")
    if f'``"{family.name}"``' not in (signals.__doc__ or ""):
        missing.append("the family values of velt_django.signals")
    test = next((f for f in tested if f.name == family.name), None)
    if test is None or (
        test.ids_field,
        test.map_field,
        test.id_field,
        test.collection,
    ) != (
        family.ids_field,
        family.save_field,
        family.delete_field,
        family.repository.collection_name(),
    ):
        missing.append("tests/families.py FAMILIES")
    return missing


@pytest.mark.parametrize("family", ANNOTATION_FAMILIES, ids=lambda f: f.name)
def test_every_declared_family_has_all_its_places(family: AnnotationFamily) -> None:
    assert missing_places(family) == []


def test_the_gdpr_command_labels_every_gdpr_family() -> None:
    assert list(FAMILY_LABELS) == [family.name for family in gdpr.FAMILIES]
    assert FAMILY_LABELS["comments"] == "comment threads"
    assert FAMILY_LABELS["reactions"] == "reactions"


class HuddleRepository(AnnotationRepository):
    collection_suffix = "test_huddle_annotations"


HUDDLES = AnnotationFamily(
    name="huddles",
    ids_field="huddleAnnotationIds",
    save_field="huddleAnnotation",
    delete_field="huddleAnnotationId",
    repository=HuddleRepository,
)


def test_a_family_only_declared_misses_every_place() -> None:
    # Guards the check itself: a declaration alone is reported place by place.
    assert missing_places(HUDDLES) == [
        "route huddles-get",
        "route huddles-save",
        "route huddles-delete",
        "REPOSITORIES",
        "GDPR family",
        "the family values of velt_django.signals",
        "tests/families.py FAMILIES",
    ]


def test_a_route_to_another_familys_view_is_reported() -> None:
    patterns = [p for p in urls.urlpatterns if p.name != "reactions-save"]
    patterns.append(urls._route("reactions/save", GetReactionsView, "reactions-save"))
    assert missing_places(REACTIONS, urlpatterns=patterns) == [
        "route reactions-save (path or view)"
    ]
    without = tuple(f for f in suite.FAMILIES if f.name != "reactions")
    assert missing_places(REACTIONS, tested=without) == ["tests/families.py FAMILIES"]


def test_the_existing_families_keep_their_view_classes() -> None:
    assert [p.callback.view_class for p in urls.reactions_patterns] == [  # type: ignore[attr-defined]
        GetReactionsView,
        SaveReactionsView,
        DeleteReactionsView,
    ]
    assert urls.comments_patterns[0].callback.view_class is GetCommentsView  # type: ignore[attr-defined]
    assert urls.family_patterns(REACTIONS)[0].callback.view_class is GetReactionsView  # type: ignore[attr-defined]
    # The private-thread rule stays with comments however its routes are built.
    assert urls.family_patterns(COMMENTS)[0].callback.view_class is GetCommentsView  # type: ignore[attr-defined]


def test_family_views_refuses_a_view_of_another_family() -> None:
    with pytest.raises(ValueError, match="bound to reactions"):
        family_views(HUDDLES, get=GetReactionsView)


def test_the_shared_views_bound_to_a_family() -> None:
    views = family_views(HUDDLES)
    assert views.get.__name__ == "GetHuddlesView"
    assert issubclass(views.get, AnnotationGetView)
    assert issubclass(views.save, AnnotationSaveView)
    assert {view.family for view in views} == {HUDDLES}
    assert {view.action for view in views} == set(ACTIONS)


def test_a_declared_family_is_served_by_the_shared_views(
    mongo_db: Any, settings: Any, post_json: PostJson
) -> None:
    urlconf = ModuleType("huddle_urls")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("velt/", include((urls.family_patterns(HUDDLES), "velt")))
    ]
    settings.ROOT_URLCONF = urlconf
    record = {
        "annotationId": "h1",
        "metadata": {"apiKey": "pk_test", "documentId": "doc-1", "organizationId": ORG},
        "topic": "standup",
    }
    saved = post_json("huddles/save", {"huddleAnnotation": {"h1": record}})
    assert saved.status_code == 200, saved.content
    assert mongo_db["velt_test_huddle_annotations"].count_documents({}) == 1

    got = post_json(
        "huddles/get", {"organizationId": ORG, "huddleAnnotationIds": ["h1"]}
    )
    assert got.status_code == 200
    assert got.json()["data"] == {"h1": record}

    deleted = post_json(
        "huddles/delete",
        {"huddleAnnotationId": "h1", "metadata": record["metadata"]},
    )
    assert deleted.status_code == 200
    assert mongo_db["velt_test_huddle_annotations"].count_documents({}) == 0
    # Bad input answers in the envelope, with the family's own field names.
    refused = post_json("huddles/delete", {"metadata": record["metadata"]})
    body = assert_failure(refused, 400, "INVALID_INPUT")
    assert "huddleAnnotationId is required" in body["message"]
