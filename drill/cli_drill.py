"""`c8-drill run`, `report` and `verify`: the drill as users see it, and its evidence afterwards.

Exit codes: 0 the drill passed (or the journal verifies); 1 the drill failed (or the journal was altered);
2 bad input (options, a file that is not a journal); 3 the run timed out or was interrupted.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drill.cli_shape import data_volume_options, given, shape_options
from drill.evidence.report.measures import Budgets
from drill.procedure.params import (
    DEFAULT_SHAPE,
    DataVolume,
    ParameterError,
    Shape,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from drill.approvals import Approval, ApprovalRequest
    from drill.launch import Finished

console = Console()
err_console = Console(stderr=True, soft_wrap=True)  # a message is one line however long, for logs and grep
EXIT_FAILED, EXIT_USAGE, EXIT_STOPPED = 1, 2, 3
MARKS = {
    "passed": "[green]✔ passed[/]",
    "failed": "[red]✘ failed[/]",
    "refused": "[red]✘ refused[/]",
    "ready": "[green]✔ current state holds[/]",
    "not ready": "[yellow]… current state does not hold now[/]",
}


def progress(region: int, record: dict[str, Any]) -> None:
    """One line per stage as its records arrive; waits show as they are journaled, so long steps visibly move."""
    kind = record.get("kind")
    prefix = f"[dim]lost {region}[/]"
    if kind == "drill_start":
        console.rule(f"drill: region {region} lost, target {record.get('target')}, variant {record.get('variant')}")
        forecast = record.get("forecast") or {}
        if "failover_s" in forecast:  # before anything is measured: what this shape and data volume should take
            gib = (forecast.get("inputs") or {}).get("es_data_gib")
            console.print(
                f"{prefix} forecast for {gib} GiB per region: failover {_seconds(forecast.get('failover_s'))}, "
                f"failback {_seconds(forecast.get('failback_s'))} (real time; harness and network not counted)",
                highlight=False,
            )
    elif kind == "step_start":
        console.print(f"{prefix} [bold]{record.get('step_id')}[/] {record.get('title')} …")
    elif kind == "wait" and _worth_showing(record):
        what, attempts, elapsed = record.get("what"), record.get("attempts"), record.get("elapsed_s")
        console.print(f"{prefix}   waited {elapsed} s ({attempts} observations): {what}", highlight=False)
    elif kind == "step_end":
        mark = MARKS.get(str(record.get("status")), str(record.get("status")))
        line = f"{prefix} [bold]{record.get('step_id')}[/] {mark} in {float(record.get('duration_s') or 0):.2f} s"
        console.print(line)
        if record.get("error"):
            console.print(f"{prefix}     [red]{record.get('error')}[/]", highlight=False)
    elif kind == "blocked":
        console.print(f"{prefix} [bold]{record.get('step_id')}[/] [yellow]⊘ blocked[/] (not executed)")
    elif kind == "guard":
        console.print(f"{prefix} [red]{escape(str(record.get('reason')))}[/]", highlight=False)
    elif kind == "dry_run":
        for action in record.get("actions") or []:
            console.print(f"{prefix}   [cyan]would[/] {escape(str(action.get('action')))}:", highlight=False)
            for line in action.get("would_run") or []:
                console.print(f"{prefix}     {escape(str(line))}", highlight=False)
    elif kind == "approval":
        decision = "[green]approved[/]" if record.get("approved") else "[red]not approved[/]"
        console.print(f"{prefix}   {decision} by {escape(str(record.get('approver')))}", highlight=False)
    elif kind == "resume":
        console.rule(f"resuming the drill of region {region} after record {record.get('after_seq')}")
    elif kind == "resume_plan":
        where = record.get("start") or "the end (every stage's desired state holds)"
        console.print(f"{prefix} resume starts at [bold]{where}[/]", highlight=False)


SHOWN_WAIT_S = 0.5


def _worth_showing(wait: dict[str, Any]) -> bool:
    """A wait that took a while or ended badly: a drill journals dozens that were over at the first look (every
    marker lookup), and a line for each would bury the ones a person watching wants to see move."""
    elapsed = wait.get("elapsed_s")
    slow = not isinstance(elapsed, int | float) or elapsed >= SHOWN_WAIT_S
    return slow or wait.get("outcome") in ("timed out", "failed", "FAILED", "CANCELLED")


def _seconds(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.2f} s"


def _forecast_cell(forecast: dict[str, Any] | None) -> str:
    """The journaled forecast in one cell: failover / failback, and plainly which of them is over its budget."""
    if not forecast:
        return "—"
    over = [name for name in ("failover", "failback") if forecast.get(f"{name}_verdict") == "over budget"]
    cell = f"{_seconds(forecast.get('failover_s'))} / {_seconds(forecast.get('failback_s'))}"
    return cell + (f" [yellow]{' and '.join(over)} over budget[/]" if over else "")


def summary_table(reports: dict[int, dict[str, Any] | None]) -> Table:
    table = Table(title="c8-drill: drill summary", title_justify="left")
    columns = ("lost", "verdict", "steps", "failover RTO / budget", "failback / budget", "RPO lost / budget")
    for column in (*columns, "forecast failover / failback"):
        table.add_column(column)
    for region, report in sorted(reports.items()):
        if report is None:
            table.add_row(str(region), "[red]no report[/]", "—", "—", "—", "—", "—")
            continue
        steps = report["steps"]
        rto, rpo = report["rto"], report["rpo"]
        verdict = report["verdict"]
        colour = "green" if verdict == "passed" else "red"
        table.add_row(
            str(region),
            f"[{colour}]{verdict.upper()}[/]",
            f"{sum(s['verdict'] == 'passed' for s in steps)}/{len(steps)}",
            f"{_seconds(rto['failover_s'])} / {rto['failover_budget_s']:.0f} s {rto['failover_verdict']}",
            f"{_seconds(rto['failback_s'])} / {rto['failback_budget_s']:.0f} s {rto['failback_verdict']}",
            f"{rpo['markers_lost'] if rpo['markers_lost'] is not None else '—'} of {rpo['markers_written']} "
            f"/ {rpo['budget_markers']} {rpo['verdict']}",
            _forecast_cell(rto.get("forecast")),
        )
    return table


@click.command("run")
@click.option("--target", type=click.Choice(["sim", "kind", "kube"]), default="sim", show_default=True)
@click.option("--lost-region", type=click.Choice(["0", "1", "both"]), default="both", show_default=True)
@click.option(
    "--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("drill-reports"), show_default=True
)
@click.option("--variant", type=click.Choice(["seed", "operate-last"]), default="seed", show_default=True)
@click.option(
    "--camunda-version",
    type=click.Choice(["8.8", "8.7", "auto"]),
    default="8.8",
    show_default=True,
    help="8.7: an 8.8 migrated from 8.7 whose legacy exporters elasticsearchregion0/1 are enabled (every exporter "
    "step acts on them too; target sim starts its simulator with them); auto: detected at the drill's start.",
)
@click.option("--time-scale", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Simulator only.")
@click.option("--context", "contexts", nargs=2, default=None, help="Kube contexts of region 0 and region 1.")
@click.option("--namespace", "namespaces", nargs=2, default=("camunda-region0", "camunda-region1"), show_default=True)
@click.option("--failover-budget", type=click.FloatRange(min=0, min_open=True), default=Budgets().failover_s)
@click.option("--failback-budget", type=click.FloatRange(min=0, min_open=True), default=Budgets().failback_s)
@click.option(
    "--rpo-budget", type=click.IntRange(min=0), default=Budgets().rpo_markers, help="Markers that may be lost."
)
@click.option("--allow-production", multiple=True, metavar="CONTEXT", help="Allow destructive steps on this context.")
@click.option("--features", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None)
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True)
@click.option(
    "--loss-mode",
    type=click.Choice(["uninstall", "stop-nodes", "partition"]),
    default="uninstall",
    show_default=True,
    help="kind: how the region is lost.",
)
@click.option("--profile", type=click.Choice(["small", "procedure"]), default="small", show_default=True)
@click.option("--snapshot-repo", type=click.Choice(["fs", "s3"]), default="fs", show_default=True)
@click.option(
    "--endpoints",
    "endpoints_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="sim: drive the running simulator whose `c8-drill sim up --endpoints-file` this is; start none.",
)
@click.option(
    "--values",
    "values_files",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="kube: Helm values files (in order) each region is reinstalled with.",
)
@click.option(
    "--mode",
    type=click.Choice(["drill", "incident"]),
    default=None,
    help="drill: the harness causes the loss (default on sim, kind); incident: the region is really lost and is "
    "only verified (default on kube).",
)
@click.option(
    "--lost-for",
    type=click.FloatRange(min=0),
    default=None,
    help="incident: seconds the lost brokers must stay unreachable before failover-1 (default 30).",
)
@click.option("--dry-run", is_flag=True, help="Run every Given read-only against the target; run no When.")
@click.option("--plan", is_flag=True, help="Print every command in order (kind: a whole script); contact nothing.")
@click.option(
    "--resume",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Continue the interrupted drill of this journal, from where the live state shows it is.",
)
@click.option("--approve-each-step", is_flag=True, help="Before each When that changes something, ask and record.")
@click.option("--approver", default=None, help="Who approves (default: user@host of this terminal).")
@click.option(
    "--fence",
    type=click.Choice(["if-reachable", "required"]),
    default="if-reachable",
    show_default=True,
    help="required: the lost region must be fenced; if-reachable: one whose API is down is recorded unfenced.",
)
@click.option("--reroute-command", default=None, help="Moves public traffic to the surviving region (run by sh -c).")
@click.option("--public-endpoint", default=None, help="The public URL probed after rerouting (sim: its own).")
@shape_options
@data_volume_options
@click.pass_context
def run(
    ctx: click.Context,
    target: str,
    lost_region: str,
    report_dir: Path,
    variant: str,
    camunda_version: str,
    time_scale: float,
    contexts: tuple[str, str] | None,
    namespaces: tuple[str, str],
    failover_budget: float,
    failback_budget: float,
    rpo_budget: int,
    allow_production: tuple[str, ...],
    features: Path | None,
    max_minutes: float,
    loss_mode: str,
    profile: str,
    snapshot_repo: str,
    endpoints_file: Path | None,
    values_files: tuple[Path, ...],
    mode: str | None,
    lost_for: float | None,
    dry_run: bool,
    plan: bool,
    resume: Path | None,
    approve_each_step: bool,
    approver: str | None,
    fence: str,
    reroute_command: str | None,
    public_endpoint: str | None,
    cluster_size: int | None,
    partitions: int | None,
    replication_factor: int | None,
    es_data_gb: float,
    restore_s_per_gib: float,
    snapshot_s_per_gib: float,
) -> None:
    """Run the drill: lose a region, fail over, fail back, and write the compliance reports."""
    from drill import launch
    from drill.targets import TargetOptions, drill_shape, preflight

    if target == "kube" and not contexts:
        raise click.UsageError("--target kube needs --context CONTEXT0 CONTEXT1 (one kube context per region)")
    from drill.procedure.params import DrillParams

    # Refused here, not by the pytest child: bad input is one line and exit 2 before anything is archived.
    DrillParams(lost_region=0, fence=fence, reroute_command=reroute_command, public_endpoint=public_endpoint)
    if dry_run and (plan or resume is not None or approve_each_step):
        raise click.UsageError(
            "--dry-run reads and changes nothing: it goes with none of --plan, --resume, --approve-each-step"
        )
    if resume is not None:
        from drill.procedure.resume import lost_region_of

        resumed = lost_region_of(resume)  # refuses a journal there is nothing to resume in
        if ctx.get_parameter_source("lost_region") is ParameterSource.COMMANDLINE and lost_region != str(resumed):
            raise click.UsageError(f"--resume {resume} continues the drill losing region {resumed}, not {lost_region}")
        lost_region = str(resumed)
        if target == "sim" and endpoints_file is None:
            raise click.UsageError(
                "--resume needs a target that outlived the interrupted run: the embedded simulator ended with it; "
                "use --endpoints of a `c8-drill sim up`, or --target kind/kube"
            )
    if endpoints_file is not None and lost_region == "both":
        from drill.endpoints_file import BOTH_REGIONS

        raise click.UsageError(BOTH_REGIONS)
    if endpoints_file is not None and ctx.get_parameter_source("time_scale") is ParameterSource.COMMANDLINE:
        raise click.UsageError(
            "--time-scale sets the simulator this command starts; with --endpoints the running simulator keeps "
            "the one `c8-drill sim up --time-scale` gave it"
        )
    volume_options = ("es_data_gb", "restore_s_per_gib", "snapshot_s_per_gib")
    volume_given = [n for n in volume_options if ctx.get_parameter_source(n) is ParameterSource.COMMANDLINE]
    if endpoints_file is not None and volume_given:
        named = ", ".join(f"--{name.replace('_', '-')}" for name in volume_given)
        raise click.UsageError(
            f"{named} set the simulator this command starts; with --endpoints the running simulator keeps the "
            "data and throughput `c8-drill sim up` gave it"
        )
    es_data = DataVolume(es_data_gb, restore_s_per_gib, snapshot_s_per_gib)  # a bad number is one line, exit 2
    # Everything that can be refused is refused here, before launch.run archives the report directory.
    options = TargetOptions(
        target=target,
        contexts=contexts,
        namespaces=namespaces,
        values_files=values_files,
        time_scale=time_scale,
        loss_mode=loss_mode,
        profile=profile,
        snapshot_repo=snapshot_repo,
        endpoints_file=endpoints_file,
    )
    preflight(
        options,
        environment=not plan,
        lost=int(lost_region) if lost_region != "both" and (resume is not None or mode == "incident") else None,
    )
    shape_given = given(cluster_size, partitions, replication_factor)
    # A running simulator says its own shape when asked; a plan contacts nothing, so it shows the default one.
    shape = DEFAULT_SHAPE if plan and endpoints_file is not None else drill_shape(options, shape_given)
    if plan:
        regions = (0, 1) if lost_region == "both" else (int(lost_region),)
        text = _plan(
            target,
            regions,
            variant,
            loss_mode,
            profile,
            snapshot_repo,
            report_dir,
            mode,
            camunda_version=camunda_version,
            shape=shape,
        )
        click.echo(text, nl=False)
        return
    request = launch.RunRequest(
        target=target,
        camunda_version=camunda_version,
        lost_regions=(0, 1) if lost_region == "both" else (int(lost_region),),
        report_dir=report_dir,
        variant=variant,
        time_scale=time_scale,
        contexts=contexts,
        namespaces=namespaces,
        budgets={"failover_budget": failover_budget, "failback_budget": failback_budget, "rpo_budget": rpo_budget},
        allow_production=allow_production,
        features=features,
        max_seconds=max_minutes * 60,
        loss_mode=loss_mode,
        profile=profile,
        snapshot_repo=snapshot_repo,
        endpoints_file=endpoints_file,
        values_files=values_files,
        mode=mode,
        dry_run=dry_run,
        resume=resume,
        approve_each_step=approve_each_step,
        lost_for=lost_for,
        fence=fence,
        reroute_command=reroute_command,
        public_endpoint=public_endpoint,
        shape=shape,
        es_data=None if endpoints_file is not None else es_data,
    )
    if resume is not None:
        request.report_dir = resume.parent.parent
    ask = None
    if approve_each_step:
        from drill.approvals import default_approver_name

        ask = _prompt(approver or default_approver_name())
    try:
        finished = launch.run(request, progress, ask)
    except FileNotFoundError as exc:
        raise click.UsageError(str(exc)) from exc
    console.print(summary_table(finished.reports))
    _print_paths(finished, request.report_dir)
    sys.exit(_exit_code(finished))


def _plan(
    target: str,
    regions: tuple[int, ...],
    variant: str,
    loss_mode: str,
    profile: str,
    snapshot_repo: str,
    report_dir: Path,
    mode: str | None,
    camunda_version: str = "8.8",
    shape: Shape = DEFAULT_SHAPE,
) -> str:
    """kind: the whole nightly sequence per lost region; other targets: the drill's runbook (they exist already)."""
    from drill.procedure.params import DrillParams
    from drill.procedure.runbook import render
    from drill.procedure.stages import default_mode, drill_sequence
    from drill.targets import TargetOptions, kind_up_options, repository

    options = TargetOptions(
        target=target,
        contexts=None if target != "kube" else ("$CLUSTER_0", "$CLUSTER_1"),
        loss_mode=loss_mode,
        profile=profile,
        snapshot_repo=snapshot_repo,
    )
    repo = repository(options)
    texts = []
    for region in regions:
        chosen = mode or default_mode(target)
        params = DrillParams(
            lost_region=region,
            shape=shape,
            variant=variant,
            cause_loss=chosen == "drill",
            camunda_version=camunda_version,
        )
        if repo is not None:
            params = replace(params, repository=repo)
        if target == "kind":
            from drill.kind.dry_run import dry_run

            texts.append(dry_run(params, loss_mode, kind_up_options(options), report_dir))
        else:
            texts.append(render(params, sequence=drill_sequence(variant, params.mode)))
    return "\n".join(texts)


def _prompt(approver: str) -> Callable[[ApprovalRequest], Approval]:
    """Show the step's current state and exact commands, then ask for the step id typed out."""
    from drill.approvals import judge

    def ask(request: ApprovalRequest) -> Approval:
        console.rule(f"approval {request.number}: {request.step_id} {request.title}")
        console.print("[bold]current state[/]")
        for line in request.current_state:
            console.print(f"  {escape(line)}", highlight=False)
        console.print("[bold]it will run[/]")
        for line in request.commands:
            console.print(f"  {escape(line)}", highlight=False)
        try:
            typed = click.prompt(
                f"type {request.token} to approve, anything else refuses", default="", show_default=False
            )
        except click.Abort:
            typed = ""
        return judge(request, typed, approver)

    return ask


def _print_paths(finished: Finished, report_dir: Path) -> None:
    from drill import launch

    for region, report in sorted(finished.reports.items()):
        if report is not None:
            folder = report_dir / f"lost-region-{region}"
            console.print(
                f"lost region {region}: {folder / 'report.html'}  {folder / 'report.json'}  "
                f"{folder / 'junit.xml'}  {folder / 'journal.jsonl'}"
            )
    console.print(f"Allure results: {report_dir / 'allure-results'}   pytest log: {finished.log}")
    try:
        html = launch.allure_html(report_dir / "allure-results", report_dir / "allure-report")
    except Exception as exc:  # the drill's verdict stands; a missing Allure HTML is reported, not fatal
        err_console.print(f"[yellow]Allure HTML report not made:[/] {exc}")
        return
    if html is not None:
        console.print(f"Allure HTML report: {html}")


def _exit_code(finished: Finished) -> int:
    if finished.timed_out or finished.interrupted:
        err_console.print("[red]the drill was stopped before it ended[/] (timed out or interrupted)")
        return EXIT_STOPPED
    if finished.exit_code in (3, 4):  # pytest: internal error / usage error
        err_console.print(f"[red]pytest could not run the drill[/] (exit {finished.exit_code}); see {finished.log}")
        return EXIT_USAGE if finished.exit_code == 4 else EXIT_FAILED
    reports = finished.reports.values()
    if finished.exit_code == 0 and all(r is not None and r["verdict"] in ("passed", "ready") for r in reports):
        return 0
    return EXIT_FAILED


@click.command("report")
@click.argument("journal", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="Default: beside it.")
def report(journal: Path, out: Path | None) -> None:
    """Rebuild every report of a drill from its journal (after verifying its hash chain)."""
    from drill import launch
    from drill.evidence.journal import JournalError, NotAJournal
    from drill.evidence.report.write import write_reports

    out = out or journal.parent
    try:  # write_reports verifies the whole journal before it makes --out or writes anything
        written = write_reports(journal, out, allure_results=out / "allure-results")
    except NotAJournal as exc:
        raise ParameterError(str(exc)) from None
    except JournalError as exc:
        err_console.print(f"[red]journal does not verify; no report made:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_FAILED)
    except ValueError as exc:
        raise ParameterError(str(exc)) from exc
    verdict = written.report["verdict"]
    console.print(f"verdict: [bold]{verdict.upper()}[/] (region {written.report['lost_region']} lost)")
    for name, path in written.paths.items():
        console.print(f"{name}: {path}")
    try:
        html = launch.allure_html(out / "allure-results", out / "allure-report")
    except Exception as exc:  # an optional report; its absence does not change the evidence
        err_console.print(f"[yellow]Allure HTML report not made:[/] {exc}")
    else:
        if html is not None:
            console.print(f"Allure HTML report: {html}")


@click.command("verify")
@click.argument("journal", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(journal: Path) -> None:
    """Check a journal's hash chain; names the first broken record."""
    from drill.evidence.journal import JournalError, NotAJournal, verify_chain

    try:
        chain = verify_chain(journal)
    except NotAJournal as exc:  # bad input (exit 2), not an altered journal (exit 1)
        raise ParameterError(str(exc)) from None
    except JournalError as exc:
        err_console.print(f"[red]journal does NOT verify:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_FAILED)
    console.print(f"journal verifies: {chain.records} records, head sha256 {chain.last_hash}", highlight=False)
