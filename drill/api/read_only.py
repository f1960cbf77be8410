"""A transport that lets reads through and refuses everything else, before it is sent.

A readiness check (and a dry run) promises to change nothing. Reviewing every call site cannot keep that promise
as the code grows; the transport, the one seam every client request passes (the OIDC token request included), can.
So the promise is enforced there: GET and HEAD pass, a POST passes only where the API uses POST to read (the paths
in `READ_POSTS`), and any other request raises `WriteRefused` naming its method and path, having reached nobody.
`WriteRefused` is an ApiError that is not transient, so the clients neither retry it nor mistake it for a network
failure, and a check that made it fails naming the request instead of crashing.

Usage: `ClientOptions(transport=ReadOnlyTransport.factory())`, or around another transport factory
`ReadOnlyTransport.factory(inner)`; each client gets its own inner transport, as with any factory.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx

from drill.api.errors import ApiError
from drill.api.transport import http_transport

READ_METHODS = frozenset({"GET", "HEAD"})
# POSTs that only read, in one place. Elasticsearch takes a query body on search, count and multi-get; the
# Orchestration Cluster REST API's searches are `POST /v2/<resource>/search` (also nested, e.g. a user task's
# variables). Anything that is not a whole-path match is refused.
READ_POSTS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?:/[^/_][^/]*)?/_search"),  # Elasticsearch: /_search, /<index>/_search
    re.compile(r"(?:/[^/_][^/]*)?/_count"),  # Elasticsearch: /_count, /<index>/_count
    re.compile(r"(?:/[^/_][^/]*)?/_mget"),  # Elasticsearch: /_mget, /<index>/_mget
    re.compile(r"/v2(?:/[^/]+)+/search"),  # gateway v2: /v2/process-instances/search, ...
)
# An OAuth 2.0 client-credentials token request obtains a token and changes nothing; it travels through the same
# transport as the API call it authorises (drill.api.auth).
TOKEN_GRANT = b"grant_type=client_credentials"

TransportFactory = Callable[[], httpx.BaseTransport]


class WriteRefused(ApiError):
    """A request that is not a read reached the read-only transport; it was not sent."""

    def __init__(self, request: httpx.Request) -> None:
        self.method, self.path = request.method, request.url.path
        super().__init__(
            f"{request.method} {request.url}",
            "a read-only request (GET or HEAD, or a POST that searches, counts or fetches documents)",
            f"{self.method} {self.path}, which may change the system: refused, not sent",
        )


def is_read(request: httpx.Request) -> bool:
    """Whether the request only reads: the one rule both the transport and its tests rely on."""
    method = request.method.upper()
    if method in READ_METHODS:
        return True
    if method != "POST":
        return False
    path = request.url.path
    if any(pattern.fullmatch(path) for pattern in READ_POSTS):
        return True
    return _is_token_request(request)


def _is_token_request(request: httpx.Request) -> bool:
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return False
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = request.read()
    return TOKEN_GRANT in content.split(b"&")


class ReadOnlyTransport(httpx.BaseTransport):
    """Forwards reads to the transport `inner` makes; raises WriteRefused for anything else, sending nothing."""

    def __init__(self, inner: TransportFactory = http_transport) -> None:
        self._inner = inner()

    @classmethod
    def factory(cls, inner: TransportFactory = http_transport) -> TransportFactory:
        """A transport factory (what ClientOptions takes) whose every transport is read-only."""
        return lambda: cls(inner)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_read(request):
            raise WriteRefused(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
