"""Resolver tokens verified against a JWKS URL served over real HTTPS (CONTRACT §16.3):
a local TLS server with a self-signed certificate that the test trusts through
``SSL_CERT_FILE``, so PyJWT's ``PyJWKClient`` fetches the key set the way it would from
an identity provider, caches it for ``JWKS_CACHE_LIFETIME``, and refuses unknown keys."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .contracts import assert_failure, assert_success

ORG = "acme-corp"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    """A certificate for localhost / 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class JwksServer:
    """Serves ``/jwks.json`` over HTTPS and counts the fetches."""

    def __init__(self, tmp: Path, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0
        cert, key = _self_signed(tmp)
        self.cert = cert
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                owner.fetches += 1
                body = json.dumps(owner.jwks).encode()
                self.send_response(200 if self.path == "/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key: Any, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key())
    )
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def _token(private_key: Any, kid: str, orgs: list[str], **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": "u_1", "velt_orgs": orgs, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, private_key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def signing_key() -> Any:
    return _rsa_key()


@pytest.fixture
def jwks_server(
    tmp_path: Path,
    signing_key: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    mongo_db: Any,
) -> Iterator[JwksServer]:
    server = JwksServer(tmp_path, {"keys": [_jwk(signing_key, "key-1")]})
    # urllib's default TLS context trusts this file: our self-signed certificate.
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [
            "velt_django.authentication.ResolverTokenAuthentication"
        ],
        "RESOLVER_TOKEN": {
            "JWKS_URL": server.url,
            "ALGORITHMS": ["RS256"],
            "JWKS_CACHE_LIFETIME": 300,
        },
    }
    try:
        yield server
    finally:
        server.close()


def _get(client: Any, token: str) -> Any:
    return client.post(
        "/velt/comments/get",
        json.dumps({"organizationId": ORG}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_token_signed_by_a_jwks_key_is_accepted_and_the_set_is_cached(
    client: Any, jwks_server: JwksServer, signing_key: Any
) -> None:
    for _ in range(3):
        assert_success(_get(client, _token(signing_key, "key-1", [ORG])), read=True)
    assert jwks_server.fetches == 1


def test_jwks_token_still_only_opens_its_organizations(
    client: Any, jwks_server: JwksServer, signing_key: Any
) -> None:
    response = _get(client, _token(signing_key, "key-1", ["globex"]))
    assert_failure(response, 403, "FORBIDDEN")


def test_token_of_a_key_missing_from_the_set_is_refused(
    client: Any, jwks_server: JwksServer
) -> None:
    stranger = _rsa_key()
    body = assert_failure(
        _get(client, _token(stranger, "key-9", [ORG])), 401, "UNAUTHENTICATED"
    )
    assert body["authErrorCode"] == "KEY_RESOLUTION_FAILED"


def test_token_with_a_known_kid_but_another_key_is_refused(
    client: Any, jwks_server: JwksServer
) -> None:
    forged = _token(_rsa_key(), "key-1", [ORG])
    body = assert_failure(_get(client, forged), 401, "UNAUTHENTICATED")
    assert body["authErrorCode"] == "INVALID_SIGNATURE"
    assert forged not in json.dumps(body)


def test_jwks_server_with_an_untrusted_certificate_is_refused(
    client: Any,
    jwks_server: JwksServer,
    signing_key: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Trust only an unrelated certificate: the JWKS server's own is not trusted.
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    other_cert, _ = _self_signed(unrelated)
    monkeypatch.setenv("SSL_CERT_FILE", str(other_cert))
    body = assert_failure(
        _get(client, _token(signing_key, "key-1", [ORG])), 401, "UNAUTHENTICATED"
    )
    assert body["authErrorCode"] == "KEY_RESOLUTION_FAILED"
    assert jwks_server.fetches == 0
