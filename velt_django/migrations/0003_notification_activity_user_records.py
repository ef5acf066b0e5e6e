"""The PostgreSQL backend's notification, activity and user tables
(velt_django.models.NotificationRecord, ActivityRecord, VeltUserRecord)."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models


class AddPostgresIndex(migrations.AddIndex):
    """``AddIndex`` for an index only PostgreSQL can build (GIN): the migration state
    always has it, a database of another engine (a project's SQLite ``default``) is
    left without it."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("velt_django", "0002_annotation_records"),
    ]

    operations = [
        migrations.CreateModel(
            name="NotificationRecord",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("organization_id", models.TextField()),
                ("annotation_id", models.TextField()),
                ("document_id", models.TextField(null=True)),
                ("folder_id", models.TextField(null=True)),
                ("payload", models.JSONField(default=dict)),
                ("rev", models.BigIntegerField(default=1)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("last_event", models.TextField(null=True)),
            ],
            options={
                "verbose_name": "notification",
                "db_table": "velt_notifications",
                "indexes": [
                    models.Index(
                        fields=["annotation_id"], name="velt_ntf_notification"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "annotation_id"),
                        name="velt_ntf_org_notification_uq",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ActivityRecord",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("organization_id", models.TextField()),
                ("activity_id", models.TextField()),
                ("document_id", models.TextField(null=True)),
                ("payload", models.JSONField(default=dict)),
                ("rev", models.BigIntegerField(default=1)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
                ("last_event", models.TextField(null=True)),
            ],
            options={
                "verbose_name": "activity",
                "verbose_name_plural": "activities",
                "db_table": "velt_activities",
                "indexes": [
                    models.Index(
                        fields=["organization_id", "document_id"],
                        name="velt_act_org_doc",
                    ),
                    models.Index(
                        fields=["organization_id", "created_at"],
                        name="velt_act_org_created",
                    ),
                    models.Index(fields=["activity_id"], name="velt_act_activity"),
                    models.Index(fields=["document_id"], name="velt_act_document"),
                    models.Index(fields=["created_at"], name="velt_act_created"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "activity_id"),
                        name="velt_act_org_activity_uq",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="VeltUserRecord",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("user_id", models.TextField(unique=True)),
                ("email_lower", models.TextField(null=True)),
                ("organization_ids", models.JSONField(default=list)),
                ("payload", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "Velt user",
                "db_table": "velt_users",
                "indexes": [
                    models.Index(fields=["email_lower"], name="velt_usr_email_lower"),
                ],
            },
        ),
        AddPostgresIndex(
            model_name="veltuserrecord",
            index=GinIndex(
                fields=["organization_ids"],
                name="velt_usr_orgs_gin",
                opclasses=["jsonb_path_ops"],
            ),
        ),
    ]
