"""Settings for the test suite: the app, DRF, a VELT dict (MongoDB is patched in), and a
PostgreSQL alias for the PostgreSQL tier."""

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "velt_django",
    # A user model with a column the user directory must never return (users tests).
    "tests.userapp",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    # The PostgreSQL tier's alias: tests/postgres.py fills in HOST, PORT and USER at
    # session start (a private cluster, or VELT_TEST_POSTGRES_URL) when a collected test
    # uses it; Django creates test_velt there. Tests name it: databases={"default", "velt_pg"}.
    "velt_pg": {"ENGINE": "django.db.backends.postgresql", "NAME": "velt"},
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
VELT = {
    # Unit tests swap in mongomock; wire tests point this at SecantusDB or a real mongod.
    "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
    "DATABASE_NAME": "velt_tests",
    "AUTHENTICATION_CLASSES": ["tests.auth.TestPrincipalAuthentication"],
    "PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "ORGANIZATION_ACCESS": "velt_django.access.velt_orgs_claim",
    # The suite sends thousands of requests as one principal; tests/test_throttling.py
    # puts the default rate back.
    "THROTTLE_RATE": None,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"]},
}
