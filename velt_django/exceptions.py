"""Every exception and warning velt_django raises."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import APIException, AuthenticationFailed


class VeltError(Exception):
    """Base of the library's own failures (database, storage, Velt API)."""


class RepositoryError(VeltError):
    """A MongoDB operation failed; wraps pymongo's ``PyMongoError``."""


class DatabaseUnavailableError(RepositoryError):
    """MongoDB could not be reached, or a write was not acknowledged in time.

    ``database`` names which database, as the message does ("the database" for
    velt_django's own)."""

    def __init__(self, message: str, *, database: str = "the database") -> None:
        super().__init__(message)
        self.database = database


class DuplicateRecordError(RepositoryError):
    """A write collided with an existing record's unique key."""


class RecordTooLargeError(RepositoryError):
    """A record, or the document it would produce, exceeds a size limit."""


class InvalidRecordError(VeltError):
    """A payload cannot be stored faithfully (integer out of range, bad text, too deep)."""


class StorageError(VeltError):
    """The file storage backend failed."""


class VeltAPIError(VeltError):
    """Velt's REST API answered with a non-2xx status or could not be reached."""

    def __init__(
        self, message: str, status: int | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class VeltConfigurationError(ImproperlyConfigured):
    """The ``VELT`` settings are wrong; deliberately not a :class:`VeltError`."""


class VeltImproperlyInstalled(VeltConfigurationError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ResolverError(APIException):
    """An HTTP-facing failure answered with the resolver envelope (CONTRACT §2.2)."""

    status_code = 400
    default_code = "INVALID_INPUT"
    default_detail = "Invalid request."

    def __init__(
        self,
        message: str | None = None,
        *,
        status_code: int | None = None,
        error_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or self.default_detail)
        if status_code is not None:
            self.status_code = status_code
        self.error_code = error_code or self.default_code
        self.extra = extra or {}


class InvalidInput(ResolverError):
    status_code = 400
    default_code = "INVALID_INPUT"
    default_detail = "The request body is invalid."


class Forbidden(ResolverError):
    status_code = 403
    default_code = "FORBIDDEN"
    default_detail = "Not allowed for this organization."


class PayloadTooLarge(ResolverError):
    status_code = 413
    default_code = "PAYLOAD_TOO_LARGE"
    default_detail = "The request exceeds a size limit."


class WebhookRefused(ResolverError):
    """A webhook delivery without a valid auth token or Svix signature (401). The
    message never says which check failed beyond that, nor quotes a header."""

    status_code = 401
    default_code = "UNAUTHENTICATED"
    default_detail = "The webhook delivery is not authenticated."


class ResolverTokenRefused(AuthenticationFailed):
    """A resolver token failed verification; ``auth_error_code`` is one of the nine
    codes of CONTRACT §16.4 and is answered as ``authErrorCode`` in the 401 envelope.
    The message is generic: never the token, a claim value or a key."""

    def __init__(self, auth_error_code: str) -> None:
        super().__init__("The resolver token was refused.")
        self.auth_error_code = auth_error_code


class VeltWarning(UserWarning):
    """Something works but is probably not what the integrator wants."""


class VeltDeprecationWarning(VeltWarning, DeprecationWarning):
    """A feature will be removed in a later release."""
