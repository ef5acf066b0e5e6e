"""velt_django's ``velt_resolver_token``, saying which variable this shell lacks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from velt_django.management.commands import velt_resolver_token


class Command(velt_resolver_token.Command):
    """Refuses with directions when token mode is off in this shell: the server and
    this command must both see ``VELT_RESOLVER_TOKEN_SECRET``.

    Listed before ``velt_django`` in ``INSTALLED_APPS`` so that Django picks this
    command over the original.
    """

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.VELT.get("RESOLVER_TOKEN"):
            raise CommandError(
                "token mode is off in this shell: VELT_RESOLVER_TOKEN_SECRET is not "
                "set. Export the same value the server runs with, then run this "
                "command again."
            )
        super().handle(*args, **options)
