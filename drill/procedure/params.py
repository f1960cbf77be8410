"""What a drill is about, fixed before it starts: which region is lost, the deployment's shape, the variant.

Everything here is static, so the printable runbook (`c8-drill plan`) and the live drill derive their commands
from the same values. Bad values are refused here, once, with a message naming what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from drill.evidence.report.measures import Budgets

REGIONS = 2
VARIANTS = ("seed", "operate-last")
# 8.8: the dual-region setup as the procedure installs it. 8.7: an 8.8 migrated from 8.7 whose legacy Elasticsearch
# exporters are still enabled (e.g. for Optimize); the procedure's info boxes apply every exporter step to them too.
# auto: read from the surviving region when the drill starts (drill.procedure.versions).
CAMUNDA_VERSIONS = ("8.8", "8.7")
CAMUNDA_VERSION_CHOICES = (*CAMUNDA_VERSIONS, "auto")
CAMUNDA_EXPORTER_PREFIX = "camundaregion"
LEGACY_EXPORTER_PREFIX = "elasticsearchregion"
SCHEMA_MANAGER_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"
OPERATE_TASKLIST_OFF = ("orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false")
PROBE_PROCESS_ID = "drillMarker"


class ParameterError(ValueError):
    """A drill parameter is wrong; raised before anything touches a cluster."""


# `required`: the lost region must be fenced, an unreachable one fails the stage; `if-reachable`: an unreachable
# region (its API is down, as in most real outages) is recorded as not fenced, with a warning, and the drill goes on.
FENCE_POLICIES = ("if-reachable", "required")


def _check_url(option: str, value: str) -> None:
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        host = None
    if not host or parts.scheme not in ("http", "https"):
        raise ParameterError(f"Expected {option} to be an http(s) URL with a host, got {value!r}")


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"Expected {name} to be a positive integer, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ParameterError(f"Expected {name} to be a positive integer, got {value!r}") from None
    if number < 1:
        raise ParameterError(f"Expected {name} to be a positive integer, got {value!r}")
    return number


@dataclass(frozen=True)
class Shape:
    """clusterSize, partitionCount and replicationFactor as installed: what failback must restore."""

    cluster_size: int
    partitions: int
    replication_factor: int

    def __post_init__(self) -> None:
        if self.cluster_size % REGIONS or self.cluster_size < REGIONS:
            raise ParameterError(f"Expected an even clusterSize of at least 2 (two regions), got {self.cluster_size}")
        if not 1 <= self.replication_factor <= self.cluster_size:
            raise ParameterError(
                f"Expected replicationFactor between 1 and clusterSize {self.cluster_size}, "
                f"got {self.replication_factor}"
            )
        if self.replication_factor % REGIONS:
            raise ParameterError(
                f"Expected an even replicationFactor (half the replicas in each region), got {self.replication_factor}"
            )

    def brokers_of(self, region: int) -> tuple[int, ...]:
        """Node ids are 2 * podIndex + regionId: even in region 0, odd in region 1."""
        return tuple(b for b in range(self.cluster_size) if b % REGIONS == region)

    @property
    def replicas_per_region(self) -> int:
        return self.replication_factor // REGIONS

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Shape:
        """Read the shape from Helm values, as the procedure's failback-8 tells the operator to."""
        orchestration = values.get("orchestration")
        if not isinstance(orchestration, Mapping):
            raise ParameterError("Expected the Helm values to have an 'orchestration' section, found none")
        numbers = {}
        for key in ("clusterSize", "partitionCount", "replicationFactor"):
            if key not in orchestration:
                raise ParameterError(f"Expected orchestration.{key} in the Helm values, found none")
            numbers[key] = _positive_int(f"orchestration.{key}", orchestration[key])
        return cls(numbers["clusterSize"], numbers["partitionCount"], numbers["replicationFactor"])


DEFAULT_SHAPE = Shape(8, 8, 4)  # the procedure's own sample deployment


# Seconds per GiB: Camunda's published restore figure (~11 s/GiB) and the simulator's snapshot figure.
DEFAULT_RESTORE_S_PER_GIB = 11.0
DEFAULT_SNAPSHOT_S_PER_GIB = 8.0


@dataclass(frozen=True)
class DataVolume:
    """How much Elasticsearch data each region holds and how fast it is snapshotted and restored: what failback-4
    takes, the one part of the failback that grows with the deployment's data. The RTO forecast uses it on every
    target (drill/forecast.py); an embedded simulator is started with it."""

    es_gib: float = 0.0
    restore_s_per_gib: float = DEFAULT_RESTORE_S_PER_GIB
    snapshot_s_per_gib: float = DEFAULT_SNAPSHOT_S_PER_GIB

    def __post_init__(self) -> None:
        for option, value, positive in (
            ("--es-data-gb", self.es_gib, False),
            ("--restore-s-per-gib", self.restore_s_per_gib, True),
            ("--snapshot-s-per-gib", self.snapshot_s_per_gib, True),
        ):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value < 0 or (positive and value == 0):
                wanted = "a finite number of seconds per GiB > 0" if positive else "a finite number of GiB >= 0"
                raise ParameterError(f"Expected {option} to be {wanted}, got {value!r}")

    def to_json(self) -> dict[str, float]:
        return {
            "es_data_gib": float(self.es_gib),
            "restore_s_per_gib": float(self.restore_s_per_gib),
            "snapshot_s_per_gib": float(self.snapshot_s_per_gib),
        }


@dataclass(frozen=True)
class Repository:
    """The Elasticsearch snapshot repository both regions share (S3 in the procedure, fs on kind)."""

    name: str = "camunda_backup"
    type: str = "s3"
    settings: Mapping[str, Any] = field(
        default_factory=lambda: {"bucket": "camunda-drill", "client": "camunda", "base_path": "backups"}
    )

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "settings": dict(self.settings)}


@dataclass(frozen=True)
class Timeouts:
    """Total bounds per wait, in seconds. Defaults suit real clusters; the simulator's tests use small ones."""

    change: float = 600.0
    export_visible: float = 120.0
    quiet_window: float = 5.0
    snapshot: float = 3600.0
    readiness: float = 900.0
    health: float = 300.0
    # A --reroute-command's run, and then the public endpoint's answer from the surviving region (DNS TTLs).
    reroute: float = 300.0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ParameterError(f"Expected timeout {name} to be a positive number of seconds, got {value!r}")
            # A quiet window of 0 is one observation: enough where anything exportable is exported by the time it
            # is observed (the simulator at time scale 0). Every other bound must leave room for one probe.
            if value == 0 and name != "quiet_window":
                raise ParameterError(f"Expected timeout {name} to be a positive number of seconds, got {value!r}")

    def capped(self, seconds: float) -> Timeouts:
        """Bounds for judging a state rather than waiting for it (a dry run, a resume's scan)."""
        return Timeouts(**{name: min(value, seconds) for name, value in vars(self).items()})


@dataclass(frozen=True)
class DrillParams:
    lost_region: int
    shape: Shape = field(default_factory=lambda: DEFAULT_SHAPE)
    variant: str = "seed"
    # Which exporter families the steps act on; independent of `variant` (the step order).
    camunda_version: str = "8.8"
    release_name: str = "camunda"
    repository: Repository = field(default_factory=Repository)
    snapshot_name: str = "failback"
    exporter_prefix: str = CAMUNDA_EXPORTER_PREFIX
    probe_process_id: str = PROBE_PROCESS_ID
    # A drill makes the loss happen (sim, kind); in an incident the region is gone and the drill only verifies it.
    cause_loss: bool = True
    budgets: Budgets = field(default_factory=Budgets)
    # Incident mode: how long the lost brokers must stay unreachable before failover-1 may remove them.
    lost_for_s: float = 30.0
    # Fencing and rerouting (drill/procedure/traffic.py): whether an unreachable lost region may stay unfenced,
    # the command that moves users' traffic, and the public URL that proves it moved.
    fence: str = "if-reachable"
    reroute_command: str | None = None
    public_endpoint: str | None = None
    # Elasticsearch data per region and snapshot/restore throughput: what the RTO forecast is made for.
    data: DataVolume = field(default_factory=DataVolume)

    def __post_init__(self) -> None:
        if isinstance(self.lost_region, bool) or self.lost_region not in range(REGIONS):
            raise ParameterError(f"Expected the lost region to be 0 or 1, got {self.lost_region!r}")
        if self.variant not in VARIANTS:
            raise ParameterError(f"Expected procedure variant {' or '.join(VARIANTS)}, got {self.variant!r}")
        if self.camunda_version not in CAMUNDA_VERSION_CHOICES:
            raise ParameterError(
                f"Expected Camunda version {', '.join(CAMUNDA_VERSION_CHOICES)}, got {self.camunda_version!r}"
            )
        if isinstance(self.lost_for_s, bool) or not isinstance(self.lost_for_s, int | float) or self.lost_for_s < 0:
            raise ParameterError(f"Expected the incident confirmation window in seconds >= 0, got {self.lost_for_s!r}")
        if self.fence not in FENCE_POLICIES:
            raise ParameterError(f"Expected --fence {' or '.join(FENCE_POLICIES)}, got {self.fence!r}")
        if self.reroute_command is not None and not self.reroute_command.strip():
            raise ParameterError("Expected --reroute-command to be a command, got an empty string")
        if self.public_endpoint is not None:
            _check_url("--public-endpoint", self.public_endpoint)

    @property
    def mode(self) -> str:
        """`drill` when the harness causes the loss, `incident` when the region is really lost."""
        return "drill" if self.cause_loss else "incident"

    @property
    def surviving_region(self) -> int:
        return 1 - self.lost_region

    @property
    def lost_brokers(self) -> tuple[int, ...]:
        return self.shape.brokers_of(self.lost_region)

    @property
    def surviving_brokers(self) -> tuple[int, ...]:
        return self.shape.brokers_of(self.surviving_region)

    def exporter(self, region: int) -> str:
        return f"{self.exporter_prefix}{region}"

    @property
    def lost_exporter(self) -> str:
        return self.exporter(self.lost_region)

    @property
    def surviving_exporter(self) -> str:
        return self.exporter(self.surviving_region)

    @property
    def exporter_families(self) -> tuple[str, ...]:
        """Exporter id prefixes the steps act on. "auto" not yet detected gives both (what a runbook printed before
        detection must cover); a live drill has replaced it with the detected version before any step runs."""
        if self.camunda_version == "8.8":
            return (self.exporter_prefix,)
        return (self.exporter_prefix, LEGACY_EXPORTER_PREFIX)

    def exporters_of(self, region: int) -> tuple[str, ...]:
        return tuple(f"{family}{region}" for family in self.exporter_families)

    @property
    def lost_exporters(self) -> tuple[str, ...]:
        return self.exporters_of(self.lost_region)

    @property
    def exporter_pairs(self) -> tuple[tuple[str, str], ...]:
        """(lost, surviving) per family: a recreated exporter is initialised from the surviving one of its family."""
        return tuple(zip(self.lost_exporters, self.exporters_of(self.surviving_region), strict=True))

    def exporter_states(self, *, surviving: str, lost: str) -> dict[str, str]:
        """What `GET /actuator/exporters` must show for every family, the surviving region's exporter first."""
        states: dict[str, str] = {}
        for lost_exporter, surviving_exporter in self.exporter_pairs:
            states[surviving_exporter] = surviving
            states[lost_exporter] = lost
        return states
