"""Drills over a running simulator for the procedure tests: two SimPlatforms, a journal, short bounds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from drill.evidence import read_journal
from drill.procedure import catalog, loss
from drill.procedure.context import DrillContext
from drill.procedure.params import Timeouts
from drill.procedure.runner import run_step
from drill.sim.runtime import SimRuntime

# Short bounds: the simulator at time scale 0 finishes work at the next observation, so a healthy step never
# waits; a broken one fails within these instead of the real-cluster defaults.
FAST = Timeouts(change=5, export_visible=2, quiet_window=0.2, snapshot=10, readiness=3, health=3, reroute=3)


@dataclass
class SimDrill:
    """A drill context with the simulator behind it, for arranging faults and reading the simulated truth."""

    ctx: DrillContext
    runtime: SimRuntime
    control: httpx.Client

    def state(self) -> dict[str, Any]:
        return dict(self.control.get("/state").json())

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        rows = read_journal(self.ctx.journal.path)
        return [r for r in rows if kind is None or r["kind"] == kind]


MakeDrill = Callable[..., SimDrill]


def run_until(ctx: DrillContext, stop_before: str | None = None, *, lose: bool = True) -> None:
    """Lose the region and run the procedure in order up to (not including) `stop_before`."""
    if lose:
        loss.lose_region(ctx)
    for step in catalog.steps(ctx.params.variant):
        if step.id == stop_before:
            return
        if step.id == "failback-1":
            loss.provide_empty_region(ctx)
        run_step(ctx, step)
