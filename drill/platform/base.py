"""How one region is reached, as the procedure sees it: the `Platform` protocol, its value types and errors.

The procedure holds one `Platform` per region and never asks which target is behind it, so everything here is
target-independent: a Helm request is files and `--set` strings (the simulator turns them into a JSON body, the
kube target into a helm argv), pods and namespaces are plain frozen values, and every failure is a
`PlatformError` whose one line names the region, the operation, what was expected and what was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class PlatformError(Exception):
    """A platform operation did not do what the procedure needs.

    Mirrors `drill.api.errors.ApiError` (call, expected, seen) with the region's description in front, so a
    failed step reads the same whether an HTTP call or a helm/kubectl command failed. `transient` marks what a
    bounded retry may fix.
    """

    transient = False

    def __init__(self, target: str, operation: str, expected: str, seen: str) -> None:
        self.target, self.operation, self.expected, self.seen = target, operation, expected, seen
        super().__init__(f"{target}: {operation}: expected {expected}, got {seen}")

    def retarget(self, target: str) -> PlatformError:
        """The same error told from another point of view (e.g. a command runner's error, named by its region)."""
        return type(self)(target, self.operation, self.expected, self.seen)


class RegionUnreachable(PlatformError):
    """The region's Kubernetes API (or the simulator's stand-in) does not answer: lost, partitioned or down."""

    transient = True


@dataclass(frozen=True)
class ServiceUrls:
    gateway: str
    management: str
    elasticsearch: str


@dataclass(frozen=True)
class HelmRequest:
    """One helm install/upgrade, target-independent.

    `values_files` are overlays on the region's own values (the files it was installed with), in order: later
    files win, maps are merged and lists replaced, as with `helm -f`. `sets` and `set_strings` are helm's
    `--set`/`--set-string` arguments, verbatim (commas separate assignments, backslash escapes).
    """

    values_files: tuple[Path, ...] = ()
    sets: tuple[str, ...] = ()
    set_strings: tuple[str, ...] = ()


@dataclass(frozen=True)
class HelmResult:
    release: str
    revision: int
    status: str
    command: tuple[str, ...]
    """The argv that ran (kube: the helm command; sim: the equivalent curl call), for evidence and the runbook."""


@dataclass(frozen=True)
class PodInfo:
    name: str
    component: str
    """`zeebe`, `elasticsearch`, or the pod's own component label for anything else."""
    ready: bool
    phase: str
    broker_id: int | None


@dataclass(frozen=True)
class NamespaceState:
    reachable: bool
    release: str | None
    release_status: str | None
    volumes: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """What failback step 1 requires of a recreated region: no Camunda deployment and no volumes."""
        return self.reachable and self.release is None and not self.volumes


class Platform(Protocol):
    region: int
    description: str
    namespace: str
    release_name: str
    chart_version: str | None

    def service_urls(self) -> ServiceUrls: ...

    def values(self, request: HelmRequest | None = None) -> dict[str, Any]: ...

    def helm_install(self, request: HelmRequest) -> HelmResult: ...

    def helm_upgrade(self, request: HelmRequest, *, install: bool = False) -> HelmResult: ...

    def helm_uninstall(self) -> None: ...

    def namespace_state(self) -> NamespaceState: ...

    def delete_volumes(self) -> tuple[str, ...]: ...

    def pods(self) -> tuple[PodInfo, ...]: ...

    def pod_logs(self, pod: str) -> str: ...

    def configmap(self, name: str) -> dict[str, str] | None: ...

    def lose_region(self) -> None: ...

    def recreate_region(self) -> None: ...

    def fence(self) -> str:
        """Cut the region's namespace off (deny all ingress and egress); returns what was applied, as evidence.

        Raises RegionUnreachable when the region cannot be told (its API does not answer)."""
        ...

    def lift_fence(self) -> None:
        """Remove the fence; lifting where there is none is no error (a region recreated as a new cluster)."""
        ...

    def fenced(self) -> bool:
        """Whether the namespace holds the drill's fence; RegionUnreachable when that cannot be read."""
        ...

    def close(self) -> None: ...


class PublicRouter(Protocol):
    """What sends users to a region: the deployment's public endpoint. Only the simulator has one the drill can
    switch itself; a real DNS belongs to the operator (`--reroute-command`, or done by hand and confirmed)."""

    description: str
    public_url: str

    def route_to(self, region: int) -> None: ...

    def routed_to(self) -> int: ...

    def close(self) -> None: ...
