"""``VeltClient``: a thin, typed wrapper over Velt's REST API (https://api.velt.dev)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .. import __version__
from ..conf import velt_settings
from ..exceptions import VeltAPIError, VeltConfigurationError

logger = logging.getLogger(__name__)

USER_AGENT = f"velt-django/{__version__}"

#: Answers worth another attempt of an idempotent call: rate limit and server trouble.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: Velt documents that deleting a user's data "may take up to 5 minutes" to answer.
GDPR_DELETE_TIMEOUT = 330.0

JSONObject = dict[str, Any]
Record = Mapping[str, Any]
AccessType = Literal["organizationPrivate", "restricted", "public"]
Order = Literal["asc", "desc"]


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


class VeltClient:
    """Calls Velt's REST API with the workspace credentials.

    Each argument falls back to ``VELT`` (``API_KEY``, ``AUTH_TOKEN``, ``API_BASE_URL``,
    ``API_TIMEOUT``, ``API_RETRIES``), then, for the two secrets, to the environment
    variables ``VELT_API_KEY`` and ``VELT_AUTH_TOKEN``. The ``requests.Session`` is created
    on the first call and reused; :meth:`close` (or ``with VeltClient() as client``)
    releases its connections.

    Every call is a POST with a JSON body and a timeout. A non-2xx answer, an answer
    whose body is Velt's ``{"error": {...}}`` envelope, a timeout or a connection failure
    raises :class:`~velt_django.exceptions.VeltAPIError` (``status`` is ``None`` when no
    answer arrived; ``body`` holds the parsed answer). Missing credentials raise
    :class:`~velt_django.exceptions.VeltConfigurationError` at the first call.

    Retries: Velt's API is POST-only, so urllib3's ``Retry`` is told per call whether
    POST may be repeated. Reads, deletes, updates and settings writes leave the same
    state however often they arrive; they are retried with exponential backoff (and
    ``Retry-After``) on connection errors, timeouts, 429 and 5xx. Calls that create
    something (``add_*``, ``broadcast_event``) could create it twice, so they are only
    retried when the connection could not be opened, i.e. nothing was sent.
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

    def __enter__(self) -> VeltClient:
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
            return Retry(
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
        return Retry(
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

    def _get(self, path: str, body: JSONObject, **kwargs: Any) -> JSONObject:
        return self.call(path, body, idempotent=True, **kwargs)

    def _create(self, path: str, body: JSONObject) -> JSONObject:
        return self.call(path, body, idempotent=False)

    # ---- auth tokens and access control -----------------------------------------

    def generate_token(
        self,
        *,
        user_id: str,
        resources: Sequence[PermissionResource],
        is_admin: bool | None = None,
        name: str | None = None,
        email: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/auth/generate_token``: a user JWT for the frontend's ``identify``
        (valid 48 hours); the token is ``["result"]["data"]["token"]``."""
        properties = {
            key: value
            for key, value in (("isAdmin", is_admin), ("name", name), ("email", email))
            if value is not None
        }
        return self._get(
            "v2/auth/generate_token",
            _body(
                extra,
                userId=user_id,
                userProperties=properties,
                permissions={"resources": list(resources)},
            ),
        )

    def user_token(
        self,
        *,
        user_id: str,
        resources: Sequence[PermissionResource],
        is_admin: bool | None = None,
        name: str | None = None,
        email: str | None = None,
    ) -> str:
        """The token of :meth:`generate_token` alone; an answer without one raises
        :class:`VeltAPIError`."""
        answer = self.generate_token(
            user_id=user_id,
            resources=resources,
            is_admin=is_admin,
            name=name,
            email=email,
        )
        result = answer.get("result")
        data = result.get("data") if isinstance(result, dict) else None
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise VeltAPIError(
                "Velt API v2/auth/generate_token: the answer holds no token",
                status=200,
                body=answer,
            )
        return token

    def generate_token_v1(
        self,
        *,
        user_id: str,
        organization_id: str | None = None,
        is_admin: bool | None = None,
        email: str | None = None,
    ) -> JSONObject:
        """``v1/auth/token/get``: the older token call, credentials in the body."""
        api_key, auth_token = self._secrets()
        properties = {
            key: value
            for key, value in (
                ("organizationId", organization_id),
                ("isAdmin", is_admin),
                ("email", email),
            )
            if value is not None
        }
        return self._get(
            "v1/auth/token/get",
            _body(
                apiKey=api_key,
                authToken=auth_token,
                userId=user_id,
                userProperties=properties,
            ),
        )

    def add_permissions(
        self, *, user_id: str, resources: Sequence[PermissionResource]
    ) -> JSONObject:
        """``v2/auth/permissions/add`` (granting again changes nothing: retried)."""
        return self._get(
            "v2/auth/permissions/add",
            _body(user={"userId": user_id}, permissions={"resources": list(resources)}),
        )

    def remove_permissions(
        self, *, user_id: str, resources: Sequence[PermissionResource]
    ) -> JSONObject:
        """``v2/auth/permissions/remove``."""
        return self._get(
            "v2/auth/permissions/remove",
            _body(userId=user_id, permissions={"resources": list(resources)}),
        )

    def get_permissions(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        folder_ids: Sequence[str] | None = None,
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/auth/permissions/get``: permissions per user and resource."""
        return self._get(
            "v2/auth/permissions/get",
            _body(
                organizationId=organization_id,
                userIds=user_ids,
                folderIds=folder_ids,
                documentIds=document_ids,
            ),
        )

    # ---- organizations -----------------------------------------------------------

    def add_organizations(self, *, organizations: Sequence[Record]) -> JSONObject:
        """``v1/organizations/add`` with ``{"organizationId", "organizationName", ...}``."""
        return self._create("v1/organizations/add", _body(organizations=organizations))

    def get_organizations(
        self,
        *,
        organization_ids: Sequence[str] | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/organizations/get`` (all organizations without ids; paginated)."""
        return self._get(
            "v2/organizations/get",
            _body(
                organizationIds=organization_ids,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_organizations(self, *, organizations: Sequence[Record]) -> JSONObject:
        """``v1/organizations/update``."""
        return self._get("v1/organizations/update", _body(organizations=organizations))

    def delete_organizations(self, *, organization_ids: Sequence[str]) -> JSONObject:
        """``v1/organizations/delete``."""
        return self._get(
            "v1/organizations/delete", _body(organizationIds=organization_ids)
        )

    def set_organizations_disabled(
        self, *, organization_ids: Sequence[str], disabled: bool
    ) -> JSONObject:
        """``v1/organizations/access/disablestate/update``: cut or restore access."""
        return self._get(
            "v1/organizations/access/disablestate/update",
            _body(organizationIds=organization_ids, disabled=disabled),
        )

    # ---- documents ---------------------------------------------------------------

    def add_documents(
        self,
        *,
        organization_id: str,
        documents: Sequence[Record],
        folder_id: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/organizations/documents/add`` with ``{"documentId", "documentName"}``."""
        return self._create(
            "v2/organizations/documents/add",
            _body(
                extra,
                organizationId=organization_id,
                documents=documents,
                folderId=folder_id,
            ),
        )

    def get_documents(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str] | None = None,
        folder_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/organizations/documents/get`` (paginated)."""
        return self._get(
            "v2/organizations/documents/get",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                folderId=folder_id,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_documents(
        self, *, organization_id: str, documents: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/documents/update``."""
        return self._get(
            "v2/organizations/documents/update",
            _body(organizationId=organization_id, documents=documents),
        )

    def delete_documents(
        self, *, organization_id: str, document_ids: Sequence[str]
    ) -> JSONObject:
        """``v2/organizations/documents/delete``."""
        return self._get(
            "v2/organizations/documents/delete",
            _body(organizationId=organization_id, documentIds=document_ids),
        )

    def move_documents(
        self, *, organization_id: str, document_ids: Sequence[str], folder_id: str
    ) -> JSONObject:
        """``v2/organizations/documents/move`` into ``folder_id``."""
        return self._get(
            "v2/organizations/documents/move",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                folderId=folder_id,
            ),
        )

    def update_document_access(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str],
        access_type: AccessType,
    ) -> JSONObject:
        """``v2/organizations/documents/access/update``."""
        return self._get(
            "v2/organizations/documents/access/update",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                accessType=access_type,
            ),
        )

    def set_documents_disabled(
        self, *, organization_id: str, document_ids: Sequence[str], disabled: bool
    ) -> JSONObject:
        """``v2/organizations/documents/access/disablestate/update``."""
        return self._get(
            "v2/organizations/documents/access/disablestate/update",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                disabled=disabled,
            ),
        )

    # ---- folders -----------------------------------------------------------------

    def add_folders(
        self, *, organization_id: str, folders: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/folders/add`` with ``{"folderId", "folderName",
        "parentFolderId"}``."""
        return self._create(
            "v2/organizations/folders/add",
            _body(organizationId=organization_id, folders=folders),
        )

    def get_folders(
        self, *, organization_id: str, folder_id: str | None = None
    ) -> JSONObject:
        """``v2/organizations/folders/get``: one folder and its subfolders, or all."""
        return self._get(
            "v2/organizations/folders/get",
            _body(organizationId=organization_id, folderId=folder_id),
        )

    def update_folders(
        self, *, organization_id: str, folders: Sequence[Record]
    ) -> JSONObject:
        """``v2/organizations/folders/update`` (rename, or move under a new parent)."""
        return self._get(
            "v2/organizations/folders/update",
            _body(organizationId=organization_id, folders=folders),
        )

    def delete_folder(self, *, organization_id: str, folder_id: str) -> JSONObject:
        """``v2/organizations/folders/delete``: the folder and everything in it."""
        return self._get(
            "v2/organizations/folders/delete",
            _body(organizationId=organization_id, folderId=folder_id),
        )

    def update_folder_access(
        self,
        *,
        organization_id: str,
        folder_ids: Sequence[str],
        access_type: AccessType,
    ) -> JSONObject:
        """``v2/organizations/folders/access/update``."""
        return self._get(
            "v2/organizations/folders/access/update",
            _body(
                organizationId=organization_id,
                folderIds=folder_ids,
                accessType=access_type,
            ),
        )

    # ---- users and user groups ---------------------------------------------------

    def add_users(
        self,
        *,
        organization_id: str,
        users: Sequence[Record],
        document_id: str | None = None,
        folder_id: str | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/users/add`` to the organization, or only to a document or folder."""
        return self._create(
            "v2/users/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                users=users,
            ),
        )

    def get_users(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        folder_id: str | None = None,
        user_ids: Sequence[str] | None = None,
        organization_user_group_ids: Sequence[str] | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/users/get`` (paginated)."""
        return self._get(
            "v2/users/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                userIds=user_ids,
                organizationUserGroupIds=organization_user_group_ids,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_users(
        self,
        *,
        organization_id: str,
        users: Sequence[Record],
        document_id: str | None = None,
        folder_id: str | None = None,
    ) -> JSONObject:
        """``v2/users/update``: user metadata."""
        return self._get(
            "v2/users/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                users=users,
            ),
        )

    def delete_users(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        document_id: str | None = None,
        folder_id: str | None = None,
    ) -> JSONObject:
        """``v2/users/delete``: remove access (not the user's data; see GDPR)."""
        return self._get(
            "v2/users/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                folderId=folder_id,
                userIds=user_ids,
            ),
        )

    def add_user_groups(
        self, *, organization_id: str, groups: Sequence[Record]
    ) -> JSONObject:
        """``v1/organizations/usergroups/add`` with ``{"groupId", "groupName"}``."""
        return self._create(
            "v1/organizations/usergroups/add",
            _body(organizationId=organization_id, organizationUserGroups=groups),
        )

    def add_users_to_group(
        self, *, organization_id: str, group_id: str, user_ids: Sequence[str]
    ) -> JSONObject:
        """``v1/organizations/usergroups/users/add``."""
        return self._create(
            "v1/organizations/usergroups/users/add",
            _body(
                organizationId=organization_id,
                organizationUserGroupId=group_id,
                userIds=user_ids,
            ),
        )

    def delete_users_from_group(
        self,
        *,
        organization_id: str,
        group_id: str,
        user_ids: Sequence[str] | None = None,
        delete_all: bool | None = None,
    ) -> JSONObject:
        """``v1/organizations/usergroups/users/delete``: some users, or all."""
        return self._get(
            "v1/organizations/usergroups/users/delete",
            _body(
                organizationId=organization_id,
                organizationUserGroupId=group_id,
                userIds=user_ids,
                deleteAll=delete_all,
            ),
        )

    # ---- comment annotations and comments (v2) -----------------------------------

    def add_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotations: Sequence[Record],
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/add``: each annotation with its ``commentData``."""
        return self._create(
            "v2/commentannotations/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                commentAnnotations=annotations,
            ),
        )

    def get_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        document_ids: Sequence[str] | None = None,
        folder_id: str | None = None,
        location_ids: Sequence[str] | None = None,
        annotation_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
        status_ids: Sequence[str] | None = None,
        updated_after: int | None = None,
        updated_before: int | None = None,
        created_after: int | None = None,
        created_before: int | None = None,
        group_by_document_id: bool | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/get``; timestamps are epoch milliseconds."""
        return self._get(
            "v2/commentannotations/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                documentIds=document_ids,
                folderId=folder_id,
                locationIds=location_ids,
                annotationIds=annotation_ids,
                userIds=user_ids,
                statusIds=status_ids,
                updatedAfter=updated_after,
                updatedBefore=updated_before,
                createdAfter=created_after,
                createdBefore=created_before,
                groupByDocumentId=group_by_document_id,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def count_comment_annotations(
        self,
        *,
        organization_id: str,
        document_ids: Sequence[str],
        user_id: str | None = None,
        status_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/count/get``: total and unread per document."""
        return self._get(
            "v2/commentannotations/count/get",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                userId=user_id,
                statusIds=status_ids,
            ),
        )

    def update_comment_annotations(
        self,
        *,
        organization_id: str,
        document_id: str,
        updated_data: Record | None = None,
        update_users: Sequence[Record] | None = None,
        annotation_ids: Sequence[str] | None = None,
        location_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/update``: ``updated_data`` (status, priority, ...)
        or ``update_users`` (``{"oldUser", "newUser"}`` pairs) on the selected ones."""
        return self._get(
            "v2/commentannotations/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationIds=annotation_ids,
                locationIds=location_ids,
                userIds=user_ids,
                updatedData=updated_data,
                updateUsers=update_users,
            ),
        )

    def delete_comment_annotations(
        self,
        *,
        document_id: str,
        organization_id: str | None = None,
        annotation_ids: Sequence[str] | None = None,
        location_ids: Sequence[str] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/delete`` (``organization_id`` may be left out for a
        document created without one)."""
        return self._get(
            "v2/commentannotations/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationIds=annotation_ids,
                locationIds=location_ids,
                userIds=user_ids,
            ),
        )

    def add_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comments: Sequence[Record],
    ) -> JSONObject:
        """``v2/commentannotations/comments/add`` (``commentData``)."""
        return self._create(
            "v2/commentannotations/comments/add",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentData=comments,
            ),
        )

    def get_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int] | None = None,
        user_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/comments/get``."""
        return self._get(
            "v2/commentannotations/comments/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
                userIds=user_ids,
            ),
        )

    def update_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int],
        updated_data: Record,
    ) -> JSONObject:
        """``v2/commentannotations/comments/update``."""
        return self._get(
            "v2/commentannotations/comments/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
                updatedData=updated_data,
            ),
        )

    def delete_comments(
        self,
        *,
        organization_id: str,
        document_id: str,
        annotation_id: str,
        comment_ids: Sequence[int] | None = None,
    ) -> JSONObject:
        """``v2/commentannotations/comments/delete`` (every comment without ids)."""
        return self._get(
            "v2/commentannotations/comments/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                annotationId=annotation_id,
                commentIds=comment_ids,
            ),
        )

    # ---- notifications -----------------------------------------------------------

    def add_notification(
        self,
        *,
        organization_id: str,
        action_user: Record,
        display_headline_message_template: str | None = None,
        display_headline_message_template_data: Record | None = None,
        display_body_message: str | None = None,
        document_id: str | None = None,
        notify_users: Sequence[Record] | None = None,
        notification_source_data: Record | None = None,
        extra: Record | None = None,
    ) -> JSONObject:
        """``v2/notifications/add``; ``extra`` carries the other documented fields
        (``notifyAll``, ``createDocument``, ``createOrganization``, ...)."""
        return self._create(
            "v2/notifications/add",
            _body(
                extra,
                organizationId=organization_id,
                documentId=document_id,
                actionUser=action_user,
                displayHeadlineMessageTemplate=display_headline_message_template,
                displayHeadlineMessageTemplateData=display_headline_message_template_data,
                displayBodyMessage=display_body_message,
                notifyUsers=notify_users,
                notificationSourceData=notification_source_data,
            ),
        )

    def get_notifications(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
        notification_ids: Sequence[str] | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/notifications/get`` by document or user (paginated)."""
        return self._get(
            "v2/notifications/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notificationIds=notification_ids,
                order=order,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_notifications(
        self,
        *,
        organization_id: str,
        notifications: Sequence[Record],
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
    ) -> JSONObject:
        """``v2/notifications/update``: each entry has the notification ``id``."""
        return self._get(
            "v2/notifications/update",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notifications=notifications,
            ),
        )

    def delete_notifications(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        user_id: str | None = None,
        location_id: str | None = None,
        notification_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/delete``."""
        return self._get(
            "v2/notifications/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                userId=user_id,
                locationId=location_id,
                notificationIds=notification_ids,
            ),
        )

    def get_notification_config(
        self,
        *,
        organization_id: str,
        user_id: str,
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/config/get``: a user's preferences."""
        return self._get(
            "v2/notifications/config/get",
            _body(
                organizationId=organization_id, userId=user_id, documentIds=document_ids
            ),
        )

    def set_notification_config(
        self,
        *,
        organization_id: str,
        user_ids: Sequence[str],
        config: Mapping[str, str],
        document_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/notifications/config/set``: ``{"inbox"|"email"|"slack": "ALL"|"MINE"|
        "NONE"}`` for users."""
        return self._get(
            "v2/notifications/config/set",
            _body(
                organizationId=organization_id,
                documentIds=document_ids,
                userIds=user_ids,
                config=dict(config),
            ),
        )

    # ---- activities --------------------------------------------------------------

    def add_activities(
        self, *, organization_id: str, document_id: str, activities: Sequence[Record]
    ) -> JSONObject:
        """``v2/activities/add`` (needs the activity service enabled in the console)."""
        return self._create(
            "v2/activities/add",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                activities=activities,
            ),
        )

    def get_activities(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        target_entity_id: str | None = None,
        feature_types: Sequence[str] | None = None,
        action_types: Sequence[str] | None = None,
        user_id: str | None = None,
        activity_ids: Sequence[str] | None = None,
        order: Order | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> JSONObject:
        """``v2/activities/get`` (paginated)."""
        return self._get(
            "v2/activities/get",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                targetEntityId=target_entity_id,
                featureTypes=feature_types,
                actionTypes=action_types,
                userId=user_id,
                activityIds=activity_ids,
                order=order,
                pageSize=page_size,
                pageToken=page_token,
            ),
        )

    def update_activities(
        self, *, organization_id: str, activities: Sequence[Record]
    ) -> JSONObject:
        """``v2/activities/update``: each entry has the activity ``id``."""
        return self._get(
            "v2/activities/update",
            _body(organizationId=organization_id, activities=activities),
        )

    def delete_activities(
        self,
        *,
        organization_id: str,
        document_id: str | None = None,
        target_entity_id: str | None = None,
        activity_ids: Sequence[str] | None = None,
    ) -> JSONObject:
        """``v2/activities/delete``: give at least one selector."""
        if document_id is None and target_entity_id is None and not activity_ids:
            raise ValueError(
                "delete_activities needs document_id, target_entity_id or activity_ids"
            )
        return self._get(
            "v2/activities/delete",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                targetEntityId=target_entity_id,
                activityIds=activity_ids,
            ),
        )

    # ---- GDPR --------------------------------------------------------------------

    def delete_all_user_data(
        self,
        *,
        user_ids: Sequence[str],
        organization_ids: Sequence[str] | None = None,
        timeout: float = GDPR_DELETE_TIMEOUT,
    ) -> JSONObject:
        """``v2/users/data/delete``: starts a deletion job; the answer's ``data.jobId``
        feeds :meth:`get_delete_user_data_status`. Velt may take minutes to answer,
        hence the long default ``timeout``."""
        return self._get(
            "v2/users/data/delete",
            _body(userIds=user_ids, organizationIds=organization_ids),
            timeout=timeout,
        )

    def get_all_user_data(
        self, *, organization_id: str, user_id: str, page_token: str | None = None
    ) -> JSONObject:
        """``v2/users/data/get``: a user's comments, reactions, recordings and
        notifications, 100 of each per page."""
        return self._get(
            "v2/users/data/get",
            _body(organizationId=organization_id, userId=user_id, pageToken=page_token),
        )

    def get_delete_user_data_status(self, *, job_id: str) -> JSONObject:
        """``v2/users/data/delete/status`` of a deletion job."""
        return self._get("v2/users/data/delete/status", _body(jobId=job_id))

    # ---- live state and workspace ------------------------------------------------

    def broadcast_event(
        self,
        *,
        organization_id: str,
        document_id: str,
        live_state_data_id: str,
        data: object,
        merge: bool | None = None,
    ) -> JSONObject:
        """``v2/livestate/broadcast``: ``data`` (any JSON value) to a document's live
        state; sent once (a repeat would be a second event)."""
        return self._create(
            "v2/livestate/broadcast",
            _body(
                organizationId=organization_id,
                documentId=document_id,
                liveStateDataId=live_state_data_id,
                data=data,
                merge=merge,
            ),
        )

    def get_webhook_config(self) -> JSONObject:
        """``v2/workspace/webhookconfig/get`` (the answer holds the webhook secret)."""
        return self._get("v2/workspace/webhookconfig/get", _body())

    def update_webhook_config(
        self,
        *,
        use_webhook_service: bool | None = None,
        webhook_service_config: Record | None = None,
    ) -> JSONObject:
        """``v2/workspace/webhookconfig/update`` (basic webhooks; merged by Velt)."""
        if use_webhook_service is None and webhook_service_config is None:
            raise ValueError(
                "update_webhook_config needs use_webhook_service or webhook_service_config"
            )
        return self._get(
            "v2/workspace/webhookconfig/update",
            _body(
                useWebhookService=use_webhook_service,
                webhookServiceConfig=webhook_service_config,
            ),
        )
