"""`c8-drill kind up|down`: make or remove the two interconnected kind clusters with Camunda installed.

`--dry-run` prints the exact plan as a shell script and touches nothing, so the plan can be read, diffed and run
by hand on a machine where this harness cannot run the tools itself.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from drill.kind.commands import CommandFailed, PlannedCommand, execute, render
from drill.kind.config import SNAPSHOT_REPOS
from drill.kind.plan import PROFILES, KindUpOptions, down_plan, plan_files, up_plan
from drill.platform.base import PlatformError
from drill.platform.commands import CommandResult, CommandRunner, detect_helm_major

console = Console(soft_wrap=True)  # command lines stay whole, to copy and paste
err_console = Console(stderr=True, soft_wrap=True)

EXIT_FAILED = 1
EXIT_UNUSABLE = 2

_snapshot_repo = click.option(
    "--snapshot-repo",
    type=click.Choice(SNAPSHOT_REPOS),
    default="fs",
    show_default=True,
    help="Elasticsearch snapshot repository: fs (a host directory both clusters mount) or s3 (a MinIO container).",
)
_dry_run = click.option("--dry-run", is_flag=True, help="Print the commands as a shell script; run nothing.")


@click.group("kind")
def kind() -> None:
    """Two kind clusters on the local Docker, connected as one dual-region Camunda 8.8 deployment."""


@kind.command("up")
@click.option("--profile", type=click.Choice(PROFILES), default="small", show_default=True)
@click.option(
    "--helm-major",
    type=click.Choice(["3", "4"]),
    default=None,
    help="Helm major version the commands are written for (default: the installed helm's; 3 for --dry-run).",
)
@_snapshot_repo
@_dry_run
def up(profile: str, helm_major: str | None, snapshot_repo: str, dry_run: bool) -> None:
    """Create both clusters, connect and verify them, and install Camunda in each region."""
    options = KindUpOptions(profile=profile, helm_major=int(helm_major or 3), snapshot_repo=snapshot_repo)
    if dry_run:
        click.echo(render(up_plan(options)), nl=False)
        return
    _require_tools(up_plan(options))
    _require_files(plan_files(options))
    if helm_major is None:
        options = replace(options, helm_major=_installed_helm_major())
    _run(up_plan(options))
    console.print("[green]both regions are up[/]: contexts kind-c8-region0, kind-c8-region1")


@kind.command("down")
@_snapshot_repo
@_dry_run
def down(snapshot_repo: str, dry_run: bool) -> None:
    """Delete both clusters (and the S3 store with --snapshot-repo s3)."""
    plan = down_plan(snapshot_repo=snapshot_repo)
    if dry_run:
        click.echo(render(plan), nl=False)
        return
    _require_tools(plan)
    _run(plan)
    console.print("[green]both regions are gone[/]")


def _require_tools(plan: Sequence[PlannedCommand]) -> None:
    tools = sorted({command.argv[0] for command in plan})
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        err_console.print(
            f"[red]error:[/] not on PATH: {escape(', '.join(missing))} (needed: {escape(', '.join(tools))})"
        )
        sys.exit(EXIT_UNUSABLE)


def _require_files(paths: Sequence[Path]) -> None:
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        err_console.print(
            f"[red]error:[/] missing {escape(', '.join(missing))} (paths are relative to the repository root; "
            "run from there)"
        )
        sys.exit(EXIT_UNUSABLE)


def _installed_helm_major() -> int:
    try:
        return detect_helm_major(CommandRunner())
    except PlatformError as exc:
        err_console.print(f"[red]error:[/] cannot tell the helm version ({escape(str(exc))}); pass --helm-major")
        sys.exit(EXIT_UNUSABLE)


class _ProgressRunner(CommandRunner):
    """Says what each command is for as it starts (kind and helm take minutes) and how it ended."""

    def __init__(self, plan: Sequence[PlannedCommand]) -> None:
        super().__init__(on_result=self._finished)
        self.plan = plan
        self.index = -1

    @property
    def current(self) -> PlannedCommand:
        return self.plan[self.index]

    def run(
        self, argv: Sequence[str], *, timeout: float, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        self.index += 1
        console.print(f"[{self.index + 1}/{len(self.plan)}] {escape(self.current.why)}")
        console.print(f"    [dim]{escape(shlex.join(argv))}[/]")
        return super().run(argv, timeout=timeout, input=input, env=env)

    def _finished(self, result: CommandResult) -> None:
        mark = "[green]ok[/]" if result.ok else f"[red]exit {result.exit_code}[/]"
        console.print(f"    {mark} [dim]({result.duration_s:.1f} s)[/]")


def _run(plan: Sequence[PlannedCommand]) -> None:
    """Execute in order; the first failure ends the run with its reason."""
    runner = _ProgressRunner(plan)
    try:
        execute(plan, runner)
    except CommandFailed as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(EXIT_FAILED)
    except PlatformError as exc:  # did not start, or timed out (the runner killed it)
        err_console.print(f"[red]error:[/] {escape(runner.current.why)}: {escape(str(exc))}")
        sys.exit(EXIT_FAILED)
