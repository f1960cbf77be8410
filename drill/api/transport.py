"""One TLS context for every HTTP client the drill makes.

httpx builds a new SSLContext, loading the whole CA bundle, for each client or transport it creates (~17 ms on a
2-core machine), even when every URL is plain http. A drill makes a dozen per region and the simulator's target
more; sharing one context makes that a one-off cost and changes nothing about what is verified.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's CA bundle), made once per process."""
    return httpx.create_ssl_context()


def http_transport(**options: Any) -> httpx.HTTPTransport:
    """`httpx.HTTPTransport(**options)` verifying with the shared context."""
    return httpx.HTTPTransport(verify=tls_context(), **options)


def http_client(*, transport: httpx.BaseTransport | None = None, **options: Any) -> httpx.Client:
    """`httpx.Client(**options)`; without a transport of its own, it verifies with the shared context."""
    if transport is not None:
        return httpx.Client(transport=transport, **options)
    return httpx.Client(verify=tls_context(), **options)
