"""Every exception and warning velt_django raises."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.exceptions import APIException, AuthenticationFailed


class HttpMapped:
    """How a library failure is answered when it reaches a resolver view: the HTTP
    status, the envelope's ``errorCode`` and a message safe to show (never the
    exception's own text, which may quote payload content, unless ``show_detail``).
    ``status_code = None``: an unexpected failure (500, logged with its traceback)."""

    status_code: int | None = None
    error_code = "INTERNAL_ERROR"
    public_message = "Internal error."
    #: Whether ``str(exc)`` is written for the client (validation messages only).
    show_detail = False

    def client_message(self) -> str:
        return str(self) if self.show_detail else self.public_message


class VeltError(HttpMapped, Exception):
    """Base of the library's own failures (database, storage, Velt API)."""


class RepositoryError(VeltError):
    """A MongoDB operation failed; wraps pymongo's ``PyMongoError``.

    A permanent failure (the cause was logged by code, without payload): retrying would
    fail again, so it is a 500, not the 503 kept for unavailability."""

    status_code = 500
    error_code = "INTERNAL_ERROR"
    public_message = "A database operation failed."


class DatabaseUnavailableError(RepositoryError):
    """MongoDB could not be reached, or a write was not acknowledged in time.

    ``database`` names which database, as the message does ("the database" for
    velt_django's own)."""

    status_code = 503
    error_code = "DATABASE_ERROR"
    public_message = "The database is unavailable; retry later."

    def __init__(self, message: str, *, database: str = "the database") -> None:
        super().__init__(message)
        self.database = database


class DuplicateRecordError(RepositoryError):
    """A write collided with an existing record's unique key."""


class RecordTooLargeError(RepositoryError):
    """A record, or the document it would produce, exceeds a size limit."""

    status_code = 413
    error_code = "PAYLOAD_TOO_LARGE"
    show_detail = True


class InvalidRecordError(VeltError):
    """A payload cannot be stored faithfully (integer out of range, bad text, too deep)."""

    status_code = 400
    error_code = "INVALID_INPUT"
    show_detail = True


class StorageError(VeltError):
    """The file storage backend failed."""

    status_code = 502
    error_code = "STORAGE_ERROR"
    public_message = "The file storage failed."


class VeltAPIError(VeltError):
    """Velt's REST API answered with a non-2xx status or could not be reached."""

    def __init__(
        self, message: str, status: int | None = None, body: Any = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class VeltConfigurationError(HttpMapped, ImproperlyConfigured):
    """The ``VELT`` settings are wrong; deliberately not a :class:`VeltError`."""

    status_code = 500
    error_code = "INTERNAL_ERROR"
    public_message = "The resolver is misconfigured."


class VeltImproperlyInstalled(VeltConfigurationError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""


class ResolverError(APIException):
    """An HTTP-facing failure answered with the resolver envelope
    (docs/wire-protocol.md, "The envelope")."""

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
    codes of docs/tokens.md, "Refusals", and is answered as ``authErrorCode`` in the
    401 envelope. The message is generic: never the token, a claim value or a key."""

    def __init__(self, auth_error_code: str) -> None:
        super().__init__("The resolver token was refused.")
        self.auth_error_code = auth_error_code


class VeltWarning(UserWarning):
    """Something works but is probably not what the integrator wants."""


class VeltDeprecationWarning(VeltWarning, DeprecationWarning):
    """A feature will be removed in a later release."""
