"""velt_django's Django models: the ``User`` fields a user model has no column for, and
the PostgreSQL backend's annotation tables."""

from __future__ import annotations

from typing import Any

import orjson
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models

#: The reverse accessor of :class:`VeltUserProfile` on ``AUTH_USER_MODEL``.
PROFILE_RELATION = "velt_profile"


class VeltUserProfile(models.Model):
    """The Velt ``User`` fields of one ``AUTH_USER_MODEL`` row that
    ``VELT["USER_FIELDS"]`` maps to no column (``photoUrl``, ``color``, ``isAdmin``,
    custom keys …), kept by the Django user directory and deleted with the user.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=PROFILE_RELATION,
    )
    #: ``User`` key → value, as loaded (JSON values).
    fields = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "Velt user profile"

    def __str__(self) -> str:
        return f"Velt user profile of {self.pk}"


class PayloadField(models.JSONField):
    """A ``JSONField`` whose stored text is decoded by orjson.

    Decoding the payloads is most of what a large get spends outside PostgreSQL, and
    orjson does it about 2.5 times faster than the ``json.loads`` Django uses (a get of
    100 threads: about a fifth less time). The values are the same for everything
    velt_django stores. The one difference is an integer wider than 64 bits, which
    orjson reads as the nearest float: every save refuses such a number on both
    backends, so only a row written by other means can hold one.
    """

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, str):
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return super().from_db_value(value, expression, connection)


# ---- the PostgreSQL backend's annotation tables (velt_django.repository.sql) ----------
# One table per family, named like its MongoDB collection with the default prefix
# (docs/storage-model.md, "Collections"). The payload is stored as Velt sent it (JSONB
# holds "$"/"." keys natively); the other columns are the envelope. The unique key and
# the selector indexes lead with ``organization_id``; the plain ``annotation_id`` index
# serves the gets and deletes that name no organization.


class AnnotationRecord(models.Model):
    """One annotation record (abstract): the columns every annotation family shares."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.TextField()
    annotation_id = models.TextField()
    document_id = models.TextField(null=True)
    folder_id = models.TextField(null=True)
    #: The record as Velt sent it, its ``annotationId`` included.
    payload = PayloadField(default=dict)
    #: Incremented by every write; GDPR rewrites apply only while it is unchanged.
    rev = models.BigIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_event = models.TextField(null=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.annotation_id}"


def _unique_key(short: str) -> list[models.BaseConstraint]:
    """The unique (organization, annotation) key of one family's table (``short`` keeps
    names within Django's 30 characters)."""
    return [
        models.UniqueConstraint(
            fields=["organization_id", "annotation_id"],
            name=f"velt_{short}_org_annotation_uq",
        )
    ]


def _selector_indexes(short: str) -> list[models.Index]:
    """The indexes of the get selectors (documents, folder) and of org-less lookups."""
    return [
        models.Index(
            fields=["organization_id", "document_id"], name=f"velt_{short}_org_doc"
        ),
        models.Index(
            fields=["organization_id", "folder_id"], name=f"velt_{short}_org_folder"
        ),
        models.Index(fields=["annotation_id"], name=f"velt_{short}_annotation"),
    ]


class CommentAnnotationRecord(AnnotationRecord):
    """A comment thread (velt_django.repository.sql.comments)."""

    class Meta:
        db_table = "velt_comment_annotations"
        constraints = _unique_key("cmt")
        indexes = _selector_indexes("cmt")
        verbose_name = "comment annotation"


class ReactionAnnotationRecord(AnnotationRecord):
    """A reaction annotation (velt_django.repository.sql.reactions)."""

    class Meta:
        db_table = "velt_reaction_annotations"
        constraints = _unique_key("rxn")
        indexes = _selector_indexes("rxn")
        verbose_name = "reaction annotation"


class RecordingAnnotationRecord(AnnotationRecord):
    """A recording annotation (velt_django.repository.sql.recordings)."""

    class Meta:
        db_table = "velt_recorder_annotations"
        constraints = _unique_key("rec")
        indexes = _selector_indexes("rec")
        verbose_name = "recording annotation"


# ---- the PostgreSQL backend's notification, activity and user tables -----------------


class NotificationRecord(AnnotationRecord):
    """A custom notification (velt_django.repository.sql.notifications): an annotation
    record whose ``annotation_id`` holds the ``notificationId``; notifications belong to
    no document or folder, so those columns stay empty and carry no index."""

    class Meta:
        db_table = "velt_notifications"
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "annotation_id"],
                name="velt_ntf_org_notification_uq",
            )
        ]
        # The org-less delete looks the id up across organizations.
        indexes = [models.Index(fields=["annotation_id"], name="velt_ntf_notification")]
        verbose_name = "notification"


class ActivityRecord(models.Model):
    """An activity (velt_django.repository.sql.activities): append-only, so there is no
    folder and no merge; ``created_at`` drives retention (``ACTIVITY_RETENTION_DAYS``)."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.TextField()
    activity_id = models.TextField()
    document_id = models.TextField(null=True)
    #: The activity as first sent, plus the keys later saves added.
    payload = PayloadField(default=dict)
    #: Incremented by every write; GDPR rewrites apply only while it is unchanged.
    rev = models.BigIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    last_event = models.TextField(null=True)

    class Meta:
        db_table = "velt_activities"
        constraints = [
            models.UniqueConstraint(
                fields=["organization_id", "activity_id"],
                name="velt_act_org_activity_uq",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization_id", "document_id"], name="velt_act_org_doc"
            ),
            models.Index(
                fields=["organization_id", "created_at"], name="velt_act_org_created"
            ),
            # Gets without an organization select by ids or documents alone, and the
            # retention purge by age alone.
            models.Index(fields=["activity_id"], name="velt_act_activity"),
            models.Index(fields=["document_id"], name="velt_act_document"),
            models.Index(fields=["created_at"], name="velt_act_created"),
        ]
        verbose_name = "activity"
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.activity_id}"


class VeltUserRecord(models.Model):
    """An entry of the PostgreSQL user directory (velt_django.repository.sql.users): a
    global ``userId``, the lower-cased e-mail it is found by, its organizations."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.TextField(unique=True)
    #: ``UserWrite.email_lower`` (stripped and lower-cased in Python, as on MongoDB).
    email_lower = models.TextField(null=True)
    #: The organization ids, a JSON array; matched with ``@>`` (the GIN index).
    organization_ids = models.JSONField(default=list)
    #: The ``User`` object, without membership; the only column ever returned.
    payload = PayloadField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "velt_users"
        indexes = [
            models.Index(fields=["email_lower"], name="velt_usr_email_lower"),
            GinIndex(
                fields=["organization_ids"],
                name="velt_usr_orgs_gin",
                opclasses=["jsonb_path_ops"],
            ),
        ]
        verbose_name = "Velt user"

    def __str__(self) -> str:
        return self.user_id


# ---- the PostgreSQL backend's file and webhook delivery tables -----------------------


class FileRecord(models.Model):
    """A file record of either scope (velt_django.repository.sql.files): the record as
    the views wrote it (``record``, its datetimes aside), and copies of the fields it
    is looked up by as columns.

    The storage key and the public id are unique across organizations, as on MongoDB:
    they name an object in a shared storage and a URL path that carries no organization.
    The retry key leads with the organization; a record without a document holds it in
    a second, partial constraint (NULLs are distinct in a plain one)."""

    id = models.BigAutoField(primary_key=True)
    organization_id = models.TextField()
    scope = models.TextField()
    document_id = models.TextField(null=True)
    #: ``attachmentId`` as stored (an integer or a string: JSON keeps them apart).
    attachment_id = models.JSONField()
    sha256 = models.TextField()
    storage_key = models.TextField(unique=True)
    public_id = models.TextField(unique=True)
    url = models.TextField(null=True)
    #: ``uploadedBy`` / ``uploadedByKind`` when they are strings (GDPR lookups).
    uploaded_by = models.TextField(null=True)
    uploaded_by_kind = models.TextField(null=True)
    #: The record, without ``createdAt`` and ``deleteRequestedAt`` (the columns below).
    record = PayloadField(default=dict)
    created_at = models.DateTimeField(null=True)
    delete_requested_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "velt_files"
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "organization_id",
                    "scope",
                    "document_id",
                    "attachment_id",
                    "sha256",
                ],
                condition=models.Q(document_id__isnull=False),
                name="velt_fil_org_retry_uq",
            ),
            models.UniqueConstraint(
                fields=["organization_id", "scope", "attachment_id", "sha256"],
                condition=models.Q(document_id__isnull=True),
                name="velt_fil_org_retry_nodoc_uq",
            ),
        ]
        indexes = [
            models.Index(
                fields=["organization_id", "scope", "url"], name="velt_fil_org_url"
            ),
            # Org-less deletes look an attachment id up in every organization.
            models.Index(fields=["attachment_id", "scope"], name="velt_fil_attachment"),
            models.Index(fields=["uploaded_by"], name="velt_fil_uploaded_by"),
        ]
        verbose_name = "file record"

    def __str__(self) -> str:
        return f"{self.organization_id}/{self.public_id}"


class WebhookDeliveryRecord(models.Model):
    """A webhook delivery id (velt_django.repository.sql.webhooks): its lease while a
    worker processes it, and what already went out. Velt's delivery ids are global (a
    delivery names no organization before it is parsed), so ``webhook_id`` alone is
    unique. ``received_at`` drives ``WEBHOOK_DEDUP_DAYS``."""

    id = models.BigAutoField(primary_key=True)
    webhook_id = models.TextField(unique=True)
    received_at = models.DateTimeField()
    #: ``processing`` (until ``lease_until``) or ``done``.
    state = models.TextField(null=True)
    lease_until = models.DateTimeField(null=True)
    claim = models.TextField(null=True)
    attempts = models.IntegerField(default=0)
    signalled = models.BooleanField(default=False)
    #: User ids already e-mailed, a JSON array.
    emailed = models.JSONField(default=list)
    done_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "velt_webhook_deliveries"
        # The purge of expired ids selects by age.
        indexes = [models.Index(fields=["received_at"], name="velt_whk_received")]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return self.webhook_id
