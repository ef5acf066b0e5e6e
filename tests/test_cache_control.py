"""``Cache-Control: no-store`` on every answer of every resolver URL: successes,
failures and preflights (CONTRACT §2.2, §16.7)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern

from velt_django import urls
from velt_django.views.base import ResolverView

from .contracts import ALLOWED_ORIGIN, assert_failure, assert_success
from .families import ORG

META = {"apiKey": "pk_test", "organizationId": ORG, "documentId": "doc-1"}

#: A body each resolver route answers 200 to, by URL name.
VALID: dict[str, dict[str, Any]] = {
    "comments-get": {"organizationId": ORG},
    "comments-save": {
        "commentAnnotation": {"c1": {"annotationId": "c1", "metadata": META}}
    },
    "comments-delete": {"commentAnnotationId": "c1", "metadata": META},
    "reactions-get": {"organizationId": ORG},
    "reactions-save": {
        "reactionAnnotation": {"r1": {"annotationId": "r1", "metadata": META}}
    },
    "reactions-delete": {"reactionAnnotationId": "r1", "metadata": META},
    "recordings-get": {"organizationId": ORG},
    "recordings-save": {
        "recorderAnnotation": {"v1": {"annotationId": "v1", "metadata": META}}
    },
    "recordings-delete": {"recorderAnnotationId": "v1", "metadata": META},
    "notifications-get": {"organizationId": ORG, "notificationIds": ["n1"]},
    "notifications-delete": {"organizationId": ORG, "notificationId": "n1"},
    "activities-get": {"organizationId": ORG},
    "activities-save": {"activity": {"a1": {"id": "a1", "metadata": META}}},
    "users-get": {"organizationId": ORG, "userIds": ["u1"]},
    "anonymous-users-resolve": {"organizationId": ORG, "emails": ["a@b.example"]},
    "attachments-delete": {"attachmentId": 284117, "metadata": META},
    "recording-files-delete": {"attachmentId": 905321, "metadata": META},
}
#: Routes that exist only to answer 405 (CONTRACT §1.3).
ALWAYS_405 = {"activities-delete"}
#: Upload routes: multipart bodies (a JSON body answers 415).
MULTIPART = {"attachments-save", "recording-files-save"}


def resolver_routes() -> list[URLPattern]:
    routes = []
    for pattern in urls.urlpatterns:
        view = getattr(pattern.callback, "view_class", None)
        if isinstance(pattern, URLPattern) and view and issubclass(view, ResolverView):
            routes.append(pattern)
    return routes


ROUTES = {
    str(p.name): f"/velt/{str(p.pattern).strip('^$').replace('/?', '')}"
    for p in resolver_routes()
}


def test_every_resolver_route_is_covered() -> None:
    assert set(ROUTES) == set(VALID) | ALWAYS_405 | MULTIPART


@pytest.mark.parametrize("name", sorted(MULTIPART))
def test_no_store_on_upload_success_and_415(db: Any, client: Client, name: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = {"attachment": {"attachmentId": 1}, "metadata": META}
    response = client.post(
        ROUTES[name],
        {"file": SimpleUploadedFile("a.txt", b"a"), "request": json.dumps(request)},
        HTTP_AUTHORIZATION=f"Test u_test:{ORG}",
    )
    assert_success(response, read=True)
    assert_failure(post(client, ROUTES[name], request), 415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    settings.VELT = {
        **settings.VELT,
        "CORS_ALLOWED_ORIGINS": [ALLOWED_ORIGIN],
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
    }
    return mongo_db


def post(client: Client, path: str, body: Any, auth: bool = True, **extra: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    if auth:
        extra["HTTP_AUTHORIZATION"] = f"Test u_test:{ORG}"
    return client.post(path, data, content_type="application/json", **extra)


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_store_on_success(db: Any, client: Client, name: str) -> None:
    response = post(client, ROUTES[name], VALID[name], HTTP_ORIGIN=ALLOWED_ORIGIN)
    assert_success(response, read=name.endswith(("get", "resolve")))
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_store_on_401(db: Any, client: Client, name: str) -> None:
    response = post(client, ROUTES[name], VALID[name], auth=False)
    assert_failure(response, 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_store_on_400(db: Any, client: Client, name: str) -> None:
    assert_failure(post(client, ROUTES[name], "[1, 2]"), 400, "INVALID_INPUT")


@pytest.mark.parametrize("name", sorted(set(VALID) - {"users-get"}))
def test_no_store_on_403(db: Any, client: Client, name: str) -> None:
    # users/get answers an unknown organization with an empty map, not 403.
    text = json.dumps(VALID[name]).replace(ORG, "someone-else")
    assert_failure(post(client, ROUTES[name], text), 403, "FORBIDDEN")


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_no_store_on_405(db: Any, client: Client, name: str, method: str) -> None:
    response = getattr(client, method)(ROUTES[name])
    assert_failure(response, 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("name", sorted(ALWAYS_405))
def test_no_store_on_405_of_post_only_route(db: Any, client: Client, name: str) -> None:
    assert_failure(post(client, ROUTES[name], {}), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("name", sorted(ROUTES))
@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "https://evil.example.net"])
def test_no_store_on_preflight(db: Any, client: Client, name: str, origin: str) -> None:
    response = client.options(
        ROUTES[name],
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_store_on_429(db: Any, client: Client, settings: Any, name: str) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.VELT = {**settings.VELT, "THROTTLE_RATE": "1/min"}
    post(client, ROUTES[name], VALID[name])
    response = post(client, ROUTES[name], VALID[name])
    assert_failure(response, 429, "RATE_LIMITED")
    cache.clear()


@pytest.mark.parametrize("name", sorted(VALID))
def test_no_store_on_database_error(
    db: Any, client: Client, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from pymongo.errors import OperationFailure

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationFailure("boom", code=2)

    import mongomock.collection

    for method in (
        "find",
        "find_one",
        "bulk_write",
        "delete_one",
        "delete_many",
        "update_one",
        "replace_one",
        "insert_one",
        "aggregate",
    ):
        monkeypatch.setattr(mongomock.collection.Collection, method, broken)
    response = post(client, ROUTES[name], VALID[name])
    assert response.status_code >= 500, response.content
    assert response["Cache-Control"] == "no-store"
