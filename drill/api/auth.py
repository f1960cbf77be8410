"""Authentication of the v2 API: HTTP basic (the chart's fallback user) or OIDC client credentials.

The OIDC token request is yielded from the auth flow, so it travels through the API client's own transport: the
evidence layer sees it like any other exchange (and must redact it). Error messages name the token URL but never
the client secret or a token, because they end up in drill reports.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, Literal

import httpx

from drill.api.base import call_of
from drill.api.errors import HttpStatusError, ProtocolError, ShapeError
from drill.api.models import Fields

BasicAuth = httpx.BasicAuth
AuthKind = Literal["none", "basic", "oidc"]
TOKEN_TIMEOUT = 10.0


class OidcClientCredentials(httpx.Auth):
    """OAuth 2.0 client credentials: one token, reused until `refresh_margin` seconds before it expires.

    A 401 from the API (token revoked, IdP restarted, clock skew) refreshes once and retries once; a second 401
    is the API's answer. `fetches` counts token requests (evidence that tokens are not fetched per call).
    """

    requires_request_body = True  # a request retried after a 401 must be replayable
    requires_response_body = True  # the token response is read inside the flow

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        audience: str | None = None,
        scope: str | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_margin: float = 30.0,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.audience, self.scope = audience, scope
        self.clock = clock
        self.refresh_margin = refresh_margin
        self.fetches = 0
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        # With its own transport the IdP is reached separately (another network path); otherwise via the API's.
        self._client = httpx.Client(transport=transport, timeout=TOKEN_TIMEOUT) if transport is not None else None

    def __repr__(self) -> str:
        return f"OidcClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def invalidate(self) -> None:
        """Forget the token; the next request fetches a new one."""
        with self._lock:
            self._token = None

    # -- the flow ----------------------------------------------------------------------------------------------

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        if token is None:
            token = yield from self._refresh(request)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = yield from self._refresh(request)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _current(self) -> str | None:
        with self._lock:
            if self._token is not None and self.clock() < self._refresh_at:
                return self._token
            return None

    def _refresh(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, str]:
        token_request = self._token_request(request)
        if self._client is not None:
            response = self._client.send(token_request)
        else:
            response = yield token_request
        return self._accept(response)

    def _token_request(self, api_request: httpx.Request) -> httpx.Request:
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret}
        if self.audience is not None:
            form["audience"] = self.audience
        if self.scope is not None:
            form["scope"] = self.scope
        extensions = {}
        if "timeout" in api_request.extensions:  # the API call's timeouts, else none would apply
            extensions["timeout"] = api_request.extensions["timeout"]
        return httpx.Request(
            "POST", self.token_url, data=form, headers={"Accept": "application/json"}, extensions=extensions
        )

    def _accept(self, response: httpx.Response) -> str:
        """Take the token from a token response, or raise naming the token URL (never the secret or a token)."""
        call = call_of(response.request)
        with self._lock:
            self.fetches += 1
        body = _json(response)
        if response.status_code != 200:
            detail = _oauth_error(body)
            raise HttpStatusError(call, "HTTP 200 with an access token", response.status_code, "", detail=detail)
        try:
            f = Fields(body, redact=True)
            token = f.str("access_token")
            token_type = f.str("token_type")
            expires_in = f.opt_int("expires_in")
        except ShapeError as exc:
            raise ProtocolError(call, exc.expected, exc.seen) from exc
        if token_type.lower() != "bearer":
            raise ProtocolError(call, "token_type Bearer", repr(token_type[:20]))
        if not token:
            raise ProtocolError(call, "a non-empty access_token", "an empty string")
        now = self.clock()
        with self._lock:
            self._token = token
            if expires_in is None:  # no lifetime given: keep it until the API refuses it
                self._refresh_at = float("inf")
            else:  # a short-lived token is still reused for half its life
                self._refresh_at = now + expires_in - min(self.refresh_margin, expires_in / 2)
        return token


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        if response.status_code == 200:
            raise ProtocolError(call_of(response.request), "a JSON token response", "a body that is not JSON") from None
        return None


def _oauth_error(body: Any) -> str:
    """RFC 6749 §5.2 `error` and `error_description` only: the rest of the body is not ours to repeat."""
    if not isinstance(body, dict):
        return "no OAuth error in the body"
    parts = [body[k] for k in ("error", "error_description") if isinstance(body.get(k), str)]
    return ": ".join(parts) if parts else "no OAuth error in the body"


def auth_from(kind: AuthKind | str, **settings: Any) -> httpx.Auth | None:
    """The auth of a target from its configuration: `none`; `basic` with username, password; `oidc` with
    token_url, client_id, client_secret and optionally audience, scope, transport, clock, refresh_margin."""
    if kind == "none":
        if settings:
            raise ValueError(f"auth 'none' takes no settings, got {sorted(settings)}")
        return None
    if kind == "basic":
        _check(kind, settings, required=("username", "password"), optional=())
        return BasicAuth(settings["username"], settings["password"])
    if kind == "oidc":
        _check(kind, settings, required=("token_url", "client_id", "client_secret"), optional=OIDC_OPTIONAL)
        return OidcClientCredentials(**settings)
    raise ValueError(f"auth must be 'none', 'basic' or 'oidc', got {kind!r}")


OIDC_OPTIONAL = ("audience", "scope", "transport", "clock", "refresh_margin")


def _check(kind: str, settings: dict[str, Any], *, required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """Configuration mistakes surface when the target is configured, naming the setting."""
    missing = [n for n in required if not settings.get(n)]
    if missing:
        raise ValueError(f"auth {kind!r} needs {', '.join(missing)}")
    unknown = sorted(set(settings) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"auth {kind!r} does not take {', '.join(unknown)}")
