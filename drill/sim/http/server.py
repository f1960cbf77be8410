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
    """A uvicorn server that stops at once: a lost region's services vanish, and a drill loses and recreates
    regions, starts and stops simulators, many times a run.

    uvicorn notices `should_exit` on its next 0.1 s tick and then waits another 0.1 s for connections to finish
    their responses: ~0.2 s per stop, most of a drill's time on the simulator. Here `stop()` wakes the main loop
    at once, and shutdown closes connections without the grace sleep (a lost region's clients see the connection
    reset, as they would)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def stop(self) -> None:
        """From the serving loop: exit now."""
        self.should_exit = True
        self.force_exit = True
        self._stop.set()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):  # on_tick refreshes the Date header when counter % 10 == 0
            counter = (counter + 10) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        await asyncio.sleep(0)  # let the transports close before the port is reserved again
        for task in list(self.server_state.tasks):
            task.cancel()


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

    def start(self, *names: str) -> None:
        """Start the services named, all at once (a simulator's eight servers start in the time of one)."""
        waiting = [name for name in names if not self.is_running(name)]
        if not waiting:
            return

        async def start_all() -> None:
            results = await asyncio.gather(*(self._start(name) for name in waiting), return_exceptions=True)
            failure = next((r for r in results if isinstance(r, BaseException)), None)
            if failure is not None:
                raise failure

        asyncio.run_coroutine_threadsafe(start_all(), self._loop).result(timeout=STARTUP_TIMEOUT + 1)

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
        server.stop()
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
                server.stop()
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
