"""Pytest plugin: simulators on ephemeral loopback ports, started per test and closed off the critical path.

Registered for the whole suite in tests/conftest.py, so contract, client, platform and procedure tests share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

DEMO_AUTH = ("demo", "demo")
CLIENT_TIMEOUT = 5.0
ODD_BROKERS = [1, 3, 5, 7]
CLOSE_WAIT_SECONDS = 30.0


class BackgroundCloser:
    """Closes runtimes off the test's critical path.

    Each uvicorn server needs ~0.1-0.2 s to notice it should exit and shut down; closing every runtime in its own
    thread lets the next test start meanwhile. `join` (at session end) waits for all of them, bounded, and reports
    any runtime that failed to close or is still closing.
    """

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def close(self, runtime: SimRuntime) -> None:
        thread = threading.Thread(target=self._close, args=(runtime,), name="close-sim-runtime", daemon=True)
        thread.start()
        self.threads.append(thread)

    def _close(self, runtime: SimRuntime) -> None:
        try:
            runtime.close()
        except BaseException as exc:  # reported at join: an exception in a thread would fail an unrelated test
            self.errors.append(exc)

    def join(self) -> None:
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        still_closing = [t for t in self.threads if t.is_alive()]
        assert not still_closing, f"{len(still_closing)} simulator runtimes did not close in {CLOSE_WAIT_SECONDS} s"
        assert not self.errors, f"closing simulator runtimes failed: {self.errors!r}"


@pytest.fixture(scope="session")
def runtime_closer() -> Iterator[BackgroundCloser]:
    closer = BackgroundCloser()
    yield closer
    closer.join()


@pytest.fixture
def make_runtime(runtime_closer: BackgroundCloser) -> Iterator[Callable[..., SimRuntime]]:
    """Start a simulator with the given settings; every one started is closed after the test."""
    started: list[SimRuntime] = []

    def make(settings: SimSettings | None = None) -> SimRuntime:
        runtime = SimRuntime(settings)
        started.append(runtime)
        return runtime

    yield make
    for runtime in started:
        runtime_closer.close(runtime)


@pytest.fixture
def runtime(make_runtime: Callable[..., SimRuntime]) -> SimRuntime:
    """A simulator with default settings: 8 brokers, 8 partitions, RF 4, changes done at the next observation."""
    return make_runtime()
