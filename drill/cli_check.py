"""`c8-drill check`: is this dual-region deployment ready to lose a region? Read-only, on any target.

Exit codes: 0 ready; 1 not ready (each failing check is printed with what was expected and what was seen);
2 bad input (before anything is read, archived or started); 3 interrupted (the journal still gets its end).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drill.api.retry import RetryPolicy
from drill.cli_shape import resolve_shape, shape_options
from drill.procedure.params import Repository

if TYPE_CHECKING:
    from drill.procedure.params import Shape
    from drill.readiness.session import CheckOutcome
    from drill.sim.runtime import SimRuntime
    from drill.targets import OpenTarget, TargetOptions

console = Console()
lines = Console(soft_wrap=True)  # one cause a line however long, for logs and grep
EXIT_NOT_READY, EXIT_STOPPED = 1, 3
# The simulator answers on loopback: a refused connection there is a region that is down, not a port-forward
# coming back, so a check of it need not spend a real cluster's retry budget on every call to a lost region.
SIM_RETRY = RetryPolicy(attempts=2, first=0.05, factor=2.0, cap=0.2, total=1.0)
ENDPOINTS_TIMEOUT_S = 3.0


@click.command("check")
@click.option("--target", type=click.Choice(["sim", "kind", "kube"]), default="sim", show_default=True)
@click.option("--context", "contexts", nargs=2, default=None, help="Kube contexts of region 0 and region 1.")
@click.option("--namespace", "namespaces", nargs=2, default=("camunda-region0", "camunda-region1"), show_default=True)
@click.option(
    "--endpoints",
    "endpoints_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="sim: check the running simulator whose `c8-drill sim up --endpoints-file` this is; start none.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("drill-reports/check"),
    show_default=True,
)
@click.option(
    "--values",
    "values_files",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Helm values files (in order) to read clusterSize, partitionCount and replicationFactor from.",
)
@shape_options
def check(
    target: str,
    contexts: tuple[str, str] | None,
    namespaces: tuple[str, str],
    endpoints_file: Path | None,
    report_dir: Path,
    values_files: tuple[Path, ...],
    cluster_size: int | None,
    partitions: int | None,
    replication_factor: int | None,
) -> None:
    """Check, changing nothing, that the deployment is ready to lose a region: topology, shape, exporters,
    Elasticsearch, snapshot repository and versions in both regions; reports as a drill writes them."""
    from drill.procedure.context import ClientOptions
    from drill.procedure.params import DrillParams
    from drill.readiness.session import check_readiness
    from drill.targets import TargetOptions, open_target, preflight, repository

    if target == "kube" and not contexts:
        raise click.UsageError("--target kube needs --context CONTEXT0 CONTEXT1 (one kube context per region)")
    options = TargetOptions(target=target, contexts=contexts, namespaces=namespaces, endpoints_file=endpoints_file)
    shape = resolve_shape(values_files, cluster_size, partitions, replication_factor)
    # A lost region is a finding, not bad input: a running simulator only has to be the one the file names.
    preflight(options, environment=endpoints_file is None)
    if endpoints_file is not None:
        _names_running_simulator(endpoints_file)
    # No region is lost: lost_region only fills the field; every concern looks at both regions alike.
    params = DrillParams(lost_region=1, shape=shape, repository=repository(options) or Repository())
    embedded = target == "sim" and endpoints_file is None
    opened = embedded_simulator(options, params.repository, shape) if embedded else open_target(options)
    client_options = ClientOptions(
        gateway_auth=opened.gateway_auth, retry=SIM_RETRY if opened.name == "sim" else RetryPolicy()
    )
    try:
        outcome = check_readiness(opened, params, report_dir, client_options=client_options)
    except KeyboardInterrupt:
        lines.print(f"[yellow]interrupted[/]: the journal in {escape(str(report_dir))} ends with that", highlight=False)
        sys.exit(EXIT_STOPPED)
    _print(outcome)
    sys.exit(0 if outcome.ready else EXIT_NOT_READY)


def _names_running_simulator(path: Path) -> None:
    """The file must name the simulator that runs there (its control API says so); its regions may be down."""
    from drill.endpoints_file import EndpointsFileError, first_difference, read_endpoints

    endpoints = read_endpoints(path)
    url = f"{str(endpoints['control']).rstrip('/')}/endpoints"
    try:
        served = httpx.get(url, timeout=ENDPOINTS_TIMEOUT_S).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise EndpointsFileError(
            f"endpoints file {path} is unusable: expected the simulator's control API to answer GET {url}, got "
            f"{type(exc).__name__}: {exc} (is `c8-drill sim up` still running?)"
        ) from None
    difference = first_difference(endpoints, served if isinstance(served, dict) else {})
    if difference is not None:
        key, ours, theirs = difference
        raise EndpointsFileError(
            f"endpoints file {path} lies: {key} is {ours} but the simulator at {url} says {theirs}"
        )


def embedded_simulator(options: TargetOptions, repository: Repository, shape: Shape) -> OpenTarget:
    """A healthy deployment to check (a demonstration): installed as an operator leaves it, with the snapshot
    repository the failback needs registered in both regions; stopped when the check closes its target."""
    from drill.sim.runtime import SimRuntime
    from drill.targets import SIM_TIMEOUTS, sim_settings, sim_target

    runtime = SimRuntime(sim_settings(options, shape))
    try:
        register_repository(runtime, repository)
    except BaseException:
        runtime.close()
        raise
    auth = httpx.BasicAuth(options.gateway_user, options.gateway_password)
    return sim_target(runtime.endpoints(), timeouts=SIM_TIMEOUTS, auth=auth, closers=[runtime.close])


def register_repository(runtime: SimRuntime, repository: Repository) -> None:
    """What an operator does once per region before relying on backups (`PUT /_snapshot/<name>`), done in the
    simulator's model so that the check itself stays read-only."""

    def register() -> None:
        for region in (0, 1):
            runtime.sim.elasticsearch(region).put_repository(repository.name, repository.body())

    runtime.gate.call(register)


def _print(outcome: CheckOutcome) -> None:
    table = Table(title="c8-drill check: is the deployment ready to lose a region?", title_justify="left")
    for column in ("concern", "what must hold", "verdict"):
        table.add_column(column)
    for result in outcome.results:
        mark = "[green]✔ ready[/]" if result.passed else "[red]✘ not ready[/]"
        table.add_row(result.id, escape(result.title), mark)
    console.print(table)
    for result in outcome.results:
        for cause in result.causes():
            lines.print(f"[red]✘[/] {result.id}: {escape(cause)}", highlight=False)
    verdict = "[green]READY[/]" if outcome.ready else "[red]NOT READY[/]"
    console.print(f"{verdict}: {sum(r.passed for r in outcome.results)} of {len(outcome.results)} concerns hold")
    for name, path in outcome.written.paths.items():
        console.print(f"  {name}: {escape(str(path))}", highlight=False)
    console.print(f"  journal.jsonl: {escape(str(outcome.written.report['journal']['path']))}", highlight=False)
