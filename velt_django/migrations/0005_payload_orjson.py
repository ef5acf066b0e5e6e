"""Payload columns decoded by orjson (velt_django.models.PayloadField): no change to
the database; the column stays ``jsonb``."""

from __future__ import annotations

from django.db import migrations

import velt_django.models


class Migration(migrations.Migration):
    dependencies = [
        ("velt_django", "0004_file_webhook_records"),
    ]

    operations = [
        migrations.AlterField(
            model_name="activityrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="commentannotationrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="filerecord",
            name="record",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="notificationrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="reactionannotationrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="recordingannotationrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
        migrations.AlterField(
            model_name="veltuserrecord",
            name="payload",
            field=velt_django.models.PayloadField(default=dict),
        ),
    ]
