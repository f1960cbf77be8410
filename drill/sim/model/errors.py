"""Errors the model raises; each carries the HTTP status and body text the real API would answer with.

The model stays free of HTTP, but every refusal of a real Camunda or Elasticsearch API has a status code and a
message that callers (and the procedure's operators) rely on, so they travel with the exception.
"""

from __future__ import annotations

from typing import Any


class ModelError(Exception):
    status: int = 500

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.body = body


class BadRequest(ModelError):
    status = 400


class NotFound(ModelError):
    status = 404


class Conflict(ModelError):
    status = 409


class Unavailable(ModelError):
    """No partition leader, an unreachable broker or service: the request cannot be served now."""

    status = 503


class InternalError(ModelError):
    status = 500
