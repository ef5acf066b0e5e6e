"""The permission provider: its token, and one decision per question of a batch."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Sequence
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest
from pymongo.errors import ConnectionFailure

from ..conf import velt_settings
from ..exceptions import DatabaseUnavailableError, ResolverError
from .batch import CONTEXT, DOCUMENT, RESOURCE_TYPES, PermissionQuery
from .decisions import Decision, as_decision
from .principals import Principal, load_principals, provider_request

logger = logging.getLogger(__name__)

#: The action the access policy is asked for a permission question.
ACTION = "access"
#: Resource types whose question names a document (``document_ids == [resource.id]``).
DOCUMENT_TYPES = frozenset({DOCUMENT, CONTEXT})
#: Failures inside a policy that mean "the database is down", not "no": they answer the
#: whole batch 503 (Velt retries) instead of caching a refusal.
OUTAGES = (
    DatabaseUnavailableError,
    OperationalError,
    InterfaceError,
    ConnectionFailure,
)


class ProviderTokenRefused(ResolverError):
    """A permission call without ``Authorization: Bearer <PERMISSION_PROVIDER_TOKEN>``
    (401). The message never says what was wrong nor quotes a header."""

    status_code = 401
    default_code = "UNAUTHENTICATED"
    default_detail = "The permission provider token is missing or wrong."


def check_token(request: HttpRequest, token: str) -> None:
    """Require ``Authorization: Bearer <token>``, compared in constant time; the body
    is not touched."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    given = value.strip().encode("utf-8", "surrogateescape")
    expected = token.encode("utf-8", "surrogateescape")
    matches = hmac.compare_digest(given, expected)
    if scheme.lower() != "bearer" or not matches:
        logger.warning("permission provider call refused: missing or wrong token")
        raise ProviderTokenRefused()


def _ask(hook: Any, request: Any, query: PermissionQuery) -> Decision:
    resource = query.resource
    documents = [resource.id] if resource.type in DOCUMENT_TYPES else []
    try:
        result = hook(request, ACTION, resource.organization_id, documents)
    except OUTAGES as err:
        if isinstance(err, DatabaseUnavailableError):
            raise
        raise DatabaseUnavailableError(
            "a database the access policy reads is unavailable"
        ) from err
    except Exception as err:
        # One refused question; the batch goes on. Kinds only at INFO, ids at DEBUG.
        logger.info(
            "permission provider: the access policy raised %s on a %s question; "
            "answered hasAccess false",
            type(err).__name__,
            resource.type,
        )
        logger.debug(
            "permission provider: policy error for user %s, %s %s",
            query.user_id,
            resource.type,
            resource.id,
        )
        return Decision(False)
    return as_decision(result)


def _result(
    query: PermissionQuery, decision: Decision, default_expiry: int | None
) -> dict[str, Any]:
    resource = query.resource
    result: dict[str, Any] = {
        "userId": query.user_id,
        "resourceId": resource.id,
        "type": resource.type,
        "organizationId": resource.organization_id,
        "hasAccess": decision.has_access,
    }
    if decision.has_access:
        if decision.access_role is not None:
            result["accessRole"] = decision.access_role
        expires = decision.expires_at
        if expires is None:
            expires = default_expiry
        if expires is not None:
            result["expiresAt"] = expires
    return result


def decide(
    http_request: HttpRequest,
    queries: Sequence[PermissionQuery],
    principals: dict[str, Principal] | None = None,
) -> list[dict[str, Any]]:
    """Velt's ``PermissionResult`` for each question, in order.

    The users are loaded once for the batch (:func:`load_principals`, unless given);
    each question of a known resource type is put to ``ORGANIZATION_ACCESS`` with the
    action ``"access"``, its organization, and ``[resource.id]`` as the documents of a
    document or context question (none for an organization or folder). A question of
    another type is refused without asking. A policy that raises refuses that question
    only; an unavailable database raises
    :class:`~velt_django.exceptions.DatabaseUnavailableError` for the whole batch.
    """
    if principals is None:
        principals = load_principals([q.user_id for q in queries])
    hook = velt_settings.ORGANIZATION_ACCESS
    ttl = velt_settings.PERMISSION_PROVIDER_TTL
    default_expiry = None if ttl is None else int(time.time() * 1000) + ttl * 1000
    results: list[dict[str, Any]] = []
    allowed = unknown = 0
    for query in queries:
        if query.resource.type not in RESOURCE_TYPES:
            unknown += 1
            decision = Decision(False)
        else:
            request = provider_request(
                principals[query.user_id], query.resource, http_request
            )
            decision = _ask(hook, request, query)
        allowed += decision.has_access
        results.append(_result(query, decision, default_expiry))
        logger.debug(
            "permission provider: user %s %s %s -> %s",
            query.user_id,
            query.resource.type,
            query.resource.id,
            decision.has_access,
        )
    logger.info(
        "permission provider: %d questions, %d allowed, %d of an unknown type",
        len(queries),
        allowed,
        unknown,
    )
    return results
