"""``manage.py velt_replay_webhook``: a sample delivery through the project's receiver,
authenticated like Velt, showing the signal and sending the e-mails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError

from velt_django import users

from ..commands import command_output
from ..families import ORG
from ..webhook_helpers import (
    PRIYA,
    SIGNING_SECRET,
    RsaPair,
    basic_event,
    configure,
)

SAMPLE = Path(__file__).resolve().parents[2] / "example_project" / "webhook_sample.json"


@pytest.fixture
def db(mongo_db: Any, settings: Any) -> Any:
    configure(settings, WEBHOOK_EMAILS=True)
    users.upsert([PRIYA], ORG)
    return mongo_db


def replay(*args: str, stdin: str | None = None) -> str:
    return command_output("velt_replay_webhook", *args, stdin=stdin)


def test_replay_file_shows_the_signal_and_sends_the_email(
    db: Any, tmp_path: Path, mailoutbox: list[Any]
) -> None:
    sample = tmp_path / "delivery.json"
    sample.write_text(json.dumps(basic_event()))
    output = replay(str(sample))
    assert "POST /velt/webhooks/velt -> 200" in output
    assert (
        "webhook_received: event=comment.add org=acme-corp document=spec-q3 "
        "annotation=thread-1 comment=660913 thread=missing author=u_3307 "
        "mentioned=u_1190 assigned=-"
    ) in output
    assert [m.to for m in mailoutbox] == [[PRIYA["email"]]]


def test_replay_twice_is_skipped_as_a_retry(db: Any, mailoutbox: list[Any]) -> None:
    body = json.dumps(basic_event())
    replay("-", stdin=body)
    output = replay("-", stdin=body)
    assert "No webhook_received signal" in output
    assert len(mailoutbox) == 1


def test_replay_encoded(db: Any) -> None:
    output = replay("-", "--encode", stdin=json.dumps(basic_event()))
    assert "webhook_received: event=comment.add" in output


def test_replay_signed_with_svix(db: Any, settings: Any) -> None:
    configure(settings, WEBHOOK_AUTH_TOKEN=None, WEBHOOK_SIGNING_SECRET=SIGNING_SECRET)
    body = {"eventType": "comment_annotation.assign", "data": basic_event()}
    output = replay("-", stdin=json.dumps(body))
    assert "webhook_received: event=comment_annotation.assign" in output


def test_replay_with_svix_flag_needs_the_signing_secret(db: Any) -> None:
    with pytest.raises(CommandError, match="WEBHOOK_SIGNING_SECRET"):
        replay("-", "--svix", stdin=json.dumps(basic_event()))


def test_replay_without_secrets_is_a_command_error(db: Any, settings: Any) -> None:
    configure(settings, WEBHOOK_AUTH_TOKEN=None)
    with pytest.raises(CommandError, match="WEBHOOK_AUTH_TOKEN"):
        replay("-", stdin=json.dumps(basic_event()))


@pytest.mark.parametrize("text", ["{", "[1]", ""])
def test_replay_invalid_json_is_a_command_error(db: Any, text: str) -> None:
    with pytest.raises(CommandError, match="JSON"):
        replay("-", stdin=text)


def test_replay_refused_delivery_is_a_command_error(db: Any) -> None:
    # Encrypted, but no WEBHOOK_PRIVATE_KEY: the receiver answers 500.
    encrypted = RsaPair().encrypt(basic_event())
    with pytest.raises(CommandError, match="refused"):
        replay("-", stdin=json.dumps(encrypted))


def test_replay_the_example_sample(db: Any, mailoutbox: list[Any]) -> None:
    output = replay(str(SAMPLE))
    assert "-> 200" in output and "webhook_received:" in output
