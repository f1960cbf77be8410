"""What every simulated service shares: one lock around the model, a tick before each request, error mapping.

All apps run in one event loop thread, but tests and the CLI also read the model from other threads, so every
access goes through `Gate.call`, which holds the lock, lets simulated time catch up (`Simulation.tick`) and turns
a `ModelError` into the status code and body the real API would answer with.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from drill.sim.model.errors import ModelError

T = TypeVar("T")


class Tickable(Protocol):
    """The part of the simulation the gate needs: something that lets simulated time catch up."""

    def tick(self) -> None: ...


S = TypeVar("S", bound=Tickable)


class Gate(Generic[S]):
    def __init__(self, sim: S) -> None:
        self.sim = sim
        self.lock = threading.RLock()

    def call(self, fn: Callable[[], T]) -> T:
        with self.lock:
            self.sim.tick()
            return fn()

    async def wait_until(self, ready: Callable[[], bool], *, poll: float = 0.01, limit: float = 3600.0) -> None:
        """Await (without holding the lock) until the model says an awaited piece of work is done.

        Used for `wait_for_completion=true` style requests: simulated durations pass in real time, scaled.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not self.call(ready):
            if loop.time() > deadline:
                raise TimeoutError("simulated work did not complete in time")
            await asyncio.sleep(poll)


def compact_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON without spaces, key order kept: harnesses match substrings like {"exporterId":"x","status":"y"}."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def message_error(exc: ModelError) -> Response:
    """Management API errors: `{"message": "..."}` with the mapped status."""
    return compact_json({"message": exc.message}, status=exc.status)


def problem_detail(status: int, title: str, detail: str, instance: str = "") -> Response:
    """Orchestration Cluster REST API errors are RFC 9457 problem details."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


async def json_body(request: Request, *, default: Any = None) -> Any:
    """Parse a JSON body; an empty body gives `default`; malformed JSON raises ValueError naming the problem."""
    raw = await request.body()
    if not raw.strip():
        return default
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"request body is not valid JSON: {exc.msg} at position {exc.pos}") from exc


def query_flag(request: Request, name: str) -> bool:
    """Spring-style boolean query parameter: present as `true` (any case) means on."""
    value = request.query_params.get(name)
    return value is not None and value.strip().lower() in ("true", "1", "")
