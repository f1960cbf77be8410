"""The `c8-drill` command.

Bad input (a malformed option, a file that is not what it claims, a context that does not exist) ends every
subcommand the same way: one line on stderr, `c8-drill <command>: error: <what was expected, what was seen>`, and
exit code 2, before anything is changed. `OneLineErrors` does that once for the whole command tree, so a command
added later gets it by being registered.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from drill import __version__
from drill.cli_shape import data_volume_options, resolve_shape, shape_options
from drill.procedure.params import ParameterError

if TYPE_CHECKING:
    from drill.sim.model.deployment import SimSettings

console = Console()
err_console = Console(stderr=True)
PROG = "c8-drill"
EXIT_USAGE = 2


class OneLineErrors(click.Group):
    """A click group whose usage errors are one line each, in every subcommand.

    Click's own report (usage, a "Try --help" line, a blank line, then the error) buries the one fact the operator
    needs, and a CI log grepped for it shows three lines out of context. A ParameterError that escapes a command is
    the drill's own word for bad input, so it ends the same way. --help and --version are untouched.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:  # the caller handles exceptions itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        prog = prog_name or self.name or PROG
        try:
            result = super().main(argv, prog, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `c8-drill` alone: the help is the answer
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else self.command_path_of(prog, argv)
            fail(where, exc.format_message(), exc.exit_code, hint=f"see {where} --help")
        except click.ClickException as exc:
            fail(self.command_path_of(prog, argv), exc.format_message(), exc.exit_code)
        except ParameterError as exc:
            fail(self.command_path_of(prog, argv), str(exc), EXIT_USAGE)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        # Not standalone, click returns the code of an explicit exit (--help, --version) or the command's value.
        sys.exit(result if isinstance(result, int) else 0)

    def command_path_of(self, prog: str, argv: Sequence[str]) -> str:
        """`c8-drill sim up` for an error raised outside click's contexts: the subcommand names at the front."""
        words: list[str] = [prog]
        command: click.Command = self
        for arg in argv:
            sub = command.commands.get(arg) if isinstance(command, click.Group) else None
            if sub is None:
                break
            words.append(arg)
            command = sub
        return " ".join(words)


def fail(where: str, message: str, exit_code: int = EXIT_USAGE, *, hint: str | None = None) -> None:
    """End with exactly one line on stderr, whatever line breaks the message had."""
    text = " ".join(line.strip() for line in message.splitlines() if line.strip())
    click.echo(f"{where}: error: {text}" + (f" ({hint})" if hint else ""), err=True)
    sys.exit(exit_code)


@click.group(PROG, cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name=PROG)
def main() -> None:
    """Disaster-recovery drills for Camunda 8 dual-region deployments."""


@main.group()
def sim() -> None:
    """The embedded simulator of a dual-region Camunda 8.8 deployment."""


def _positive_even(ctx: click.Context, param: click.Parameter, value: int) -> int:
    if value < 2 or value % 2:
        raise click.BadParameter(f"expected an even number of at least 2 (one half per region), got {value}")
    return value


@sim.command("up")
@click.option("--cluster-size", type=int, default=8, show_default=True, callback=_positive_even, help="Brokers.")
@click.option("--partitions", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--replication-factor", type=click.IntRange(min=1), default=4, show_default=True)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="0: asynchronous work completes at the next observation; 1: realistic durations.",
)
@click.option(
    "--layout",
    type=click.Choice(["standard", "ephemeral"]),
    default="standard",
    show_default=True,
    help="standard: region 0 on 127.0.0.10, region 1 on 127.0.0.11, control on 127.0.0.12, real ports; "
    "ephemeral: free ports on 127.0.0.1.",
)
@click.option(
    "--exporting-response",
    type=click.Choice(["no-content", "wrapped"]),
    default="no-content",
    show_default=True,
    help="Pause/resume answer 204 (the procedure) or 200 with the status in the body (newer 8.8 patches).",
)
@click.option("--endpoints-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the endpoints here.")
@click.option("--username", default="demo", show_default=True, help="Basic-auth user of the v2 API.")
@click.option("--password", default="demo", show_default=True, help="Basic-auth password of the v2 API.")
@click.option(
    "--auth",
    type=click.Choice(["basic", "none", "oidc"]),
    default="basic",
    show_default=True,
    help="v2 API authentication; oidc also serves a client-credentials token endpoint (client drill/drill-secret).",
)
@click.option(
    "--legacy-exporters",
    is_flag=True,
    help="An 8.8 migrated from 8.7: the legacy exporters elasticsearchregion0/1 are configured and enabled too "
    "(drill it with --camunda-version 8.7 or auto).",
)
@click.option("--for-seconds", type=click.FloatRange(min=0), default=None, help="Stop after this long (for scripts).")
@data_volume_options
def sim_up(
    cluster_size: int,
    partitions: int,
    replication_factor: int,
    time_scale: float,
    layout: str,
    exporting_response: str,
    endpoints_file: Path | None,
    username: str,
    password: str,
    auth: str,
    legacy_exporters: bool,
    for_seconds: float | None,
    es_data_gb: float,
    restore_s_per_gib: float,
    snapshot_s_per_gib: float,
) -> None:
    """Serve a healthy dual-region deployment in the foreground until interrupted."""
    from drill.procedure.params import DataVolume
    from drill.sim.model.deployment import SimSettings
    from drill.sim.model.elasticsearch import GIB
    from drill.sim.runtime import Layout, SimRuntime

    if replication_factor > cluster_size:
        raise click.BadParameter(
            f"must be at most --cluster-size ({cluster_size}), got {replication_factor}",
            param_hint="--replication-factor",
        )
    data = DataVolume(es_data_gb, restore_s_per_gib, snapshot_s_per_gib)  # a bad number is one line, exit 2
    settings = SimSettings(
        cluster_size=cluster_size,
        partitions=partitions,
        replication_factor=replication_factor,
        time_scale=time_scale,
        exporting_response=exporting_response,
        username=username,
        password=password,
        auth=auth,
        legacy_exporters=legacy_exporters,
        es_extra_data_bytes=round(data.es_gib * GIB),
        es_restore_seconds_per_gib=data.restore_s_per_gib,
        es_snapshot_seconds_per_gib=data.snapshot_s_per_gib,
    )
    started = time.perf_counter()
    try:
        runtime = SimRuntime(settings, layout=Layout(layout))
    except OSError as exc:
        err_console.print(f"[red]error:[/] cannot serve the simulator: {exc}")
        if layout == "standard":
            err_console.print("hint: another simulator may be running; try --layout ephemeral")
        sys.exit(1)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if endpoints_file is not None:
            runtime.write_endpoints(endpoints_file)
        _print_endpoints(runtime.endpoints(), settings, time.perf_counter() - started, endpoints_file)
        stop.wait(timeout=for_seconds)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        runtime.close()
        console.print("simulator stopped")


def _print_endpoints(endpoints: dict[str, Any], settings: SimSettings, ready_s: float, path: Path | None) -> None:
    table = Table(title="c8-drill simulator: dual-region Camunda 8.8", title_justify="left")
    table.add_column("region")
    table.add_column("gateway (v2 REST, 8080)")
    table.add_column("management (9600)")
    table.add_column("elasticsearch (9200)")
    for region in (0, 1):
        urls = endpoints[f"region{region}"]
        table.add_row(str(region), urls["gateway"], urls["management"], urls["elasticsearch"])
    console.print(table)
    console.print(f"control API: {endpoints['control']}   (GET /state, POST /regions/1/lose, ...)")
    if "public" in endpoints:
        console.print(f"public endpoint: {endpoints['public']}   (region 0's gateway; POST /public/route switches it)")
    if "identity" in endpoints:
        console.print(
            f"OIDC token endpoint: {endpoints['identity']}/oauth/token   "
            f"(client {settings.oidc_client_id} / {settings.oidc_client_secret})"
        )
    console.print(
        f"clusterSize {settings.cluster_size}, partitions {settings.partitions}, "
        f"replicationFactor {settings.replication_factor}, time scale {settings.time_scale}"
        + (f"; v2 API user {settings.username}" if settings.auth == "basic" else f"; v2 API auth {settings.auth}")
        + ("; legacy exporters elasticsearchregion0/1 enabled (8.7-migrated)" if settings.legacy_exporters else "")
        + (
            f"; Elasticsearch {settings.es_extra_data_bytes / 1024**3:g} GiB per region (snapshot "
            f"{settings.es_snapshot_seconds_per_gib:g} s/GiB, restore {settings.es_restore_seconds_per_gib:g} s/GiB)"
            if settings.es_extra_data_bytes
            else ""
        )
    )
    if path is not None:
        console.print(f"endpoints written to {path}")
    region0 = endpoints["region0"]
    odd = [b for b in range(settings.cluster_size) if b % 2]
    console.print("\nTry the procedure's own commands, e.g.:")
    console.print(f"  curl -u demo:demo -L -X GET '{region0['gateway']}/v2/topology' -H 'Accept: application/json'")
    console.print(f"  curl -XPOST '{endpoints['control']}/regions/1/lose'")
    console.print(
        f"  curl -XPATCH '{region0['management']}/actuator/cluster?force=true' -H 'Content-Type: application/json' "
        f"""-d '{{"brokers":{{"remove":{json.dumps(odd, separators=(",", ":"))}}}}}'"""
    )
    console.print(f"ready in {ready_s:.2f} s; Ctrl-C to stop")


@main.command("plan")
@click.option("--lost-region", type=click.Choice(["0", "1"]), required=True, help="The region that was lost.")
@click.option(
    "--variant",
    type=click.Choice(["seed", "operate-last"]),
    default="seed",
    show_default=True,
    help="seed: the procedure's order; operate-last: Operate/Tasklist restarted after the brokers rejoin.",
)
@click.option(
    "--values",
    "values_files",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Helm values files (in order) to read clusterSize, partitionCount and replicationFactor from.",
)
@shape_options
@click.option("--context", "contexts", nargs=2, default=None, help="Kube contexts of region 0 and region 1.")
@click.option(
    "--namespace",
    "namespaces",
    nargs=2,
    default=("camunda-region0", "camunda-region1"),
    show_default=True,
    help="Namespaces of region 0 and region 1.",
)
@click.option("--release-name", default="camunda", show_default=True)
@click.option("--chart-version", default="13.12.7", show_default=True)
@click.option("--bucket", default="camunda-drill", show_default=True, help="S3 bucket of the snapshot repository.")
@click.option(
    "--camunda-version",
    type=click.Choice(["8.8", "8.7"]),
    default="8.8",
    show_default=True,
    help="8.7: an 8.8 migrated from 8.7 whose legacy exporters elasticsearchregion0/1 are enabled (every exporter "
    "step acts on them too).",
)
def plan(
    lost_region: str,
    variant: str,
    values_files: tuple[Path, ...],
    cluster_size: int | None,
    partitions: int | None,
    replication_factor: int | None,
    contexts: tuple[str, str] | None,
    namespaces: tuple[str, str],
    release_name: str,
    chart_version: str,
    bucket: str,
    camunda_version: str,
) -> None:
    """Print the runbook for losing one region: the commands a person would type, step by step."""
    from drill.procedure.params import DrillParams, Repository
    from drill.procedure.runbook import RunbookSetup, render

    try:
        shape = resolve_shape(values_files, cluster_size, partitions, replication_factor)
        params = DrillParams(
            lost_region=int(lost_region),
            shape=shape,
            variant=variant,
            camunda_version=camunda_version,
            release_name=release_name,
            repository=Repository(settings={"bucket": bucket, "client": "camunda", "base_path": "backups"}),
        )
    except ParameterError as exc:
        raise click.UsageError(str(exc)) from exc
    setup = RunbookSetup(
        contexts=contexts or ("$CLUSTER_0", "$CLUSTER_1"),
        namespaces=namespaces,
        release_name=release_name,
        chart_version=chart_version,
    )
    click.echo(render(params, setup), nl=False)


def _register() -> None:
    """Every command added here ends bad input in one line (OneLineErrors is the root group's class)."""
    from drill.cli_check import check
    from drill.cli_drill import report, run, verify
    from drill.cli_kind import kind
    from drill.cli_prove import prove

    for command in (run, report, verify, kind, prove, check):
        main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
