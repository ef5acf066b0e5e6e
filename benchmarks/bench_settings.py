"""Django settings of the files benchmark (``bench_files.py``; ``bench_files_site`` adds
the storages and serves them with gunicorn): DRF and velt_django mounted at ``/velt/``, no
authentication, ``AllowAny`` and ``allow_all``. The database comes from the environment
that ``bench_files.py`` sets. Never use these settings for anything but a benchmark:
every caller may read and write every organization.
"""

import os

DEBUG = False
SECRET_KEY = "velt-bench-not-secret"
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "bench_files_site"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "velt_django",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES: dict[str, object] = {}
VELT = {
    "MONGODB_URI": os.environ["VELT_BENCH_MONGODB_URI"],
    "DATABASE_NAME": os.environ["VELT_BENCH_DATABASE"],
    "SOCKET_TIMEOUT_MS": 120_000,
    "AUTHENTICATION_CLASSES": [],
    "PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "ORGANIZATION_ACCESS": "velt_django.access.allow_all",
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
