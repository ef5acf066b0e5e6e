"""The transport of ``VeltClient``: session, retries, credentials and error mapping."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypedDict, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from .. import __version__
from ..conf import velt_settings
from ..exceptions import VeltAPIError, VeltConfigurationError

if TYPE_CHECKING:
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

logger = logging.getLogger(__name__)

USER_AGENT = f"velt-django/{__version__}"

#: Answers worth another attempt of an idempotent call: rate limit and server trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: The longest ``Retry-After`` honoured, in seconds (urllib3 alone waits up to 6 hours);
#: the wait is also cut to the attempt's timeout when that is shorter.
RETRY_AFTER_CAP = 10.0

#: Velt documents that deleting a user's data "may take up to 5 minutes" to answer.
GDPR_DELETE_TIMEOUT = 330.0

JSONObject = dict[str, Any]
Record = Mapping[str, Any]
AccessType = Literal["organizationPrivate", "restricted", "public"]
Order = Literal["asc", "desc"]
_Client = TypeVar("_Client", bound="BaseClient")
_Retry = TypeVar("_Retry", bound="_BoundedRetry")


class _ResourceKey(TypedDict):
    type: Literal["organization", "folder", "document"]
    id: str


class PermissionResource(_ResourceKey, total=False):
    """One entry of ``permissions.resources`` (token generation and access control);
    ``organizationId`` is required for documents and folders, ``expiresAt`` is in
    Unix seconds."""

    organizationId: str
    accessRole: Literal["viewer", "editor"]
    expiresAt: int


class _Secret:
    """A credential that never shows itself in a repr, a traceback's locals or a log."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def _credential(explicit: str | None, setting: str | None, env: str) -> _Secret | None:
    value = explicit or setting or os.environ.get(env) or None
    return _Secret(value) if value else None


def _body(extra: Record | None = None, /, **fields: Any) -> JSONObject:
    """``{"data": {...}}`` from Velt's field names, leaving out fields that are ``None``;
    ``extra`` adds fields the typed arguments do not cover (and wins over them)."""
    data = {name: value for name, value in fields.items() if value is not None}
    if extra:
        data.update(extra)
    return {"data": data}


class _Budget(NamedTuple):
    deadline: float  # time.monotonic() by which the call must be over
    attempt: float  # the timeout of one attempt, in seconds


#: The budget of the call in progress in this thread (or task); set by BaseClient.call.
_budget: ContextVar[_Budget | None] = ContextVar("velt_client_budget", default=None)


class _BoundedRetry(Retry):
    """urllib3's ``Retry`` with a short ``Retry-After`` and a deadline per call.

    A ``Retry-After`` is honoured up to :data:`RETRY_AFTER_CAP` or the attempt's timeout,
    whichever is shorter. Another attempt is only made when its pause plus a whole
    attempt's timeout ends before the call's deadline; otherwise the retries stop and
    the caller gets the last answer (or error), as when the retries run out.
    """

    def parse_retry_after(self, retry_after: str) -> float:
        budget = _budget.get()
        cap = (
            RETRY_AFTER_CAP if budget is None else min(RETRY_AFTER_CAP, budget.attempt)
        )
        return min(super().parse_retry_after(retry_after), cap)

    def _wait(self, response: BaseHTTPResponse | None) -> float:
        """The pause before the next attempt, chosen as urllib3's ``sleep`` does."""
        if self.respect_retry_after_header and response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                return retry_after
        return self.get_backoff_time()

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self._wait(response)
        if wait > 0:
            time.sleep(wait)

    def increment(
        self: _Retry,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> _Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        budget = _budget.get()
        if budget is not None:
            wait = retry._wait(response)
            if time.monotonic() + wait + budget.attempt >= budget.deadline:
                logger.warning(
                    "Velt API %s: not retried, the call's deadline would pass", url
                )
                reason = error or ResponseError("the call's deadline would pass")
                raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]
        return retry


class BaseClient:
    """The transport under :class:`~velt_django.client.VeltClient`: credentials, the
    lazy session, retries, timeouts and error mapping.

    Area mixins subclass it and send each endpoint's :func:`_body` through
    :meth:`_call_retried` (idempotent, so retried) or :meth:`_call_once` (sent once);
    the arguments, retries and errors are described on ``VeltClient``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        auth_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff_factor: float = 0.5,
    ) -> None:
        self.base_url = (base_url or velt_settings.API_BASE_URL).rstrip("/")
        self.timeout = float(velt_settings.API_TIMEOUT if timeout is None else timeout)
        self.retries = int(velt_settings.API_RETRIES if retries is None else retries)
        self.backoff_factor = backoff_factor
        self._api_key = _credential(api_key, velt_settings.API_KEY, "VELT_API_KEY")
        self._auth_token = _credential(
            auth_token, velt_settings.AUTH_TOKEN, "VELT_AUTH_TOKEN"
        )
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._single_attempt: HTTPAdapter | None = None

    def __repr__(self) -> str:
        state = "configured" if self.has_credentials else "missing"
        return f"<VeltClient {self.base_url} credentials={state}>"

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def has_api_key(self) -> bool:
        """Whether an API key is known (the auth token may still be missing)."""
        return self._api_key is not None

    @property
    def has_credentials(self) -> bool:
        """Whether both the API key and the auth token are known."""
        return self._api_key is not None and self._auth_token is not None

    def close(self) -> None:
        """Close the pooled connections; a later call opens new ones."""
        with self._lock:
            if self._session is not None:
                self._session.close()
            if self._single_attempt is not None:
                self._single_attempt.close()
            self._session = None
            self._single_attempt = None

    # ---- transport -------------------------------------------------------------

    def _retry(self, idempotent: bool) -> Retry:
        if idempotent:
            return _BoundedRetry(
                total=self.retries,
                connect=self.retries,
                read=self.retries,
                status=self.retries,
                other=0,
                allowed_methods=frozenset({"POST"}),
                status_forcelist=RETRY_STATUSES,
                backoff_factor=self.backoff_factor,
                respect_retry_after_header=True,
                raise_on_status=False,
            )
        # POST is not an allowed method here (an empty set would allow every method),
        # so answers and read errors are final; only a connection that could not be
        # opened, i.e. nothing was sent, is tried again.
        return _BoundedRetry(
            total=self.retries,
            connect=self.retries,
            read=0,
            status=0,
            other=0,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.backoff_factor,
            respect_retry_after_header=False,
            raise_on_status=False,
        )

    def _transport(self) -> tuple[requests.Session, HTTPAdapter]:
        """The session (its mounted adapter retries) and the single-attempt adapter."""
        with self._lock:
            if self._session is None or self._single_attempt is None:
                session = requests.Session()
                session.headers.update(
                    {"User-Agent": USER_AGENT, "Accept": "application/json"}
                )
                retrying = HTTPAdapter(max_retries=self._retry(idempotent=True))
                session.mount("https://", retrying)
                session.mount("http://", retrying)
                self._session = session
                self._single_attempt = HTTPAdapter(
                    max_retries=self._retry(idempotent=False)
                )
            return self._session, self._single_attempt

    def _secrets(self) -> tuple[str, str]:
        if self._api_key is None or self._auth_token is None:
            raise VeltConfigurationError(
                "Velt API credentials are not configured: set VELT['API_KEY'] and "
                "VELT['AUTH_TOKEN'] (or VELT_API_KEY and VELT_AUTH_TOKEN)."
            )
        return self._api_key.reveal(), self._auth_token.reveal()

    def _url(self, path: str) -> str:
        if "://" in path or path.startswith("//"):
            # The credentials go with every request: never to another host.
            raise ValueError("path must be relative to the client's base URL")
        return f"{self.base_url}/{path.lstrip('/')}"

    def _redact(self, text: str) -> str:
        for secret in (self._api_key, self._auth_token):
            if secret is not None:
                text = text.replace(secret.reveal(), "***")
        return text

    def call(
        self,
        path: str,
        body: Record | None = None,
        *,
        idempotent: bool = False,
        timeout: float | None = None,
    ) -> JSONObject:
        """POST ``body`` (sent as is; default ``{"data": {}}``) to ``path``, e.g.
        ``"v2/organizations/get"``, and return the parsed answer.

        Pass ``idempotent=True`` only for calls that may safely arrive twice.
        """
        api_key, auth_token = self._secrets()
        url = self._url(path)
        session, single_attempt = self._transport()
        request = requests.Request(
            "POST",
            url,
            json=dict(body) if body is not None else {"data": {}},
            headers={"x-velt-api-key": api_key, "x-velt-auth-token": auth_token},
        )
        prepared = session.prepare_request(request)
        # Proxies and CA bundles from the environment, as session.request would apply.
        env = session.merge_environment_settings(url, {}, None, None, None)
        adapter = session.get_adapter(url) if idempotent else single_attempt
        wait = self.timeout if timeout is None else timeout
        # The whole call, retries and their pauses included, gets the time of one
        # attempt per try: timeout x (retries + 1); see _BoundedRetry.
        budget = _budget.set(
            _Budget(time.monotonic() + wait * (self.retries + 1), wait)
        )
        started = time.perf_counter()
        try:
            response = adapter.send(
                prepared,
                timeout=wait,
                verify=True if env["verify"] is None else env["verify"],
                cert=env["cert"],
                proxies=env["proxies"],
            )
        except requests.Timeout as err:
            logger.warning("Velt API %s: timed out after %g s", path, wait)
            raise VeltAPIError(f"Velt API {path}: no answer within {wait:g} s") from err
        except requests.RequestException as err:
            logger.warning("Velt API %s: %s", path, type(err).__name__)
            raise VeltAPIError(
                f"Velt API {path}: connection failed ({type(err).__name__})"
            ) from err
        finally:
            _budget.reset(budget)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return self._parse(path, response, elapsed_ms)

    def _parse(
        self, path: str, response: requests.Response, elapsed_ms: float
    ) -> JSONObject:
        status = response.status_code
        payload: Any
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = self._redact(response.text[:1000])
        error = payload.get("error") if isinstance(payload, dict) else None
        ok = 200 <= status < 300 and not (error is not None and "result" not in payload)
        if ok and isinstance(payload, dict):
            logger.debug("Velt API %s: HTTP %s in %.0f ms", path, status, elapsed_ms)
            return payload
        if ok and payload is None:
            return {}
        code = ""
        detail = ""
        if isinstance(error, dict):
            code = str(error.get("status") or error.get("code") or "")
            detail = str(error.get("message") or "")
        elif ok:
            detail = "the answer is not a JSON object"
        # Velt's messages can quote the request (ids, e-mails): they go in the
        # exception, which the caller handles, but never in the log.
        logger.warning("Velt API %s: HTTP %s %s", path, status, code)
        message = f"Velt API {path}: HTTP {status}"
        if code:
            message += f" {code}"
        if detail:
            message += f": {self._redact(detail)[:300]}"
        raise VeltAPIError(message, status=status, body=payload)

    def _call_retried(self, path: str, body: JSONObject, **kwargs: Any) -> JSONObject:
        """An idempotent call (a read, or a write that may safely arrive twice): failed
        attempts are retried within the call's deadline."""
        return self.call(path, body, idempotent=True, **kwargs)

    def _call_once(self, path: str, body: JSONObject) -> JSONObject:
        """A call that must not arrive twice (it creates something): never retried
        once the request may have reached Velt."""
        return self.call(path, body, idempotent=False)
