"""ASGI middleware that applies the faults armed in the simulation's FaultBook to one service's requests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from drill.sim.http.common import Gate

Scope = dict[str, Any]


class FaultMiddleware:
    def __init__(self, app: Any, *, gate: Gate, service: str, region: int | None) -> None:
        self.app = app
        self.gate = gate
        self.service = service
        self.region = region

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        fault = self.gate.call(lambda: self.gate.sim.faults.take(self.service, self.region, method, path))
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.kind == "delay":
            await asyncio.sleep(fault.seconds)
            await self.app(scope, receive, send)
            return
        # A hang outlasts any sane client timeout; it ends early when the client gives up and disconnects.
        if fault.kind == "hang" and await _client_left_within(receive, fault.seconds):
            return
        body = json.dumps(
            {"message": f"injected fault {fault.id}: {fault.kind} on {self.service} {method} {path}"}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if self.service == "elasticsearch":
            headers.append((b"x-elastic-product", b"Elasticsearch"))
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _client_left_within(receive: Any, seconds: float) -> bool:
    """Wait up to `seconds`, returning True as soon as the client disconnects (the request body is discarded)."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except TimeoutError:
        return False
    return True
