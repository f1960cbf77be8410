"""The journal records that frame a drill: who ran what, where, against which versions, and how it ended."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping
from typing import Any

from drill.api.errors import ApiError
from drill.procedure import stages
from drill.procedure.catalog import steps
from drill.procedure.context import DrillContext
from drill.procedure.step import Step
from drill.procedure.versions import DETECTED


def versions(ctx: DrillContext) -> dict[str, Any]:
    """Versions as the surviving gateway reports them; unreadable versions are recorded as such, not guessed."""
    try:
        topology = ctx.surviving.gateway.topology()
    except ApiError as exc:
        return {"error": str(exc)}
    return {
        "gateway": topology.gateway_version,
        "brokers": sorted({b.version for b in topology.brokers}),
    }


def begin(
    ctx: DrillContext,
    *,
    target: str,
    operator: str | None = None,
    sequence: list[Step] | None = None,
    mode: str = "drill",
    dry_run: bool = False,
    forecast: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Journal the drill's start; `forecast` (drill/forecast.py) is the RTO the deployment should take."""
    p = ctx.params
    sequence = sequence if sequence is not None else stages.drill_sequence(p.variant, p.mode)
    start = ctx.journal.drill_start(
        target=target,
        lost_region=p.lost_region,
        contexts={str(r): h.platform.description for r, h in ctx.regions.items()},
        versions=versions(ctx),
        chart_version={str(r): h.platform.chart_version for r, h in ctx.regions.items()},
        operator=operator or getpass.getuser(),
        host=socket.gethostname(),
        procedure=[s.id for s in steps(ctx.params.variant)],
        stages=[stages.describe(s, p) for s in sequence],
        budgets=p.budgets.to_json(),
        variant=p.variant,
        camunda_version=p.camunda_version,
        mode=mode,
        dry_run=dry_run,
        lost_for_s=p.lost_for_s,
        shape={
            "clusterSize": p.shape.cluster_size,
            "partitions": p.shape.partitions,
            "replicationFactor": p.shape.replication_factor,
        },
        # In the chain before the loss: what was expected is on record before anything was measured.
        **({"forecast": dict(forecast)} if forecast is not None else {}),
    )
    detection = ctx.memory.get(DETECTED)
    if detection is not None:  # --camunda-version auto: what was read and what it meant, right after the start
        ctx.journal.append("detected", **detection.to_json())
    return start


def finish(ctx: DrillContext, *, verdict: str, error: str | None = None) -> dict[str, Any]:
    return ctx.journal.drill_end(verdict=verdict, error=error)
