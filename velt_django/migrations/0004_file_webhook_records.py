"""The PostgreSQL backend's file and webhook delivery tables
(velt_django.models.FileRecord, WebhookDeliveryRecord)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("velt_django", "0003_notification_activity_user_records"),
    ]

    operations = [
        migrations.CreateModel(
            name="FileRecord",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("organization_id", models.TextField()),
                ("scope", models.TextField()),
                ("document_id", models.TextField(null=True)),
                ("attachment_id", models.JSONField()),
                ("sha256", models.TextField()),
                ("storage_key", models.TextField(unique=True)),
                ("public_id", models.TextField(unique=True)),
                ("url", models.TextField(null=True)),
                ("uploaded_by", models.TextField(null=True)),
                ("uploaded_by_kind", models.TextField(null=True)),
                ("record", models.JSONField(default=dict)),
                ("created_at", models.DateTimeField(null=True)),
                ("delete_requested_at", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name": "file record",
                "db_table": "velt_files",
                "indexes": [
                    models.Index(
                        fields=["organization_id", "scope", "url"],
                        name="velt_fil_org_url",
                    ),
                    models.Index(
                        fields=["attachment_id", "scope"], name="velt_fil_attachment"
                    ),
                    models.Index(fields=["uploaded_by"], name="velt_fil_uploaded_by"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("document_id__isnull", False)),
                        fields=(
                            "organization_id",
                            "scope",
                            "document_id",
                            "attachment_id",
                            "sha256",
                        ),
                        name="velt_fil_org_retry_uq",
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("document_id__isnull", True)),
                        fields=("organization_id", "scope", "attachment_id", "sha256"),
                        name="velt_fil_org_retry_nodoc_uq",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="WebhookDeliveryRecord",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("webhook_id", models.TextField(unique=True)),
                ("received_at", models.DateTimeField()),
                ("state", models.TextField(null=True)),
                ("lease_until", models.DateTimeField(null=True)),
                ("claim", models.TextField(null=True)),
                ("attempts", models.IntegerField(default=0)),
                ("signalled", models.BooleanField(default=False)),
                ("emailed", models.JSONField(default=list)),
                ("done_at", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name": "webhook delivery",
                "verbose_name_plural": "webhook deliveries",
                "db_table": "velt_webhook_deliveries",
                "indexes": [
                    models.Index(fields=["received_at"], name="velt_whk_received")
                ],
            },
        ),
    ]
