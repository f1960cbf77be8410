"""Recording every HTTP exchange of a drill, at the one seam all our httpx clients share: the transport.

Wrapping the transport (not the client, not event hooks) sees exactly what went over the wire, including
requests made by code we do not own, such as the OIDC token request, and it sees failures that never produce
a response. Usage: `httpx.Client(transport=JournalTransport(httpx.HTTPTransport(), journal))`.

Record fields (kind `http`): method, url, request_headers, request_body, request_parts (multipart only),
status, response_headers, response_body, duration_ms, and error `{type, message}` when the transport raised.
Credentials are removed by the journal's redactor, bodies are bounded by `max_body`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from drill.evidence.journal import Journal
from drill.evidence.records import describe_bytes, multipart_parts


class _Replay(httpx.SyncByteStream):
    """The body already read for the journal, handed to the client as if it came off the wire.

    A fresh stream (rather than a pre-read Response) keeps the client's own bookkeeping working: it still
    reads and closes the stream itself, so `response.elapsed` and `client.stream(...)` behave as usual.
    """

    def __init__(self, content: bytes) -> None:
        self._content = content

    def __iter__(self) -> Iterator[bytes]:
        if self._content:
            yield self._content


class JournalTransport(httpx.BaseTransport):
    """Forwards to `inner` and appends one `http` record per request (also when the request fails).

    The response body is read in full so it can be recorded; the client receives an equivalent response.
    `timer` is injectable so durations can be asserted exactly.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        journal: Journal,
        *,
        max_body: int | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._inner = inner
        self._journal = journal
        self._max_body = max_body
        self._timer = timer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange: dict[str, Any] = {
            "method": request.method,
            "url": str(request.url),
            "request_headers": _headers(request.headers),
            **_request_body(request),
        }
        started = self._timer()
        response: httpx.Response | None = None
        try:
            response = self._inner.handle_request(request)
            exchange["status"] = response.status_code
            exchange["response_headers"] = _headers(response.headers)
            raw, headers = _read_raw(response)
        except Exception as exc:
            exchange["duration_ms"] = _ms(self._timer() - started)
            exchange["error"] = {"type": type(exc).__name__, "message": str(exc)}
            self._journal.http(exchange, max_body=self._max_body)
            raise
        finally:
            if response is not None:
                response.close()
        exchange["duration_ms"] = _ms(self._timer() - started)
        exchange["response_body"] = _response_body(headers, raw)
        self._journal.http(exchange, max_body=self._max_body)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_Replay(raw),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self._inner.close()


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _headers(headers: httpx.Headers) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ", " as httpx's own `headers[name]` does."""
    out: dict[str, str] = {}
    for name, value in headers.multi_items():
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _request_body(request: httpx.Request) -> dict[str, Any]:
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = request.read()  # replaces a one-shot stream with a replayable one for the inner transport
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/"):
        parts = multipart_parts(content, content_type)
        summary = f"<{content_type.split(';')[0].strip()}: {len(parts)} parts, {len(content)} bytes>"
        return {"request_body": summary, "request_parts": parts}
    return {"request_body": describe_bytes(content)}


def _read_raw(response: httpx.Response) -> tuple[bytes, httpx.Headers]:
    """The body as sent (still content-encoded) and the headers that describe it."""
    stream = response.stream
    if response.is_stream_consumed and not isinstance(stream, httpx.ByteStream):
        # Someone already read a one-shot stream: only the decoded content is left, so describe it as such.
        headers = httpx.Headers(response.headers)
        headers.pop("content-encoding", None)
        return response.content, headers
    if not isinstance(stream, httpx.SyncByteStream):
        raise TypeError(f"inner transport returned a {type(stream).__name__}, not a synchronous stream")
    return b"".join(stream), response.headers


def _response_body(headers: httpx.Headers, raw: bytes) -> str:
    encoding = headers.get("content-encoding")
    if not encoding or not raw:
        return describe_bytes(raw)
    try:
        decoded = httpx.Response(200, headers=headers, content=raw).content
    except httpx.DecodingError:
        return f"<{len(raw)} bytes, content-encoding {encoding} that does not decode>"
    return describe_bytes(decoded)
