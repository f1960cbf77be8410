"""The dual-region steady state: what must hold before a region is lost and again after the failback."""

from __future__ import annotations

from drill.procedure.checks import Check, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.step import exporters, full_dual_region_topology, operate_tasklist


def _es_healthy(handle: RegionHandle) -> Check:
    name = f"region {handle.region}'s Elasticsearch green"

    def observe_health() -> Check:
        status = handle.es.health().status
        return holds(name, "green", status, status == "green")

    return observed(name, "green", observe_health)


def steady_state(ctx: DrillContext) -> list[Check]:
    """Full dual-region: original shape, RF replicas in both regions, both stores healthy, and both regions'
    exporters on in every family (an 8.7-migrated setup keeps its legacy ones enabled, e.g. for Optimize)."""
    p = ctx.params
    checks = full_dual_region_topology(ctx)
    checks += exporters(ctx, dict.fromkeys(p.exporters_of(0) + p.exporters_of(1), "ENABLED"))
    checks += [_es_healthy(h) for h in ctx.both()]
    checks += operate_tasklist(ctx, on=True, regions=ctx.both())
    return checks
