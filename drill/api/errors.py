"""Errors of the API clients: each names the call, what was expected and what was seen.

A drill step that fails must say why in one line an operator can act on, so every error carries the request
(`METHOD URL`), the expectation and the observation; the procedure layer adds which step and check it was.
`transient` marks what a bounded retry may fix (connection refused, 502/503/504, timeouts); everything else is
permanent and must never be retried blindly (a repeated PATCH may apply a change twice); a write that failed in a
way that leaves its outcome unknown is therefore reported with `transient` false, whatever the failure was.
"""

from __future__ import annotations

from typing import Self

TRANSIENT_STATUSES = frozenset({502, 503, 504})
BODY_EXCERPT = 300
DETAIL_EXCERPT = 600


def excerpt(text: str, limit: int = BODY_EXCERPT) -> str:
    """A body fit for one error line: whitespace collapsed, cut at `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


class ApiError(Exception):
    """Base of every client error. `call` is `METHOD URL` (or a description for waits)."""

    transient = False

    def __init__(self, call: str, expected: str, seen: str) -> None:
        self.call, self.expected, self.seen = call, expected, seen
        super().__init__(f"{call}: expected {expected}, got {seen}")

    def annotate(self, note: str) -> Self:
        """Add what happened around the failure (retries, why it was not retried) to `seen` and the message, in
        place: the error keeps its type, status and cause, so handlers that look at them still work."""
        self.seen = f"{self.seen}; {note}"
        self.args = (f"{self.call}: expected {self.expected}, got {self.seen}",)
        return self


class HttpStatusError(ApiError):
    """The server answered with a status the call does not accept.

    `detail` is what the server said, already pulled out of its error format (a problem detail's `detail`, the
    management API's `message`, Elasticsearch's `error.type: error.reason`); without it the body is quoted.
    """

    def __init__(self, call: str, expected: str, status: int, body: str, *, detail: str | None = None) -> None:
        self.status, self.body, self.detail = status, body, detail
        said = detail if detail is not None else body
        seen = f"HTTP {status}" + (f" {excerpt(said, DETAIL_EXCERPT)}" if said else "")
        super().__init__(call, expected, seen)
        self.transient = status in TRANSIENT_STATUSES


class WrappedStatusError(HttpStatusError):
    """HTTP 200 whose body wraps a failure status (the exporting API of newer 8.8 patches): as bad as a real one,
    and easy to miss, so the message says both statuses."""

    def __init__(self, call: str, expected: str, http_status: int, status: int, body: str, detail: str) -> None:
        self.status, self.body, self.detail, self.http_status = status, body, detail, http_status
        seen = f"HTTP {http_status} wrapping status {status}" + (
            f": {excerpt(detail, DETAIL_EXCERPT)}" if detail else ""
        )
        ApiError.__init__(self, call, expected, seen)
        self.transient = status in TRANSIENT_STATUSES


class ProtocolError(ApiError):
    """The status was right but the body is not what the contract promises (malformed JSON, missing field,
    wrong type, a wrapped failure inside a 200)."""


class ShapeError(ProtocolError):
    """A parsed body has the wrong shape at `path`; raised by the model parsers, which do not know the request.

    The clients re-raise it as a ProtocolError naming the call; parsers used on their own still raise an ApiError.
    """

    def __init__(self, path: str, wanted: str, seen: str) -> None:
        self.path, self.wanted = path, wanted
        super().__init__("response body", f"{path} to be {wanted}", seen)


class TransportError(ApiError):
    """No answer: connection refused, reset, or timed out.

    `unsent` is true when the request provably never reached the server (the connection was never made), the one
    failure after which even a write may be sent again; `kind` is the transport's name for the failure.
    """

    transient = True

    def __init__(self, call: str, expected: str, seen: str, *, kind: str = "", unsent: bool = False) -> None:
        super().__init__(call, expected, seen)
        self.kind, self.unsent = kind, unsent


class ChangeFailed(ApiError):
    """A cluster change ended FAILED or CANCELLED."""

    def __init__(self, call: str, expected: str, seen: str, *, change_id: int | None = None, status: str = "") -> None:
        super().__init__(call, expected, seen)
        self.change_id, self.status = change_id, status


class WaitTimeout(ApiError):
    """A bounded wait ran out; `seen` is the last observation."""

    transient = True

    def __init__(self, call: str, expected: str, seen: str, *, attempts: int = 0, elapsed: float = 0.0) -> None:
        super().__init__(call, expected, seen)
        self.attempts, self.elapsed = attempts, elapsed
