"""`c8-drill prove`: run every runbook mutation and fault on the simulator and publish the detection matrix.

Exit codes as for `run`: 0 every case behaved as expected; 1 at least one did not (a mutation went undetected, was
caught at another step, or a destructive step ran after detection); 2 bad input; 3 interrupted.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

import click
from rich.console import Console

from drill.cli_drill import EXIT_FAILED, EXIT_STOPPED

console = Console()
DEFAULT_DIR = Path("drill-reports") / "prove"


def default_workers() -> int:
    """Most of a case is waiting (quiet windows, timeouts of hung calls), so more processes than cores pay off."""
    return min(6, 2 * (os.cpu_count() or 1) + 2)


@click.command("prove")
@click.option("--lost-region", type=click.Choice(["0", "1"]), default="1", show_default=True)
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--workers", type=click.IntRange(min=1, max=32), default=None, help="Processes (default: by cores).")
@click.option("--only", multiple=True, metavar="TEXT", help="Run only cases whose id contains TEXT (repeatable).")
@click.option("--list", "list_only", is_flag=True, help="List the cases and their expected outcome; run nothing.")
def prove(lost_region: str, report_dir: Path, workers: int | None, only: tuple[str, ...], list_only: bool) -> None:
    """Prove the drill: every skipped or swapped step, operator mistake and injected fault must be caught.

    The expected outcomes are written for the procedure's seed order (the default variant of `c8-drill run`).
    """
    from drill.evidence.archive import archive_previous
    from drill.prove import engine, matrix
    from drill.prove.verdict import Row

    settings = engine.ProveSettings(out_dir=report_dir, lost_region=int(lost_region))
    if list_only:
        for case in engine.all_cases(settings, {}):
            click.echo(f"{case.kind:9} {case.id:40} {case.expect.describe()}")
        click.echo("fault     503 / hang on every endpoint the baseline drill calls, caught where it is first called")
        return
    known = [case.id for case in engine.all_cases(settings, {})]
    for text in only:
        # Endpoint fault cases exist only once the baseline ran; their ids start with "503 " or "hang ".
        if not any(text in case_id for case_id in known) and not text.startswith(("503", "hang")):
            raise click.UsageError(f"--only {text!r} matches no case id (c8-drill prove --list names them)")

    archive_previous(report_dir)
    report_dir.mkdir(parents=True)
    started = time.monotonic()
    rows: list[Row] = []

    def on_row(row: Row) -> None:
        rows.append(row)
        mark = "[green]✔[/]" if row.ok else "[red]✘[/]"
        at = f"caught at {row.step} ({row.phase})" if row.step else row.outcome
        console.print(f"{mark} {row.case}: {at} ({row.seconds:.1f} s)", highlight=False, soft_wrap=True)
        for problem in row.problems:
            console.print(f"    [red]{problem}[/]", highlight=False, soft_wrap=True)

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    complete = False
    try:
        result = engine.prove(
            settings,
            select=(lambda case: any(text in case.id for text in only)) if only else None,
            on_row=on_row,
            workers=workers or default_workers(),
        )
        rows, complete = result, True
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]: the running cases ended their current stage; writing what finished")
    finally:
        signal.signal(signal.SIGTERM, previous)
    document = matrix.build(
        rows,
        lost_region=settings.lost_region,
        variant=settings.variant,
        seconds=time.monotonic() - started,
        complete=complete,
    )
    (report_dir / "prove.json").write_text(json.dumps(document, indent=2) + "\n")
    (report_dir / "prove.html").write_text(matrix.render_html(document))
    console.print(matrix.table(document))
    console.print(f"matrix: {report_dir / 'prove.html'}  {report_dir / 'prove.json'}  journals: {report_dir / 'cases'}")
    if not complete:
        sys.exit(EXIT_STOPPED)
    sys.exit(0 if document["verdict"] == "passed" else EXIT_FAILED)
