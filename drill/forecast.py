"""The RTO a deployment of a given shape and data volume should expect, from the simulator's own time model.

A drill on a small test deployment says little about the production one: its failback-4 copies a few megabytes,
and its cluster changes have a handful of operations. This forecast answers "and for 8 brokers with 200 GiB?"
from the same numbers the simulator runs on, so a simulated drill at `--time-scale 1` takes the forecast plus
the harness's own time and nothing else (tests/procedure/test_forecast.py holds them together):

- cluster changes: each change the procedure makes is planned by the model's own Zeebe cluster for the shape (the
  requests are the ones the drill sends), and costs the sum of `changes.DURATIONS` over the operations it plans,
  which the brokers apply one at a time;
- export: a record is exportable `zeebe.EXPORT_LATENCY` after it is written, and not before its exporter unblocks;
- startup of the recreated region: `deployment.BROKER_STARTUP_SECONDS` for its brokers to be known to the
  gateway, `deployment.ES_STARTUP_SECONDS` for its Elasticsearch, in parallel;
- failback-4: a snapshot of the surviving Elasticsearch (`SNAPSHOT_OVERHEAD_SECONDS` plus the data at
  `snapshot_s_per_gib`) and its restore into the recreated one (`RESTORE_OVERHEAD_SECONDS` plus the data at
  `restore_s_per_gib`, Camunda's published ~11 s/GiB by default).

What it does not model, so a real failover and failback take longer by these: the harness's and the operator's
own time (checks, probes, the quiet window that proves an exporter stalled, approvals), network and DNS time
(rerouting users' traffic, port-forwards, a cross-region link slower than the repository's throughput), the
failure detection before a loss is noticed, Helm rollouts (failback-2 and failback-5 restart pods: instant here,
minutes on Kubernetes), image pulls and volume provisioning beyond the startup times above, Elasticsearch replica
recovery after the restore, and incremental snapshots (the forecast copies all data, as into an empty
repository, the drill's case). Seconds are real seconds (time scale 1); the simulator at time scale s takes about
s times these, plus the harness's time.

It reads the simulator's model and never talks to a simulator: a pure function of its inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from drill.api.management import cluster_patch_body
from drill.procedure import catalog
from drill.procedure.params import CAMUNDA_EXPORTER_PREFIX, REGIONS, DataVolume, DrillParams, Shape
from drill.sim.clock import FakeClock
from drill.sim.model.changes import DURATIONS, Operation
from drill.sim.model.deployment import BROKER_STARTUP_SECONDS, ES_STARTUP_SECONDS
from drill.sim.model.elasticsearch import RESTORE_OVERHEAD_SECONDS, SNAPSHOT_OVERHEAD_SECONDS
from drill.sim.model.errors import ModelError
from drill.sim.model.zeebe import EXPORT_LATENCY, ChangeRequest, ZeebeCluster

FAILOVER_VISIBLE = "failover-visible"  # the drill stage that sees the first new data in the surviving region


@dataclass(frozen=True)
class StageForecast:
    id: str
    phase: str  # failover or failback
    seconds: float
    basis: str  # how the seconds were made, in words a reader can check

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "phase": self.phase, "seconds": self.seconds, "basis": self.basis}


@dataclass(frozen=True)
class Forecast:
    stages: tuple[StageForecast, ...]
    inputs: dict[str, Any]

    @property
    def failover_s(self) -> float:
        """From the loss to the first new data visible in the surviving region, as the failover RTO is measured."""
        return _total(self.stages, "failover")

    @property
    def failback_s(self) -> float:
        """From the start of the first failback step to the end of the last, as the failback is measured."""
        return _total(self.stages, "failback")

    def seconds(self, stage_id: str) -> float:
        return next((s.seconds for s in self.stages if s.id == stage_id), 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "failover_s": self.failover_s,
            "failback_s": self.failback_s,
            "stages": [s.to_json() for s in self.stages],
            "inputs": self.inputs,
            "time_scale": 1.0,
        }


def _total(stages: Sequence[StageForecast], phase: str) -> float:
    return round(sum(s.seconds for s in stages if s.phase == phase), 3)


@dataclass(frozen=True)
class _Changes:
    """The operations of each cluster change the procedure makes, as the model plans them for the shape."""

    force_remove: tuple[Operation, ...]
    disable: tuple[tuple[Operation, ...], ...]  # one change per exporter family
    enable: tuple[tuple[Operation, ...], ...]
    add: tuple[Operation, ...]


@functools.lru_cache(maxsize=64)
def _planned_changes(shape: Shape, lost_region: int, families: tuple[str, ...]) -> _Changes:
    """Make the procedure's four kinds of change on the model's own Zeebe cluster, in the procedure's order.

    At time scale 0 a change completes at the next observation, so each one is applied before the next is
    planned against the configuration it left, exactly as the drill meets them. Only the operations are kept
    (per shape, cached): their seconds are read from `DURATIONS` on every forecast."""
    surviving_region = REGIONS - 1 - lost_region
    exporters = tuple(f"{family}{region}" for family in families for region in range(REGIONS))
    zeebe = ZeebeCluster(
        clock=FakeClock(),
        cluster_size=shape.cluster_size,
        partitions=shape.partitions,
        replication_factor=shape.replication_factor,
        exporters=exporters,
    )
    lost = shape.brokers_of(lost_region)
    zeebe.running = set(shape.brokers_of(surviving_region))

    def applied(request: ChangeRequest) -> tuple[Operation, ...]:
        zeebe.tick()
        if zeebe.pending is not None:  # pragma: no cover - every broker a change needs is running
            raise RuntimeError(f"the model did not complete change {request.change_id} at time scale 0")
        return tuple(request.operations)

    force_remove = applied(zeebe.patch(cluster_patch_body(remove=lost), force=True))
    disable = tuple(applied(zeebe.disable_exporter(f"{family}{lost_region}")) for family in families)
    enable = tuple(
        applied(zeebe.enable_exporter(f"{family}{lost_region}", initialize_from=f"{family}{surviving_region}"))
        for family in families
    )
    zeebe.running = set(range(shape.cluster_size))  # the recreated brokers run before failback-8 adds them
    add = applied(zeebe.patch(cluster_patch_body(add=lost, replication_factor=shape.replication_factor)))
    return _Changes(force_remove, disable, enable, add)


def _cost(changes: Sequence[Sequence[Operation]]) -> tuple[float, str]:
    """Modelled seconds of changes applied one operation at a time, and the operations counted in words."""
    counts: dict[str, int] = {}
    for change in changes:
        for op in change:
            counts[op.operation] = counts.get(op.operation, 0) + 1
    seconds = sum(DURATIONS[name] * count for name, count in counts.items())
    words = ", ".join(f"{count} x {name} ({DURATIONS[name]:g} s)" for name, count in counts.items())
    return round(seconds, 3), words or "no operations"


def forecast(
    shape: Shape,
    lost_region: int,
    data: DataVolume,
    variant: str = "seed",
    exporter_families: Sequence[str] = (CAMUNDA_EXPORTER_PREFIX,),
) -> Forecast:
    """Predicted seconds per stage and the failover RTO and failback duration they add up to (see the module)."""
    changes = _planned_changes(shape, lost_region, tuple(exporter_families))
    remove_s, remove_ops = _cost([changes.force_remove])
    disable_s, disable_ops = _cost(changes.disable)
    enable_s, enable_ops = _cost(changes.enable)
    add_s, add_ops = _cost([changes.add])
    gib = data.es_gib
    snapshot_s = SNAPSHOT_OVERHEAD_SECONDS + gib * data.snapshot_s_per_gib
    restore_s = RESTORE_OVERHEAD_SECONDS + gib * data.restore_s_per_gib
    startup_s = max(BROKER_STARTUP_SECONDS, ES_STARTUP_SECONDS)
    failback: dict[str, tuple[float, str]] = {
        "failback-1": (
            startup_s,
            f"the recreated region's brokers start in {BROKER_STARTUP_SECONDS:g} s, its Elasticsearch in "
            f"{ES_STARTUP_SECONDS:g} s, side by side",
        ),
        "failback-2": (0.0, "helm upgrade of the surviving region: not modelled (a rolling restart on Kubernetes)"),
        "failback-3": (0.0, "pause exporting: synchronous"),
        "failback-4": (
            round(snapshot_s + restore_s, 3),
            f"snapshot {SNAPSHOT_OVERHEAD_SECONDS:g} s + {gib:g} GiB x {data.snapshot_s_per_gib:g} s/GiB, restore "
            f"{RESTORE_OVERHEAD_SECONDS:g} s + {gib:g} GiB x {data.restore_s_per_gib:g} s/GiB",
        ),
        "failback-5": (0.0, "helm upgrade of both regions: not modelled (a rolling restart on Kubernetes)"),
        "failback-6": (enable_s, f"enable the recreated region's exporter: {enable_ops}"),
        "failback-7": (EXPORT_LATENCY, f"resume exporting; a new record is exported after {EXPORT_LATENCY:g} s"),
        "failback-8": (
            round(add_s + EXPORT_LATENCY, 3),
            f"add the recreated brokers: {add_ops}; then a new record reaches both regions ({EXPORT_LATENCY:g} s)",
        ),
    }
    stages = [
        StageForecast("failover-1", "failover", remove_s, f"force-remove the lost brokers: {remove_ops}"),
        StageForecast("failover-2", "failover", disable_s, f"disable the lost region's exporter: {disable_ops}"),
        StageForecast(
            FAILOVER_VISIBLE,
            "failover",
            round(max(0.0, EXPORT_LATENCY - disable_s), 3),
            f"data written as processing resumed is exported {EXPORT_LATENCY:g} s after it was written, once the "
            "exporter is disabled",
        ),
    ]
    for step in catalog.steps(variant, "failback"):
        seconds, basis = failback[step.id]
        stages.append(StageForecast(step.id, "failback", round(seconds, 3), basis))
    inputs = {
        **data.to_json(),
        "shape": {
            "clusterSize": shape.cluster_size,
            "partitions": shape.partitions,
            "replicationFactor": shape.replication_factor,
        },
        "lost_region": lost_region,
        "variant": variant,
        "exporters": list(exporter_families),
    }
    return Forecast(tuple(stages), inputs)


def for_drill(params: DrillParams) -> Forecast:
    """The forecast for the drill these parameters describe (its shape, lost region, data, variant, exporters)."""
    return forecast(params.shape, params.lost_region, params.data, params.variant, params.exporter_families)


def for_journal(params: DrillParams) -> dict[str, Any]:
    """The forecast as the drill_start record holds it. A shape the model cannot plan is recorded with the reason
    rather than stopping the drill: the forecast informs, the drill measures."""
    try:
        return for_drill(params).to_json()
    except (ValueError, ModelError) as exc:
        return {"error": f"no forecast for this deployment: {exc}", "inputs": params.data.to_json()}
