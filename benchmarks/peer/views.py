"""The velt-py peer's views: each one is ``sdk.selfHosting.<service>.<method>(
<Request>.from_dict(data))`` answered as JSON, as velt-py's README shows it.

What the peer is
================

The benchmark suite compares velt_django with Velt's own Python SDK, velt-py 0.3.0, run
the way its documentation tells an integrator to: initialize the SDK once, and in each
endpoint build the typed resolver request from the browser's JSON with ``from_dict``
and return the method's result with ``statusCode`` as the HTTP status. Nothing is
added: no authentication, no access policy, no middleware (an empty ``MIDDLEWARE``;
views are CSRF-exempt), no validation of our own. So the peer is, if anything, an
optimistic figure for velt-py. The only code of ours around each call:

* the body must be a JSON object (400 otherwise, in the same error shape velt-py uses);
  ``from_dict`` raising on a malformed body is answered 400 as well;
* an exception out of velt-py (``saveComments`` and ``saveReactions`` *raise*
  ``VeltDatabaseError`` instead of answering) becomes a JSON 500 naming only the
  exception class, instead of Django's HTML error page;
* the SDK is initialized lazily, once per process, on the first request
  (:func:`sdk`): a gunicorn master (``--preload`` or not) never opens a connection
  that its forked workers would share.

Serve it with ``gunicorn benchmarks.peer.wsgi:application`` from the repository root;
the database comes from the environment (:mod:`benchmarks.peer.env`). Paths are those of
velt_django mounted at ``/velt/``, with and without a trailing slash.

Which velt-py method backs each operation
=========================================

:data:`SUPPORTED` is the table the suite reports (operation → supported, reason,
method). In short:

=============================== ===============================================
comments/get|save|delete        ``comments.getComments`` / ``saveComments`` /
                                ``deleteComment``
reactions/get|save|delete       ``reactions.getReactions`` / ``saveReactions`` /
                                ``deleteReaction``
recordings/get|save|delete      ``recorders.getRecorderAnnotations`` /
                                ``saveRecorderAnnotation`` /
                                ``deleteRecorderAnnotation``
notifications/get|delete        ``notifications.getNotifications`` /
                                ``deleteNotification``
notifications/save              ``notifications.saveNotifications`` (velt-py only;
                                velt_django has no such endpoint)
activities/get|save             ``activities.getActivities`` / ``saveActivities``
users/get                       ``users.getUsers``
anonymous-users/resolve         ``users.resolveUserIdsByEmail``
attachments/save                ``attachments.saveAttachment`` with the uploaded
                                bytes, only when S3 is configured
                                (``AWS_S3_BUCKET_NAME`` …, read by velt-py):
                                velt-py stores files nowhere else
attachments/delete              ``attachments.deleteAttachment``
=============================== ===============================================

501 ``{"success": false, "error": "not supported by velt-py"}``: ``activities/delete``,
``recordings/files/save|delete``, ``token``, ``velt-token``, ``webhooks/velt``,
``permissions/check`` and the ``f/<id>/<name>`` file downloads (velt-py hands out S3
object URLs), and ``attachments/save`` without S3.

Behaviour that differs from velt_django on the same request
===========================================================

* **Saves replace, they do not merge.** Every save is one
  ``update_one({annotationId, metadata.organizationId}, {"$set": record},
  upsert=True)`` per record, where ``record`` is the whole payload as sent
  (``PartialCommentAnnotation.from_dict(...).to_dict()`` plus the request's
  organization, document, folder and the configured ``apiKey`` written into
  ``metadata``). ``$set`` of the top-level ``comments`` key replaces the stored map: a
  thread keeps exactly the messages of the *last* save. Two people who reply to the
  same thread at the same time each send the thread as their browser knows it plus
  their own message; the later write removes the earlier reply although both were
  answered 200. On PostgreSQL the adapter takes an advisory lock per filter, which
  serializes the two upserts but still lets the second one overwrite the first.
  velt_django merges ``comments`` entry by entry (its merge rule), so both replies stay.
  Measured with :func:`benchmarks.peer.lost_writes.lost_writes` (16 concurrent
  replies spread over 4 comment threads, both servers under gunicorn 2 workers x 4 threads on
  SecantusDB): the peer acknowledged 16 and kept 4, one per thread (whichever save came
  last), so 12 acknowledged replies were lost; velt_django kept all 16. On PostgreSQL
  the peer loses the same way (tests/test_bench_peer.py: 4 replies to 2 threads, 2
  lost). The loss does not even need concurrency: any save made from a stale copy of
  the thread drops the replies that copy lacks.
* The same holds for reactions, recordings, notifications and activities (a whole-record
  ``$set``; activities are therefore not append-only).
* The organization of a save is only the request's ``metadata.organizationId`` (never
  a record's own metadata, never ``clientOrganizationId``); a save without it is 400.
* Gets use one selector, in the order ``documentIds``, then the id list, then
  ``folderId`` + ``allDocuments`` (velt_django: the union); recordings ignore the
  folder. When ``apiKey`` is configured, only records stored with that key are found.
* A delete of a missing record answers 404 (velt_django: 200), and a delete whose
  organization matches nothing falls back to deleting by id alone, in any organization.
* Notifications save and delete use the top-level ``organizationId``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from velt_py import (
    DeleteAttachmentResolverRequest,
    DeleteCommentResolverRequest,
    DeleteNotificationResolverRequest,
    DeleteReactionResolverRequest,
    DeleteRecorderResolverRequest,
    GetActivityResolverRequest,
    GetCommentResolverRequest,
    GetNotificationResolverRequest,
    GetReactionResolverRequest,
    GetRecorderResolverRequest,
    GetUserResolverRequest,
    SaveActivityResolverRequest,
    SaveAttachmentResolverRequest,
    SaveCommentResolverRequest,
    SaveNotificationResolverRequest,
    SaveReactionResolverRequest,
    SaveRecorderResolverRequest,
    VeltSDK,
)
from velt_py.models import ResolveUserIdsByEmailRequest

from .env import sdk_config

NOT_SUPPORTED = "not supported by velt-py"


class Support(NamedTuple):
    """One row of :data:`SUPPORTED`."""

    supported: bool
    reason: str
    #: The velt-py method behind the operation (``None`` when there is none).
    method: str | None = None


def _s3_configured() -> bool:
    # velt-py reads the bucket from its config or AWS_S3_BUCKET_NAME; the peer passes
    # no ``aws`` block, so the environment decides.
    return bool(os.environ.get("AWS_S3_BUCKET_NAME"))


_WHOLE_RECORD = "whole-record $set upsert per record (no merge)"

#: Operation (path under ``/velt/``) → whether the peer serves it through velt-py, why
#: (or why not), and the velt-py method. Operations velt_django has and velt-py lacks
#: answer 501.
SUPPORTED: dict[str, Support] = {
    "comments/get": Support(True, "one selector at a time", "comments.getComments"),
    "comments/save": Support(
        True,
        _WHOLE_RECORD + ": replaces the thread's comments map, so concurrent replies "
        "to one thread are lost",
        "comments.saveComments",
    ),
    "comments/delete": Support(True, "404 when missing", "comments.deleteComment"),
    "reactions/get": Support(True, "one selector at a time", "reactions.getReactions"),
    "reactions/save": Support(True, _WHOLE_RECORD, "reactions.saveReactions"),
    "reactions/delete": Support(True, "404 when missing", "reactions.deleteReaction"),
    "recordings/get": Support(
        True, "no folder selector", "recorders.getRecorderAnnotations"
    ),
    "recordings/save": Support(True, _WHOLE_RECORD, "recorders.saveRecorderAnnotation"),
    "recordings/delete": Support(
        True, "404 when missing", "recorders.deleteRecorderAnnotation"
    ),
    "notifications/get": Support(
        True, "by notificationIds", "notifications.getNotifications"
    ),
    "notifications/save": Support(
        True,
        "velt-py only (velt_django writes notifications server-side); " + _WHOLE_RECORD,
        "notifications.saveNotifications",
    ),
    "notifications/delete": Support(
        True, "404 when missing", "notifications.deleteNotification"
    ),
    "activities/get": Support(True, "", "activities.getActivities"),
    "activities/save": Support(
        True, _WHOLE_RECORD + " (not append-only)", "activities.saveActivities"
    ),
    "activities/delete": Support(
        False, "velt-py has no activity delete (velt_django answers 405)"
    ),
    "users/get": Support(True, "organization ignored", "users.getUsers"),
    "anonymous-users/resolve": Support(True, "", "users.resolveUserIdsByEmail"),
    "attachments/save": (
        Support(True, "uploads to S3", "attachments.saveAttachment")
        if _s3_configured()
        else Support(
            False,
            "velt-py stores uploads only in AWS S3 and no bucket is configured "
            "(AWS_S3_BUCKET_NAME)",
        )
    ),
    "attachments/delete": Support(
        True, "404 when missing", "attachments.deleteAttachment"
    ),
    "recordings/files/save": Support(False, "velt-py has no recording-file upload"),
    "recordings/files/delete": Support(False, "velt-py has no recording-file delete"),
    "f": Support(False, "velt-py answers with S3 object URLs, it serves no files"),
    "token": Support(False, "velt-py mints tokens only through api.velt.dev"),
    "velt-token": Support(False, "velt-py mints tokens only through api.velt.dev"),
    "webhooks/velt": Support(False, "velt-py has no webhook receiver"),
    "permissions/check": Support(False, "velt-py has no permission provider"),
}

_lock = threading.Lock()
_sdk: VeltSDK | None = None
_sdk_pid: int | None = None


def sdk() -> VeltSDK:
    """This process's SDK, initialized on first use (again after a fork)."""
    global _sdk, _sdk_pid
    pid = os.getpid()
    if _sdk is None or _sdk_pid != pid:
        with _lock:
            if _sdk is None or _sdk_pid != pid:
                _sdk = VeltSDK.initialize(sdk_config())
                _sdk_pid = pid
    return _sdk


def _error(status: int, error: str, code: str) -> JsonResponse:
    return JsonResponse(
        {"success": False, "statusCode": status, "error": error, "errorCode": code},
        status=status,
    )


def not_supported(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Every operation velt-py does not have."""
    return JsonResponse({"success": False, "error": NOT_SUPPORTED}, status=501)


def _answer(call: Callable[[], dict[str, Any]]) -> JsonResponse:
    try:
        result = call()
    except (AttributeError, KeyError, TypeError, ValueError):
        # from_dict of a body of the wrong shape (a string where a map belongs ...).
        return _error(400, "malformed request body", "INVALID_INPUT")
    except Exception as exc:  # velt-py's saves raise VeltDatabaseError
        return _error(500, type(exc).__name__, "INTERNAL_ERROR")
    return JsonResponse(result, status=int(result.get("statusCode", 200)))


def resolver(
    operation: Callable[[VeltSDK, dict[str, Any]], dict[str, Any]],
) -> Callable[[HttpRequest], HttpResponse]:
    """A POST view: the JSON body handed to ``operation(sdk, data)``."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return _error(405, "POST only", "METHOD_NOT_ALLOWED")
        try:
            data = json.loads(request.body)
        except ValueError:
            return _error(400, "the body is not JSON", "INVALID_INPUT")
        if not isinstance(data, dict):
            return _error(400, "the body must be a JSON object", "INVALID_INPUT")
        return _answer(lambda: operation(sdk(), data))

    return view


# Each line below is the README's example, one per resolver.
comments_get = resolver(
    lambda s, d: s.selfHosting.comments.getComments(
        GetCommentResolverRequest.from_dict(d)
    )
)
comments_save = resolver(
    lambda s, d: s.selfHosting.comments.saveComments(
        SaveCommentResolverRequest.from_dict(d)
    )
)
comments_delete = resolver(
    lambda s, d: s.selfHosting.comments.deleteComment(
        DeleteCommentResolverRequest.from_dict(d)
    )
)
reactions_get = resolver(
    lambda s, d: s.selfHosting.reactions.getReactions(
        GetReactionResolverRequest.from_dict(d)
    )
)
reactions_save = resolver(
    lambda s, d: s.selfHosting.reactions.saveReactions(
        SaveReactionResolverRequest.from_dict(d)
    )
)
reactions_delete = resolver(
    lambda s, d: s.selfHosting.reactions.deleteReaction(
        DeleteReactionResolverRequest.from_dict(d)
    )
)
recordings_get = resolver(
    lambda s, d: s.selfHosting.recorders.getRecorderAnnotations(
        GetRecorderResolverRequest.from_dict(d)
    )
)
recordings_save = resolver(
    lambda s, d: s.selfHosting.recorders.saveRecorderAnnotation(
        SaveRecorderResolverRequest.from_dict(d)
    )
)
recordings_delete = resolver(
    lambda s, d: s.selfHosting.recorders.deleteRecorderAnnotation(
        DeleteRecorderResolverRequest.from_dict(d)
    )
)
notifications_get = resolver(
    lambda s, d: s.selfHosting.notifications.getNotifications(
        GetNotificationResolverRequest.from_dict(d)
    )
)
notifications_save = resolver(
    lambda s, d: s.selfHosting.notifications.saveNotifications(
        SaveNotificationResolverRequest.from_dict(d)
    )
)
notifications_delete = resolver(
    lambda s, d: s.selfHosting.notifications.deleteNotification(
        DeleteNotificationResolverRequest.from_dict(d)
    )
)
activities_get = resolver(
    lambda s, d: s.selfHosting.activities.getActivities(
        GetActivityResolverRequest.from_dict(d)
    )
)
activities_save = resolver(
    lambda s, d: s.selfHosting.activities.saveActivities(
        SaveActivityResolverRequest.from_dict(d)
    )
)
users_get = resolver(
    lambda s, d: s.selfHosting.users.getUsers(GetUserResolverRequest.from_dict(d))
)
anonymous_users_resolve = resolver(
    lambda s, d: s.selfHosting.users.resolveUserIdsByEmail(
        ResolveUserIdsByEmailRequest.from_dict(d)
    )
)
attachments_delete = resolver(
    lambda s, d: s.selfHosting.attachments.deleteAttachment(
        DeleteAttachmentResolverRequest.from_dict(d)
    )
)


@csrf_exempt
def attachments_save(request: HttpRequest) -> HttpResponse:
    """velt_django's multipart upload (parts ``file`` and ``request``) handed to
    ``saveAttachment`` with the bytes; 501 without S3."""
    if not SUPPORTED["attachments/save"].supported:
        return not_supported(request)
    if request.method != "POST":
        return _error(405, "POST only", "METHOD_NOT_ALLOWED")
    upload = request.FILES.get("file")
    part = request.POST.get("request")
    request_file = request.FILES.get("request")
    if part is None and request_file is not None:
        part = request_file.read().decode()
    if upload is None or part is None:
        return _error(400, "parts file and request are required", "INVALID_INPUT")
    try:
        data = json.loads(part)
    except ValueError:
        return _error(400, "the request part is not JSON", "INVALID_INPUT")
    if not isinstance(data, dict):
        return _error(400, "the request part must be a JSON object", "INVALID_INPUT")
    return _answer(
        lambda: sdk().selfHosting.attachments.saveAttachment(
            SaveAttachmentResolverRequest.from_dict(data),
            file_data=upload.read(),
            file_name=upload.name,
            mime_type=upload.content_type,
        )
    )
