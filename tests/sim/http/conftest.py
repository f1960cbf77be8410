"""Clients for the HTTP contract tests (the simulator fixtures come from support.sim_fixtures)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from support.sim_fixtures import CLIENT_TIMEOUT, DEMO_AUTH, ODD_BROKERS

from drill.sim.runtime import SimRuntime

CHANGE_WAIT_SECONDS = 3.0
CHANGE_POLLS = 300


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
