"""A smaller fuzz budget on the PostgreSQL backend (marker ``postgres``): one-field
mutations and raw JSON text for the endpoints that read or write its tables, and
hostile uploads; stored data is every storage table's rows and the file storage."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from ..families import POSTGRESQL, backend_params
from ..uploads import PNG
from .conftest import MAX_FILE, budget
from .endpoints import Endpoint, endpoints
from .strategies import encode, hostile_uploads, mutated, raw_bodies
from .test_multipart import send as send_upload

ON_POSTGRESQL = pytest.mark.parametrize(
    "backend", [p for p in backend_params() if p.values == (POSTGRESQL,)], indirect=True
)
#: The token views, the webhook receiver and the permission provider store nothing
#: of their own in the storage tables (the webhook's deliveries do, and stay in).
STORAGE = [
    e
    for e in endpoints("json")
    if e.setup not in ("token", "velt-token", "permissions")
]


@ON_POSTGRESQL
@pytest.mark.parametrize("endpoint", STORAGE, ids=str)
def test_hostile_bodies_on_postgresql(
    backend: str, make_fuzz: Any, endpoint: Endpoint
) -> None:
    fuzz = make_fuzz(endpoint)

    @budget(0.5)
    @given(body=mutated(endpoint.bases()), raw=raw_bodies(endpoint.bases()))
    def run(body: Any, raw: bytes) -> None:
        fuzz.send(encode(body))
        fuzz.send(raw)

    run()


@ON_POSTGRESQL
@pytest.mark.parametrize("endpoint", endpoints("multipart"), ids=str)
def test_hostile_uploads_on_postgresql(
    backend: str, make_fuzz: Any, endpoint: Endpoint
) -> None:
    fuzz = make_fuzz(endpoint)

    @budget(0.5)
    @given(upload=hostile_uploads(endpoint.bases(), PNG, MAX_FILE))
    def run(upload: Any) -> None:
        send_upload(fuzz, upload)

    run()
