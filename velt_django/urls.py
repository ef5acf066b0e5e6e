"""URLconf: ``path("velt/", include("velt_django.urls"))``.

Each route answers with and without a trailing slash and never redirects (a redirected
POST breaks the browser call). Hosts can mount single families, e.g. ``comments_patterns``
(or ``family_patterns(family)`` for any declared annotation family).
"""

from __future__ import annotations

from django.urls import URLPattern, re_path
from django.views.generic import View

from .validation.annotations import (
    ANNOTATION_FAMILIES,
    COMMENTS,
    REACTIONS,
    RECORDINGS,
    AnnotationFamily,
)
from .views.activities import (
    DeleteActivitiesView,
    GetActivitiesView,
    SaveActivitiesView,
)
from .views.annotations import FamilyViews, family_views
from .views.comments import DeleteCommentsView, GetCommentsView, SaveCommentsView
from .views.downloads import FileDownloadView
from .views.files import (
    DeleteFileView,
    DeleteRecordingFileView,
    UploadAttachmentView,
    UploadRecordingFileView,
)
from .views.notifications import DeleteNotificationsView, GetNotificationsView
from .views.permissions import PermissionCheckView
from .views.reactions import DeleteReactionsView, GetReactionsView, SaveReactionsView
from .views.recordings import (
    DeleteRecordingsView,
    GetRecordingsView,
    SaveRecordingsView,
)
from .views.tokens import ResolverTokenView, VeltUserTokenView
from .views.users import GetUsersView, ResolveAnonymousUsersView
from .views.webhooks import VeltWebhookView

app_name = "velt"


def _route(path: str, view: type[View], name: str) -> URLPattern:
    return re_path(rf"^{path}/?$", view.as_view(), name=name)


#: The annotation families whose views are classes of their own (public names to
#: import and subclass); any other declared family is served by the shared views.
FAMILY_VIEWS: dict[str, FamilyViews] = {
    COMMENTS.name: family_views(
        COMMENTS, get=GetCommentsView, save=SaveCommentsView, delete=DeleteCommentsView
    ),
    REACTIONS.name: family_views(
        REACTIONS,
        get=GetReactionsView,
        save=SaveReactionsView,
        delete=DeleteReactionsView,
    ),
    RECORDINGS.name: family_views(
        RECORDINGS,
        get=GetRecordingsView,
        save=SaveRecordingsView,
        delete=DeleteRecordingsView,
    ),
}


def family_patterns(family: AnnotationFamily) -> list[URLPattern]:
    """``<name>/get``, ``<name>/save`` and ``<name>/delete`` of an annotation family,
    named ``<name>-get``, ``<name>-save`` and ``<name>-delete``."""
    views = FAMILY_VIEWS.get(family.name) or family_views(family)
    return [
        _route(f"{family.name}/{view.action}", view, f"{family.name}-{view.action}")
        for view in views
    ]


#: The routes of every declared annotation family, by family name.
annotation_patterns = {
    family.name: family_patterns(family) for family in ANNOTATION_FAMILIES
}
comments_patterns = annotation_patterns[COMMENTS.name]
reactions_patterns = annotation_patterns[REACTIONS.name]
recordings_patterns = annotation_patterns[RECORDINGS.name]

# No notifications/save: notification PII is written server-side
# (docs/notifications.md).
notifications_patterns = [
    _route("notifications/get", GetNotificationsView, "notifications-get"),
    _route("notifications/delete", DeleteNotificationsView, "notifications-delete"),
]

# No activities/delete in Velt (activity is append-only, docs/activities.md): the path
# is routed anyway so that every call of it answers 405 in the envelope.
activities_patterns = [
    _route("activities/get", GetActivitiesView, "activities-get"),
    _route("activities/save", SaveActivitiesView, "activities-save"),
    _route("activities/delete", DeleteActivitiesView, "activities-delete"),
]

users_patterns = [
    _route("users/get", GetUsersView, "users-get"),
    _route(
        "anonymous-users/resolve", ResolveAnonymousUsersView, "anonymous-users-resolve"
    ),
]

# Multipart uploads and JSON deletes of both file scopes (docs/files.md), and the
# stable private URL of every stored file (``f/<public id>/<name>``).
files_patterns = [
    _route("attachments/save", UploadAttachmentView, "attachments-save"),
    _route("attachments/delete", DeleteFileView, "attachments-delete"),
    _route("recordings/files/save", UploadRecordingFileView, "recording-files-save"),
    _route(
        "recordings/files/delete", DeleteRecordingFileView, "recording-files-delete"
    ),
    re_path(
        r"^f/(?P<public_id>[^/]+)/(?P<name>[^/]+)$",
        FileDownloadView.as_view(),
        name="file",
    ),
    re_path(
        r"^f/(?P<public_id>[^/]+)/?$",
        FileDownloadView.as_view(),
        name="file-bare",
    ),
]

# Opt-in: the view answers 404 until VELT["TOKEN_ORGANIZATIONS"] is set.
token_patterns = [_route("token", ResolverTokenView, "token")]

# Opt-in: Velt's own user token (for the SDK's authProvider); 404 until
# VELT["USER_TOKEN_VIEW"] is true.
token_patterns += [_route("velt-token", VeltUserTokenView, "velt-token")]

# Velt's webhook deliveries (server to server): the URL to paste into Velt's console.
webhook_patterns = [_route("webhooks/velt", VeltWebhookView, "webhooks-velt")]

# Velt's Real-time Permission Provider (server to server): off (404) until
# VELT["PERMISSION_PROVIDER_TOKEN"] is set; see docs/permission-provider.md.
permission_patterns = [
    _route("permissions/check", PermissionCheckView, "permissions-check")
]

urlpatterns = [p for patterns in annotation_patterns.values() for p in patterns]
urlpatterns += notifications_patterns
urlpatterns += users_patterns
urlpatterns += activities_patterns
urlpatterns += files_patterns
urlpatterns += token_patterns
urlpatterns += webhook_patterns
urlpatterns += permission_patterns
