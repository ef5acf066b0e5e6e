"""Velt users as the access policy sees them when the permission provider asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from ..directory import Member, get_directory
from .batch import Resource


@dataclass(frozen=True)
class Principal:
    """A Velt user of a batch: ``user`` is the Django user the directory knows for the
    id (``AnonymousUser`` when there is none), ``organization_ids`` the organizations
    the directory lists for it (empty for a user it does not know)."""

    user_id: str
    user: Any
    organization_ids: tuple[str, ...]


@dataclass
class ProviderRequest:
    """What ``ORGANIZATION_ACCESS`` receives as ``request`` for a permission question.

    Shaped like an authenticated resolver request, so the shipped policies answer it:
    ``user`` is the Velt user's Django user (``AnonymousUser`` when unknown) and
    ``auth`` is ``{"sub": <Velt user id>, "velt_orgs": [<the directory's organizations
    of the user>]}``, which :func:`velt_django.access.velt_orgs_claim` checks.
    ``velt_resource`` is the :class:`~velt_django.permissions.Resource` asked about
    (resolver requests have no such attribute); ``http_request`` is the call of Velt's
    servers, which identifies no user.
    """

    user: Any
    auth: dict[str, Any]
    velt_resource: Resource
    http_request: HttpRequest = field(repr=False)
    method: str = "POST"

    @property
    def velt_user_id(self) -> str:
        return str(self.auth["sub"])


def load_principals(user_ids: Sequence[str]) -> dict[str, Principal]:
    """``userId → Principal`` for every id given, known to the directory or not.

    The users are read in one query whatever their number (with a MongoDB directory:
    one ``find`` and one SQL query for the Django users). Raises
    :class:`~velt_django.exceptions.DatabaseUnavailableError` during an outage.
    """
    ids = list(dict.fromkeys(user_ids))
    members: dict[str, Member] = get_directory().members(ids) if ids else {}
    principals: dict[str, Principal] = {}
    for user_id in ids:
        member = members.get(user_id)
        if member is None:
            principals[user_id] = Principal(user_id, AnonymousUser(), ())
        else:
            user = member.user if member.user is not None else AnonymousUser()
            principals[user_id] = Principal(user_id, user, member.organization_ids)
    return principals


def django_user_for(velt_user_id: str) -> Any | None:
    """The Django user the configured user directory knows for a Velt user id, or
    ``None``: the id is unknown, or the directory has no Django user for it (a MongoDB
    directory entry with no account of the same ``USER_FIELDS["userId"]``).

    For a whole batch of ids use :func:`load_principals`, which reads them in one
    query; the permission provider hands policies the user as ``request.user``.
    """
    member = get_directory().members([velt_user_id]).get(velt_user_id)
    return None if member is None else member.user


def provider_request(
    principal: Principal, resource: Resource, http_request: HttpRequest
) -> ProviderRequest:
    """The ``request`` a policy receives for one question of ``principal``."""
    auth = {"sub": principal.user_id, "velt_orgs": list(principal.organization_ids)}
    return ProviderRequest(principal.user, auth, resource, http_request)
