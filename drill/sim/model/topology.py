"""Topology arithmetic of a dual-region Zeebe cluster: pure functions, property-tested over many sizes.

Zeebe's default (round-robin) distributor places partition p on the members at positions p-1 .. p-1+R-1 of the
sorted member list, modulo its length, with priorities R .. 1 in that order; the highest-priority live replica
leads. With node ids interleaved across regions (even = region 0, odd = region 1) every partition gets R/2
replicas in each region, which is what makes a dual-region setup survive the loss of one region's storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

REGIONS = 2


def region_of(broker_id: int) -> int:
    return broker_id % REGIONS


def brokers_of_region(cluster_size: int, region: int) -> list[int]:
    return [b for b in range(cluster_size) if region_of(b) == region]


def pod_index(broker_id: int) -> int:
    """The StatefulSet ordinal of a broker: node id = 2 * podIndex + regionId (the Helm chart's rule)."""
    return broker_id // REGIONS


def broker_id_for(region: int, index: int) -> int:
    return REGIONS * index + region


@dataclass(frozen=True)
class Replica:
    broker: int
    priority: int


def round_robin(members: Iterable[int], partitions: int, replication_factor: int) -> dict[int, list[Replica]]:
    """Partition id (1-based) -> replicas in priority order, as Zeebe's round-robin distributor assigns them."""
    ordered = sorted(set(members))
    if not ordered:
        raise ValueError("cannot distribute partitions over no brokers")
    if replication_factor < 1 or replication_factor > len(ordered):
        raise ValueError(
            f"replication factor {replication_factor} must be between 1 and the number of brokers ({len(ordered)})"
        )
    if partitions < 1:
        raise ValueError(f"partition count must be at least 1, got {partitions}")
    layout: dict[int, list[Replica]] = {}
    for partition in range(1, partitions + 1):
        layout[partition] = [
            Replica(ordered[(partition - 1 + j) % len(ordered)], replication_factor - j)
            for j in range(replication_factor)
        ]
    return layout


def partitions_by_broker(layout: Mapping[int, Sequence[Replica]]) -> dict[int, list[int]]:
    result: dict[int, list[int]] = {}
    for partition, replicas in sorted(layout.items()):
        for replica in replicas:
            result.setdefault(replica.broker, []).append(partition)
    return result


def has_quorum(replica_count: int, alive_count: int) -> bool:
    """Raft needs a strict majority of a partition's replicas to elect a leader and commit."""
    return alive_count * 2 > replica_count


def leader_of(replicas: Sequence[Replica], alive: Iterable[int]) -> int | None:
    """The leader a healthy election ends with: the live replica of highest priority, if a quorum is live."""
    live = set(alive)
    live_replicas = [r for r in replicas if r.broker in live]
    if not has_quorum(len(replicas), len(live_replicas)):
        return None
    return max(live_replicas, key=lambda r: (r.priority, -r.broker)).broker


def validate_dual_region(cluster_size: int, partitions: int, replication_factor: int) -> None:
    """Refuse a shape that is not a supported dual-region setup, naming what was expected and what was seen."""
    if cluster_size < 2 or cluster_size % REGIONS:
        raise ValueError(f"clusterSize must be an even number of at least 2 (one half per region), got {cluster_size}")
    if replication_factor < 1 or replication_factor > cluster_size:
        raise ValueError(
            f"replicationFactor must be between 1 and clusterSize ({cluster_size}), got {replication_factor}"
        )
    if partitions < 1:
        raise ValueError(f"partitionCount must be at least 1, got {partitions}")
