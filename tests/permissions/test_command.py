"""``manage.py velt_replay_permissions``: a batch through the project's permission
provider, in process, with the configured token; and the example project's policy and
sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management.base import CommandError
from django.test import Client

from ..commands import command_output
from .helpers import ACME, GLOBEX, batch, configure, granted, post, question, user

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"
SAMPLE = EXAMPLE / "permission_sample.json"
EXAMPLE_POLICY = "example_project.access.open_resolvers_group_permissions"


@pytest.fixture
def groups(settings: Any) -> None:
    configure(settings, ORGANIZATION_ACCESS=EXAMPLE_POLICY)
    user("u1", ACME)
    user("u2", GLOBEX)


def replay(*args: str, stdin: str | None = None) -> str:
    return command_output("velt_replay_permissions", *args, stdin=stdin)


def test_builtin_sample(groups: None) -> None:
    output = replay()
    assert "POST /velt/permissions/check -> 200" in output
    assert (
        "u1 organization acme-corp (organization acme-corp): allowed, expires" in output
    )
    assert "u1 document spec-2024-q3 (organization acme-corp): allowed" in output
    assert "u1 folder design-reviews (organization acme-corp): allowed" in output
    assert "u1 organization globex (organization globex): refused" in output


def test_builtin_sample_for_another_user(groups: None) -> None:
    output = replay("--user", "u2", "--organization", GLOBEX)
    assert "u2 organization globex (organization globex): allowed" in output
    assert "refused" not in output


def test_the_example_sample_file(groups: None) -> None:
    lines = [line for line in replay(str(SAMPLE)).splitlines()[1:] if line]
    assert [line.split(": ")[1].split(",")[0] for line in lines] == [
        "allowed",
        "allowed",
        "allowed",
        "allowed",
        "refused",
        "refused",
    ]
    assert lines[3].startswith("u1 context spec-2024-q3")


def test_stdin(groups: None) -> None:
    body = json.dumps(batch(question("u2", "folder", "ops", GLOBEX)))
    assert "u2 folder ops (organization globex): allowed" in replay("-", stdin=body)


def test_refused_batch_is_a_command_error(groups: None) -> None:
    with pytest.raises(CommandError, match="400"):
        replay("-", stdin=json.dumps(batch({"userId": {"$ne": None}})))


def test_needs_the_token(settings: Any) -> None:
    with pytest.raises(CommandError, match="PERMISSION_PROVIDER_TOKEN"):
        replay()


def test_example_policy_keeps_resolvers_open_and_answers_by_groups(
    groups: None, client: Client
) -> None:
    # The provider: by groups, although the policy opens every resolver call.
    body = batch(
        question("u1", "organization", ACME),
        question("u1", "document", "d", GLOBEX),
        question("u2", "document", "d", GLOBEX),
        question("stranger", "organization", ACME),
    )
    assert granted(post(client, body)) == [True, False, True, False]
