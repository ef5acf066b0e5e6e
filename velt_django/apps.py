"""App configuration: registers the system checks and nothing else."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class VeltConfig(AppConfig):
    name = "velt_django"
    label = "velt_django"
    verbose_name = "Velt self-hosted data"

    def ready(self) -> None:
        from . import checks as velt_checks

        checks.register(velt_checks.check_settings, "velt")
