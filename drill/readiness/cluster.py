"""Readiness of the Zeebe cluster itself: every broker of both regions in it, its shape, one version throughout.

Cluster-wide reads (members, pending change, shape) go to region 0's management API and gateway; what each region
sees for itself (brokers, partitions, versions) is read through that region's own gateway, so a region cut off
from the other shows as such.
"""

from __future__ import annotations

from typing import Any

from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.step import members, no_pending_change, partition_health, topology_shape
from drill.readiness.base import Concern
from drill.readiness.observations import observed_all, regions, same_everywhere

# -- topology ---------------------------------------------------------------------------------------------------


def _seen_from(handle: RegionHandle, brokers: list[int], replicas: int) -> list[Check]:
    """One topology read of a region's gateway: every broker seen, every partition led with replicas in both."""
    seen_name = f"region {handle.region}'s gateway sees every broker of both regions"
    health_name = f"every partition led, healthy, {replicas} replicas in both regions (region {handle.region})"

    def judge() -> list[Check]:
        topology = handle.gateway.topology()
        seen = sorted(b.node_id for b in topology.brokers)
        missing = sorted(set(brokers) - set(seen))
        problems = partition_health(topology, replicas=replicas, regions=(0, 1))
        return [
            equal(seen_name, brokers, seen, f"missing {missing}" if missing else None),
            holds(health_name, "no problems", problems or "no problems", not problems),
        ]

    return observed_all({seen_name: brokers, health_name: "no problems"}, judge)


class TopologyReady(Concern):
    id = "ready-topology"
    title = "Both regions' brokers are in the cluster, every partition has replicas in both regions"
    desired_state = (
        "Each region's gateway sees every broker of both regions (even ids in region 0, odd in region 1).",
        "Every broker is a cluster member and no cluster change is in progress.",
        "Every partition has a leader and its full number of healthy replicas, in both regions.",
    )

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        shape = ctx.params.shape
        brokers = sorted(shape.brokers_of(0) + shape.brokers_of(1))
        checks = [c for handle in regions(ctx) for c in _seen_from(handle, brokers, shape.replication_factor)]
        return [*checks, members(ctx, tuple(brokers)), no_pending_change(ctx)]


class ShapeReady(Concern):
    id = "ready-shape"
    title = "The cluster has the configured clusterSize, partition count and replication factor"
    desired_state = ("clusterSize, partitionsCount and replicationFactor equal the configured shape.",)

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        shape = ctx.params.shape
        return [topology_shape(ctx, shape.cluster_size, shape.replication_factor, shape.partitions)]


# -- versions ---------------------------------------------------------------------------------------------------


def _one_version(handle: RegionHandle) -> Check:
    name = f"region {handle.region}'s gateway and every broker it sees run one version"

    def judge() -> Check:
        topology = handle.gateway.topology()
        gateway = topology.gateway_version
        others = {str(b.node_id): b.version for b in topology.brokers if b.version != gateway}
        seen: Any = {"gateway": gateway, "brokers on another version": others} if others else f"all on {gateway}"
        return holds(name, "the gateway's version on every broker", seen, not others)

    return observed(name, "the gateway's version on every broker", judge)


class VersionsReady(Concern):
    id = "ready-versions"
    title = "Gateways, brokers and Elasticsearch run the same versions in both regions"
    desired_state = (
        "Each region's gateway and every broker report the same version.",
        "Both regions' gateways report the same version, and both regions' Elasticsearch the same version.",
    )

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [
            *(_one_version(handle) for handle in regions(ctx)),
            same_everywhere(ctx, "both regions' gateways report the same version", _gateway_version),
            same_everywhere(ctx, "both regions' Elasticsearch run the same version", _es_version),
        ]


def _gateway_version(handle: RegionHandle) -> str:
    return handle.gateway.topology().gateway_version


def _es_version(handle: RegionHandle) -> str:
    return handle.es.version()
