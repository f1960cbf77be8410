"""Clients of drill.api against a running simulator (the simulator fixtures come from support.sim_fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.sim_fixtures import CLIENT_TIMEOUT, DEMO_AUTH

from drill.api import ElasticsearchClient, GatewayClient, ManagementClient
from drill.sim.runtime import SimRuntime

REPO_ROOT = Path(__file__).resolve().parents[2]
MARKER_BPMN_PLACES = ("drill/procedure/resources/drill-marker.bpmn", "fixtures/bpmn/drill-marker.bpmn")


@pytest.fixture
def marker_bpmn() -> bytes:
    """The drill's marker process (id `drillMarker`), wherever the repository keeps it."""
    for place in MARKER_BPMN_PLACES:
        path = REPO_ROOT / place
        if path.exists():
            return path.read_bytes()
    raise AssertionError(f"drill-marker.bpmn not found in {MARKER_BPMN_PLACES}")


@pytest.fixture
def control(runtime: SimRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.endpoints()["control"], timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def gateway(runtime: SimRuntime) -> Iterator[GatewayClient]:
    url = runtime.endpoints()["region0"]["gateway"]
    with GatewayClient(url, auth=httpx.BasicAuth(*DEMO_AUTH), timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def management(runtime: SimRuntime) -> Iterator[ManagementClient]:
    with ManagementClient(runtime.endpoints()["region0"]["management"], timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def es0(runtime: SimRuntime) -> Iterator[ElasticsearchClient]:
    with ElasticsearchClient(runtime.endpoints()["region0"]["elasticsearch"], timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def es1(runtime: SimRuntime) -> Iterator[ElasticsearchClient]:
    with ElasticsearchClient(runtime.endpoints()["region1"]["elasticsearch"], timeout=CLIENT_TIMEOUT) as client:
        yield client
