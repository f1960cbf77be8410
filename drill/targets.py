"""Where a drill runs: the embedded simulator, two kind clusters, or two existing kube contexts.

A target hands the procedure one Platform per region and says whether the drill may cause the loss itself (sim,
kind) or only verify one that has happened (kube). Nothing above this module knows which target it talks to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from drill.kind.loss import LOSS_MODES
from drill.platform.base import Platform
from drill.platform.commands import CommandRunner
from drill.procedure.params import ParameterError, Repository, Timeouts

TARGETS = ("sim", "kind", "kube")
KIND_CONTEXTS = ("kind-c8-region0", "kind-c8-region1")
DEFAULT_NAMESPACES = ("camunda-region0", "camunda-region1")
# The simulator at time scale 0 finishes any work at the next observation: a healthy drill never waits, a broken
# one fails within these bounds rather than a real cluster's.
if TYPE_CHECKING:
    from drill.kind.plan import KindUpOptions
    from drill.kind.topology import KindRegion

SIM_TIMEOUTS = Timeouts(change=10, export_visible=5, quiet_window=0.2, snapshot=30, readiness=10, health=10)


@dataclass(frozen=True)
class TargetOptions:
    target: str = "sim"
    contexts: tuple[str, str] | None = None
    namespaces: tuple[str, str] = DEFAULT_NAMESPACES
    release_name: str = "camunda"
    chart_version: str | None = None
    values_files: Sequence[Path] = ()
    time_scale: float = 0.0
    gateway_user: str = "demo"
    gateway_password: str = "demo"
    loss_mode: str = "uninstall"  # kind only: how the drill loses a region (uninstall, stop-nodes, partition)
    profile: str = "small"  # kind only: which fixtures/values profile the clusters were installed with
    snapshot_repo: str = "fs"  # kind only: fs (a host directory in both clusters) or s3

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ParameterError(f"Expected target {', '.join(TARGETS)}, got {self.target!r}")
        if self.target == "kube" and self.contexts is None:
            raise ParameterError("Expected one kube context per region for target kube (--context0, --context1)")
        if self.contexts is not None and self.contexts[0] == self.contexts[1]:
            raise ParameterError(f"Expected two different kube contexts, got {self.contexts[0]!r} twice")
        if isinstance(self.time_scale, bool) or not isinstance(self.time_scale, int | float) or self.time_scale < 0:
            raise ParameterError(f"Expected a time scale >= 0, got {self.time_scale!r}")
        if self.loss_mode not in LOSS_MODES:
            raise ParameterError(f"Expected a loss mode, one of {', '.join(LOSS_MODES)}; got {self.loss_mode!r}")

    @property
    def kube_contexts(self) -> tuple[str, str]:
        return self.contexts or KIND_CONTEXTS


@dataclass
class OpenTarget:
    name: str
    platforms: dict[int, Platform]
    cause_loss: bool
    timeouts: Timeouts
    gateway_auth: httpx.Auth | None
    contexts: dict[int, str] = field(default_factory=dict)
    # Shared by both regions' platforms: its on_result hook is how every command reaches the journal.
    runner: CommandRunner = field(default_factory=CommandRunner)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for platform in self.platforms.values():
            platform.close()
        for close in self._closers:
            close()


def open_target(options: TargetOptions) -> OpenTarget:
    auth = httpx.BasicAuth(options.gateway_user, options.gateway_password)
    if options.target == "sim":
        return _open_sim(options, auth)
    if options.target == "kind":
        return _open_kind(options, auth)
    from drill.platform.kube import KubePlatform  # the kubernetes client loads only for cluster targets

    runner = CommandRunner()
    contexts = options.kube_contexts
    platforms: dict[int, Platform] = {
        region: KubePlatform(
            region,
            context=contexts[region],
            namespace=options.namespaces[region],
            release_name=options.release_name,
            chart_version=options.chart_version,
            values_files=options.values_files,
            runner=runner,
        )
        for region in (0, 1)
    }
    return OpenTarget(
        options.target,
        platforms,
        cause_loss=False,
        timeouts=Timeouts(),
        gateway_auth=auth,
        contexts=dict(enumerate(contexts)),
        runner=runner,
    )


def kind_up_options(options: TargetOptions) -> KindUpOptions:
    from drill.kind.plan import KindUpOptions

    return KindUpOptions(
        profile=options.profile,
        snapshot_repo=options.snapshot_repo,
        chart_version=options.chart_version or KindUpOptions().chart_version,
        release_name=options.release_name,
    )


def _open_kind(options: TargetOptions, auth: httpx.Auth) -> OpenTarget:
    """Two kind clusters made by `c8-drill kind up`; each region reinstalls with its own values files, and a
    region lost by stopping its node comes back as a new cluster from the same config."""
    from drill.kind.commands import execute
    from drill.kind.loss import KindPlatform
    from drill.kind.plan import recreate_cluster_plan, values_files
    from drill.kind.topology import REGIONS

    runner = CommandRunner()
    up = kind_up_options(options)
    platforms: dict[int, Platform] = {}
    for kind_region in REGIONS:

        def recreate(kind_region: KindRegion = kind_region) -> None:
            execute(recreate_cluster_plan(kind_region, up), runner)

        platforms[kind_region.region] = KindPlatform(
            kind_region.region,
            loss_mode=options.loss_mode,
            nodes=(kind_region.node,),
            recreate_cluster=recreate,
            context=kind_region.context,
            namespace=kind_region.namespace,
            release_name=options.release_name,
            chart_version=up.chart_version,
            values_files=values_files(up, kind_region),
            runner=runner,
        )
    return OpenTarget(
        "kind",
        platforms,
        cause_loss=True,
        timeouts=Timeouts(),
        gateway_auth=auth,
        contexts={r.region: r.context for r in REGIONS},
        runner=runner,
    )


def _open_sim(options: TargetOptions, auth: httpx.Auth) -> OpenTarget:
    from drill.platform.sim import SimPlatform
    from drill.sim.model.deployment import SimSettings
    from drill.sim.runtime import SimRuntime

    runtime = SimRuntime(
        SimSettings(
            time_scale=options.time_scale,
            release_name=options.release_name,
            namespaces=options.namespaces,
            username=options.gateway_user,
            password=options.gateway_password,
        )
    )
    endpoints = runtime.endpoints()
    return OpenTarget(
        "sim",
        {region: SimPlatform(region, endpoints) for region in (0, 1)},
        cause_loss=True,
        timeouts=SIM_TIMEOUTS if options.time_scale == 0 else Timeouts(),
        gateway_auth=auth,
        _closers=[runtime.close],
    )


def repository(options: TargetOptions) -> Repository | None:
    """The snapshot repository the target provides, when it is not the procedure's S3 default."""
    if options.target == "kind" and options.snapshot_repo == "fs":
        from drill.kind.config import SNAPSHOT_NODE_DIR

        return Repository(type="fs", settings={"location": SNAPSHOT_NODE_DIR})
    return None
