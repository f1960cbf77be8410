"""Where a drill runs: the embedded simulator, two kind clusters, or two existing kube contexts.

A target hands the procedure one Platform per region and says whether the drill may cause the loss itself (sim,
kind) or only verify one that has happened (kube). Nothing above this module knows which target it talks to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from drill.api.transport import http_client
from drill.kind.modes import LOSS_MODES
from drill.platform.base import Platform, PublicRouter
from drill.platform.commands import CommandRunner
from drill.procedure.params import DEFAULT_SHAPE, DataVolume, ParameterError, Repository, Shape, Timeouts

TARGETS = ("sim", "kind", "kube")
KIND_CONTEXTS = ("kind-c8-region0", "kind-c8-region1")
DEFAULT_NAMESPACES = ("camunda-region0", "camunda-region1")
if TYPE_CHECKING:
    from drill.kind.plan import KindUpOptions
    from drill.kind.topology import KindRegion
    from drill.sim.model.deployment import SimSettings

# The simulator at time scale 0 finishes any work at the next observation: a healthy drill never waits, a broken
# one fails within these bounds rather than a real cluster's. An instance that can be exported is exported at the
# next observation too, so one observation shows a stalled exporter as surely as a 5 s window does on a cluster.
SIM_TIMEOUTS = Timeouts(change=10, export_visible=5, quiet_window=0, snapshot=30, readiness=10, health=10, reroute=10)


def sim_timeouts(time_scale: float) -> Timeouts:
    """A simulator's bounds: at time scale 0 its own; otherwise a real cluster's, with the quiet window (which
    every drill sits out twice, however healthy) scaled like the export latency it has to outlast."""
    if time_scale == 0:
        return SIM_TIMEOUTS
    real = Timeouts()
    return replace(real, quiet_window=real.quiet_window * time_scale)


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
    endpoints_file: Path | None = None  # sim only: drive this running simulator instead of starting one
    legacy_exporters: bool = False  # sim only: the embedded simulator runs the legacy 8.7 exporters too
    es_data: DataVolume = field(default_factory=DataVolume)  # sim only: its Elasticsearch data and throughput

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise ParameterError(f"Expected target {', '.join(TARGETS)}, got {self.target!r}")
        if self.target == "kube" and self.contexts is None:
            raise ParameterError("Expected one kube context per region for target kube (--context0, --context1)")
        if self.contexts is not None and self.contexts[0] == self.contexts[1]:
            raise ParameterError(
                f"the lost region would equal the surviving one: both regions name context {self.contexts[0]!r}"
            )
        if isinstance(self.time_scale, bool) or not isinstance(self.time_scale, int | float) or self.time_scale < 0:
            raise ParameterError(f"Expected a time scale >= 0, got {self.time_scale!r}")
        if self.loss_mode not in LOSS_MODES:
            raise ParameterError(f"Expected a loss mode, one of {', '.join(LOSS_MODES)}; got {self.loss_mode!r}")
        if self.endpoints_file is not None and self.target != "sim":
            raise ParameterError(
                f"--endpoints names a running simulator: expected target sim, got target {self.target}"
            )
        if self.legacy_exporters and (self.target != "sim" or self.endpoints_file is not None):
            raise ParameterError(
                "legacy exporters configure the simulator this drill starts: expected target sim without --endpoints "
                f"(a running simulator has its own: `c8-drill sim up --legacy-exporters`), got target {self.target}"
                + (f" with --endpoints {self.endpoints_file}" if self.endpoints_file is not None else "")
            )
        if self.values_files and self.target != "kube":
            raise ParameterError(
                "--values are the Helm values each region is reinstalled with, for target kube only (kind installs "
                f"its --profile's files, the simulator its own): got target {self.target}"
            )

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
    # The deployment's public endpoint, when the target has one it can switch itself (the simulator).
    router: PublicRouter | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for platform in self.platforms.values():
            platform.close()
        if self.router is not None:
            self.router.close()
        for close in self._closers:
            close()


def open_target(options: TargetOptions, shape: Shape = DEFAULT_SHAPE) -> OpenTarget:
    """`shape`: the deployment's; the simulator this starts is installed with it (other targets already are)."""
    auth = httpx.BasicAuth(options.gateway_user, options.gateway_password)
    if options.target == "sim":
        return _open_sim(options, auth, shape)
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


def sim_settings(options: TargetOptions, shape: Shape) -> SimSettings:
    """The deployment an embedded simulator is started with: the target's names and credentials, its shape, and
    the Elasticsearch data and throughput the RTO forecast is made for (so the drill measures what it forecasts)."""
    from drill.sim.model.deployment import SimSettings
    from drill.sim.model.elasticsearch import GIB

    return SimSettings(
        cluster_size=shape.cluster_size,
        partitions=shape.partitions,
        replication_factor=shape.replication_factor,
        time_scale=options.time_scale,
        release_name=options.release_name,
        namespaces=options.namespaces,
        username=options.gateway_user,
        password=options.gateway_password,
        legacy_exporters=options.legacy_exporters,
        es_extra_data_bytes=round(options.es_data.es_gib * GIB),
        es_restore_seconds_per_gib=options.es_data.restore_s_per_gib,
        es_snapshot_seconds_per_gib=options.es_data.snapshot_s_per_gib,
    )


def _open_sim(options: TargetOptions, auth: httpx.Auth, shape: Shape) -> OpenTarget:
    from drill.sim.runtime import SimRuntime

    if options.endpoints_file is not None:
        return _open_running_sim(options, auth)
    runtime = SimRuntime(sim_settings(options, shape))
    timeouts = sim_timeouts(options.time_scale)
    return sim_target(
        runtime.endpoints(), timeouts=timeouts, auth=auth, closers=[runtime.close], contexts=options.contexts
    )


def sim_target(
    endpoints: Mapping[str, Any],
    *,
    timeouts: Timeouts,
    auth: httpx.Auth | None,
    closers: Sequence[Callable[[], None]] = (),
    contexts: tuple[str, str] | None = None,
) -> OpenTarget:
    """Both regions of a simulator reached through its endpoints; `closers` (stopping an embedded simulator) run
    when the target closes, or at once if a region cannot be reached, so nothing is left running.

    `contexts` names the simulated regions as kube contexts (a game-day rehearsal against `prod-eu`/`prod-us`):
    the production guard then treats the simulator exactly as it would treat those clusters."""
    from drill.platform.sim import SimPlatform, SimRouter

    platforms: dict[int, Platform] = {}
    router: PublicRouter | None = None
    try:
        for region in (0, 1):
            platforms[region] = SimPlatform(region, endpoints)
        # The simulator's public endpoint: the drill's default --public-endpoint, switched by reroute-traffic as a
        # DNS change would be (an older simulator's endpoints file has none: rerouting is then the operator's).
        if "public" in endpoints:
            router = SimRouter(endpoints)
    except BaseException:
        for platform in platforms.values():
            platform.close()
        for close in closers:
            close()
        raise
    return OpenTarget(
        "sim",
        platforms,
        cause_loss=True,
        timeouts=timeouts,
        gateway_auth=auth,
        contexts=dict(enumerate(contexts)) if contexts else {},
        router=router,
        _closers=list(closers),
    )


def _open_running_sim(options: TargetOptions, auth: httpx.Auth) -> OpenTarget:
    """A simulator someone else started (`c8-drill sim up`): nothing is started here and nothing stopped at the end,
    so the deployment the drill leaves behind stays there to be looked at. Its own time scale picks the timeouts."""
    from drill.api.auth import OidcClientCredentials
    from drill.endpoints_file import read_endpoints
    from drill.sim.model.deployment import SimSettings

    assert options.endpoints_file is not None
    endpoints = read_endpoints(options.endpoints_file)
    if "identity" in endpoints:  # started with --auth oidc: its token endpoint and the client it was given
        defaults = SimSettings()
        token_url = f"{str(endpoints['identity']).rstrip('/')}/oauth/token"
        auth = OidcClientCredentials(token_url, defaults.oidc_client_id, defaults.oidc_client_secret)
    time_scale = _served_settings(str(endpoints["control"])).get("timeScale")
    timeouts = sim_timeouts(float(time_scale)) if isinstance(time_scale, int | float) else Timeouts()
    return sim_target(endpoints, timeouts=timeouts, auth=auth, contexts=options.contexts)


def _served_settings(control: str) -> dict[str, Any]:
    """The running simulator's settings as its /state shows them (time scale, shape); empty when it does not say."""
    try:
        with http_client(timeout=10.0) as client:
            settings = client.get(f"{control.rstrip('/')}/state").json()["settings"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return {}
    return settings if isinstance(settings, dict) else {}


def drill_shape(options: TargetOptions, given: Mapping[str, int | None]) -> Shape:
    """The shape the drill must find and restore, from where the target's truth is.

    The embedded simulator is started with the shape given (numbers not given are the procedure's 8/8/4); a
    running simulator has its own (its /state says), kind its profile's values, kube its --values (each number
    given overriding) or 8/8/4. Numbers given for a deployment that already has its shape must agree with it:
    a drill expecting 8 brokers of a cluster of 4 would fail its first check for a reason that is not the
    cluster's."""
    if (options.target == "sim" and options.endpoints_file is None) or options.target == "kube":
        return configured_shape(options.values_files, given)
    chosen = {name: value for name, value in given.items() if value is not None}
    installed = _installed_shape(options)
    differing = {name: value for name, value in chosen.items() if getattr(installed, name) != value}
    if differing:
        where = "the kind profile " + options.profile if options.target == "kind" else "the running simulator"
        named = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in differing.items())
        raise ParameterError(
            f"{named}: {where} is installed with clusterSize {installed.cluster_size}, partitions "
            f"{installed.partitions}, replicationFactor {installed.replication_factor}; expected the numbers given "
            "to agree with it (or leave them out)"
        )
    return installed


def configured_shape(values_files: Sequence[Path], given: Mapping[str, int | None]) -> Shape:
    """The values files' shape (or the procedure's 8/8/4), each number given overriding its own."""
    base = values_shape(values_files) if values_files else DEFAULT_SHAPE
    return replace(base, **{name: value for name, value in given.items() if value is not None})


def _installed_shape(options: TargetOptions) -> Shape:
    if options.target == "kind":
        from drill.kind.plan import values_files
        from drill.kind.topology import REGIONS

        return values_shape(values_files(kind_up_options(options), REGIONS[0]))
    from drill.endpoints_file import read_endpoints

    assert options.endpoints_file is not None
    served = _served_settings(str(read_endpoints(options.endpoints_file)["control"]))
    try:
        return Shape(int(served["clusterSize"]), int(served["partitions"]), int(served["replicationFactor"]))
    except (KeyError, TypeError, ValueError):
        return DEFAULT_SHAPE  # an older simulator that does not say: it was started with the defaults


def values_shape(paths: Sequence[Path]) -> Shape:
    """The deployment shape the Helm values files give when merged in order, as helm merges them.

    A reinstall with these files must restore the original clusterSize, partitionCount and replicationFactor
    (failback checks it); a file that does not parse or does not give a valid shape is refused before the drill."""
    from drill.platform.helm_values import merge_values

    docs = [_values_doc(Path(path)) for path in paths]
    try:
        return Shape.from_values(merge_values(*docs))
    except ParameterError as exc:
        names = ", ".join(str(path) for path in paths)
        raise ParameterError(f"values file{'s' if len(paths) > 1 else ''} {names}: {exc}") from None


def _values_doc(path: Path) -> dict[str, Any]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"values file {path}: expected a YAML file, but it does not exist") from None
    except IsADirectoryError:
        raise ParameterError(f"values file {path}: expected a YAML file, got a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"values file {path}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise ParameterError(f"values file {path}: expected YAML, got a syntax error{at}: {problem}") from None
    if doc is None:
        return {}  # an empty file adds no values, as in helm
    if not isinstance(doc, dict):
        raise ParameterError(f"values file {path}: expected a YAML mapping, got a {type(doc).__name__}")
    return doc


def preflight(options: TargetOptions, *, environment: bool = True, lost: int | None = None) -> None:
    """Refuse bad input before a drill archives, journals or changes anything: the values files always; with
    `environment`, also what this machine must provide (the kube contexts, the running simulator). A dry run
    skips those: it prints a plan that may run elsewhere."""
    if options.values_files:
        values_shape(options.values_files)
    if options.endpoints_file is not None:
        from drill.endpoints_file import read_endpoints, verify_endpoints

        if environment:
            verify_endpoints(options.endpoints_file, lost=lost)
        else:
            read_endpoints(options.endpoints_file)
    if environment and options.target in ("kube", "kind"):
        from drill.kube_contexts import check_contexts

        hint = "; `c8-drill kind up` makes the kind clusters and their contexts" if options.target == "kind" else ""
        check_contexts(options.kube_contexts if options.target == "kube" else KIND_CONTEXTS, hint=hint)


def repository(options: TargetOptions) -> Repository | None:
    """The snapshot repository the target provides, when it is not the procedure's S3 default."""
    if options.target == "kind" and options.snapshot_repo == "fs":
        from drill.kind.config import SNAPSHOT_NODE_DIR

        return Repository(type="fs", settings={"location": SNAPSHOT_NODE_DIR})
    return None
