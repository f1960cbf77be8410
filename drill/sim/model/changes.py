"""Planning, validating and applying configuration changes, as Zeebe's coordinator does.

A request is turned into a list of operations by simulating it against the current configuration; any check
that fails becomes a 400 before anything is applied. The operations are then applied one at a time, later, by
the brokers they name (`executor`), which is why a change that needs a dead broker never completes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drill.sim.model.config import DISABLED, ENABLED, ClusterConfig, ExporterConfig, MemberState, PartitionState
from drill.sim.model.errors import BadRequest
from drill.sim.model.topology import round_robin

# Modelled seconds per operation at time scale 1; a drill multiplies them by its --time-scale.
DURATIONS: dict[str, float] = {
    "BROKER_ADD": 1.0,
    "BROKER_REMOVE": 0.5,
    "PARTITION_JOIN": 3.0,
    "PARTITION_LEAVE": 1.0,
    "PARTITION_RECONFIGURE_PRIORITY": 0.5,
    "PARTITION_FORCE_RECONFIGURE": 0.5,
    "PARTITION_ENABLE_EXPORTER": 0.1,
    "PARTITION_DISABLE_EXPORTER": 0.1,
}


@dataclass(frozen=True)
class Operation:
    operation: str
    broker_id: int
    partition_id: int | None = None
    priority: int | None = None
    brokers: tuple[int, ...] | None = None
    exporter_id: str | None = None
    initialize_from: str | None = None

    @property
    def executor(self) -> int:
        """The broker that has to be running for this operation to make progress."""
        return self.broker_id

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"operation": self.operation, "brokerId": self.broker_id}
        if self.partition_id is not None:
            body["partitionId"] = self.partition_id
        if self.priority is not None:
            body["priority"] = self.priority
        if self.brokers is not None:
            body["brokers"] = list(self.brokers)
        if self.exporter_id is not None:
            body["exporterId"] = self.exporter_id
        return body


@dataclass
class Change:
    id: int
    operations: list[Operation]
    started_at: datetime
    status: str = "IN_PROGRESS"
    completed: list[tuple[Operation, datetime]] = field(default_factory=list)
    completed_at: datetime | None = None
    fail: bool = False

    @property
    def pending(self) -> list[Operation]:
        return self.operations[len(self.completed) :]


@dataclass
class Plan:
    operations: list[Operation]
    expected: ClusterConfig


# -- planners ------------------------------------------------------------------------------------------------


def plan_force_remove(config: ClusterConfig, remove: Collection[int]) -> Plan:
    """Shrink every partition to its replicas on the remaining brokers; the replication factor drops with it."""
    remove_set = set(remove)
    unknown = sorted(remove_set - set(config.members))
    if unknown:
        raise BadRequest(f"Expected to remove brokers {unknown}, but they are not members of the cluster")
    survivors = sorted(set(config.members) - remove_set)
    if not survivors:
        raise BadRequest("Cannot force remove all brokers of the cluster; at least one broker must remain")
    operations: list[Operation] = []
    for partition in range(1, config.partition_count + 1):
        replicas = config.replica_ids(partition)
        remaining = tuple(b for b in replicas if b not in remove_set)
        if not remaining:
            raise BadRequest(
                f"Cannot force remove brokers {sorted(remove_set)}: partition {partition} has no replica on the "
                f"remaining brokers {survivors}"
            )
        if len(remaining) != len(replicas):
            operations.append(
                Operation("PARTITION_FORCE_RECONFIGURE", remaining[0], partition_id=partition, brokers=remaining)
            )
    coordinator = survivors[0]
    operations.extend(Operation("BROKER_REMOVE", coordinator, brokers=(b,)) for b in sorted(remove_set))
    return _simulate(config, operations)


def plan_scale(
    config: ClusterConfig,
    *,
    add: Collection[int] = (),
    remove: Collection[int] = (),
    replication_factor: int | None = None,
    partition_count: int | None = None,
    running: Collection[int] = (),
) -> Plan:
    """A non-forced reconfiguration: new member set, round-robin layout, only live brokers may take part."""
    add_set, remove_set = set(add), set(remove)
    both = sorted(add_set & remove_set)
    if both:
        raise BadRequest(f"Cannot add and remove the same brokers {both} in one request")
    already = sorted(add_set & set(config.members))
    if already:
        raise BadRequest(f"Expected to add brokers {already}, but they are already members of the cluster")
    unknown = sorted(remove_set - set(config.members))
    if unknown:
        raise BadRequest(f"Expected to remove brokers {unknown}, but they are not members of the cluster")
    negative = sorted(b for b in add_set if b < 0)
    if negative:
        raise BadRequest(f"Broker ids must not be negative, got {negative}")
    not_running = sorted((add_set | remove_set) - set(running))
    if not_running:
        raise BadRequest(
            f"Cannot change the cluster without force: brokers {not_running} are not running or not reachable. "
            "A broker must be running to be added to or removed from the cluster"
        )
    if partition_count is not None and partition_count != config.partition_count:
        raise BadRequest(
            f"Expected partition count {config.partition_count}, got {partition_count}: the simulator does not "
            "model partition scaling, and the dual-region procedure never changes the partition count"
        )
    members = sorted((set(config.members) | add_set) - remove_set)
    rf = replication_factor if replication_factor is not None else config.replication_factor()
    if rf < 1:
        raise BadRequest(f"Replication factor must be at least 1, got {rf}")
    if rf > len(members):
        raise BadRequest(
            f"Replication factor {rf} is greater than the number of brokers {len(members)} after the change"
        )
    target = round_robin(members, config.partition_count, rf)
    operations = [Operation("BROKER_ADD", b) for b in sorted(add_set)]
    for partition, replicas in target.items():
        current = {b: state.priority for b, state in config.replicas(partition)}
        wanted = {r.broker: r.priority for r in replicas}
        operations.extend(
            Operation("PARTITION_JOIN", b, partition_id=partition, priority=p)
            for b, p in sorted(wanted.items())
            if b not in current
        )
        operations.extend(
            Operation("PARTITION_RECONFIGURE_PRIORITY", b, partition_id=partition, priority=p)
            for b, p in sorted(wanted.items())
            if b in current and current[b] != p
        )
        operations.extend(
            Operation("PARTITION_LEAVE", b, partition_id=partition) for b in sorted(current) if b not in wanted
        )
    operations.extend(Operation("BROKER_REMOVE", b, brokers=(b,)) for b in sorted(remove_set))
    return _simulate(config, operations)


def plan_disable_exporter(config: ClusterConfig, exporter_id: str) -> Plan:
    operations: list[Operation] = []
    for member in sorted(config.members.values(), key=lambda m: m.id):
        for partition in sorted(member.partitions.values(), key=lambda p: p.id):
            if exporter_id not in partition.exporters:
                raise BadRequest(
                    f"Expected to disable exporter, but the partition '{partition.id}' does not have the "
                    f"exporter '{exporter_id}'"
                )
            operations.append(
                Operation("PARTITION_DISABLE_EXPORTER", member.id, partition_id=partition.id, exporter_id=exporter_id)
            )
    return _simulate(config, operations)


def plan_enable_exporter(config: ClusterConfig, exporter_id: str, initialize_from: str | None) -> Plan:
    if initialize_from is not None and initialize_from == exporter_id:
        raise BadRequest(f"Expected to enable exporter '{exporter_id}', but it cannot initialize from itself")
    operations: list[Operation] = []
    for member in sorted(config.members.values(), key=lambda m: m.id):
        for partition in sorted(member.partitions.values(), key=lambda p: p.id):
            existing = partition.exporters.get(exporter_id)
            if existing is not None and existing.state == ENABLED:
                raise BadRequest(f"Expected to enable exporter, but the exporter '{exporter_id}' is already enabled")
            if initialize_from is not None:
                source = partition.exporters.get(initialize_from)
                if source is None:
                    raise BadRequest(
                        f"Expected to enable exporter and initialize from exporter '{initialize_from}', but the "
                        f"partition '{partition.id}' does not have exporter '{initialize_from}'"
                    )
                if source.state == DISABLED:
                    raise BadRequest(
                        f"Expected to enable exporter and initialize from exporter '{initialize_from}', but the "
                        f"exporter '{initialize_from}' is disabled"
                    )
            operations.append(
                Operation(
                    "PARTITION_ENABLE_EXPORTER",
                    member.id,
                    partition_id=partition.id,
                    exporter_id=exporter_id,
                    initialize_from=initialize_from,
                )
            )
    return _simulate(config, operations)


def _simulate(config: ClusterConfig, operations: list[Operation]) -> Plan:
    expected = config.copy()
    for op in operations:
        apply(expected, op, at=None)
    return Plan(operations, expected)


# -- applying ------------------------------------------------------------------------------------------------


def apply(config: ClusterConfig, op: Operation, at: datetime | None) -> None:
    """Apply one operation to the configuration (positions and data are the cluster's business, not this one's)."""
    touched: set[int] = set()
    if op.operation == "BROKER_ADD":
        config.members[op.broker_id] = MemberState(op.broker_id, state="ACTIVE")
        touched.add(op.broker_id)
    elif op.operation == "BROKER_REMOVE":
        for broker in op.brokers or (op.broker_id,):
            config.members.pop(broker, None)
    elif op.operation == "PARTITION_JOIN":
        assert op.partition_id is not None and op.priority is not None
        template = next((state for _, state in config.replicas(op.partition_id)), None)
        exporters = (
            {k: ExporterConfig(v.state, v.metadata_version, v.initialized_from) for k, v in template.exporters.items()}
            if template
            else {}
        )
        config.members[op.broker_id].partitions[op.partition_id] = PartitionState(
            op.partition_id, op.priority, exporters=exporters
        )
        touched.add(op.broker_id)
    elif op.operation == "PARTITION_LEAVE":
        assert op.partition_id is not None
        config.members[op.broker_id].partitions.pop(op.partition_id, None)
        touched.add(op.broker_id)
    elif op.operation == "PARTITION_RECONFIGURE_PRIORITY":
        assert op.partition_id is not None and op.priority is not None
        config.members[op.broker_id].partitions[op.partition_id].priority = op.priority
        touched.add(op.broker_id)
    elif op.operation == "PARTITION_FORCE_RECONFIGURE":
        assert op.partition_id is not None and op.brokers is not None
        for member in config.members.values():
            if member.id not in op.brokers and op.partition_id in member.partitions:
                del member.partitions[op.partition_id]
                touched.add(member.id)
        touched.add(op.broker_id)
    elif op.operation in ("PARTITION_ENABLE_EXPORTER", "PARTITION_DISABLE_EXPORTER"):
        assert op.partition_id is not None and op.exporter_id is not None
        partition = config.members[op.broker_id].partitions[op.partition_id]
        exporter = partition.exporters.setdefault(op.exporter_id, ExporterConfig(DISABLED, 0))
        if op.operation == "PARTITION_DISABLE_EXPORTER":
            exporter.state = DISABLED
        else:
            exporter.state = ENABLED
            exporter.metadata_version += 1
            exporter.initialized_from = op.initialize_from
        touched.add(op.broker_id)
    else:  # pragma: no cover - planners only emit the operations above
        raise ValueError(f"unknown operation {op.operation}")
    config.version += 1
    for broker in touched:
        if broker in config.members:
            config.members[broker].version += 1
            config.members[broker].last_updated_at = at
