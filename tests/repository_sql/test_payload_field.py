"""``PayloadField``: payload columns decoded by orjson give the values Django's own
``JSONField`` decoding gives, for everything velt_django stores."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from velt_django.exceptions import InvalidRecordError
from velt_django.models import CommentAnnotationRecord, PayloadField
from velt_django.repository.sql import SqlCommentRepository

from ..families import ORG, record_write
from ..postgres import ALIAS
from .conftest import DATABASES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(databases=DATABASES)]

#: Stored texts whose decoding must not change: the 64-bit integer bounds, many
#: decimals, exponents, escapes and text outside the BMP, nesting, odd keys.
STORED = [
    '{"n": -9223372036854775808, "m": 9223372036854775807}',
    '{"f": 0.1000000000000000055511151231257827, "g": 1.50, "e": 1e-7}',
    '{"t": "caf\\u00e9 \\ud83d\\ude00 \\u200f RTL", "nul": "a\\\\u0000b"}',
    '{"deep": {"a": [1, [2, [3, {"b": null, "c": true, "d": false}]]]}}',
    '{"comments": {"1": {"commentText": "x"}}, "": "", "$ne": "dollar key"}',
]


def _store(text: str, annotation_id: str) -> None:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "INSERT INTO velt_comment_annotations (organization_id, annotation_id,"
            " payload, rev, created_at, updated_at) VALUES (%s, %s, %s::jsonb, 1,"
            " now(), now())",
            [ORG, annotation_id, text],
        )


@pytest.mark.parametrize("text", STORED)
def test_reads_what_django_json_decoding_reads(text: str, settings: Any) -> None:
    _store(text, "a1")
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT payload::text FROM velt_comment_annotations WHERE annotation_id = 'a1'"
        )
        (stored_text,) = cursor.fetchone()
    expected = json.loads(stored_text)
    row = CommentAnnotationRecord.objects.using(ALIAS).get(annotation_id="a1")
    assert row.payload == expected
    assert json.dumps(row.payload, sort_keys=True) == json.dumps(
        expected, sort_keys=True
    )
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
    }
    found = SqlCommentRepository().get_many(ORG, ids=["a1"])
    assert found["a1"] == expected


def test_integer_beyond_64_bits_is_never_stored_and_reads_as_a_float(
    settings: Any,
) -> None:
    """The one value orjson decodes differently: an integer wider than 64 bits becomes
    the nearest float. velt_django refuses such a number on every save (both backends,
    as BSON cannot hold it), so only a row written by other means can hold one."""
    settings.VELT = {
        **settings.VELT,
        "STORAGE_BACKEND": "postgresql",
        "DATABASE_ALIAS": ALIAS,
    }
    with pytest.raises(InvalidRecordError):
        SqlCommentRepository().save_many(
            [record_write("big", {"n": 123456789012345678901234567890})]
        )
    field = PayloadField()
    assert field.from_db_value('{"n": 123456789012345678901234567890}', None, None) == {
        "n": 1.2345678901234568e29
    }
    assert field.from_db_value(None, None, None) is None


def test_models_and_migrations_agree() -> None:
    """No model change is left without its migration."""
    out = StringIO()
    call_command("makemigrations", "velt_django", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()
