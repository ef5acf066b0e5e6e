"""Transport contract tests written once (CONTRACT §1.3, §2, §16.6).

Each endpoint's test class inherits the mixins and sets ``path``, ``collection``,
``reads`` and ``valid_body()``, or, for a declared family (``tests/families.py``),
inherits ``FamilyEndpointContract`` and sets only ``operation``. The mixins talk HTTP
through Django's test client against the ``wire_db`` database, so every inherited test is
a wire-tier test.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from velt_django.repository import connection

from .auth import principal
from .families import MONGODB, Family, sql_envelopes

ALLOWED_ORIGIN = "https://app.example.com"
FOREIGN_ORIGIN = "https://evil.example.net"


def canonical(value: Any) -> str:
    """JSON text that differs whenever keys, values or JSON types differ (``1`` vs ``1.0``,
    ``0`` vs ``false`` vs ``null``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def assert_json_equal(actual: Any, expected: Any) -> None:
    """JSON equality as Appendix A defines it: same keys, values and JSON types."""
    assert canonical(actual) == canonical(expected)


def envelope(response: Any) -> dict[str, Any]:
    """The parsed JSON body of a resolver response."""
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body, dict)
    return body


def assert_success(response: Any, *, read: bool) -> dict[str, Any]:
    """A success envelope (CONTRACT §2.2 rules 2–4, 6); returns the parsed body."""
    assert response.status_code == 200, response.content
    body = envelope(response)
    assert body["success"] is True
    assert body["statusCode"] == 200
    assert type(body["timestamp"]) is int
    assert response["Cache-Control"] == "no-store"
    if read:
        assert isinstance(body["data"], dict)
    else:
        assert "data" not in body
    return body


def assert_failure(response: Any, status: int, error_code: str) -> dict[str, Any]:
    """A failure envelope whose HTTP status equals ``statusCode`` (CONTRACT §2.2 rule 5)."""
    assert response.status_code == status, response.content
    body = envelope(response)
    assert body["success"] is False
    assert body["statusCode"] == status
    assert body["errorCode"] == error_code
    assert isinstance(body["message"], str)
    assert type(body["timestamp"]) is int
    assert response["Cache-Control"] == "no-store"
    return body


class EndpointContract:
    """Base of the mixins: what an endpoint's test class must provide."""

    #: Path below the mount, without trailing slash, e.g. ``"comments/save"``.
    path: ClassVar[str]
    #: Collection the endpoint reads or writes, e.g. ``"velt_comment_annotations"``.
    collection: ClassVar[str]
    #: Whether success responses carry ``data`` (gets) or not (saves/deletes).
    reads: ClassVar[bool]

    def valid_body(self) -> dict[str, Any]:
        """A body the default principal (``u_test`` in ``acme-corp``) may send."""
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _wire(self, wire_db: Any) -> None:
        """Every contract test runs against a fresh wire-tier database."""

    @property
    def db(self) -> Any:
        # Changing VELT in a test closes the client, so never keep a handle.
        return connection.get_database()


class RoutingContract(EndpointContract):
    """Both slash variants answer without redirecting; other methods get 405."""

    def test_route_without_trailing_slash_answers_post(self, post_json: Any) -> None:
        response = post_json(self.path, self.valid_body())
        assert_success(response, read=self.reads)

    def test_route_with_trailing_slash_answers_post(self, post_json: Any) -> None:
        response = post_json(self.path + "/", self.valid_body())
        assert_success(response, read=self.reads)

    @pytest.mark.parametrize("method", ["get", "put"])
    def test_route_other_method_is_405_envelope(self, client: Any, method: str) -> None:
        call = getattr(client, method)
        response = call(f"/velt/{self.path}", **principal("u_test", "acme-corp"))
        assert_failure(response, 405, "METHOD_NOT_ALLOWED")


class PreflightContract(EndpointContract):
    """``OPTIONS`` is a CORS preflight, answered without a credential (CONTRACT §16.6)."""

    @pytest.fixture
    def cors(self, settings: Any) -> None:
        settings.VELT = {**settings.VELT, "CORS_ALLOWED_ORIGINS": [ALLOWED_ORIGIN]}

    def preflight(self, client: Any, origin: str) -> Any:
        return client.options(
            f"/velt/{self.path}",
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
        )

    def test_preflight_allowed_origin_is_echoed_without_credential(
        self, client: Any, cors: None
    ) -> None:
        response = self.preflight(client, ALLOWED_ORIGIN)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN

    def test_preflight_allows_post(self, client: Any, cors: None) -> None:
        response = self.preflight(client, ALLOWED_ORIGIN)
        methods = {
            m.strip() for m in response["Access-Control-Allow-Methods"].split(",")
        }
        assert "POST" in methods

    def test_preflight_allows_authorization_and_content_type_headers(
        self, client: Any, cors: None
    ) -> None:
        response = self.preflight(client, ALLOWED_ORIGIN)
        headers = {
            h.strip().lower()
            for h in response["Access-Control-Allow-Headers"].split(",")
        }
        assert {"authorization", "content-type"} <= headers

    def test_preflight_has_no_envelope(self, client: Any, cors: None) -> None:
        response = self.preflight(client, ALLOWED_ORIGIN)
        assert b'"success"' not in response.content

    def test_preflight_foreign_origin_gets_no_allow_origin(
        self, client: Any, cors: None
    ) -> None:
        response = self.preflight(client, FOREIGN_ORIGIN)
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response

    def test_cors_actual_response_repeats_allowed_origin(
        self, post_json: Any, cors: None
    ) -> None:
        response = post_json(self.path, self.valid_body(), HTTP_ORIGIN=ALLOWED_ORIGIN)
        assert_success(response, read=self.reads)
        assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN

    def test_cors_actual_response_never_uses_wildcard_for_foreign_origin(
        self, post_json: Any, cors: None
    ) -> None:
        response = post_json(self.path, self.valid_body(), HTTP_ORIGIN=FOREIGN_ORIGIN)
        assert "Access-Control-Allow-Origin" not in response


class AuthContract(EndpointContract):
    """No credential → 401 envelope, nothing written."""

    def test_auth_missing_credential_is_401_envelope(self, post_json: Any) -> None:
        response = post_json(self.path, self.valid_body(), as_=None)
        assert_failure(response, 401, "UNAUTHENTICATED")


class BodyContract(EndpointContract):
    """Body parsing rules of CONTRACT §2.1."""

    @pytest.mark.parametrize(
        "raw", ["[1, 2]", '"text"', "42", "null", "true", "{not json", ""]
    )
    def test_body_not_an_object_is_400_invalid_input(
        self, post_json: Any, raw: str
    ) -> None:
        response = post_json(self.path, raw)
        assert_failure(response, 400, "INVALID_INPUT")

    def test_body_json_sent_as_text_plain_is_parsed(self, post_json: Any) -> None:
        response = post_json(
            self.path, json.dumps(self.valid_body()), content_type="text/plain"
        )
        assert_success(response, read=self.reads)

    def test_body_unknown_request_fields_are_ignored(self, post_json: Any) -> None:
        body = {
            **self.valid_body(),
            "futureField": {"nested": [1, 2]},
            "anotherOne": None,
        }
        assert_success(post_json(self.path, body), read=self.reads)

    def test_body_over_max_body_size_is_413(
        self, post_json: Any, settings: Any
    ) -> None:
        settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 512}
        body = {**self.valid_body(), "padding": "x" * 1024}
        assert_failure(post_json(self.path, body), 413, "PAYLOAD_TOO_LARGE")

    def test_body_over_django_upload_limit_but_under_max_is_accepted(
        self, post_json: Any, settings: Any
    ) -> None:
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        body = {**self.valid_body(), "padding": "x" * 4096}
        assert_success(post_json(self.path, body), read=self.reads)


class WriteContract(EndpointContract):
    """A refused write leaves the collection as it was. ``seed()`` stores what
    ``valid_body()`` would change (deletes need something to delete)."""

    def seed(self, post_json: Any) -> None:
        """Store the records ``valid_body()`` acts on; saves need nothing."""

    def stored_ids(self) -> list[tuple[str, str]]:
        docs = self.db[self.collection].find(
            {}, {"organizationId": 1, "annotationId": 1}
        )
        return sorted((d["organizationId"], d["annotationId"]) for d in docs)

    def test_write_missing_credential_changes_nothing(self, post_json: Any) -> None:
        self.seed(post_json)
        before = self.stored_ids()
        assert_failure(
            post_json(self.path, self.valid_body(), as_=None), 401, "UNAUTHENTICATED"
        )
        assert self.stored_ids() == before

    def test_write_over_max_body_size_changes_nothing(
        self, post_json: Any, settings: Any
    ) -> None:
        self.seed(post_json)
        before = self.stored_ids()
        settings.VELT = {**settings.VELT, "MAX_BODY_SIZE": 512}
        post_json(self.path, {**self.valid_body(), "padding": "x" * 1024})
        assert self.stored_ids() == before

    def test_write_valid_body_changes_stored_records(self, post_json: Any) -> None:
        # Guards the two tests above: the same body, authenticated, does change the store.
        self.seed(post_json)
        before = self.stored_ids()
        assert_success(post_json(self.path, self.valid_body()), read=False)
        assert self.stored_ids() != before


class EnvelopeContract(EndpointContract):
    """The success envelope (CONTRACT §2.2)."""

    def test_envelope_success_shape(self, post_json: Any) -> None:
        assert_success(post_json(self.path, self.valid_body()), read=self.reads)


class ReadEndpointContract(
    RoutingContract, PreflightContract, AuthContract, BodyContract, EnvelopeContract
):
    """Every transport contract of a ``*/get`` endpoint."""

    reads = True


class WriteEndpointContract(
    RoutingContract,
    PreflightContract,
    AuthContract,
    BodyContract,
    EnvelopeContract,
    WriteContract,
):
    """Every transport contract of a ``*/save`` or ``*/delete`` endpoint."""

    reads = False


class FamilyEndpointContract(EndpointContract):
    """An endpoint of the ``family`` the test is parametrized with: path, collection and
    bodies come from the family's declaration; subclasses set ``operation``. Every test
    runs on each storage backend (the ``backend`` fixture, tests/views/conftest.py)."""

    operation: ClassVar[str]
    family: Family
    backend: str

    @pytest.fixture(autouse=True)
    def _wire(self, backend: str) -> None:
        """A fresh wire-tier MongoDB database, or the PostgreSQL alias."""
        self.backend = backend

    @pytest.fixture(autouse=True)
    def _family(self, family: Family) -> None:
        self.family = family

    def stored_ids(self) -> list[tuple[str, str]]:
        if self.backend == MONGODB:
            return super().stored_ids()  # type: ignore[misc, no-any-return]
        rows = sql_envelopes(self.collection)
        return sorted((r["organizationId"], r["annotationId"]) for r in rows)

    @property
    def path(self) -> str:  # type: ignore[override]
        return self.family.path(self.operation)

    @property
    def collection(self) -> str:  # type: ignore[override]
        return self.family.collection

    def valid_body(self) -> dict[str, Any]:
        family = self.family
        if self.operation == "get":
            return family.get_body(ids=["r-1"])
        if self.operation == "save":
            return family.save_body(family.record("r-1"), event=family.add_event)
        return family.delete_body("r-1")

    def seed(self, post_json: Any) -> None:
        """A delete needs the record it deletes."""
        if self.operation == "delete":
            body = self.family.save_body(self.family.record("r-1"))
            assert_success(post_json(self.family.path("save"), body), read=False)


# ---- endpoints outside the JSON resolver bodies --------------------------------------
# The multipart uploads (and the file deletes beside them), the resolver-token view and
# the webhook receiver share the transport rules below but not the JSON body rules.
# Their test classes choose their database tier with their own autouse fixture.


class TransportContract:
    """Base of the transport mixins: what such an endpoint's test class provides."""

    #: Path below the mount, without trailing slash, e.g. ``"attachments/save"``.
    path: ClassVar[str]
    #: Methods the endpoint refuses with a 405 envelope.
    other_methods: ClassVar[tuple[str, ...]] = ("get", "put", "patch", "delete")
    #: Whether a refused method is 405 even without a credential (the method is
    #: checked before authentication).
    method_checked_before_credential: ClassVar[bool] = True
    #: Headers of credentials that must not let a request in, besides none at all.
    wrong_credentials: ClassVar[tuple[dict[str, Any], ...]] = ()

    @property
    def url(self) -> str:
        return f"/velt/{self.path}"

    def credential(self, client: Any) -> dict[str, Any]:
        """Request headers of a credential the endpoint accepts (it may sign
        ``client`` in instead and return no header)."""
        raise NotImplementedError

    def send(self, client: Any, headers: dict[str, Any]) -> Any:
        """A request the endpoint would process, with ``headers`` as its only
        credential."""
        raise NotImplementedError

    def assert_not_processed(self, response: Any) -> None:
        """Nothing of the refused ``response``'s request took effect."""

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # One hook for every mixin: a class gets only one through its MRO.
        names = metafunc.fixturenames
        if "refused_credential" in names:
            headers = ({}, *self.wrong_credentials)
            metafunc.parametrize(
                "refused_credential",
                headers,
                ids=["none"] + [repr(h) for h in self.wrong_credentials],
            )
        if "method" in names:
            metafunc.parametrize("method", self.other_methods)
        if "slash" in names:
            metafunc.parametrize("slash", ["", "/"], ids=["bare", "slash"])
        if "with_credential" in names:
            modes = [True, False] if self.method_checked_before_credential else [True]
            metafunc.parametrize(
                "with_credential",
                modes,
                ids=["credential", "no-credential"][: len(modes)],
            )


class TransportAuthContract(TransportContract):
    """No credential, or a wrong one → 401 envelope, and nothing processed."""

    def test_transport_refused_credential_is_401_envelope(
        self, client: Any, refused_credential: dict[str, Any]
    ) -> None:
        response = self.send(client, refused_credential)
        assert_failure(response, 401, "UNAUTHENTICATED")
        self.assert_not_processed(response)


class TransportMethodContract(TransportContract):
    """``other_methods`` get a 405 envelope on both slash variants."""

    def test_transport_other_method_is_405_envelope(
        self, client: Any, method: str, slash: str, with_credential: bool
    ) -> None:
        headers = self.credential(client) if with_credential else {}
        response = getattr(client, method)(self.url + slash, **headers)
        assert_failure(response, 405, "METHOD_NOT_ALLOWED")


class TransportPreflightContract(TransportContract):
    """``OPTIONS`` from an allowed origin is answered without a credential
    (CONTRACT §16.6); a foreign origin gets no CORS headers."""

    #: Request headers the browser asks for in the preflight.
    preflight_headers: ClassVar[tuple[str, ...]] = ("authorization", "content-type")
    #: Whether the endpoint is used with ``CORS_ALLOW_CREDENTIALS`` (a session cookie).
    cors_credentials: ClassVar[bool] = False

    @pytest.fixture
    def cors(self, settings: Any) -> None:
        velt = {**settings.VELT, "CORS_ALLOWED_ORIGINS": [ALLOWED_ORIGIN]}
        if self.cors_credentials:
            velt["CORS_ALLOW_CREDENTIALS"] = True
        settings.VELT = velt

    def preflight(self, client: Any, origin: str) -> Any:
        return client.options(
            self.url,
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS=", ".join(self.preflight_headers),
        )

    def test_transport_preflight_is_answered_without_credential(
        self, client: Any, cors: None
    ) -> None:
        bare = client.options(self.url, HTTP_ORIGIN=ALLOWED_ORIGIN)
        assert bare.status_code == 200
        assert bare["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        response = self.preflight(client, ALLOWED_ORIGIN)
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
        allowed = response["Access-Control-Allow-Headers"].lower()
        for header in self.preflight_headers:
            assert header in allowed
        if self.cors_credentials:
            assert response["Access-Control-Allow-Credentials"] == "true"
        else:
            assert "Access-Control-Allow-Credentials" not in response

    def test_transport_preflight_foreign_origin_gets_no_allow_origin(
        self, client: Any, cors: None
    ) -> None:
        response = self.preflight(client, FOREIGN_ORIGIN)
        assert "Access-Control-Allow-Origin" not in response
        assert "Access-Control-Allow-Methods" not in response
