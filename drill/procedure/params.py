"""What a drill is about, fixed before it starts: which region is lost, the deployment's shape, the variant.

Everything here is static, so the printable runbook (`c8-drill plan`) and the live drill derive their commands
from the same values. Bad values are refused here, once, with a message naming what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drill.evidence.report.measures import Budgets

REGIONS = 2
VARIANTS = ("seed", "operate-last")
SCHEMA_MANAGER_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"
OPERATE_TASKLIST_OFF = ("orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false")
PROBE_PROCESS_ID = "drillMarker"


class ParameterError(ValueError):
    """A drill parameter is wrong; raised before anything touches a cluster."""


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

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ParameterError(f"Expected timeout {name} to be a positive number of seconds, got {value!r}")


@dataclass(frozen=True)
class DrillParams:
    lost_region: int
    shape: Shape = field(default_factory=lambda: Shape(8, 8, 4))
    variant: str = "seed"
    release_name: str = "camunda"
    repository: Repository = field(default_factory=Repository)
    snapshot_name: str = "failback"
    exporter_prefix: str = "camundaregion"
    probe_process_id: str = PROBE_PROCESS_ID
    # A drill makes the loss happen (sim, kind); in an incident the region is gone and the drill only verifies it.
    cause_loss: bool = True
    budgets: Budgets = field(default_factory=Budgets)

    def __post_init__(self) -> None:
        if isinstance(self.lost_region, bool) or self.lost_region not in range(REGIONS):
            raise ParameterError(f"Expected the lost region to be 0 or 1, got {self.lost_region!r}")
        if self.variant not in VARIANTS:
            raise ParameterError(f"Expected procedure variant {' or '.join(VARIANTS)}, got {self.variant!r}")

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
