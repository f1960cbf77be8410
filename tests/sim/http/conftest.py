"""Fixtures for the HTTP contract tests: a running simulator on ephemeral loopback ports, and clients for it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

DEMO_AUTH = ("demo", "demo")
CLIENT_TIMEOUT = 5.0
ODD_BROKERS = [1, 3, 5, 7]
CHANGE_WAIT_SECONDS = 3.0
CHANGE_POLLS = 300
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


@pytest.fixture
def control(runtime: SimRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.endpoints()["control"], timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def management(runtime: SimRuntime) -> Iterator[httpx.Client]:
    """Region 0's management API (port 9600): unauthenticated."""
    with httpx.Client(base_url=runtime.endpoints()["region0"]["management"], timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def gateway(runtime: SimRuntime) -> Iterator[httpx.Client]:
    """Region 0's Orchestration Cluster REST API (port 8080) with the chart's fallback basic auth demo/demo."""
    with httpx.Client(
        base_url=runtime.endpoints()["region0"]["gateway"], auth=DEMO_AUTH, timeout=CLIENT_TIMEOUT
    ) as client:
        yield client


AwaitChange = Callable[[httpx.Client, int], dict[str, Any]]


@pytest.fixture
def await_change() -> AwaitChange:
    """Wait (bounded) until change `change_id` has ended, as zbchaos does; returns `lastChange`."""

    def wait(management: httpx.Client, change_id: int) -> dict[str, Any]:
        deadline = time.monotonic() + CHANGE_WAIT_SECONDS
        body: dict[str, Any] = {}
        for _ in range(CHANGE_POLLS):
            body = management.get("/actuator/cluster").json()
            last = body.get("lastChange")
            if "pendingChange" not in body and last is not None and last["id"] >= change_id:
                return dict(last)
            if time.monotonic() > deadline:
                break
            time.sleep(0.01)
        raise AssertionError(
            f"change {change_id} did not end within {CHANGE_WAIT_SECONDS} s: {body.get('pendingChange')}"
        )

    return wait


@pytest.fixture
def fail_over(control: httpx.Client, management: httpx.Client, await_change: AwaitChange) -> Callable[[], int]:
    """Lose region 1 and run the failover of the procedure (force-remove 1,3,5,7; disable camundaregion1).

    Returns the id of the force-remove change.
    """

    def run() -> int:
        assert control.post("/regions/1/lose").status_code == 200
        removed = management.patch(
            "/actuator/cluster", params={"force": "true"}, json={"brokers": {"remove": ODD_BROKERS}}
        )
        assert removed.status_code == 202, removed.text
        change_id = int(removed.json()["changeId"])
        assert await_change(management, change_id)["status"] == "COMPLETED"
        disabled = management.post("/actuator/exporters/camundaregion1/disable")
        assert disabled.status_code == 202, disabled.text
        assert await_change(management, disabled.json()["changeId"])["status"] == "COMPLETED"
        return change_id

    return run
