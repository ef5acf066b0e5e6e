"""Hostile requests for the stable file URL (``f/<public id>/<name>``): odd path
segments, signature query strings and ``Range`` headers. Never a 5xx or a stack trace;
refusals in the envelope."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..uploads import PNG, request_part
from .conftest import budget
from .endpoints import Endpoint, endpoints
from .strategies import ODD_STRINGS, Upload, file_part, multipart, request_text_part

DOWNLOADS = pytest.mark.parametrize("endpoint", endpoints("download"), ids=str)
pytestmark = pytest.mark.django_db

# A segment is never empty and never holds "/": such a path matches no velt_django
# route, and the host's own 404 page answers it.
segments = st.one_of(
    st.sampled_from(ODD_STRINGS[:-1]), st.text(min_size=1, max_size=40)
).filter(lambda s: s and "/" not in s)
queries = st.dictionaries(
    st.sampled_from(["sig", "exp", "s", "e", "download", "$ne", "x"]),
    st.one_of(st.sampled_from(ODD_STRINGS[:-1]), st.integers().map(str)),
    max_size=3,
)
ranges = st.one_of(
    st.none(),
    st.sampled_from(["bytes=0-", "bytes=-0", "bytes=5-1", "bytes=99999999999-", "x"]),
    st.text(max_size=30),
)


def escape(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@DOWNLOADS
def test_hostile_download_requests(
    mongo_db: Any, make_fuzz: Any, endpoint: Endpoint
) -> None:
    fuzz = make_fuzz(endpoint)
    stored = fuzz.client.post(
        "/velt/attachments/save",
        multipart([file_part(PNG), request_text_part(request_part())]),
        content_type=Upload(b"").content_type,
        **fuzz.headers,
    ).json()["data"]["url"]
    public_id = stored.split("/velt/f/")[1].split("/")[0]

    @budget()
    @given(
        public_id=st.one_of(st.just(public_id), segments),
        name=segments,
        query=queries,
        byte_range=ranges,
    )
    def run(public_id: str, name: str, query: dict[str, str], byte_range: Any) -> None:
        path = endpoint.path.format(public_id=escape(public_id), name=escape(name))
        extra = {} if byte_range is None else {"HTTP_RANGE": byte_range}
        extra["QUERY_STRING"] = "&".join(
            f"{escape(key)}={escape(value)}" for key, value in query.items()
        )
        fuzz.get(path, **extra)

    run()
