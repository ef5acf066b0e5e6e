"""App config of the test-only user model."""

from __future__ import annotations

from django.apps import AppConfig


class UserAppConfig(AppConfig):
    name = "tests.userapp"
    label = "userapp"
    default_auto_field = "django.db.models.BigAutoField"
