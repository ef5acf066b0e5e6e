"""App config that gives the example project a database when none is configured."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from django.apps import AppConfig
from django.conf import settings

from .server import in_reloader_parent, start_embedded_server

logger = logging.getLogger(__name__)


class DevDBConfig(AppConfig):
    """Starts SecantusDB when DEBUG is on and ``VELT["MONGODB_URI"]`` is empty.

    velt_django itself never starts a database; this demo app does, so that the example
    runs on a fresh checkout with nothing else installed.
    """

    name = "example_project.devdb"
    label = "devdb"
    verbose_name = "Example development database"

    def ready(self) -> None:
        if in_reloader_parent(sys.argv, os.environ):
            return
        velt = settings.VELT
        if settings.DEBUG and not velt.get("MONGODB_URI"):
            data_dir = Path(settings.EXAMPLE_DATA_DIR)
            uri = start_embedded_server(data_dir)
            velt["MONGODB_URI"] = uri
            from velt_django.repository import ensure_indexes

            ensure_indexes()
            logger.info(
                "velt example: no VELT_MONGODB_URI set; started embedded SecantusDB dev "
                "server at %s (data in %s)",
                uri,
                data_dir,
            )
        if settings.EXAMPLE_OPEN_ACCESS:
            logger.warning(
                "velt example: DEBUG is on and no access policy is configured, so /velt/ "
                "accepts UNAUTHENTICATED calls for EVERY organization (allow_all). "
                "Development only: set VELT_ORGANIZATION_ACCESS and "
                "VELT_AUTHENTICATION_CLASSES before exposing it."
            )
