"""Hostile bodies for every JSON endpoint (resolvers, file deletes, token views, the
webhook receiver, the permission provider): random JSON in the endpoint's own fields,
valid requests with one field made hostile, and raw JSON text no encoder writes.
Each answer is checked by ``conftest.check_answer``: never a 5xx or a stack trace,
the failure envelope on a refusal, and nothing stored changed by a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import budget
from .endpoints import Endpoint, endpoints
from .strategies import encode, mutated, random_bodies, raw_bodies

JSON = pytest.mark.parametrize("endpoint", endpoints("json"), ids=str)
pytestmark = pytest.mark.django_db


@pytest.fixture
def fuzz(mongo_db: Any, make_fuzz: Any, endpoint: Endpoint) -> Any:
    return make_fuzz(endpoint)


@JSON
def test_valid_bodies_are_answered_2xx(fuzz: Any, endpoint: Endpoint) -> None:
    # Guards the mutations below: each starts from a request that gets through.
    for body in endpoint.bases():
        response = fuzz.send(encode(body))
        assert response.status_code == endpoint.valid_status, (body, response.content)


@JSON
def test_random_json_in_every_field(fuzz: Any, endpoint: Endpoint) -> None:
    @budget()
    @given(body=random_bodies(endpoint.fields))
    def run(body: Any) -> None:
        fuzz.send(encode(body))

    run()


@JSON
def test_one_field_made_hostile(fuzz: Any, endpoint: Endpoint) -> None:
    @budget(2)
    @given(body=mutated(endpoint.bases()))
    def run(body: Any) -> None:
        fuzz.send(encode(body))

    run()


@JSON
def test_raw_json_text(fuzz: Any, endpoint: Endpoint) -> None:
    @budget()
    @given(
        data=raw_bodies(endpoint.bases()),
        content_type=st.sampled_from(["application/json", "text/plain", ""]),
    )
    def run(data: bytes, content_type: str) -> None:
        fuzz.send(data, content_type=content_type)

    run()
