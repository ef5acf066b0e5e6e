"""Found by the fuzz tier (tests/fuzz): a lone surrogate escape (``"\\ud800"``) in a
file delete's ``url`` or an upload's ``attachment.name``/``mimeType`` is a 400, not a
500 from the database, on mongomock and PostgreSQL; nothing stored changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from velt_django.models import FileRecord
from velt_django.repository import connection

from ..auth import principal
from ..contracts import assert_failure
from ..families import MONGODB, POSTGRES_ALIAS, on_backends
from ..uploads import COLLECTION, ORG, PATHS, SCOPES, upload

pytestmark = on_backends(mongomock=True)

LONE = '"\\ud800"'


@pytest.fixture
def stored(backend: str, media: Path, client: Client) -> Any:
    """One uploaded attachment; returns a snapshot function of records and files."""
    assert upload(client, "attachment").status_code == 200

    def snapshot() -> Any:
        files = sorted(p.name for p in media.rglob("*") if p.is_file())
        if backend == MONGODB:
            records = list(connection.get_database()[COLLECTION].find({}))
        else:
            rows = FileRecord.objects.using(POSTGRES_ALIAS).order_by("pk")
            records = [dict(row) for row in rows.values()]
        assert records and files
        return records, files

    return snapshot


@SCOPES
def test_delete_url_with_lone_surrogate_is_400(
    stored: Any, client: Client, scope: str
) -> None:
    before = stored()
    body = '{"attachmentId": 284117, "url": ' + LONE + "}"
    response = client.post(
        f"/velt/{PATHS[scope]}/delete",
        body,
        content_type="application/json",
        **principal("u_8841", ORG),
    )
    assert_failure(response, 400, "INVALID_INPUT")
    assert stored() == before


@pytest.mark.parametrize("field", ["name", "mimeType"])
def test_upload_name_or_type_with_lone_surrogate_is_400(
    stored: Any, client: Client, field: str
) -> None:
    before = stored()
    request = (
        '{"attachment": {"attachmentId": 7, "' + field + '": ' + LONE + "}, "
        '"metadata": {"organizationId": "' + ORG + '", "documentId": "d"}}'
    )
    response = upload(client, "attachment", fields={"request": request})
    assert_failure(response, 400, "INVALID_INPUT")
    assert stored() == before
