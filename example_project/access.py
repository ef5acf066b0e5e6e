"""The example project's organization access policy in open mode (DEBUG on, no policy,
authentication or token secret configured).

The resolver endpoints stay open so that the demo can be tried with curl, but Velt's
permission provider (``/velt/permissions/check``) is answered by the groups: a user may
access organization X iff it is in the Django group named X, which the user directory
reports as its organizations (``USER_FIELDS["organizations"] = "groups__name"``) and
the provider hands the policy as the ``velt_orgs`` of ``request.auth``. In token mode the
example uses ``velt_orgs_claim`` itself, which answers both the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from velt_django.access import organization_level, velt_orgs_claim


@organization_level
def open_resolvers_group_permissions(
    request: Any, action: str, organization_id: str, document_ids: Sequence[str]
) -> bool:
    """Every resolver call is allowed; a permission question is allowed iff the user
    is in the group named after the organization (folders and documents follow it)."""
    if getattr(request, "velt_resource", None) is None:
        return True
    return velt_orgs_claim(request, action, organization_id, document_ids)


# Resolver calls are unrestricted: velt_django's checks treat it like allow_all
# (velt.W002 with DEBUG on, velt.E004 with DEBUG off).
open_resolvers_group_permissions.velt_allows_everything = True  # type: ignore[attr-defined]
