"""ResolverTokenAuthentication: every failure code over HTTP, and every refused setting."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import jwt
import pytest

from velt_django.authentication import ResolverTokenAuthentication, verify_token
from velt_django.exceptions import ResolverTokenRefused

SECRET = "a-test-only-resolver-secret-" + "x" * 40
TOKEN_CLASS = "velt_django.authentication.ResolverTokenAuthentication"
ORG = "acme-corp"
GET = {"organizationId": ORG}


def _velt(settings: Any, **token: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [TOKEN_CLASS],
        "RESOLVER_TOKEN": {"SECRET": SECRET, **token},
    }


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "u1",
        "velt_orgs": [ORG],
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _token(key: Any = SECRET, algorithm: str = "HS256", **overrides: Any) -> str:
    return jwt.encode(_claims(**overrides), key, algorithm=algorithm)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _post(client: Any, token: str | None, body: Any = GET) -> Any:
    headers = {} if token is None else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return client.post(
        "/velt/comments/get",
        json.dumps(body),
        content_type="application/json",
        **headers,
    )


def _assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["errorCode"] == "UNAUTHENTICATED"
    assert body["authErrorCode"] == code
    assert body["success"] is False and body["statusCode"] == 401


# --- accepted tokens ----------------------------------------------------------------


def test_authentication_valid_hs256_token_opens_its_organization(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    response = _post(client, _token())
    assert response.status_code == 200, response.content
    assert response.json()["data"] == {}


def test_authentication_valid_token_of_another_organization_is_forbidden(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    response = _post(client, _token(velt_orgs=["other-org"]))
    assert response.status_code == 403
    assert response.json()["errorCode"] == "FORBIDDEN"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_authentication_other_hmac_algorithms(
    client: Any, settings: Any, mongo_db: Any, algorithm: str
) -> None:
    _velt(settings, ALGORITHMS=[algorithm])
    assert _post(client, _token(algorithm=algorithm)).status_code == 200


def test_authentication_static_public_key(
    client: Any, settings: Any, mongo_db: Any, rsa_pem: tuple[bytes, str]
) -> None:
    private, public = rsa_pem
    settings.VELT = {
        **settings.VELT,
        "AUTHENTICATION_CLASSES": [TOKEN_CLASS],
        "RESOLVER_TOKEN": {"PUBLIC_KEY": public, "ALGORITHMS": ["RS256"]},
    }
    assert _post(client, _token(private, "RS256")).status_code == 200
    # An HS256 token signed with the public key as secret (the classic confusion attack).
    forged = jwt.api_jws.PyJWS().encode(
        json.dumps(_claims()).encode(), b"x" * 64, algorithm="HS256"
    )
    _assert_refused(_post(client, forged), "ALGORITHM_NOT_ALLOWED")


def test_authentication_issuer_and_audience_accepted(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, ISSUER="https://app.example", AUDIENCE="velt-resolver")
    token = _token(iss="https://app.example", aud="velt-resolver")
    assert _post(client, token).status_code == 200


def test_authentication_leeway_accepts_recently_expired(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, LEEWAY=60)
    assert _post(client, _token(exp=int(time.time()) - 10)).status_code == 200


def test_authentication_missing_exp_allowed_when_not_required(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, REQUIRE_EXP=False)
    assert _post(client, _token(exp=None)).status_code == 200


def test_authentication_sets_principal_and_claims(settings: Any, rf: Any) -> None:
    _velt(settings)
    request = rf.post("/", HTTP_AUTHORIZATION=f"Bearer {_token()}")
    user, claims = ResolverTokenAuthentication().authenticate(request)  # type: ignore[misc]
    assert user.user_id == "u1" and user.is_authenticated
    assert claims["velt_orgs"] == [ORG] and claims["sub"] == "u1"


# --- every failure code -------------------------------------------------------------


def test_authentication_expired_token(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, LEEWAY=0)
    _assert_refused(_post(client, _token(exp=int(time.time()) - 5)), "EXPIRED")


def test_authentication_not_yet_valid_token(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, LEEWAY=0)
    token = _token(nbf=int(time.time()) + 120)
    _assert_refused(_post(client, token), "CLAIM_MISMATCH")


def test_authentication_wrong_secret(client: Any, settings: Any, mongo_db: Any) -> None:
    _velt(settings)
    token = _token(key="another-secret-" + "y" * 60)
    _assert_refused(_post(client, token), "INVALID_SIGNATURE")


def test_authentication_tampered_payload(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    header, _, signature = _token().split(".")
    tampered = ".".join([header, _b64(_claims(velt_orgs=[ORG, "victim"])), signature])
    _assert_refused(_post(client, tampered), "INVALID_SIGNATURE")


def test_authentication_wrong_audience(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, AUDIENCE="velt-resolver")
    _assert_refused(_post(client, _token(aud="someone-else")), "CLAIM_MISMATCH")
    _assert_refused(_post(client, _token()), "CLAIM_MISMATCH")  # no aud at all


def test_authentication_wrong_issuer(client: Any, settings: Any, mongo_db: Any) -> None:
    _velt(settings, ISSUER="https://app.example")
    _assert_refused(_post(client, _token(iss="https://evil.example")), "CLAIM_MISMATCH")


def test_authentication_algorithm_not_in_allowlist(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, ALGORITHMS=["HS256"])
    _assert_refused(_post(client, _token(algorithm="HS512")), "ALGORITHM_NOT_ALLOWED")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_authentication_alg_none(
    client: Any, settings: Any, mongo_db: Any, alg: str
) -> None:
    _velt(settings)
    unsigned = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims())}."
    _assert_refused(_post(client, unsigned), "ALGORITHM_NOT_ALLOWED")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "a.b", "%%%.%%%.%%%"], ids=str)
def test_authentication_malformed_token(
    client: Any, settings: Any, mongo_db: Any, token: str
) -> None:
    _velt(settings)
    _assert_refused(_post(client, token), "VERIFICATION_FAILED")


def test_authentication_missing_exp(client: Any, settings: Any, mongo_db: Any) -> None:
    _velt(settings)
    _assert_refused(_post(client, _token(exp=None)), "CLAIM_MISMATCH")


def test_authentication_missing_sub(client: Any, settings: Any, mongo_db: Any) -> None:
    _velt(settings)
    _assert_refused(_post(client, _token(sub=None)), "CLAIM_MISMATCH")


def test_authentication_velt_orgs_not_a_list(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    _assert_refused(_post(client, _token(velt_orgs={"a": 1})), "CLAIM_MISMATCH")


def test_authentication_max_ttl_refuses_a_longer_lifetime(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, MAX_TTL=3600)
    now = int(time.time())
    assert _post(client, _token(iat=now, exp=now + 3600)).status_code == 200
    _assert_refused(_post(client, _token(iat=now, exp=now + 3601)), "CLAIM_MISMATCH")
    # An old token that was issued with a long lifetime is refused too.
    old = _token(iat=now - 86400, exp=now + 60)
    _assert_refused(_post(client, old), "CLAIM_MISMATCH")


def test_authentication_max_ttl_without_iat_bounds_what_remains(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, MAX_TTL=3600, LEEWAY=30)
    now = int(time.time())
    assert _post(client, _token(iat=None, exp=now + 3600)).status_code == 200
    far = _token(iat=None, exp=now + 30 * 86400)
    _assert_refused(_post(client, far), "CLAIM_MISMATCH")


def test_authentication_max_ttl_requires_exp(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, MAX_TTL=3600, REQUIRE_EXP=False)
    _assert_refused(_post(client, _token(exp=None)), "CLAIM_MISMATCH")


def test_authentication_empty_bearer(client: Any, settings: Any, mongo_db: Any) -> None:
    _velt(settings)
    response = client.post(
        "/velt/comments/get",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer",
    )
    _assert_refused(response, "MISSING_TOKEN")


def test_authentication_no_header_is_401_without_code(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    response = _post(client, None)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "UNAUTHENTICATED"


def test_authentication_explicit_class_without_key_is_not_configured(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    settings.VELT = {**settings.VELT, "AUTHENTICATION_CLASSES": [TOKEN_CLASS]}
    _assert_refused(_post(client, _token()), "NOT_CONFIGURED")


def test_authentication_public_key_with_missing_cryptography(
    settings: Any, monkeypatch: pytest.MonkeyPatch, rsa_pem: tuple[bytes, str]
) -> None:
    private, public = rsa_pem
    settings.VELT = {
        **settings.VELT,
        "RESOLVER_TOKEN": {"PUBLIC_KEY": public, "ALGORITHMS": ["RS256"]},
    }
    monkeypatch.setattr("velt_django.authentication.has_crypto", False)
    with pytest.raises(ResolverTokenRefused) as caught:
        verify_token(_token(private, "RS256"))
    assert caught.value.auth_error_code == "DEPENDENCY_MISSING"


def test_authentication_pem_in_secret_slot_refused_at_runtime(
    settings: Any, rsa_pem: tuple[bytes, str]
) -> None:
    _, public = rsa_pem
    settings.VELT = {**settings.VELT, "RESOLVER_TOKEN": {"SECRET": public}}
    forged = jwt.api_jws.PyJWS().encode(
        json.dumps(_claims()).encode(), b"x" * 64, algorithm="HS256"
    )
    with pytest.raises(ResolverTokenRefused) as caught:
        verify_token(forged)
    assert caught.value.auth_error_code in {
        "KEY_RESOLUTION_FAILED",
        "INVALID_SIGNATURE",
    }


def test_authentication_mixed_allowlist_refused_at_runtime(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "RESOLVER_TOKEN": {"SECRET": SECRET, "ALGORITHMS": ["HS256", "RS256"]},
    }
    with pytest.raises(ResolverTokenRefused) as caught:
        verify_token(_token())
    assert caught.value.auth_error_code == "NOT_CONFIGURED"


def test_authentication_never_logs_or_answers_the_token(
    client: Any, settings: Any, mongo_db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _velt(settings)
    bad = _token(key="another-secret-" + "y" * 60)
    with caplog.at_level(logging.DEBUG):
        response = _post(client, bad)
    assert response.status_code == 401
    for text in (caplog.text, response.content.decode()):
        assert bad not in text and bad.split(".")[2] not in text
        assert SECRET not in text
    assert "INVALID_SIGNATURE" in caplog.text


# --- defaults -----------------------------------------------------------------------


def test_authentication_default_classes_accept_tokens_once_a_secret_is_set(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    velt = {k: v for k, v in settings.VELT.items() if k != "AUTHENTICATION_CLASSES"}
    settings.VELT = {**velt, "RESOLVER_TOKEN": {"SECRET": SECRET}}
    assert _post(client, _token()).status_code == 200
    _assert_refused(_post(client, _token(exp=int(time.time()) - 600)), "EXPIRED")


def test_authentication_default_classes_without_key_ignore_bearer(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    velt = {k: v for k, v in settings.VELT.items() if k != "AUTHENTICATION_CLASSES"}
    settings.VELT = velt
    response = _post(client, _token())
    assert response.status_code == 401
    assert "authErrorCode" not in response.json()


def test_authentication_jwks_over_http_refused_at_runtime(settings: Any) -> None:
    settings.VELT = {
        **settings.VELT,
        "RESOLVER_TOKEN": {
            "JWKS_URL": "http://127.0.0.1:1/jwks",
            "ALGORITHMS": ["RS256"],
        },
    }
    token = f"{_b64({'alg': 'RS256'})}.{_b64(_claims())}.c2ln"
    with pytest.raises(ResolverTokenRefused) as caught:
        verify_token(token)
    assert caught.value.auth_error_code == "KEY_RESOLUTION_FAILED"


# --- the memo of verified tokens ----------------------------------------------------


def _count_decodes(monkeypatch: Any) -> list[str]:
    calls: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr("velt_django.authentication.jwt.decode", counting)
    return calls


def test_authentication_a_repeated_token_is_verified_once(
    client: Any, settings: Any, mongo_db: Any, monkeypatch: Any
) -> None:
    _velt(settings)
    decodes = _count_decodes(monkeypatch)
    token = _token()
    for _ in range(3):
        assert _post(client, token).status_code == 200
    assert decodes == [token]
    assert _post(client, _token(sub="u2")).status_code == 200
    assert len(decodes) == 2


def test_authentication_a_remembered_token_is_refused_once_it_expires(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings, LEEWAY=0)
    token = _token(exp=int(time.time()) + 1)
    assert _post(client, token).status_code == 200
    time.sleep(2.1)
    _assert_refused(_post(client, token), "EXPIRED")


def test_authentication_a_remembered_token_is_refused_after_a_key_change(
    client: Any, settings: Any, mongo_db: Any
) -> None:
    _velt(settings)
    token = _token()
    assert _post(client, token).status_code == 200
    settings.VELT = {**settings.VELT, "RESOLVER_TOKEN": {"SECRET": SECRET + "-new"}}
    _assert_refused(_post(client, token), "INVALID_SIGNATURE")


def test_authentication_the_memo_is_verified_again_when_it_ages(
    client: Any, settings: Any, mongo_db: Any, monkeypatch: Any
) -> None:
    _velt(settings)
    monkeypatch.setattr("velt_django.authentication.VERIFIED_SECONDS", 0.0)
    decodes = _count_decodes(monkeypatch)
    token = _token()
    assert _post(client, token).status_code == 200
    assert _post(client, token).status_code == 200
    assert decodes == [token, token]


def test_authentication_the_memo_is_bounded(settings: Any, monkeypatch: Any) -> None:
    from velt_django import authentication

    _velt(settings)
    monkeypatch.setattr(authentication, "VERIFIED_ENTRIES", 3)
    tokens = [_token(sub=f"u{k}") for k in range(5)]
    for token in tokens:
        assert verify_token(token)["sub"]
    assert [key[0] for key in authentication._verified] == tokens[2:]
    claims = verify_token(tokens[4])
    claims["sub"] = "changed by the caller"
    assert verify_token(tokens[4])["sub"] == "u4"
