"""Helpers of the webhook tests: Velt-shaped deliveries, encryption and Svix signing
done the way Velt and Svix do it, and a receiver-bound client."""

from __future__ import annotations

import base64
import datetime
import json
import os
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.test import Client
from svix.webhooks import Webhook

from .families import ORG

PATH = "/velt/webhooks/velt"
TOKEN = "wh-token-4f8a2c9e7b1d3a5c"
SIGNING_SECRET = (
    "whsec_" + base64.b64encode(b"velt-django-test-signing-key-32b").decode()
)
DOC = "spec-q3"
THREAD = "thread-1"
FIRST = 517204
REPLY = 660913
PAGE = "https://app.example.com/spec?scommentId=thread-1"

#: Users of the examples: author of the thread, author of the reply, mentioned user.
SAM = {"userId": "u_8841", "name": "Sam Reyes", "email": "sam@acme.example"}
ALEX = {"userId": "u_3307", "name": "Alex Kim", "email": "alex@acme.example"}
PRIYA = {"userId": "u_1190", "name": "Priya Shah", "email": "priya@acme.example"}

#: The stored comment text (self-hosted: Velt never has it, so deliveries lack it).
FIRST_TEXT = "Can we cut this to two screens?"
REPLY_TEXT = "@Priya agreed, see the mock"


def stored_thread() -> dict[str, Any]:
    """The thread as the SDK saves it through ``comments/save``."""
    return {
        "annotationId": THREAD,
        "metadata": {"organizationId": ORG, "documentId": DOC},
        "from": {"userId": SAM["userId"]},
        "comments": {
            str(FIRST): {
                "commentId": FIRST,
                "commentText": FIRST_TEXT,
                "commentHtml": f"<p>{FIRST_TEXT}</p>",
                "from": {"userId": SAM["userId"]},
            },
            str(REPLY): {
                "commentId": REPLY,
                "commentText": REPLY_TEXT,
                "commentHtml": "<p><b>@Priya</b> agreed, see the mock</p>",
                "from": {"userId": ALEX["userId"]},
                "to": [{"userId": PRIYA["userId"]}],
                "taggedUserContacts": [
                    {"userId": PRIYA["userId"], "contact": {"userId": PRIYA["userId"]}}
                ],
            },
        },
    }


def basic_event(
    action: str = "added",
    webhook_id: str = "wh-0001",
    comment_id: int | None = REPLY,
    **extra: Any,
) -> dict[str, Any]:
    """A basic-webhook comment delivery (``WebhookV1Payload``) as Velt sends it when
    comment content is self-hosted: ids and user references, no text."""
    metadata = {
        "apiKey": "pk_test",
        "organizationId": ORG,
        "documentId": DOC,
        "pageInfo": {"url": PAGE, "title": "Q3 spec"},
    }
    messages = [
        {"commentId": FIRST, "from": {"userId": SAM["userId"]}},
        {
            "commentId": REPLY,
            "from": {"userId": ALEX["userId"]},
            "to": [{"userId": PRIYA["userId"]}],
        },
    ]
    body: dict[str, Any] = {
        "webhookId": webhook_id,
        "actionType": action,
        "notificationSource": "comment",
        "actionUser": {"userId": ALEX["userId"]},
        "metadata": metadata,
        "commentAnnotation": {
            "annotationId": THREAD,
            "metadata": metadata,
            "from": {"userId": SAM["userId"]},
            "comments": messages,
            "status": {"id": "OPEN", "name": "Open"},
        },
        "platform": "sdk",
    }
    if comment_id is not None:
        target = next(m for m in messages if m["commentId"] == comment_id)
        body["targetComment"] = dict(target)
    body.update(extra)
    return body


@dataclass
class RsaPair:
    """A receiver key pair; ``private_pem`` goes into ``WEBHOOK_PRIVATE_KEY``."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(65537, 2048)
    )

    @property
    def private_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def private_der_base64(self) -> str:
        """The bare base64 form (no PEM armour), PKCS#1 like Velt's sample code."""
        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        return base64.b64encode(der).decode()

    def encrypt(self, payload: dict[str, Any]) -> dict[str, str]:
        """What Velt sends with payload encryption on: AES-256-CBC data, its key
        wrapped with RSA-OAEP/SHA-256, and the IV, each Base64."""
        aes_key, iv = os.urandom(32), os.urandom(16)
        padder = padding.PKCS7(128).padder()
        plain = padder.update(json.dumps(payload).encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(iv)).encryptor()
        data = encryptor.update(plain) + encryptor.finalize()
        wrapped = self.key.public_key().encrypt(
            aes_key,
            OAEP(mgf=MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
        )
        b64 = base64.b64encode
        return {
            "encryptedData": b64(data).decode(),
            "encryptedKey": b64(wrapped).decode(),
            "iv": b64(iv).decode(),
        }


def encode(payload: dict[str, Any]) -> dict[str, str]:
    """What Velt sends with payload encoding on."""
    return {"encodedPayload": base64.b64encode(json.dumps(payload).encode()).decode()}


def svix_headers(
    body: str,
    msg_id: str = "msg_2b7GkP0s",
    secret: str = SIGNING_SECRET,
    age: datetime.timedelta = datetime.timedelta(0),
) -> dict[str, str]:
    """Svix's delivery headers for ``body``, signed ``age`` ago."""
    when = datetime.datetime.now(datetime.timezone.utc) - age
    return {
        "HTTP_SVIX_ID": msg_id,
        "HTTP_SVIX_TIMESTAMP": str(int(when.timestamp())),
        "HTTP_SVIX_SIGNATURE": Webhook(secret).sign(msg_id, when, body),
    }


def deliver(
    client: Client, body: Any, token: str | None = TOKEN, **headers: Any
) -> Any:
    """POST a delivery (a dict is JSON-encoded) with ``Authorization: Basic <token>``."""
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    if token is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Basic {token}")
    return client.post(PATH, data, content_type="application/json", **headers)


def configure(settings: Any, **velt: Any) -> None:
    """Webhook settings for a test: the auth token, the Mongo user directory, the app
    templates and Django's locmem e-mail backend; ``velt`` adds or overrides keys."""
    settings.VELT = {
        **settings.VELT,
        "WEBHOOK_AUTH_TOKEN": TOKEN,
        "USER_DIRECTORY_CLASS": "velt_django.directory.MongoUserDirectory",
        **velt,
    }
    settings.TEMPLATES = [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "velt@app.example.com"
