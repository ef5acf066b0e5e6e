"""velt_django's one Django model: the ``User`` fields a user model has no column for."""

from __future__ import annotations

from django.conf import settings
from django.db import models

#: The reverse accessor of :class:`VeltUserProfile` on ``AUTH_USER_MODEL``.
PROFILE_RELATION = "velt_profile"


class VeltUserProfile(models.Model):
    """The Velt ``User`` fields of one ``AUTH_USER_MODEL`` row that
    ``VELT["USER_FIELDS"]`` maps to no column (``photoUrl``, ``color``, ``isAdmin``,
    custom keys …), kept by the Django user directory and deleted with the user.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name=PROFILE_RELATION,
    )
    #: ``User`` key → value, as loaded (JSON values).
    fields = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "Velt user profile"

    def __str__(self) -> str:
        return f"Velt user profile of {self.pk}"
