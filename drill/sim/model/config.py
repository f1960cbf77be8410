"""Zeebe's dynamic cluster configuration: which brokers are members, which partitions each holds, exporter states.

This is the state `/actuator/cluster` shows and that configuration changes edit. Liveness (which brokers run) is
not part of it: a broker can be a member and dead (a lost region before failover) or alive and not a member (a
recreated region before failback-8).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime

ENABLED = "ENABLED"
DISABLED = "DISABLED"
CONFIG_NOT_FOUND = "CONFIG_NOT_FOUND"


@dataclass
class ExporterConfig:
    state: str = ENABLED
    metadata_version: int = 0
    initialized_from: str | None = None


@dataclass
class PartitionState:
    id: int
    priority: int
    state: str = "ACTIVE"
    exporters: dict[str, ExporterConfig] = field(default_factory=dict)


@dataclass
class MemberState:
    id: int
    state: str = "ACTIVE"
    version: int = 0
    last_updated_at: datetime | None = None
    partitions: dict[int, PartitionState] = field(default_factory=dict)


@dataclass
class ClusterConfig:
    """Members by broker id; `version` grows with every applied operation."""

    version: int = 1
    members: dict[int, MemberState] = field(default_factory=dict)
    partition_count: int = 0

    def copy(self) -> ClusterConfig:
        return copy.deepcopy(self)

    def replicas(self, partition: int) -> list[tuple[int, PartitionState]]:
        """(broker id, partition state) of every member holding the partition, highest priority first."""
        found = [
            (member.id, member.partitions[partition])
            for member in self.members.values()
            if partition in member.partitions
        ]
        return sorted(found, key=lambda item: (-item[1].priority, item[0]))

    def replica_map(self) -> dict[int, list[tuple[int, PartitionState]]]:
        """`replicas` of every partition at once, in one pass over the members: what a pass over all partitions
        uses, since asking partition by partition scans every member each time (brokers x partitions)."""
        found: dict[int, list[tuple[int, PartitionState]]] = {}
        for member in self.members.values():
            for partition, state in member.partitions.items():
                found.setdefault(partition, []).append((member.id, state))
        for replicas in found.values():
            replicas.sort(key=lambda item: (-item[1].priority, item[0]))
        return found

    def replica_ids(self, partition: int) -> list[int]:
        return [broker for broker, _ in self.replicas(partition)]

    def replication_factor(self) -> int:
        """Zeebe derives it from the configuration; after a forced removal it is what survived (e.g. 4 -> 2)."""
        counts = [len(self.replicas(p)) for p in range(1, self.partition_count + 1)]
        return max(counts, default=0)

    def exporter_ids(self) -> list[str]:
        ids: set[str] = set()
        for member in self.members.values():
            for partition in member.partitions.values():
                ids.update(partition.exporters)
        return sorted(ids)

    def exporter_states(self, exporter_id: str) -> list[str]:
        return [
            partition.exporters[exporter_id].state if exporter_id in partition.exporters else CONFIG_NOT_FOUND
            for member in self.members.values()
            for partition in member.partitions.values()
        ]
