"""A procedure step: check the current state, act, verify the desired state; plus the checks steps share.

Each step's checks come from its *current state* and *desired state* columns in the official procedure, and go
further where the document only hopes (paused exporting is proven with a probe instance, the restore by comparing
both regions' indices, the failback by the full original topology).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from drill.api.errors import ApiError
from drill.api.models import Topology
from drill.procedure import observe
from drill.procedure.actions import Action
from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.params import DrillParams


class Step(ABC):
    id: ClassVar[str]
    title: ClassVar[str]
    phase: ClassVar[str]
    # The action in words, as the feature file's When line says it; empty where the feature words it with numbers
    # or has no When (a stage that only observes).
    when: ClassVar[str] = ""
    current_state: ClassVar[tuple[str, ...]]
    desired_state: ClassVar[tuple[str, ...]]
    # Where the drill corrects the official document or proves what it only states.
    notes: ClassVar[tuple[str, ...]] = ()

    @property
    def destructive(self) -> bool:
        return self.changes_system(_ANY_PARAMS)

    def changes_system(self, params: DrillParams) -> bool:
        """Whether the step's actions for these params change anything (a verify-only loss does not)."""
        return any(action.destructive for action in self.actions(params))

    @abstractmethod
    def actions(self, params: DrillParams) -> list[Action]: ...

    @abstractmethod
    def check_current(self, ctx: DrillContext) -> list[Check]: ...

    @abstractmethod
    def verify_desired(self, ctx: DrillContext) -> list[Check]: ...

    def verification(self, params: DrillParams) -> list[str]:
        """Read-only commands an operator runs to see the desired state (the runbook prints them)."""
        return []


_ANY_PARAMS = DrillParams(lost_region=1)


# -- shared observations ------------------------------------------------------------------------------------


def exporters(ctx: DrillContext, wanted: dict[str, str]) -> list[Check]:
    """Exporter states as `GET /actuator/exporters` aggregates them."""

    def observe_states() -> Check:
        seen = {e.exporter_id: e.status for e in ctx.surviving.management.exporters()}
        actual = {exporter: seen.get(exporter, "absent") for exporter in wanted}
        return equal("exporter states", wanted, actual)

    return [observed("exporter states", wanted, observe_states)]


def no_pending_change(ctx: DrillContext) -> Check:
    def observe_pending() -> Check:
        state = ctx.surviving.management.cluster()
        pending = state.pending_change
        actual = "none" if pending is None else f"change {pending.id} {pending.status}"
        return equal("no cluster change in progress", "none", actual)

    return observed("no cluster change in progress", "none", observe_pending)


def members(ctx: DrillContext, expected: tuple[int, ...], name: str = "cluster members") -> Check:
    return observed(
        name,
        sorted(expected),
        lambda: equal(name, sorted(expected), sorted(ctx.surviving.management.cluster().members())),
    )


def converged(
    ctx: DrillContext,
    what: str,
    ready: Callable[[Topology], bool],
    timeout: float | None = None,
    awaits: observe.Awaits | None = None,
) -> tuple[Topology | None, str | None]:
    """The surviving gateway's topology once `ready` holds (bounded), else the last one seen and why not.

    `awaits` defaults to the topology settling after whatever last changed it (a change, brokers starting, a loss).
    """
    last: list[Topology] = []

    def probe() -> Topology | None:
        topology = ctx.surviving.gateway.topology()
        last.append(topology)
        return topology if ready(topology) else None

    try:
        awaited = awaits or {"kind": "topology"}
        return observe.journaled_wait(
            ctx, probe, what=what, awaits=awaited, timeout=timeout or ctx.timeouts.health
        ).value, None
    except ApiError as exc:
        return (last[-1] if last else None), str(exc)


def led_partitions(topology: Topology) -> list[int]:
    """Partitions that have a leader: none while a region's loss has taken the quorum (RF split over regions)."""
    return sorted(
        pid for pid, replicas in topology.partitions().items() if any(i.role == "leader" for _, i in replicas)
    )


def partition_health(topology: Topology, *, replicas: int, regions: tuple[int, ...] = ()) -> dict[str, Any]:
    """Per-partition problems: missing leader, unhealthy replicas, wrong replica count, a region without replicas."""
    problems: dict[str, Any] = {}
    replica_map = topology.partitions()
    for partition in range(1, topology.partitions_count + 1):
        found = replica_map.get(partition, ())
        issues = []
        if not any(info.role == "leader" for _, info in found):
            issues.append("no leader")
        unhealthy = sorted(node for node, info in found if info.health != "healthy")
        if unhealthy:
            issues.append(f"unhealthy on {unhealthy}")
        if len(found) != replicas:
            issues.append(f"{len(found)} replicas")
        for region in regions:
            if not any(node % 2 == region for node, _ in found):
                issues.append(f"no replica in region {region}")
        if issues:
            problems[str(partition)] = ", ".join(issues)
    return problems


def healthy_partitions(ctx: DrillContext, *, replicas: int, regions: tuple[int, ...] = ()) -> Check:
    name = f"every partition led, healthy, {replicas} replicas" + (" in both regions" if regions else "")
    topology, error = converged(ctx, name, lambda t: not partition_health(t, replicas=replicas, regions=regions))
    if topology is None:
        return holds(name, "no problems", f"could not observe: {error}", False)
    problems = partition_health(topology, replicas=replicas, regions=regions)
    return holds(name, "no problems", problems or "no problems", not problems)


def topology_shape(ctx: DrillContext, cluster_size: int, replication_factor: int, partitions: int) -> Check:
    expected = {"clusterSize": cluster_size, "replicationFactor": replication_factor, "partitionsCount": partitions}

    def observe_shape() -> Check:
        topology = ctx.surviving.gateway.topology()
        actual = {
            "clusterSize": topology.cluster_size,
            "replicationFactor": topology.replication_factor,
            "partitionsCount": topology.partitions_count,
        }
        return equal("topology shape", expected, actual)

    return observed("topology shape", expected, observe_shape)


def full_dual_region_topology(ctx: DrillContext) -> list[Check]:
    """Every broker a member, no change running, the original shape, RF healthy replicas in both regions."""
    shape = ctx.params.shape
    return [
        members(ctx, shape.brokers_of(0) + shape.brokers_of(1)),
        no_pending_change(ctx),
        topology_shape(ctx, shape.cluster_size, shape.replication_factor, shape.partitions),
        healthy_partitions(ctx, replicas=shape.replication_factor, regions=(0, 1)),
    ]


def exporting_paused(ctx: DrillContext) -> Check:
    """There is no API to read the pause; the probe created right after pausing must still be unexported."""
    key = ctx.memory.get("paused_probe")
    name = "exporting paused (probe instance still not exported)"
    if key is None:
        key = ctx.memory["paused_probe"] = observe.create_probe(ctx, "paused-check")
        return observe.stays_unexported(ctx, ctx.surviving, key, name)

    def still_unexported() -> Check:
        exported = observe.exported_to(ctx.surviving, key)
        return holds(name, f"instance {key} not exported", "exported" if exported else "not exported", not exported)

    return observed(name, "not exported", still_unexported)


def same_indices(ctx: DrillContext) -> Check:
    """Both regions hold the same Camunda indices with the same document counts (the restore is complete)."""
    name = "both regions hold the same indices and document counts"

    def compare() -> Check:
        surviving = observe.camunda_indices(ctx.surviving)
        recreated = observe.camunda_indices(ctx.recreated)
        if surviving == recreated:
            return holds(name, "identical", f"{len(surviving)} identical indices", bool(surviving))
        differences = {
            index: {"surviving": surviving.get(index), "recreated": recreated.get(index)}
            for index in sorted(set(surviving) | set(recreated))
            if surviving.get(index) != recreated.get(index)
        }
        return holds(name, "identical", differences, False)

    return observed(name, "identical", compare)


def no_camunda_indices(handle: RegionHandle) -> Check:
    name = f"region {handle.region}'s Elasticsearch holds no Camunda indices (the restore would conflict)"
    return observed(name, {}, lambda: equal(name, {}, observe.camunda_indices(handle)))


def operate_tasklist(ctx: DrillContext, *, on: bool, regions: tuple[RegionHandle, ...]) -> list[Check]:
    return [check for handle in regions for check in observe.operate_tasklist(ctx, handle, on=on)]


def namespace_clean(handle: RegionHandle) -> Check:
    name = f"region {handle.region}'s namespace is clean (no release, no volumes)"
    expected: dict[str, object] = {"reachable": True, "release": None, "volumes": []}

    def observe_namespace() -> Check:
        state = handle.platform.namespace_state()
        actual = {"reachable": state.reachable, "release": state.release, "volumes": list(state.volumes)}
        return equal(name, expected, actual)

    return observed(name, expected, observe_namespace)
