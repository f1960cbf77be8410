"""What the three APIs answer, as frozen dataclasses parsed strictly from JSON.

A drill decides on these values (is the change done, did every shard restore), so a body that does not have the
contract's shape must stop the drill with the field named, not surface later as a KeyError or, worse, as a JSON
`true` silently counted as 1. Every parser therefore reads through `Fields`, which checks each type it hands out
and raises `ShapeError` (an ApiError) with the field path. `raw` keeps the original body as evidence.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from drill.api.errors import ShapeError, excerpt

SEEN_LIMIT = 80
MISSING = "nothing (field missing)"


def describe(value: Any) -> str:
    """A value as it appeared in the JSON, short enough for one error line."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except RecursionError:
        return "a deeply nested " + (
            "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "value"
        )
    except (TypeError, ValueError):
        text = repr(value)
    return excerpt(text, SEEN_LIMIT)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class Fields:
    """A JSON object read field by field, each read checking its type and naming its path on failure.

    `redact=True` reports only the JSON type of a wrong value, never the value: for bodies that carry secrets
    (an OAuth token response).
    """

    def __init__(self, data: Any, path: builtins.str = "", *, redact: builtins.bool = False) -> None:
        self.path, self.redact = path, redact
        if not isinstance(data, dict):
            raise ShapeError(path or "the body", "a JSON object", self._seen(data))
        self.raw: dict[builtins.str, Any] = data

    def _seen(self, value: Any) -> builtins.str:
        return _json_type(value) if self.redact else describe(value)

    def at(self, name: builtins.str) -> builtins.str:
        return _join(self.path, name)

    def has(self, name: builtins.str) -> builtins.bool:
        return self.raw.get(name) is not None

    def _get(self, name: builtins.str, wanted: builtins.str) -> Any:
        if name not in self.raw:
            raise ShapeError(self.at(name), wanted, MISSING)
        return self.raw[name]

    def _fail(self, path: builtins.str, wanted: builtins.str, value: Any) -> ShapeError:
        return ShapeError(path, wanted, self._seen(value))

    # -- required ----------------------------------------------------------------------------------------------

    # The path is put together only for an error: a topology answer is read tens of thousands of fields a drill.
    def int(self, name: builtins.str) -> builtins.int:
        value = self._get(name, "an integer")
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(self.at(name), "an integer", value)
        return value

    def str(self, name: builtins.str) -> builtins.str:
        value = self._get(name, "a string")
        if not isinstance(value, str):
            raise self._fail(self.at(name), "a string", value)
        return value

    def bool(self, name: builtins.str) -> builtins.bool:
        value = self._get(name, "a boolean")
        if not isinstance(value, bool):
            raise self._fail(self.at(name), "a boolean", value)
        return value

    def number(self, name: builtins.str) -> builtins.float:
        value = self._get(name, "a number")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(self.at(name), "a number", value)
        return float(value)

    def list(self, name: builtins.str) -> builtins.list[Any]:
        value = self._get(name, "an array")
        if not isinstance(value, list):
            raise self._fail(self.at(name), "an array", value)
        return value

    def obj(self, name: builtins.str) -> Fields:
        value = self._get(name, "a JSON object")
        return Fields(value, self.at(name), redact=self.redact)

    def objs(self, name: builtins.str) -> builtins.list[Fields]:
        """An array of objects, each a Fields at `name[i]`."""
        return [Fields(item, f"{self.at(name)}[{i}]", redact=self.redact) for i, item in enumerate(self.list(name))]

    def ints(self, name: builtins.str) -> tuple[builtins.int, ...]:
        values = self.list(name)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return tuple(values)
        return tuple(self._int(f"{self.at(name)}[{i}]", v) for i, v in enumerate(values))

    def strs(self, name: builtins.str) -> tuple[builtins.str, ...]:
        values = self.list(name)
        if all(isinstance(v, str) for v in values):
            return tuple(values)
        return tuple(self._str(f"{self.at(name)}[{i}]", v) for i, v in enumerate(values))

    # -- optional: absent or null gives None --------------------------------------------------------------------

    def opt_int(self, name: builtins.str) -> builtins.int | None:
        return self.int(name) if self.has(name) else None

    def opt_str(self, name: builtins.str) -> builtins.str | None:
        return self.str(name) if self.has(name) else None

    def opt_bool(self, name: builtins.str) -> builtins.bool | None:
        return self.bool(name) if self.has(name) else None

    def opt_obj(self, name: builtins.str) -> Fields | None:
        return self.obj(name) if self.has(name) else None

    def opt_list(self, name: builtins.str) -> builtins.list[Any] | None:
        return self.list(name) if self.has(name) else None

    def opt_ints(self, name: builtins.str) -> tuple[builtins.int, ...] | None:
        return self.ints(name) if self.has(name) else None

    # -- checks of values --------------------------------------------------------------------------------------

    def _int(self, path: builtins.str, value: Any) -> builtins.int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(path, "an integer", value)
        return value

    def _str(self, path: builtins.str, value: Any) -> builtins.str:
        if not isinstance(value, str):
            raise self._fail(path, "a string", value)
        return value

    def enum(self, name: builtins.str, allowed: tuple[builtins.str, ...]) -> builtins.str:
        """A string the contract restricts to `allowed`: a verdict read from any other value would be a guess."""
        value = self.str(name)
        if value not in allowed:
            raise self._fail(self.at(name), one_of(allowed), value)
        return value

    def int_text(self, name: builtins.str) -> builtins.int | None:
        """An integer Elasticsearch's `_cat` renders as a string (`"42"`); null where it shows nothing."""
        value = self.raw.get(name)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self._fail(self.at(name), "an integer or a string of digits", value)


def one_of(allowed: tuple[str, ...]) -> str:
    quoted = [f'"{a}"' for a in allowed]
    if len(quoted) == 1:
        return quoted[0]
    return "one of " + ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


# Values the contract allows where the drill decides on them (contract §3.1, §4, §8 and Elasticsearch's own enums).
CHANGE_STATUSES = ("COMPLETED", "FAILED", "CANCELLED")
PENDING_STATUSES = ("IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED")
PARTITION_EXPORTER_STATES = ("ENABLED", "DISABLED", "CONFIG_NOT_FOUND")
EXPORTER_STATUSES = ("ENABLING", "ENABLED", "DISABLING", "DISABLED", "UNKNOWN", "CONFIG_NOT_FOUND")
HEALTH_STATUSES = ("green", "yellow", "red")
SNAPSHOT_STATES = ("IN_PROGRESS", "SUCCESS", "PARTIAL", "FAILED", "INCOMPATIBLE")
# `_status` reports SnapshotsInProgress.State (PARTIAL is translated to SUCCESS by Elasticsearch; the simulator
# reports it as is, and it is no success either way).
SNAPSHOT_STATUS_STATES = ("INIT", "STARTED", "SUCCESS", "FAILED", "ABORTED", "PARTIAL")


def array(data: Any, path: str = "the body") -> list[Fields]:
    """A top-level JSON array of objects (`GET /actuator/exporters`, `_cat/indices?format=json`)."""
    if not isinstance(data, list):
        raise ShapeError(path, "a JSON array", describe(data))
    return [Fields(item, f"[{i}]" if path == "the body" else f"{path}[{i}]") for i, item in enumerate(data)]


# -- Orchestration Cluster REST API (v2) ------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionInfo:
    partition_id: int
    role: str
    health: str

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> PartitionInfo:
        f = Fields(data, path)
        return cls(f.int("partitionId"), f.str("role"), f.str("health"))


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    partitions: tuple[PartitionInfo, ...]
    version: str

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> BrokerInfo:
        f = Fields(data, path)
        partitions = tuple(PartitionInfo.from_json(p.raw, p.path) for p in f.objs("partitions"))
        return cls(f.int("nodeId"), f.str("host"), f.int("port"), partitions, f.str("version"))


@dataclass(frozen=True)
class Topology:
    """`GET /v2/topology`: every broker the gateway reaches, members or not (non-members hold no partitions)."""

    brokers: tuple[BrokerInfo, ...]
    cluster_size: int
    partitions_count: int
    replication_factor: int
    gateway_version: str
    last_completed_change_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Topology:
        f = Fields(data)
        return cls(
            brokers=tuple(BrokerInfo.from_json(b.raw, b.path) for b in f.objs("brokers")),
            cluster_size=f.int("clusterSize"),
            partitions_count=f.int("partitionsCount"),
            replication_factor=f.int("replicationFactor"),
            gateway_version=f.str("gatewayVersion"),
            last_completed_change_id=f.opt_str("lastCompletedChangeId"),
            raw=f.raw,
        )

    def broker(self, node_id: int) -> BrokerInfo | None:
        return next((b for b in self.brokers if b.node_id == node_id), None)

    def partitions(self) -> dict[int, tuple[tuple[int, PartitionInfo], ...]]:
        """Partition id → its replicas as (node id, info), both sorted."""
        replicas: dict[int, list[tuple[int, PartitionInfo]]] = {}
        for broker in self.brokers:
            for p in broker.partitions:
                replicas.setdefault(p.partition_id, []).append((broker.node_id, p))
        return {pid: tuple(sorted(reps, key=lambda r: r[0])) for pid, reps in sorted(replicas.items())}

    def leaders(self) -> dict[int, int]:
        """Partition id → node id of its leader; partitions without a leader are absent."""
        return {pid: node for pid, reps in self.partitions().items() for node, info in reps if info.role == "leader"}


@dataclass(frozen=True)
class DeployedProcess:
    process_definition_id: str
    process_definition_key: str
    version: int
    resource_name: str


@dataclass(frozen=True)
class Deployment:
    """`POST /v2/deployments`. Only process definitions are kept; other resource kinds stay in `raw`."""

    deployment_key: str
    processes: tuple[DeployedProcess, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> Deployment:
        f = Fields(data)
        processes = []
        for entry in f.objs("deployments"):
            p = entry.opt_obj("processDefinition")
            if p is None:
                continue
            processes.append(
                DeployedProcess(
                    p.str("processDefinitionId"),
                    p.str("processDefinitionKey"),
                    p.int("processDefinitionVersion"),
                    p.str("resourceName"),
                )
            )
        return cls(f.str("deploymentKey"), tuple(processes), f.raw)


@dataclass(frozen=True)
class ProcessInstance:
    """`POST /v2/process-instances`. Keys are strings in the v2 API (they exceed JavaScript's safe integers)."""

    process_instance_key: str
    process_definition_id: str
    process_definition_key: str
    version: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ProcessInstance:
        f = Fields(data)
        return cls(
            f.str("processInstanceKey"),
            f.str("processDefinitionId"),
            f.str("processDefinitionKey"),
            f.int("processDefinitionVersion"),
            f.raw,
        )


@dataclass(frozen=True)
class SearchResult:
    """A v2 search page. Items stay dicts: the drill compares them as evidence, it does not interpret them."""

    items: tuple[dict[str, Any], ...]
    total_items: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> SearchResult:
        f = Fields(data)
        items = tuple(item.raw for item in f.objs("items"))
        return cls(items, f.obj("page").int("totalItems"), f.raw)


# -- Management API (/actuator) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionMembership:
    id: int
    state: str
    priority: int
    exporters: Mapping[str, str]

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> PartitionMembership:
        f = Fields(data, path)
        exporters: dict[str, str] = {}
        config = f.opt_obj("config")
        exporting = config.opt_obj("exporting") if config is not None else None
        if exporting is not None:
            for e in exporting.objs("exporters"):
                exporters[e.str("id")] = e.enum("state", PARTITION_EXPORTER_STATES)
        return cls(f.int("id"), f.str("state"), f.int("priority"), exporters)


@dataclass(frozen=True)
class BrokerState:
    id: int
    state: str
    version: int
    partitions: tuple[PartitionMembership, ...]

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> BrokerState:
        f = Fields(data, path)
        partitions = tuple(PartitionMembership.from_json(p.raw, p.path) for p in f.objs("partitions"))
        return cls(f.int("id"), f.str("state"), f.int("version"), partitions)


def _brokers(f: Fields, name: str) -> tuple[BrokerState, ...]:
    return tuple(BrokerState.from_json(b.raw, b.path) for b in f.objs(name))


@dataclass(frozen=True)
class Operation:
    operation: str
    broker_id: int | None = None
    partition_id: int | None = None
    brokers: tuple[int, ...] | None = None
    exporter_id: str | None = None
    priority: int | None = None

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> Operation:
        f = Fields(data, path)
        return cls(
            f.str("operation"),
            f.opt_int("brokerId"),
            f.opt_int("partitionId"),
            f.opt_ints("brokers"),
            f.opt_str("exporterId"),
            f.opt_int("priority"),
        )


def _operations(f: Fields, name: str) -> tuple[Operation, ...]:
    return tuple(Operation.from_json(o.raw, o.path) for o in f.objs(name))


@dataclass(frozen=True)
class CompletedChange:
    """`lastChange`: the most recent change that ended, with how it ended."""

    id: int
    status: str
    started_at: str | None
    completed_at: str | None

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> CompletedChange:
        f = Fields(data, path)
        return cls(f.int("id"), f.enum("status", CHANGE_STATUSES), f.opt_str("startedAt"), f.opt_str("completedAt"))


@dataclass(frozen=True)
class PendingChange:
    id: int
    status: str
    completed: tuple[Operation, ...]
    pending: tuple[Operation, ...]

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> PendingChange:
        f = Fields(data, path)
        status = f.enum("status", PENDING_STATUSES)
        return cls(f.int("id"), status, _operations(f, "completed"), _operations(f, "pending"))

    def progress(self) -> str:
        done = len(self.completed)
        return f"{done} of {done + len(self.pending)} operations completed"


@dataclass(frozen=True)
class ClusterState:
    """`GET /actuator/cluster`: the dynamic configuration (members only) and the change history's tip."""

    version: int
    brokers: tuple[BrokerState, ...]
    last_change: CompletedChange | None
    pending_change: PendingChange | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ClusterState:
        f = Fields(data)
        last = f.opt_obj("lastChange")
        pending = f.opt_obj("pendingChange")
        return cls(
            version=f.int("version"),
            brokers=_brokers(f, "brokers"),
            last_change=CompletedChange.from_json(last.raw, last.path) if last else None,
            pending_change=PendingChange.from_json(pending.raw, pending.path) if pending else None,
            raw=f.raw,
        )

    def members(self) -> set[int]:
        return {b.id for b in self.brokers}

    def exporter_states(self) -> dict[str, set[str]]:
        """Exporter id → every state it has on any partition replica (one state when the cluster agrees)."""
        states: dict[str, set[str]] = {}
        for broker in self.brokers:
            for partition in broker.partitions:
                for exporter_id, state in partition.exporters.items():
                    states.setdefault(exporter_id, set()).add(state)
        return states


@dataclass(frozen=True)
class PlannedChange:
    """The 202 answer of every configuration write: what will happen; completion is observed separately.

    `adopted` marks a change whose 202 was lost but which the cluster showed to have landed (the write was not
    sent again); it is built from the cluster, so `expected` is empty and `raw` is the cluster body.
    """

    change_id: int
    current: tuple[BrokerState, ...]
    planned: tuple[Operation, ...]
    expected: tuple[BrokerState, ...]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    adopted: bool = False

    @classmethod
    def from_json(cls, data: Any) -> PlannedChange:
        f = Fields(data)
        return cls(
            f.int("changeId"),
            _brokers(f, "currentTopology"),
            _operations(f, "plannedChanges"),
            _brokers(f, "expectedTopology"),
            f.raw,
        )

    def operations(self) -> tuple[str, ...]:
        return tuple(op.operation for op in self.planned)


@dataclass(frozen=True)
class ExporterStatus:
    exporter_id: str
    status: str

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> ExporterStatus:
        f = Fields(data, path)
        return cls(f.str("exporterId"), f.enum("status", EXPORTER_STATUSES))


ExportingVariant = Literal["no-content", "wrapped"]


@dataclass(frozen=True)
class ExportingResult:
    """How pause/resume answered: a real 204, or 200 wrapping the status (newer 8.8 patches)."""

    variant: ExportingVariant
    status: int


@dataclass(frozen=True)
class PartitionStatus:
    """A replica in `GET /actuator/partitions` of the broker the request reached: how far it processed and
    exported, and its exporter phase (`EXPORTING`, `PAUSED`, `SOFT_PAUSED`; none where it does not lead)."""

    partition_id: int
    role: str | None
    processed_position: int | None
    exported_position: int | None
    exporter_phase: str | None

    @classmethod
    def from_json(cls, partition_id: int, data: Any, path: str = "") -> PartitionStatus:
        f = Fields(data, path)
        return cls(
            partition_id,
            f.opt_str("role"),
            f.opt_int("processedPosition"),
            f.opt_int("exportedPosition"),
            f.opt_str("exporterPhase"),
        )


def partition_statuses(data: Any) -> dict[int, PartitionStatus]:
    """The partitions map (`{"1": {...}, ...}`) by partition id; an empty map when the broker holds none."""
    statuses: dict[int, PartitionStatus] = {}
    for key, value in Fields(data).raw.items():
        if not (key.isascii() and key.isdigit()):
            raise ShapeError(key, "a partition id", describe(key))
        statuses[int(key)] = PartitionStatus.from_json(int(key), value, key)
    return statuses


ChangeStatus = Literal["COMPLETED", "FAILED", "CANCELLED", "SUPERSEDED"]


@dataclass(frozen=True)
class ChangeOutcome:
    """How a change ended; SUPERSEDED means a later change already completed, so this one ended before it."""

    change_id: int
    status: str
    last_change: CompletedChange | None


# -- Elasticsearch ----------------------------------------------------------------------------------------------


def _shards(f: Fields) -> tuple[int, int, int]:
    shards = f.obj("shards")
    return shards.int("total"), shards.int("failed"), shards.int("successful")


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot: str
    state: str
    indices: tuple[str, ...]
    shards_total: int
    shards_failed: int
    shards_successful: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> SnapshotInfo:
        f = Fields(data, path)
        total, failed, successful = _shards(f)
        state = f.enum("state", SNAPSHOT_STATES)
        return cls(f.str("snapshot"), state, f.strs("indices"), total, failed, successful, f.raw)


@dataclass(frozen=True)
class SnapshotStatus:
    """One entry of `_status`; the procedure's check is `state == SUCCESS` and `done == total`."""

    snapshot: str
    state: str
    done: int
    total: int
    failed: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> SnapshotStatus:
        f = Fields(data, path)
        stats = f.obj("shards_stats")
        state = f.enum("state", SNAPSHOT_STATUS_STATES)
        return cls(f.str("snapshot"), state, stats.int("done"), stats.int("total"), stats.int("failed"), f.raw)


@dataclass(frozen=True)
class RestoreResult:
    snapshot: str
    indices: tuple[str, ...]
    shards_total: int
    shards_failed: int
    shards_successful: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> RestoreResult:
        f = Fields(data, path)
        total, failed, successful = _shards(f)
        return cls(f.str("snapshot"), f.strs("indices"), total, failed, successful, f.raw)


@dataclass(frozen=True)
class ClusterHealth:
    status: str
    timed_out: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> ClusterHealth:
        f = Fields(data)
        return cls(f.enum("status", HEALTH_STATUSES), f.bool("timed_out"), f.raw)


@dataclass(frozen=True)
class IndexInfo:
    """A `_cat/indices` row. Elasticsearch shows no health or document count for a closed index: None."""

    index: str
    health: str | None
    status: str
    docs_count: int | None

    @classmethod
    def from_json(cls, data: Any, path: str = "") -> IndexInfo:
        f = Fields(data, path)
        return cls(f.str("index"), f.opt_str("health"), f.str("status"), f.int_text("docs.count"))


@dataclass(frozen=True)
class Repository:
    name: str
    type: str
    settings: Mapping[str, Any]

    @classmethod
    def from_json(cls, name: str, data: Any, path: str = "") -> Repository:
        f = Fields(data, path)
        settings = f.opt_obj("settings")
        return cls(name, f.str("type"), dict(settings.raw) if settings else {})
