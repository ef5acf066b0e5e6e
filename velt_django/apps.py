"""App configuration: registers the system checks and the per-request check of kept
PostgreSQL connections (``repository.sql.connection_check``)."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class VeltConfig(AppConfig):
    name = "velt_django"
    label = "velt_django"
    verbose_name = "Velt self-hosted data"

    def ready(self) -> None:
        from django.core.signals import request_started

        from . import checks as velt_checks
        from .repository.sql.connection_check import check_connections

        checks.register(velt_checks.check_settings, "velt")
        request_started.connect(
            check_connections, dispatch_uid="velt_django.connection_check"
        )
