"""Serve ASGI apps on loopback from one background event loop, each stoppable and restartable in place.

A lost region must refuse connections the way a deleted Kubernetes service does, and a recreated region must
answer again on the same address, so each service is its own uvicorn server that can be stopped and started
while the others keep running. Signals stay with the host process (`capture_signals` is a no-op).

While a service is stopped its port stays reserved by a socket that is bound but not listening: connecting to
it is refused, as it should be, and no other process (parallel test runs, `c8-drill prove`'s workers) can take
the port before the region comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

STARTUP_TIMEOUT = 10.0


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Binding:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class ServiceHost:
    """Named services (e.g. `region0/gateway`) served in one background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="c8-sim-http", daemon=True)
        self._thread.start()
        self._servers: dict[str, tuple[_EmbeddedServer, asyncio.Task[None]]] = {}
        self._apps: dict[str, Any] = {}
        self._reserved: dict[str, socket.socket] = {}
        self.bindings: dict[str, Binding] = {}

    # -- lifecycle -------------------------------------------------------------------------------------------

    def add(self, name: str, app: Any, host: str = "127.0.0.1", port: int = 0, *, start: bool = True) -> Binding:
        """Register a service; port 0 picks a free port once and keeps it (reserved) for restarts."""
        reserved = _bound(host, port)
        self._reserved[name] = reserved
        self._apps[name] = app
        self.bindings[name] = Binding(host, int(reserved.getsockname()[1]))
        if start:
            self.start(name)
        return self.bindings[name]

    def start(self, name: str) -> None:
        if self.is_running(name):
            return
        future = asyncio.run_coroutine_threadsafe(self._start(name), self._loop)
        future.result(timeout=STARTUP_TIMEOUT + 1)

    def stop(self, name: str) -> None:
        if name not in self._servers:
            return
        if threading.current_thread() is self._thread:
            raise RuntimeError("stop() must not be called from the serving loop; use stop_async()")
        asyncio.run_coroutine_threadsafe(self.stop_async(name), self._loop).result(timeout=STARTUP_TIMEOUT + 1)

    def is_running(self, name: str) -> bool:
        return name in self._servers

    def close(self) -> None:
        """Stop everything and release every port; closing twice is harmless."""
        if self._loop.is_closed():
            return
        if self._servers:
            names = list(self._servers)

            async def stop_all() -> None:  # concurrently: each server notices should_exit within ~0.1 s
                await asyncio.gather(*(self.stop_async(n, reserve=False) for n in names))

            asyncio.run_coroutine_threadsafe(stop_all(), self._loop).result(timeout=STARTUP_TIMEOUT + 1)

        async def cancel_leftovers() -> None:  # e.g. a request still inside an injected hang
            current = asyncio.current_task()
            leftovers = [t for t in asyncio.all_tasks() if t is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(cancel_leftovers(), self._loop).result(timeout=STARTUP_TIMEOUT + 1)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
        for reserved in self._reserved.values():
            reserved.close()
        self._reserved.clear()

    def __enter__(self) -> ServiceHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside the loop -------------------------------------------------------------------------------------

    async def start_async(self, name: str) -> None:
        if name not in self._servers:
            await self._start(name)

    async def stop_async(self, name: str, *, reserve: bool = True) -> None:
        """Stop serving `name`; with `reserve` (a region lost, to come back) its port stays held, refusing."""
        entry = self._servers.pop(name, None)
        if entry is None:
            return
        server, task = entry
        server.should_exit = True
        server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError, SystemExit):
            await asyncio.wait_for(task, timeout=STARTUP_TIMEOUT)
        if reserve:
            binding = self.bindings[name]
            self._reserved[name] = _bound(binding.host, binding.port)  # uvicorn closed the listening socket

    async def _start(self, name: str) -> None:
        binding = self.bindings[name]
        config = uvicorn.Config(
            self._apps[name],
            host=binding.host,
            port=binding.port,
            log_level=logging.WARNING,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        server = _EmbeddedServer(config)
        listening = self._reserved.pop(name)  # uvicorn listens on the reserved socket itself: no gap to lose it in

        async def serve() -> None:
            try:
                await server.serve(sockets=[listening])
            except SystemExit as exc:  # uvicorn's way of saying the port could not be bound
                raise OSError(f"cannot serve {name} on {binding.url}: uvicorn exited with {exc.code}") from None

        task = asyncio.create_task(serve(), name=f"serve {name}")
        try:
            await self._started(name, server, task)
        except BaseException:
            with contextlib.suppress(OSError):  # hold the port again, so a later start can retry on it
                self._reserved[name] = _bound(binding.host, binding.port)
            raise
        self._servers[name] = (server, task)

    async def _started(self, name: str, server: _EmbeddedServer, task: asyncio.Task[None]) -> None:
        binding = self.bindings[name]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP_TIMEOUT
        while not server.started:
            if task.done():
                task.result()  # raises the startup failure
                raise OSError(f"{name} stopped during startup on {binding.url}")
            if loop.time() > deadline:
                server.should_exit = True
                raise TimeoutError(f"{name} did not start on {binding.url} within {STARTUP_TIMEOUT} s")
            await asyncio.sleep(0.005)


def _bound(host: str, port: int) -> socket.socket:
    """A socket bound to the address but not listening: it holds the port, and a client connecting is refused."""
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it
    # Nagle and delayed ACKs add ~40 ms to every response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait out TIME_WAIT
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock
