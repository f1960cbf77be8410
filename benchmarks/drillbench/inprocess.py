"""A drill run in this process against an embedded simulator, as `c8-drill run` runs one per lost region (a fresh
simulator each), minus the CLI and pytest: what the overhead and detection sections time and read.

The target is built here as `drill.targets.sim_target` builds it, with one difference: the platforms' control API
client (region loss, recreation, helm, the public route) goes through a recording transport. The journal does not
hold those calls, and a bare replay that left them out would not do the drill's work (no region would be lost), so
the replay takes them from this recording, merged with the journal's records by time.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from support.drive import drive

from drill.drill_session import DrillSession, DrillSettings
from drill.platform.base import Platform
from drill.platform.sim import SimPlatform, SimRouter
from drill.procedure.params import DrillParams, Shape, Timeouts
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime
from drill.targets import SIM_TIMEOUTS, OpenTarget


@dataclass(frozen=True)
class Exchange:
    """One control API call as the drill made it (credentials included: the replay needs them)."""

    ts: datetime
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int | None


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, sink: list[Exchange]) -> None:
        self.inner, self.sink = inner, sink

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        status: int | None = None
        try:
            response = self.inner.handle_request(request)
            status = response.status_code
            return response
        finally:
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.sink.append(Exchange(datetime.now(UTC), request.method, str(request.url), headers, body, status))

    def close(self) -> None:
        self.inner.close()


@dataclass
class DrillRun:
    lost_region: int
    journal: Path
    seconds: float  # from opening the target to the reports written
    verdict: str
    endpoints: dict[str, Any]
    control_calls: list[Exchange] = field(default_factory=list)
    final_state: dict[str, Any] = field(default_factory=dict)
    timeline: dict[str, Any] = field(default_factory=dict)


def shape_of(settings: SimSettings) -> Shape:
    return Shape(settings.cluster_size, settings.partitions, settings.replication_factor)


def timeouts_for(settings: SimSettings) -> Timeouts:
    """What `c8-drill run` bounds waits with on an embedded simulator (drill.targets._open_sim)."""
    return SIM_TIMEOUTS if settings.time_scale == 0 else Timeouts()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying context for the recording transports, as the drill's own clients share one: building one per
    transport costs ~17 ms each here, which would be charged to the harness."""
    return httpx.create_ssl_context()


def open_recorded_target(runtime: SimRuntime, settings: SimSettings, sink: list[Exchange]) -> OpenTarget:
    endpoints = runtime.endpoints()

    def recorded() -> httpx.BaseTransport:
        return RecordingTransport(httpx.HTTPTransport(verify=_tls()), sink)

    platforms: dict[int, Platform] = {r: SimPlatform(r, endpoints, transport=recorded()) for r in (0, 1)}
    return OpenTarget(
        "sim",
        platforms,
        cause_loss=True,
        timeouts=timeouts_for(settings),
        gateway_auth=httpx.BasicAuth(settings.username, settings.password),
        router=SimRouter(endpoints, transport=recorded()),
    )


def run_drill(
    settings: SimSettings,
    lost_region: int,
    report_dir: Path,
    *,
    reports: bool = True,
    after: Callable[[SimRuntime, DrillRun], None] | None = None,
) -> DrillRun:
    """One lost region's whole drill on a fresh simulator (its start not timed); `after` reads the simulator
    before it is closed."""
    with SimRuntime(settings) as runtime:
        calls: list[Exchange] = []
        started = time.perf_counter()
        target = open_recorded_target(runtime, settings, calls)
        params = DrillParams(lost_region=lost_region, shape=shape_of(settings))
        session = DrillSession(DrillSettings(params=params, report_dir=report_dir), lost_region, target=target)
        drive(session)
        session.finish(reports=reports)
        seconds = time.perf_counter() - started
        verdict = "passed" if session.stopped_by is None else f"failed: {session.stopped_by}"
        run = DrillRun(lost_region, session.journal_path, seconds, verdict, runtime.endpoints(), calls)
        run.final_state = control_get(runtime, "/state")
        if after is not None:
            after(runtime, run)
        return run


def control_get(runtime: SimRuntime, path: str) -> dict[str, Any]:
    response = httpx.get(f"{runtime.endpoints()['control']}{path}", timeout=30)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body
