"""The peer's URLconf: velt_django's paths under ``/velt/``, each with and without a
trailing slash, never redirecting (see :data:`benchmarks.peer.views.SUPPORTED`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path

from . import views

View = Callable[..., HttpResponse]

#: Operation → view; every other velt_django operation is routed to 501.
ROUTES: dict[str, View] = {
    "comments/get": views.comments_get,
    "comments/save": views.comments_save,
    "comments/delete": views.comments_delete,
    "reactions/get": views.reactions_get,
    "reactions/save": views.reactions_save,
    "reactions/delete": views.reactions_delete,
    "recordings/get": views.recordings_get,
    "recordings/save": views.recordings_save,
    "recordings/delete": views.recordings_delete,
    "notifications/get": views.notifications_get,
    "notifications/save": views.notifications_save,
    "notifications/delete": views.notifications_delete,
    "activities/get": views.activities_get,
    "activities/save": views.activities_save,
    "users/get": views.users_get,
    "anonymous-users/resolve": views.anonymous_users_resolve,
    "attachments/save": views.attachments_save,
    "attachments/delete": views.attachments_delete,
}


def _route(operation: str, view: View) -> URLPattern:
    return re_path(rf"^velt/{operation}/?$", view, name=operation)


def _unsupported(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return views.not_supported(request)


urlpatterns = [_route(op, view) for op, view in ROUTES.items()]
urlpatterns += [
    _route(op, _unsupported) for op in views.SUPPORTED if op not in ROUTES and op != "f"
]
urlpatterns += [re_path(r"^velt/f/", _unsupported, name="f")]
