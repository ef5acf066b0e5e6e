"""Velt's REST API as the client tests mock it with ``responses`` (no network): the base
URL and credentials of the ``velt`` fixture, a success answer, and the two checks every
call of a module's call table owes (``DocumentedCalls``)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest
import responses

from velt_django import __version__
from velt_django.client import GDPR_DELETE_TIMEOUT, VeltClient
from velt_django.exceptions import VeltAPIError

BASE = "https://velt.test"
KEY = "api-key-4f1c9b"
TOKEN = "auth-token-77d2ae0b"
OK = {"result": {"status": "success", "message": "done", "data": {}}}
DOC_RESOURCE = {"type": "document", "id": "doc-1", "organizationId": "org-1"}

#: A row of a call table: (method, keyword arguments, path, expected "data", retried on
#: 429/5xx).
Call = tuple[str, dict[str, Any], str, dict[str, Any], bool]


def sent(api: responses.RequestsMock, index: int = 0) -> Any:
    return api.calls[index].request


class DocumentedCalls:
    """Each call of ``calls`` sends the documented request and is retried on 503 only
    when it is idempotent. A module's test class sets ``calls`` to its table."""

    calls: ClassVar[list[Call]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        metafunc.parametrize(
            ("method", "kwargs", "path", "data", "retried"),
            self.calls,
            ids=[call[0] for call in self.calls],
        )

    def test_client_call_sends_documented_request(
        self,
        api: responses.RequestsMock,
        velt: VeltClient,
        method: str,
        kwargs: dict[str, Any],
        path: str,
        data: dict[str, Any],
        retried: bool,
    ) -> None:
        api.post(f"{BASE}/{path}", json=OK)
        assert getattr(velt, method)(**kwargs) == OK
        request = sent(api)
        assert request.method == "POST"
        assert json.loads(request.body) == {"data": data}
        assert request.headers["x-velt-api-key"] == KEY
        assert request.headers["x-velt-auth-token"] == TOKEN
        assert request.headers["User-Agent"] == f"velt-django/{__version__}"
        assert request.headers["Content-Type"] == "application/json"
        expected_timeout = (
            GDPR_DELETE_TIMEOUT if method == "delete_all_user_data" else 7
        )
        assert request.req_kwargs["timeout"] == expected_timeout

    def test_client_retries_only_idempotent_calls_on_503(
        self,
        api: responses.RequestsMock,
        velt: VeltClient,
        method: str,
        kwargs: dict[str, Any],
        path: str,
        data: dict[str, Any],
        retried: bool,
    ) -> None:
        api.post(
            f"{BASE}/{path}", status=503, json={"error": {"status": "UNAVAILABLE"}}
        )
        api.post(f"{BASE}/{path}", json=OK)
        if retried:
            assert getattr(velt, method)(**kwargs) == OK
            assert len(api.calls) == 2
        else:
            with pytest.raises(VeltAPIError) as caught:
                getattr(velt, method)(**kwargs)
            assert caught.value.status == 503
            assert len(api.calls) == 1
        api.assert_all_requests_are_fired = False
