"""``record_saved`` / ``record_deleted``: sent once per organization after a resolver
write reached MongoDB, with ids and no payload; a receiver that raises never turns the
write into an error answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from velt_django import notifications
from velt_django.signals import notify_record_written, record_deleted, record_saved

from ..contracts import assert_failure, assert_success
from ..families import ORG, OTHER
from ..wire import json_poster

BOTH = ("u_test", ORG, OTHER)
SECRET = "pii-write-signal-marker-Kx3"

Call = tuple[str, dict[str, Any]]


@pytest.fixture
def calls() -> Iterator[list[Call]]:
    """``(signal name, kwargs)`` of every write signal sent during the test."""
    seen: list[Call] = []

    def on_saved(sender: Any, **kwargs: Any) -> None:
        seen.append(("saved", {k: v for k, v in kwargs.items() if k != "signal"}))

    def on_deleted(sender: Any, **kwargs: Any) -> None:
        seen.append(("deleted", {k: v for k, v in kwargs.items() if k != "signal"}))

    record_saved.connect(on_saved, weak=False)
    record_deleted.connect(on_deleted, weak=False)
    yield seen
    record_saved.disconnect(on_saved)
    record_deleted.disconnect(on_deleted)


def meta(org: str = ORG, document: str = "doc-1") -> dict[str, str]:
    return {"organizationId": org, "documentId": document}


def thread(annotation_id: str, org: str = ORG) -> dict[str, Any]:
    return {
        "annotationId": annotation_id,
        "metadata": meta(org),
        "comments": {"1": {"commentId": 1, "commentText": SECRET}},
    }


def test_signal_comment_save_is_announced_per_organization(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    body = {
        "commentAnnotation": {
            "t1": thread("t1"),
            "t2": thread("t2"),
            "t3": thread("t3", OTHER),
        },
        "event": "comment.add",
    }
    post = json_poster(client)
    assert_success(post("comments/save", body, as_=BOTH), read=False)
    assert calls == [
        (
            "saved",
            {
                "family": "comments",
                "organization_id": ORG,
                "record_ids": ("t1", "t2"),
                "event": "comment.add",
            },
        ),
        (
            "saved",
            {
                "family": "comments",
                "organization_id": OTHER,
                "record_ids": ("t3",),
                "event": "comment.add",
            },
        ),
    ]
    assert SECRET not in repr(calls)


@pytest.mark.parametrize(
    ("family", "field", "record"),
    [
        ("reactions", "reactionAnnotation", {"icon": "1f680"}),
        ("recordings", "recorderAnnotation", {"transcript": SECRET}),
    ],
)
def test_signal_other_annotation_families_announce_save_and_delete(
    mongo_db: Any,
    client: Client,
    calls: list[Call],
    family: str,
    field: str,
    record: dict[str, Any],
) -> None:
    post = json_poster(client)
    payload = {"annotationId": "a1", "metadata": meta(), **record}
    save = {field: {"a1": payload}, "event": "x.add"}
    assert_success(post(f"{family}/save", save, as_=BOTH), read=False)
    delete_field = field.replace("Annotation", "AnnotationId")
    delete = {delete_field: "a1", "metadata": meta()}
    assert_success(post(f"{family}/delete", delete, as_=BOTH), read=False)
    assert [(name, kw["family"], kw["record_ids"]) for name, kw in calls] == [
        ("saved", family, ("a1",)),
        ("deleted", family, ("a1",)),
    ]


def test_signal_delete_of_a_missing_record_is_not_announced(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    delete = {"commentAnnotationId": "nope", "metadata": meta()}
    assert_success(json_poster(client)("comments/delete", delete, as_=BOTH), read=False)
    assert calls == []


def test_signal_orgless_delete_names_the_organization(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    post = json_poster(client)
    save = {"commentAnnotation": {"t1": thread("t1", OTHER)}}
    assert_success(post("comments/save", save, as_=BOTH), read=False)
    calls.clear()
    delete = {"commentAnnotationId": "t1", "event": "comment_annotation.delete"}
    assert_success(post("comments/delete", delete, as_=BOTH), read=False)
    assert calls == [
        (
            "deleted",
            {
                "family": "comments",
                "organization_id": OTHER,
                "record_ids": ("t1",),
                "event": "comment_annotation.delete",
            },
        )
    ]


def test_signal_activity_save_is_announced(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    body = {
        "activity": {"act-1": {"id": "act-1", "metadata": meta()}},
        "event": "activity.save",
    }
    assert_success(json_poster(client)("activities/save", body, as_=BOTH), read=False)
    assert calls == [
        (
            "saved",
            {
                "family": "activities",
                "organization_id": ORG,
                "record_ids": ("act-1",),
                "event": "activity.save",
            },
        )
    ]


def test_signal_notification_delete_is_announced(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    notifications.store(ORG, [{"notificationId": "n1", "displayBodyMessage": SECRET}])
    body = {"organizationId": ORG, "notificationId": "n1"}
    post = json_poster(client)
    assert_success(post("notifications/delete", body, as_=BOTH), read=False)
    assert [(n, kw["family"], kw["record_ids"]) for n, kw in calls] == [
        ("deleted", "notifications", ("n1",))
    ]


def test_signal_refused_write_is_not_announced(
    mongo_db: Any, client: Client, calls: list[Call]
) -> None:
    body = {"commentAnnotation": {"t1": thread("t1")}}
    response = json_poster(client)("comments/save", body, as_=("u_test", OTHER))
    assert_failure(response, 403, "FORBIDDEN")
    assert calls == []


def test_signal_receiver_that_raises_never_fails_the_write(
    mongo_db: Any, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(sender: Any, record_ids: tuple[str, ...], **kwargs: Any) -> None:
        raise ValueError(f"index down for {SECRET}")

    record_saved.connect(broken, weak=False)
    try:
        body = {"commentAnnotation": {"t1": thread("t1")}}
        response = json_poster(client)("comments/save", body, as_=BOTH)
    finally:
        record_saved.disconnect(broken)
    assert_success(response, read=False)
    data = json_poster(client)(
        "comments/get", {"organizationId": ORG, "commentAnnotationIds": ["t1"]}
    )
    assert "t1" in assert_success(data, read=True)["data"]
    assert "broken raised ValueError" in caplog.text
    assert SECRET not in caplog.text


def test_signal_notify_record_written_is_the_api_for_other_writers(
    calls: list[Call],
) -> None:
    notify_record_written(
        object,
        "saved",
        family="attachments",
        organization_id=ORG,
        record_ids=["f1", "f1", "f2"],
        event="attachment.add",
    )
    assert calls == [
        (
            "saved",
            {
                "family": "attachments",
                "organization_id": ORG,
                "record_ids": ("f1", "f2"),
                "event": "attachment.add",
            },
        )
    ]
