"""The dual-region steady state: what must hold before a region is lost and again after the failback."""

from __future__ import annotations

from drill.procedure.checks import Check, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.step import (
    exporters,
    healthy_partitions,
    members,
    no_pending_change,
    operate_tasklist,
    topology_shape,
)


def _es_healthy(handle: RegionHandle) -> Check:
    name = f"region {handle.region}'s Elasticsearch green"

    def observe_health() -> Check:
        status = handle.es.health().status
        return holds(name, "green", status, status == "green")

    return observed(name, "green", observe_health)


def steady_state(ctx: DrillContext) -> list[Check]:
    """Full dual-region: original shape, RF replicas in both regions, both exporters on, both stores healthy."""
    p = ctx.params
    shape = p.shape
    checks = [
        members(ctx, shape.brokers_of(0) + shape.brokers_of(1)),
        no_pending_change(ctx),
        topology_shape(ctx, shape.cluster_size, shape.replication_factor, shape.partitions),
        healthy_partitions(ctx, replicas=shape.replication_factor, regions=(0, 1)),
    ]
    checks += exporters(ctx, {p.exporter(0): "ENABLED", p.exporter(1): "ENABLED"})
    checks += [_es_healthy(h) for h in ctx.both()]
    checks += operate_tasklist(ctx, on=True, regions=ctx.both())
    return checks
