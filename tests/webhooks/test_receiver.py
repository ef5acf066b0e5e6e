"""The webhook receiver over HTTP: who is let in (auth token, Svix signature), how
deliveries are unwrapped (Base64, encryption), what is refused (malformed, oversized),
and that a retried delivery is processed once."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from velt_django.exceptions import DatabaseUnavailableError
from velt_django.repository.webhooks import WebhookDeliveryRepository
from velt_django.signals import webhook_received
from velt_django.webhooks import VeltWebhookEvent

from ..contracts import (
    TransportAuthContract,
    TransportMethodContract,
    assert_failure,
    assert_success,
)
from ..webhook_helpers import (
    PATH,
    PRIYA,
    SIGNING_SECRET,
    TOKEN,
    RsaPair,
    basic_event,
    configure,
    deliver,
    encode,
    svix_headers,
)


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    configure(settings)
    return mongo_db


# ---- basic webhooks: the auth token -------------------------------------------------


class TestReceiverTransport(TransportAuthContract, TransportMethodContract):
    """No CORS preflight (deliveries come server to server): ``OPTIONS`` is refused
    like the other methods; ``PUT`` is accepted (see below)."""

    path = "webhooks/velt"
    other_methods = ("get", "patch", "delete", "options")
    wrong_credentials = tuple(
        {"HTTP_AUTHORIZATION": authorization}
        for authorization in (
            f"Basic {TOKEN}x",
            f"Basic {TOKEN[:-1]}",
            f"Bearer {TOKEN}",
            TOKEN,
            "Basic ",
            "",
        )
    )

    @pytest.fixture(autouse=True)
    def _receiver(self, db: Any, events: list[VeltWebhookEvent]) -> None:
        self.store = db
        self.events = events

    def credential(self, client: Client) -> dict[str, Any]:
        return {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}

    def send(self, client: Client, headers: dict[str, Any]) -> Any:
        return deliver(client, basic_event(), token=None, **headers)

    def assert_not_processed(self, response: Any) -> None:
        assert self.events == []
        collection = WebhookDeliveryRepository.collection_name()
        assert self.store[collection].count_documents({}) == 0


def test_webhook_good_token_is_accepted_and_signalled(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    response = deliver(client, basic_event())
    assert_success(response, read=False)
    assert [e.event_type for e in events] == ["comment.add"]
    assert events[0].channel == "basic"
    assert events[0].webhook_id == "velt:wh-0001"


def test_webhook_basic_scheme_is_case_insensitive(db: Any, client: Client) -> None:
    response = deliver(client, basic_event(), HTTP_AUTHORIZATION=f"basic {TOKEN}")
    assert_success(response, read=False)


def test_webhook_without_any_configured_secret_refuses_everything(
    db: Any, client: Client, settings: Any
) -> None:
    configure(settings, WEBHOOK_AUTH_TOKEN=None)
    assert_failure(deliver(client, basic_event()), 401, "UNAUTHENTICATED")
    body = json.dumps(basic_event())
    assert_failure(
        deliver(client, body, token=None, **svix_headers(body)), 401, "UNAUTHENTICATED"
    )


def test_webhook_put_is_accepted(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    # An advanced webhook's transformation may switch the method to PUT.
    response = client.put(
        PATH,
        json.dumps(basic_event()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {TOKEN}",
    )
    assert_success(response, read=False)
    assert [e.event_type for e in events] == ["comment.add"]


def test_webhook_route_answers_with_trailing_slash(db: Any, client: Client) -> None:
    response = client.post(
        PATH + "/",
        json.dumps(basic_event()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {TOKEN}",
    )
    assert_success(response, read=False)


def test_webhook_needs_no_csrf_token(db: Any, settings: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert_success(deliver(client, basic_event()), read=False)


# ---- encoded and encrypted payloads ---------------------------------------------------


def test_webhook_base64_encoded_delivery_is_decoded(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    assert_success(deliver(client, encode(basic_event())), read=False)
    assert events[0].annotation_id == "thread-1"
    assert events[0].event_type == "comment.add"


def test_webhook_encoded_data_alias_is_decoded(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = {"encodedData": encode(basic_event())["encodedPayload"]}
    assert_success(deliver(client, body), read=False)
    assert len(events) == 1


@pytest.mark.parametrize("form", ["pem", "base64-der"])
def test_webhook_encrypted_delivery_is_decrypted(
    db: Any,
    client: Client,
    settings: Any,
    events: list[VeltWebhookEvent],
    form: str,
) -> None:
    pair = RsaPair()
    key = pair.private_pem if form == "pem" else pair.private_der_base64
    configure(settings, WEBHOOK_PRIVATE_KEY=key)
    assert_success(deliver(client, pair.encrypt(basic_event())), read=False)
    assert [(e.event_type, e.organization_id) for e in events] == [
        ("comment.add", "acme-corp")
    ]


def test_webhook_encrypted_and_encoded_delivery_is_unwrapped(
    db: Any, client: Client, settings: Any, events: list[VeltWebhookEvent]
) -> None:
    pair = RsaPair()
    configure(settings, WEBHOOK_PRIVATE_KEY=pair.private_pem)
    assert_success(deliver(client, pair.encrypt(encode(basic_event()))), read=False)
    assert len(events) == 1


def test_webhook_encrypted_for_another_key_is_400(
    db: Any, client: Client, settings: Any, events: list[VeltWebhookEvent]
) -> None:
    configure(settings, WEBHOOK_PRIVATE_KEY=RsaPair().private_pem)
    response = deliver(client, RsaPair().encrypt(basic_event()))
    assert_failure(response, 400, "INVALID_INPUT")
    assert events == []


@pytest.mark.parametrize(
    "change",
    [
        {"iv": "AAAA"},
        {"encryptedData": "not base64!"},
        {"encryptedData": "QUJD"},
        {"encryptedKey": 42},
    ],
)
def test_webhook_corrupt_encrypted_delivery_is_400(
    db: Any, client: Client, settings: Any, change: dict[str, Any]
) -> None:
    pair = RsaPair()
    configure(settings, WEBHOOK_PRIVATE_KEY=pair.private_pem)
    body = {**pair.encrypt(basic_event()), **change}
    assert_failure(deliver(client, body), 400, "INVALID_INPUT")


def test_webhook_encrypted_without_private_key_is_500_so_velt_retries(
    db: Any, client: Client
) -> None:
    response = deliver(client, RsaPair().encrypt(basic_event()))
    assert_failure(response, 500, "INTERNAL_ERROR")
    # Not recorded: the retry after the key is configured is processed.
    assert db[WebhookDeliveryRepository.collection_name()].count_documents({}) == 0


# ---- advanced webhooks: Svix signatures ---------------------------------------------


@pytest.fixture
def svix(db: Any, settings: Any) -> Any:
    configure(settings, WEBHOOK_AUTH_TOKEN=None, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET)
    return db


def advanced_event() -> dict[str, Any]:
    """An advanced-webhook delivery: the event type and its data object."""
    event = basic_event()
    data = {k: event[k] for k in ("actionUser", "commentAnnotation", "metadata")}
    data["comment"] = event["targetComment"]
    return {"eventType": "comment.add", "actionType": "add", "data": data}


def test_webhook_svix_signed_delivery_is_accepted(
    svix: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = json.dumps(advanced_event())
    assert_success(deliver(client, body, token=None, **svix_headers(body)), read=False)
    event = events[0]
    assert (event.channel, event.webhook_id) == ("advanced", "svix:msg_2b7GkP0s")
    assert (event.event_type, event.annotation_id, event.comment_id) == (
        "comment.add",
        "thread-1",
        "660913",
    )
    assert [u.user_id for u in event.mentioned_users] == [PRIYA["userId"]]


def test_webhook_svix_tampered_body_is_401(
    svix: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = json.dumps(advanced_event())
    headers = svix_headers(body)
    tampered = body.replace("thread-1", "thread-2")
    assert_failure(
        deliver(client, tampered, token=None, **headers), 401, "UNAUTHENTICATED"
    )
    assert events == []


def test_webhook_svix_other_secret_is_401(svix: Any, client: Client) -> None:
    body = json.dumps(advanced_event())
    other = "whsec_" + "A" * 43 + "="
    headers = svix_headers(body, secret=other)
    assert_failure(deliver(client, body, token=None, **headers), 401, "UNAUTHENTICATED")


def test_webhook_svix_stale_timestamp_is_401(svix: Any, client: Client) -> None:
    body = json.dumps(advanced_event())
    headers = svix_headers(body, age=datetime.timedelta(minutes=10))
    assert_failure(deliver(client, body, token=None, **headers), 401, "UNAUTHENTICATED")


def test_webhook_svix_future_timestamp_is_401(svix: Any, client: Client) -> None:
    body = json.dumps(advanced_event())
    headers = svix_headers(body, age=-datetime.timedelta(minutes=10))
    assert_failure(deliver(client, body, token=None, **headers), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize(
    "header", ["HTTP_SVIX_ID", "HTTP_SVIX_TIMESTAMP", "HTTP_SVIX_SIGNATURE"]
)
def test_webhook_svix_missing_header_is_401(
    svix: Any, client: Client, header: str
) -> None:
    body = json.dumps(advanced_event())
    headers = svix_headers(body)
    del headers[header]
    assert_failure(deliver(client, body, token=None, **headers), 401, "UNAUTHENTICATED")


@pytest.mark.parametrize("signature", ["v1,@@@", "garbage", "v2,abc v1"])
def test_webhook_svix_malformed_signature_is_401(
    svix: Any, client: Client, signature: str
) -> None:
    body = json.dumps(advanced_event())
    headers = {**svix_headers(body), "HTTP_SVIX_SIGNATURE": signature}
    assert_failure(deliver(client, body, token=None, **headers), 401, "UNAUTHENTICATED")


def test_webhook_unsigned_delivery_is_401_when_only_svix_is_configured(
    svix: Any, client: Client
) -> None:
    # A basic-style delivery cannot bypass the signature: no token is configured.
    assert_failure(deliver(client, advanced_event()), 401, "UNAUTHENTICATED")


def test_webhook_svix_retry_with_same_message_id_is_processed_once(
    svix: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = json.dumps(advanced_event())
    for _ in range(2):
        assert_success(
            deliver(client, body, token=None, **svix_headers(body)), read=False
        )
    assert len(events) == 1


# ---- malformed and oversized bodies -------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{",
        "[1, 2]",
        '"text"',
        "NaN",
        b"\xff\xfe{}",
        json.dumps({"encodedPayload": "%%%"}),
        json.dumps({"encodedPayload": "WzEsMl0="}),  # base64 of [1,2]
        json.dumps({"encodedData": "bm90IGpzb24="}),  # base64 of "not json"
    ],
)
def test_webhook_malformed_body_is_400(
    db: Any, client: Client, events: list[VeltWebhookEvent], body: Any
) -> None:
    assert_failure(deliver(client, body), 400, "INVALID_INPUT")
    assert events == []


def test_webhook_oversized_body_is_413(db: Any, client: Client, settings: Any) -> None:
    configure(settings, WEBHOOK_MAX_BODY_SIZE=1024)
    body = basic_event(padding="x" * 2000)
    assert_failure(deliver(client, body), 413, "PAYLOAD_TOO_LARGE")


def test_webhook_body_at_the_limit_is_accepted(
    db: Any, client: Client, settings: Any
) -> None:
    raw = json.dumps(basic_event())
    configure(settings, WEBHOOK_MAX_BODY_SIZE=len(raw.encode()))
    assert_success(deliver(client, raw), read=False)


def test_webhook_oversized_body_without_token_is_401_first(
    db: Any, client: Client, settings: Any
) -> None:
    # The token is checked before the body is read.
    configure(settings, WEBHOOK_MAX_BODY_SIZE=10)
    assert_failure(
        deliver(client, basic_event(), token="wrong"), 401, "UNAUTHENTICATED"
    )


# ---- idempotency --------------------------------------------------------------------


def test_webhook_same_delivery_twice_sends_one_email_and_one_signal(
    db: Any,
    client: Client,
    settings: Any,
    events: list[VeltWebhookEvent],
    mailoutbox: list[Any],
) -> None:
    from velt_django import users

    configure(settings, WEBHOOK_EMAILS=True)
    users.upsert([PRIYA], "acme-corp")
    for _ in range(2):
        assert_success(deliver(client, basic_event()), read=False)
    assert len(events) == 1
    assert [m.to for m in mailoutbox] == [[PRIYA["email"]]]
    assert db[WebhookDeliveryRepository.collection_name()].count_documents({}) == 1


def test_webhook_retry_encrypted_differently_is_still_one_delivery(
    db: Any, client: Client, settings: Any, events: list[VeltWebhookEvent]
) -> None:
    # Each encryption uses a fresh key and IV; the webhookId inside is what repeats.
    pair = RsaPair()
    configure(settings, WEBHOOK_PRIVATE_KEY=pair.private_pem)
    for _ in range(2):
        assert_success(deliver(client, pair.encrypt(basic_event())), read=False)
    assert len(events) == 1


def test_webhook_without_webhook_id_is_deduplicated_by_content(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    body = basic_event()
    del body["webhookId"]
    for _ in range(2):
        assert_success(deliver(client, body), read=False)
    assert len(events) == 1
    assert events[0].webhook_id.startswith("sha256:")


def test_webhook_different_ids_are_both_processed(
    db: Any, client: Client, events: list[VeltWebhookEvent]
) -> None:
    deliver(client, basic_event(webhook_id="a"))
    deliver(client, basic_event(webhook_id="b"))
    assert [e.webhook_id for e in events] == ["velt:a", "velt:b"]


def test_webhook_database_unavailable_is_503_so_velt_retries(
    db: Any,
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    events: list[VeltWebhookEvent],
) -> None:
    def unavailable(self: Any, webhook_id: str) -> bool:
        raise DatabaseUnavailableError("the database is unavailable")

    monkeypatch.setattr(WebhookDeliveryRepository, "claim", unavailable)
    assert_failure(deliver(client, basic_event()), 503, "DATABASE_ERROR")
    assert events == []


def test_webhook_answer_is_not_cached(db: Any, client: Client) -> None:
    assert deliver(client, basic_event())["Cache-Control"] == "no-store"
    assert deliver(client, basic_event(), token="x")["Cache-Control"] == "no-store"


# Closing the response sends request_finished, which checks Django's database
# connections (one may be open from an earlier test).
@pytest.mark.django_db
def test_webhook_is_processed_before_the_answer(db: Any, settings: Any) -> None:
    # Velt's 2xx must mean "done": nothing is left for after the answer.
    from django.test import RequestFactory

    from velt_django.views.webhooks import VeltWebhookView

    seen: list[str] = []

    def receiver(sender: Any, event: VeltWebhookEvent, **kwargs: Any) -> None:
        seen.append(event.webhook_id)

    request = RequestFactory().post(
        PATH,
        json.dumps(basic_event()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {TOKEN}",
    )
    webhook_received.connect(receiver, weak=False)
    try:
        response = VeltWebhookView.as_view()(request)
        assert response.status_code == 200 and seen == ["velt:wh-0001"]
        response.close()
        assert seen == ["velt:wh-0001"]
    finally:
        webhook_received.disconnect(receiver)
    assert mail.outbox == []
