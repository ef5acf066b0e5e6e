"""One Velt webhook delivery: authenticated (basic auth token or Svix signature),
size-limited, and unwrapped (Base64 encoding, encryption) into a JSON object."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from ..bodies import parse_json_object, read_limited
from ..conf import velt_settings
from ..exceptions import (
    InvalidInput,
    VeltConfigurationError,
    VeltImproperlyInstalled,
    WebhookRefused,
)
from . import crypto

logger = logging.getLogger(__name__)

BASIC = "basic"
ADVANCED = "advanced"

#: Headers of a Svix delivery (the "webhook-*" names are the Standard Webhooks aliases).
SVIX_HEADERS = (
    ("svix-id", "webhook-id"),
    ("svix-timestamp", "webhook-timestamp"),
    ("svix-signature", "webhook-signature"),
)
#: Keys under which Velt sends a Base64-encoded payload.
ENCODED_FIELDS = ("encodedPayload", "encodedData")
#: Unwrapping steps allowed (encryption around encoding is two).
MAX_UNWRAP = 3


@dataclass(frozen=True)
class Delivery:
    """An authenticated delivery: the channel it came through, the id that makes its
    retries recognisable, and the decoded Velt payload (personal data: never log it)."""

    channel: str
    webhook_id: str
    payload: dict[str, Any] = field(repr=False)


def _svix_headers(request: HttpRequest) -> dict[str, str]:
    found: dict[str, str] = {}
    for names in SVIX_HEADERS:
        for name in names:
            value = request.headers.get(name)
            if value:
                found[names[0]] = value
                break
    return found


def channel_of(request: HttpRequest) -> str:
    """``"advanced"`` when the request carries Svix headers, else ``"basic"``."""
    return ADVANCED if _svix_headers(request) else BASIC


def check_auth_token(request: HttpRequest) -> None:
    """Require ``Authorization: Basic <WEBHOOK_AUTH_TOKEN>`` (constant-time)."""
    token = velt_settings.WEBHOOK_AUTH_TOKEN
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if token is None:
        logger.warning("velt webhook refused: no WEBHOOK_AUTH_TOKEN is configured")
        raise WebhookRefused()
    if scheme.lower() != "basic" or not constant_time_compare(value.strip(), token):
        logger.warning("velt webhook refused: missing or wrong auth token")
        raise WebhookRefused()


def check_signature(request: HttpRequest, raw: bytes) -> None:
    """Verify the Svix signature of ``raw`` with ``WEBHOOK_SIGNING_SECRET``: a valid
    ``v1`` signature of the id, the timestamp and the exact body, with the timestamp
    within five minutes of now (older deliveries are refused as replays)."""
    secret = velt_settings.WEBHOOK_SIGNING_SECRET
    if secret is None:
        logger.warning("velt webhook refused: no WEBHOOK_SIGNING_SECRET is configured")
        raise WebhookRefused()
    try:
        from svix.webhooks import Webhook, WebhookVerificationError
    except ImportError as err:
        raise VeltImproperlyInstalled(
            'Svix-signed webhooks need the svix package: pip install "velt-django[webhooks]"'
        ) from err
    try:
        verifier = Webhook(secret)
    except Exception as err:  # the library raises several kinds for a bad secret
        raise VeltConfigurationError(
            'VELT["WEBHOOK_SIGNING_SECRET"] is not a Svix secret ("whsec_…").'
        ) from err
    try:
        verifier.verify(raw, _svix_headers(request))
    except (WebhookVerificationError, ValueError, TypeError):
        # ValueError: a malformed signature header or a body that is not UTF-8.
        logger.warning("velt webhook refused: missing, wrong or stale Svix signature")
        raise WebhookRefused() from None


def read_body(request: HttpRequest) -> bytes:
    """The body, at most ``WEBHOOK_MAX_BODY_SIZE`` bytes (413 beyond)."""
    return read_limited(request, velt_settings.WEBHOOK_MAX_BODY_SIZE, "the delivery")


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """Undo Velt's optional payload encryption and Base64 encoding (400 when broken)."""
    for _ in range(MAX_UNWRAP):
        if crypto.is_encrypted(body):
            key_text = velt_settings.WEBHOOK_PRIVATE_KEY
            if key_text is None:
                raise VeltConfigurationError(
                    'An encrypted webhook arrived but VELT["WEBHOOK_PRIVATE_KEY"] is not set.'
                )
            try:
                plain = crypto.decrypt(body, crypto.private_key(key_text))
            except crypto.DecryptionError as err:
                raise InvalidInput(
                    f"the encrypted delivery is invalid: {err}"
                ) from None
            body = parse_json_object(plain)
            continue
        encoded = next((body[k] for k in ENCODED_FIELDS if k in body), None)
        if encoded is None:
            return body
        try:
            plain = crypto.b64decode(encoded, "the encoded payload")
        except crypto.DecryptionError as err:
            raise InvalidInput(str(err)) from None
        body = parse_json_object(plain)
    raise InvalidInput("the delivery is wrapped too many times")


def delivery_id(channel: str, request: HttpRequest, payload: dict[str, Any]) -> str:
    """The id Velt repeats on every retry: the Svix message id, Velt's ``webhookId``,
    or else a digest of the decoded payload (a retry sends the same payload)."""
    if channel == ADVANCED:
        return f"svix:{_svix_headers(request)['svix-id']}"
    webhook_id = payload.get("webhookId")
    if isinstance(webhook_id, (str, int)) and not isinstance(webhook_id, bool):
        if str(webhook_id):
            return f"velt:{webhook_id}"
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def receive(request: HttpRequest) -> Delivery:
    """Authenticate, read and decode one delivery.

    Raises :class:`WebhookRefused` (401), :class:`PayloadTooLarge` (413),
    :class:`InvalidInput` (400) or :class:`VeltConfigurationError` (500).
    """
    channel = channel_of(request)
    if channel == BASIC:
        # Before the body is read: an unauthenticated caller costs nothing.
        check_auth_token(request)
    raw = read_body(request)
    if channel == ADVANCED:
        check_signature(request, raw)
    payload = unwrap(parse_json_object(raw))
    return Delivery(channel, delivery_id(channel, request, payload), payload)
