"""What the three clients share: one httpx.Client each, one request path that turns every failure into an ApiError.

The drill must never die of a KeyError three layers down, and an operator must read from one line which request
failed and how; so every client method goes through `_send` (status check, transport errors) and `_parse` (JSON
and shape), which name the request as `METHOD URL`. The `transport` seam is how the evidence layer journals every
exchange and how unit tests answer with httpx.MockTransport.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from typing import Any, Self, TypeVar

import httpx

from drill.api.errors import ApiError, HttpStatusError, ProtocolError, ShapeError, TransportError, excerpt
from drill.api.retry import OnRetry, RetryPolicy, retrying
from drill.api.transport import http_client

T = TypeVar("T")
DEFAULT_TIMEOUT = 10.0
_PARSE_FAILURES = (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
# Failures before a connection existed: the server cannot have seen the request (a pool timeout never sent it).
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retryable(exc: ApiError) -> bool:
    """What a request that may be repeated is retried on: exactly the transient failures."""
    return exc.transient


def never_sent(exc: ApiError) -> bool:
    """What a write is retried on: only a failure that proves the server never saw it."""
    return isinstance(exc, TransportError) and exc.unsent


def expected_statuses(statuses: Collection[int]) -> str:
    ordered = sorted(statuses)
    if len(ordered) == 1:
        return f"HTTP {ordered[0]}"
    return "HTTP " + ", ".join(str(s) for s in ordered[:-1]) + f" or {ordered[-1]}"


def call_of(request: httpx.Request) -> str:
    return f"{request.method} {request.url}"


def _call_of_error(exc: httpx.HTTPError, fallback: str) -> str:
    """The request that failed; inside an auth flow that is the token request, not the API call."""
    try:
        return call_of(exc.request)
    except RuntimeError:  # httpx raises this when the error carries no request
        return fallback


def decode_json(response: httpx.Response) -> Any:
    """The body as JSON, or a ProtocolError quoting what came instead."""
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        text = response.text if response.content else ""
        seen = f"HTTP {response.status_code} with a body that is not JSON: {excerpt(text)}" if text else "an empty body"
        raise ProtocolError(call_of(response.request), "a JSON body", seen) from None


def parse(call: str, parser: Callable[[Any], T], data: Any) -> T:
    """Run a model parser; a shape error becomes a ProtocolError naming the call and the field path."""
    try:
        return parser(data)
    except ShapeError as exc:
        raise ProtocolError(call, exc.expected, exc.seen) from exc
    except _PARSE_FAILURES as exc:  # a parser bug must still not escape as a KeyError
        raise ProtocolError(call, "a body of the contract's shape", f"{type(exc).__name__}: {exc}") from exc


class BaseClient:
    """One API of one region. Not thread-safe beyond what httpx.Client is; use one client per thread of work.

    `retry` bounds how a transient failure is retried (None: the default RetryPolicy); `on_retry` hears of every
    retry, which is how the drill journals them.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
    ) -> None:
        self.http = http_client(base_url=base_url, auth=auth, transport=transport, timeout=timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self.on_retry = on_retry

    @property
    def base_url(self) -> str:
        return str(self.http.base_url).rstrip("/")

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"

    # -- the one request path ----------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        expect: Collection[int],
        params: Mapping[str, str] | None = None,
        json: Any = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        idempotent: bool | None = None,
        check: Callable[[httpx.Response], None] | None = None,
    ) -> httpx.Response:
        """Send a request and return the response if its status is one of `expect`; raise an ApiError otherwise.

        `idempotent` (None: by the method) decides what is retried: a request that may be repeated is retried on
        any transient failure; any other only when it provably never reached the server, because after a timeout
        or a 5xx its outcome is unknown. `check` judges a response the status calls a success inside the attempt
        (a 200 wrapping a 503 is retried like a 503).
        """
        safe = idempotent if idempotent is not None else method.upper() in IDEMPOTENT_METHODS

        def attempt() -> httpx.Response:
            response = self._exchange(
                method,
                path,
                expect=expect,
                params=params,
                json=json,
                files=files,
                content=content,
                headers=headers,
                timeout=timeout,
            )
            if check is not None:
                check(response)
            return response

        try:
            return retrying(
                attempt,
                retryable=retryable if safe else never_sent,
                policy=self.retry,
                on_retry=self.on_retry,
            )
        except ApiError as exc:
            if exc.transient and not safe and not never_sent(exc):
                # Repeating it could apply it twice; an outer wait must not treat it as "not yet" either.
                exc.transient = False
                exc.annotate("not retried: the outcome is unknown, the write may have been applied")
            raise

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        expect: Collection[int],
        params: Mapping[str, str] | None = None,
        json: Any = None,
        files: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One try, failures reported as they are: for `_send`, and for callers with their own retry loop.

        The request is built afresh each try: the auth flow and the evidence transport both read and change it,
        and a multipart body is a stream."""
        expected = expected_statuses(expect)
        fallback = f"{method} {self.base_url}{path}"
        try:
            request = self.http.build_request(
                method,
                path,
                params=params,
                json=json,
                files=files,
                content=content,
                headers=headers,
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except (httpx.InvalidURL, httpx.HTTPError, ValueError, TypeError) as exc:
            raise ApiError(fallback, "a well-formed request", f"{type(exc).__name__}: {exc}") from exc
        call = call_of(request)
        try:
            response = self.http.send(request)
        except ApiError:
            raise  # from an auth flow (token endpoint); it names its own call
        except httpx.UnsupportedProtocol as exc:
            raise ProtocolError(call, "an http:// or https:// URL", str(exc)) from exc
        except httpx.LocalProtocolError as exc:  # we could not even send it (e.g. an illegal header): not transient
            raise ApiError(
                _call_of_error(exc, call), "a request HTTP/1.1 can carry", f"{type(exc).__name__}: {exc}"
            ) from exc
        except httpx.TransportError as exc:  # connect, read, write, pool, timeouts, a dropped connection
            raise TransportError(
                _call_of_error(exc, call),
                expected,
                f"{type(exc).__name__}: {exc}",
                kind=type(exc).__name__,
                unsent=isinstance(exc, UNSENT),
            ) from exc
        except httpx.HTTPError as exc:  # undecodable content encoding, too many redirects
            raise ProtocolError(_call_of_error(exc, call), expected, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code not in expect:
            raise HttpStatusError(
                call, expected, response.status_code, response.text, detail=self._error_detail(response)
            )
        return response

    def _error_detail(self, response: httpx.Response) -> str | None:
        """What the server said in an error body, in this API's error format; None quotes the body as is."""
        return None

    def _get_json(self, path: str, *, expect: Collection[int] = (200,), **kwargs: Any) -> tuple[str, Any]:
        response = self._send("GET", path, expect=expect, **kwargs)
        return call_of(response.request), decode_json(response)

    def _call_json(self, method: str, path: str, *, expect: Collection[int], **kwargs: Any) -> tuple[str, Any]:
        response = self._send(method, path, expect=expect, **kwargs)
        return call_of(response.request), decode_json(response)


def message_of(body: Any, *keys: str) -> str | None:
    """The first of `keys` that is a non-empty string in a JSON object body."""
    if isinstance(body, dict):
        for key in keys:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def json_or_none(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):
        return None
