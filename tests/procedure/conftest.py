"""The `make_drill` fixture: a drill context over a fresh simulator, closed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.drill_harness import FAST, MakeDrill, SimDrill

from drill.evidence import Journal
from drill.platform.sim import SimPlatform, SimRouter
from drill.procedure.context import ClientOptions, DrillContext
from drill.procedure.params import DrillParams, Timeouts
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime


@pytest.fixture
def make_drill(make_runtime: Callable[..., SimRuntime], tmp_path: Path) -> Iterator[MakeDrill]:
    drills: list[SimDrill] = []

    def make(
        lost: int = 1,
        *,
        variant: str = "seed",
        camunda_version: str = "8.8",
        settings: SimSettings | None = None,
        timeouts: Timeouts = FAST,
        gateway_auth: Callable[[dict[str, Any]], httpx.Auth] | None = None,
        transport: Callable[[], httpx.BaseTransport] = httpx.HTTPTransport,
    ) -> SimDrill:
        runtime = make_runtime(settings)
        endpoints = runtime.endpoints()
        journal = Journal.create(tmp_path / f"journal-{len(drills)}.jsonl", durable=False)
        ctx = DrillContext.build(
            DrillParams(lost_region=lost, variant=variant, camunda_version=camunda_version),
            {r: SimPlatform(r, endpoints) for r in (0, 1)},
            journal,
            options=ClientOptions(
                gateway_auth=gateway_auth(endpoints) if gateway_auth else httpx.BasicAuth("demo", "demo"),
                timeout=10,
                transport=transport,
            ),
            timeouts=timeouts,
        )
        ctx.router = SimRouter(endpoints)  # as the sim target gives it: reroute-traffic switches the public endpoint
        drill = SimDrill(ctx, runtime, httpx.Client(base_url=endpoints["control"], timeout=10))
        drills.append(drill)
        return drill

    yield make
    for drill in drills:
        drill.ctx.close()
        for region in drill.ctx.regions.values():
            region.platform.close()
        if drill.ctx.router is not None:
            drill.ctx.router.close()
        drill.control.close()
        drill.ctx.journal.close()
