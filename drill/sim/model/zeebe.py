"""The Zeebe cluster of a dual-region deployment: membership, liveness, leaders, changes in time, logs and export.

One cluster spans both regions. Which brokers *run* is decided by the deployment (regions, releases, loss);
which brokers are *members* is the dynamic configuration that only configuration changes edit. Everything that
takes time in a real cluster (changes, export) progresses in `tick`, at durations scaled by `time_scale`
(0 = done at the next observation), so a test with a fake clock can stop in the middle of a change.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from drill.sim.clock import Clock
from drill.sim.model import changes as ch
from drill.sim.model.config import (
    CONFIG_NOT_FOUND,
    DISABLED,
    ENABLED,
    ClusterConfig,
    ExporterConfig,
    MemberState,
    PartitionState,
)
from drill.sim.model.errors import BadRequest, Conflict, InternalError, ModelError, NotFound, Unavailable
from drill.sim.model.processes import (
    DEFAULT_TENANT,
    ProcessDefinition,
    Record,
    documents_for,
    encode_key,
    parse_bpmn,
)
from drill.sim.model.timeline import Timeline
from drill.sim.model.topology import Replica, leader_of, round_robin, validate_dual_region

EXPORT_LATENCY = 0.5  # modelled seconds from a record being written to it being exportable


class Sink(Protocol):
    """Where an exporter writes: a region's Elasticsearch (see drill.sim.model.elasticsearch)."""

    def index_document(self, index: str, doc_id: str, source: dict[str, Any]) -> None: ...


SinkResolver = Callable[[str], Sink | None]


@dataclass(frozen=True)
class ChangeRequest:
    """What a write to the management API asked for; kept for the 202 response body."""

    change_id: int
    current: ClusterConfig
    operations: list[ch.Operation]
    expected: ClusterConfig


class ZeebeCluster:
    def __init__(
        self,
        *,
        clock: Clock,
        cluster_size: int = 8,
        partitions: int = 8,
        replication_factor: int = 4,
        exporters: tuple[str, ...] = ("camundaregion0", "camundaregion1"),
        time_scale: float = 0.0,
        sink: SinkResolver | None = None,
        version: str = "8.8.0",
        timeline: Timeline | None = None,
    ) -> None:
        validate_dual_region(cluster_size, partitions, replication_factor)
        if time_scale < 0:
            raise ValueError(f"time scale must be 0 or more, got {time_scale}")
        self.clock = clock
        self.time_scale = time_scale
        self.version = version
        self.timeline = timeline or Timeline(clock)
        self._last_export_pass = float("-inf")  # the instant of the previous export pass (see _export_until)
        # Brokers running another version than the cluster's (a rolling upgrade half done): broker id -> version.
        self.broker_versions: dict[int, str] = {}
        self.sink: SinkResolver = sink or (lambda _exporter: None)
        self.configured_exporters: set[str] = set(exporters)
        self.config = _initial_config(cluster_size, partitions, replication_factor, exporters)
        self.running: set[int] = set(range(cluster_size))
        self.last_change: ch.Change | None = None
        self.pending: ch.Change | None = None
        self._next_change_id = 1
        self._op_started: float | None = None
        self._fail_next_change = False
        self.exporting_paused = False
        self.exporting_soft_paused = False
        self.logs: dict[int, list[Record]] = {p: [] for p in range(1, partitions + 1)}
        self.positions: dict[str, dict[int, int]] = {e: dict.fromkeys(self.logs, 0) for e in exporters}
        self.compacted: dict[int, int] = dict.fromkeys(self.logs, 0)
        self.stalled: dict[int, str | None] = dict.fromkeys(self.logs)
        self.definitions: dict[str, list[ProcessDefinition]] = {}
        self._key_counter: dict[int, int] = dict.fromkeys(self.logs, 0)
        self._next_partition = 0

    # -- structure ------------------------------------------------------------------------------------------

    @property
    def partition_count(self) -> int:
        return self.config.partition_count

    def leader(self, partition: int) -> int | None:
        return self._leader_among(self.config.replicas(partition))

    def _leader_among(self, replicas: list[tuple[int, PartitionState]]) -> int | None:
        return leader_of([Replica(b, state.priority) for b, state in replicas], self.running)

    def leaders(self) -> dict[int, int | None]:
        replica_map = self.config.replica_map()
        return {p: self._leader_among(replica_map.get(p, [])) for p in self.logs}

    def has_any_leader(self) -> bool:
        """What the gateway's health and `/v2/status` report: at least one partition can process."""
        return any(leader is not None for leader in self.leaders().values())

    def can_process(self, partition: int) -> bool:
        return self.leader(partition) is not None

    def _duration(self, seconds: float) -> float:
        return seconds * self.time_scale

    # -- time ------------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Let everything that takes time catch up with the clock, in the order it would have happened."""
        now = self.clock.now()
        exported_at: float | None = None
        while self.pending is not None:
            due = self._next_operation_due(now)
            if due is None or due > now:
                break
            # Operations completing at the same instant (all of them, at time scale 0) see the same records: no
            # request is served between them, so nothing is written. One export pass before the first of them is
            # all there is to do; passes in between would cost partitions x operations and export nothing.
            if due != exported_at:
                self._export_until(due)
                exported_at = due
            self._complete_next_operation(due)
        self._export_until(now)

    def _next_operation_due(self, now: float) -> float | None:
        assert self.pending is not None
        op = self.pending.pending[0]
        if not self._can_execute(op):
            self._op_started = None
            return None
        if self._op_started is None:
            self._op_started = now
        return self._op_started + self._duration(ch.DURATIONS[op.operation])

    def _can_execute(self, op: ch.Operation) -> bool:
        if op.executor not in self.running:
            return False
        if op.operation == "PARTITION_JOIN":
            assert op.partition_id is not None
            return self.leader(op.partition_id) is not None  # a joiner replicates from the current leader
        return True

    def _complete_next_operation(self, at: float) -> None:
        change = self.pending
        assert change is not None
        # Stamped with the modelled instant it completed, as the real API reports it, not when it was observed.
        wall = self._wall_at(at)
        if change.fail:
            change.status = "FAILED"
            self._finish(change, wall)
            return
        op = change.pending[0]
        self._apply(op, wall)
        change.completed.append((op, wall))
        self._op_started = at
        if not change.pending:
            change.status = "COMPLETED"
            self._finish(change, wall)

    def _wall_at(self, at: float) -> datetime:
        return self.clock.wall() - timedelta(seconds=self.clock.now() - at)

    def _finish(self, change: ch.Change, wall: datetime) -> None:
        change.completed_at = wall
        self.timeline.change(change.id, change.status, wall)
        self.last_change = change
        self.pending = None
        self._op_started = None

    def _apply(self, op: ch.Operation, wall: Any) -> None:
        if op.operation == "PARTITION_ENABLE_EXPORTER":
            assert op.partition_id is not None and op.exporter_id is not None
            first_on_partition = not any(
                state.exporters.get(op.exporter_id, ExporterConfig(DISABLED)).state == ENABLED
                for _, state in self.config.replicas(op.partition_id)
            )
            if first_on_partition:
                positions = self.positions.setdefault(op.exporter_id, dict.fromkeys(self.logs, 0))
                if op.initialize_from is not None:
                    positions[op.partition_id] = self.positions[op.initialize_from][op.partition_id]
        ch.apply(self.config, op, wall)

    # -- configuration changes ------------------------------------------------------------------------------

    def _begin(self, plan: ch.Plan, *, dry_run: bool) -> ChangeRequest:
        current = self.config.copy()
        if dry_run:
            return ChangeRequest(self._next_change_id, current, plan.operations, plan.expected)
        if not plan.operations:
            last = self.last_change.id if self.last_change else 0
            return ChangeRequest(last, current, [], plan.expected)
        change = ch.Change(self._next_change_id, plan.operations, self.clock.wall(), fail=self._fail_next_change)
        self._fail_next_change = False
        self._next_change_id += 1
        self.pending = change
        self._op_started = self.clock.now()
        return ChangeRequest(change.id, current, plan.operations, plan.expected)

    def patch(self, body: Any, *, force: bool = False, dry_run: bool = False) -> ChangeRequest:
        """`PATCH /actuator/cluster`, validated in the endpoint's order (force rules first)."""
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise BadRequest(f"Expected a JSON object as request body, got {type(body).__name__}")
        brokers = _section(body, "brokers")
        partitions = _section(body, "partitions")
        add = _id_list(brokers, "add")
        remove = _id_list(brokers, "remove")
        count = _optional_int(brokers, "count")
        partition_count = _optional_int(partitions, "count")
        rf = _optional_int(partitions, "replicationFactor")
        if force:
            if "brokers" not in body or brokers is None:
                raise BadRequest("Must provide a set of brokers to force remove.")
            if count is not None:
                raise BadRequest("Cannot force change the broker count.")
            if add:
                raise BadRequest("Cannot force add brokers")
            if partition_count is not None:
                raise BadRequest("Cannot force change the partition count.")
            if rf is not None:
                raise BadRequest("Cannot force change the replication factor.")
            if not remove:
                raise BadRequest("Must provide a set of brokers to force remove.")
            self._refuse_while_pending(dry_run)
            return self._begin(ch.plan_force_remove(self.config, remove), dry_run=dry_run)
        if count is not None and (add or remove):
            raise BadRequest(
                "Cannot change brokers count and add/remove brokers at the same time. Specify either the new "
                "brokers count or brokers to add and remove."
            )
        if count is not None:
            members = set(self.config.members)
            target = set(range(count))
            add, remove = sorted(target - members), sorted(members - target)
        self._refuse_while_pending(dry_run)
        plan = ch.plan_scale(
            self.config,
            add=add,
            remove=remove,
            replication_factor=rf,
            partition_count=partition_count,
            running=self.running,
        )
        return self._begin(plan, dry_run=dry_run)

    def add_broker(self, broker: int, *, dry_run: bool = False) -> ChangeRequest:
        return self.patch({"brokers": {"add": [broker]}}, dry_run=dry_run)

    def remove_broker(self, broker: int, *, dry_run: bool = False) -> ChangeRequest:
        return self.patch({"brokers": {"remove": [broker]}}, dry_run=dry_run)

    def disable_exporter(self, exporter_id: str, *, dry_run: bool = False) -> ChangeRequest:
        self._refuse_while_pending(dry_run)
        return self._begin(ch.plan_disable_exporter(self.config, exporter_id), dry_run=dry_run)

    def enable_exporter(
        self, exporter_id: str, *, initialize_from: str | None = None, dry_run: bool = False
    ) -> ChangeRequest:
        self._refuse_while_pending(dry_run)
        return self._begin(ch.plan_enable_exporter(self.config, exporter_id, initialize_from), dry_run=dry_run)

    def cancel_change(self, change_id: int) -> None:
        """`DELETE /actuator/cluster/changes/{id}`: stop applying; what was applied stays applied."""
        if self.pending is None or self.pending.id != change_id:
            raise NotFound(f"Expected to cancel change {change_id}, but it is not the pending change")
        self.pending.status = "CANCELLED"
        self._finish(self.pending, self.clock.wall())

    def fail_next_change(self) -> None:
        """Fault: the next accepted change ends FAILED at its first operation."""
        self._fail_next_change = True

    def _refuse_while_pending(self, dry_run: bool) -> None:
        if self.pending is not None and not dry_run:
            raise Conflict(
                f"Cannot apply configuration change. Another configuration change [{self.pending.id}] is in progress."
            )

    # -- exporters ------------------------------------------------------------------------------------------

    def exporter_status(self) -> list[tuple[str, str]]:
        """`GET /actuator/exporters`: one aggregated state per exporter id.

        While a change is pending, an exporter it touches shows the transition (ENABLING/DISABLING) from the
        change's next operation; an exporter it does not touch keeps its settled state. Mixed states with no
        change in flight are UNKNOWN, as in Zeebe's aggregation.
        """
        pending_ops = self.pending.pending if self.pending is not None else []
        result = []
        for exporter_id in self.config.exporter_ids():
            touching = [op.operation for op in pending_ops if op.exporter_id == exporter_id]
            if touching:
                transition = {"PARTITION_ENABLE_EXPORTER": "ENABLING", "PARTITION_DISABLE_EXPORTER": "DISABLING"}
                result.append((exporter_id, transition.get(touching[0], "UNKNOWN")))
                continue
            states = {
                s if s != ENABLED or exporter_id in self.configured_exporters else CONFIG_NOT_FOUND
                for s in self.config.exporter_states(exporter_id)
            }
            result.append((exporter_id, states.pop() if len(states) == 1 else "UNKNOWN"))
        return result

    @staticmethod
    def _enabled_exporters(replicas: list[tuple[int, PartitionState]], leader: int) -> list[str]:
        config = next((state for b, state in replicas if b == leader), None)
        if config is None:
            return []
        return sorted(e for e, c in config.exporters.items() if c.state == ENABLED)

    def check_topology_complete(self) -> None:
        """Pause/resume need every replica of every partition reachable (the gateway checks before acting)."""
        for partition in self.logs:
            replicas = self.config.replica_ids(partition)
            alive = [b for b in replicas if b in self.running]
            if len(alive) != len(replicas):
                raise InternalError(
                    f"Expected {len(replicas)} members of partition {partition} but found {len(alive)}, "
                    f"current topology: {self._topology_summary()}"
                )

    def _topology_summary(self) -> str:
        parts = []
        for partition in self.logs:
            alive = [b for b in self.config.replica_ids(partition) if b in self.running]
            parts.append(f"{partition}={alive}")
        return "{" + ", ".join(parts) + "}"

    def pause_exporting(self, *, soft: bool = False) -> None:
        self.check_topology_complete()
        if soft:
            self.exporting_soft_paused = True
        else:
            self.exporting_paused = True

    def resume_exporting(self) -> None:
        self.check_topology_complete()
        self.exporting_paused = False
        self.exporting_soft_paused = False

    def _export_until(self, t: float) -> None:
        """Export what is exportable at `t`. A record is exported at the later of when it became exportable and
        the previous pass: whatever held it then (a pause, a missing leader or Elasticsearch) was changed by a
        request, and requests act right after the pass their tick makes, so that is when the hold ended. A hold
        that ends by time alone (a pod starting) is placed at the previous pass too, which can only overstate
        the latency measured against it, never hide it."""
        latency = self._duration(EXPORT_LATENCY)
        since, self._last_export_pass = self._last_export_pass, t
        replica_map = self.config.replica_map()
        for partition, log in self.logs.items():
            replicas = replica_map.get(partition, [])
            leader = self._leader_among(replicas)
            if leader is None:
                self.stalled[partition] = "no leader"
                continue
            enabled = self._enabled_exporters(replicas, leader)
            if self.exporting_paused:
                self.stalled[partition] = "exporting paused"
                continue
            not_configured = [e for e in enabled if e not in self.configured_exporters]
            sinks = {e: self.sink(e) for e in enabled if e in self.configured_exporters}
            blocked = sorted(e for e, s in sinks.items() if s is None)
            if blocked:
                # One exporter that cannot write holds the partition's export for every exporter.
                self.stalled[partition] = f"exporter {', '.join(blocked)} cannot reach its Elasticsearch"
                continue
            self.stalled[partition] = None
            for exporter_id, sink in sinks.items():
                assert sink is not None
                positions = self.positions.setdefault(exporter_id, dict.fromkeys(self.logs, 0))
                start = max(positions[partition], self.compacted[partition])
                for record in log[start:]:
                    if record.written_at + latency > t:
                        break
                    try:
                        for doc in documents_for(record):
                            sink.index_document(doc.index, doc.doc_id, doc.source)
                    except ModelError as exc:
                        # The exporter retries this record until Elasticsearch accepts it (e.g. an index that
                        # is still being restored); until then the partition's export is held.
                        self.stalled[partition] = f"exporter {exporter_id} cannot write: {exc.message}"
                        break
                    positions[partition] = record.position
                    if record.value_type == "PROCESS_INSTANCE":
                        self.timeline.exported(exporter_id, record.key, max(record.written_at + latency, since))
            if not self.exporting_soft_paused:
                holders = [self.positions[e][partition] for e in sinks] + [
                    self.positions.get(e, {}).get(partition, 0) for e in not_configured
                ]
                floor = min(holders) if holders else len(log)
                self.compacted[partition] = max(self.compacted[partition], floor)

    # -- process data ----------------------------------------------------------------------------------------

    def _append(self, partition: int, value_type: str, key: int, value: dict[str, Any]) -> Record:
        log = self.logs[partition]
        record = Record(len(log) + 1, partition, value_type, key, value, self.clock.wall(), self.clock.now())
        log.append(record)
        return record

    def _new_key(self, partition: int) -> int:
        self._key_counter[partition] += 1
        return encode_key(partition, self._key_counter[partition])

    def deploy(
        self, resource_name: str, content: bytes, tenant_id: str = DEFAULT_TENANT
    ) -> tuple[int, list[ProcessDefinition]]:
        """Deployments are written on partition 1 (the deployment partition), so it needs a leader.

        Returns the deployment key and the definitions; redeploying identical content returns the existing
        definition, as Zeebe's duplicate check does.
        """
        processes = parse_bpmn(resource_name, content)
        if not self.can_process(1):
            raise Unavailable(
                "Expected to handle the deployment, but partition 1 has no leader: the cluster has lost the quorum "
                "of that partition"
            )
        checksum = zlib.crc32(content)
        deployment_key = self._new_key(1)
        deployed = []
        for process in processes:
            versions = self.definitions.setdefault(process.process_id, [])
            if versions and versions[-1].checksum == checksum and versions[-1].tenant_id == tenant_id:
                deployed.append(versions[-1])
                continue
            version = len(versions) + 1
            definition = ProcessDefinition(
                self._new_key(1), process.process_id, process.name, version, resource_name, tenant_id, checksum
            )
            versions.append(definition)
            self._append(
                1,
                "PROCESS",
                definition.key,
                {
                    "processDefinitionId": definition.process_id,
                    "name": definition.name,
                    "version": definition.version,
                    "resourceName": resource_name,
                    "tenantId": tenant_id,
                },
            )
            deployed.append(definition)
        return deployment_key, deployed

    def definition(self, process_id: str, version: int | None = None) -> ProcessDefinition:
        versions = self.definitions.get(process_id)
        if not versions:
            raise NotFound(f"Expected to find process definition with process ID '{process_id}', but none found")
        if version is None or version == -1:
            return versions[-1]
        for candidate in versions:
            if candidate.version == version:
                return candidate
        raise NotFound(f"Expected to find process definition '{process_id}' with version {version}, but none found")

    def create_instance(
        self, process_id: str, *, variables: dict[str, Any] | None = None, version: int | None = None
    ) -> Record:
        """Round robin over the partitions that have a leader, as the gateway does when some are unavailable."""
        definition = self.definition(process_id, version)
        variables = dict(variables or {})
        count = len(self.logs)
        for step in range(count):
            partition = (self._next_partition + step) % count + 1
            if self.can_process(partition):
                self._next_partition = partition % count
                key = self._new_key(partition)
                return self._append(
                    partition,
                    "PROCESS_INSTANCE",
                    key,
                    {
                        "processDefinitionId": definition.process_id,
                        "processDefinitionKey": definition.key,
                        "processDefinitionVersion": definition.version,
                        "processName": definition.name,
                        "tenantId": definition.tenant_id,
                        "variables": variables,
                    },
                )
        raise Unavailable(
            "Expected to create a process instance, but no partition has a leader: the cluster cannot process "
            "until a quorum of every partition's replicas is reachable"
        )

    def instance_count(self) -> int:
        return sum(1 for log in self.logs.values() for r in log if r.value_type == "PROCESS_INSTANCE")


def _initial_config(size: int, partitions: int, rf: int, exporters: tuple[str, ...]) -> ClusterConfig:
    layout = round_robin(range(size), partitions, rf)
    config = ClusterConfig(version=1, partition_count=partitions)
    for broker in range(size):
        config.members[broker] = MemberState(broker)
    for partition, replicas in layout.items():
        for replica in replicas:
            config.members[replica.broker].partitions[partition] = PartitionState(
                partition, replica.priority, exporters={e: ExporterConfig(ENABLED, 1) for e in exporters}
            )
    return config


def _section(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadRequest(f"Expected '{name}' to be an object, got {json.dumps(value)}")
    return value


def _id_list(section: dict[str, Any] | None, name: str) -> list[int]:
    if section is None or section.get(name) is None:
        return []
    value = section[name]
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise BadRequest(f"Expected '{name}' to be a list of broker ids (integers), got {json.dumps(value)}")
    return list(value)


def _optional_int(section: dict[str, Any] | None, name: str) -> int | None:
    if section is None or section.get(name) is None:
        return None
    value = section[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"Expected '{name}' to be an integer, got {json.dumps(value)}")
    return value


__all__ = ["DISABLED", "ENABLED", "ChangeRequest", "Sink", "ZeebeCluster"]
