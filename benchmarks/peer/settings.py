"""Settings of the velt-py peer: the least Django needs to route a request to a view.

The database is velt-py's business (``benchmarks.peer.env``), not Django's, so there are
no ``DATABASES``, no apps and no middleware.
"""

import os

SECRET_KEY = os.environ.get("VELT_PEER_SECRET_KEY", "velt-py-peer-benchmark-only")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "benchmarks.peer.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
# Same body limit as Django's default (velt_django enforces its own MAX_BODY_SIZE).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # Not a line per 4xx answer (404 of a missing delete, 501 ...) in a load test.
    "loggers": {"django.request": {"level": "ERROR"}},
}
