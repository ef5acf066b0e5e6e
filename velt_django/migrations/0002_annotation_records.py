"""The PostgreSQL backend's annotation tables (velt_django.models.AnnotationRecord)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("velt_django", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommentAnnotationRecord",
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
                "verbose_name": "comment annotation",
                "db_table": "velt_comment_annotations",
                "indexes": [
                    models.Index(
                        fields=["organization_id", "document_id"],
                        name="velt_cmt_org_doc",
                    ),
                    models.Index(
                        fields=["organization_id", "folder_id"],
                        name="velt_cmt_org_folder",
                    ),
                    models.Index(fields=["annotation_id"], name="velt_cmt_annotation"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "annotation_id"),
                        name="velt_cmt_org_annotation_uq",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ReactionAnnotationRecord",
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
                "verbose_name": "reaction annotation",
                "db_table": "velt_reaction_annotations",
                "indexes": [
                    models.Index(
                        fields=["organization_id", "document_id"],
                        name="velt_rxn_org_doc",
                    ),
                    models.Index(
                        fields=["organization_id", "folder_id"],
                        name="velt_rxn_org_folder",
                    ),
                    models.Index(fields=["annotation_id"], name="velt_rxn_annotation"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "annotation_id"),
                        name="velt_rxn_org_annotation_uq",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="RecordingAnnotationRecord",
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
                "verbose_name": "recording annotation",
                "db_table": "velt_recorder_annotations",
                "indexes": [
                    models.Index(
                        fields=["organization_id", "document_id"],
                        name="velt_rec_org_doc",
                    ),
                    models.Index(
                        fields=["organization_id", "folder_id"],
                        name="velt_rec_org_folder",
                    ),
                    models.Index(fields=["annotation_id"], name="velt_rec_annotation"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization_id", "annotation_id"),
                        name="velt_rec_org_annotation_uq",
                    )
                ],
            },
        ),
    ]
