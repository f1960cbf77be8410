"""`c8-drill run --target kind --dry-run`: every command the nightly drill runs, in order, and nothing run.

From cluster creation to the report: the kind up plan, the drill (its stages and the procedure's steps as the
runbook prints them, with the chosen loss mode's own commands where the drill loses and recreates the region),
the reports, and the cleanup. All of it comes from the objects the real run executes.
"""

from __future__ import annotations

from pathlib import Path

from drill.kind import loss
from drill.kind.commands import PlannedCommand, render
from drill.kind.plan import KindUpOptions, down_plan, recreate_cluster_plan, up_plan
from drill.kind.topology import REGIONS
from drill.procedure.params import DrillParams
from drill.procedure.runbook import RunbookSetup
from drill.procedure.runbook import render as render_runbook
from drill.procedure.stages import drill_sequence


def _lines(commands: list[PlannedCommand]) -> list[str]:
    return render(commands).rstrip("\n").splitlines() if commands else []


def loss_lines(params: DrillParams, mode: str, options: KindUpOptions) -> list[str]:
    lost = REGIONS[params.lost_region]
    if mode == "uninstall":
        return _lines(loss.uninstall_commands(lost.context, lost.namespace, options.release_name))
    return _lines(loss.lose_commands(mode, (lost.node,)))


def recreate_lines(params: DrillParams, mode: str, options: KindUpOptions) -> list[str]:
    lost = REGIONS[params.lost_region]
    commands = recreate_cluster_plan(lost, options) if loss.needs_new_cluster(mode) else []
    commands += loss.recreate_commands(
        mode, (lost.node,), context=lost.context, namespace=lost.namespace, release=options.release_name
    )
    return _lines(commands)


def dry_run(params: DrillParams, mode: str, options: KindUpOptions, report_dir: Path) -> str:
    journal = report_dir / f"lost-region-{params.lost_region}" / "journal.jsonl"
    setup = RunbookSetup(
        contexts=(REGIONS[0].context, REGIONS[1].context),
        namespaces=(REGIONS[0].namespace, REGIONS[1].namespace),
        release_name=options.release_name,
        chart_version=options.chart_version,
    )
    drill = render_runbook(
        params,
        setup,
        sequence=drill_sequence(params.variant),
        overrides={
            "region-loss": loss_lines(params, mode, options),
            "region-recreate": recreate_lines(params, mode, options),
        },
    )
    parts = [
        "#!/usr/bin/env bash",
        f"# c8-drill nightly drill on kind: region {params.lost_region} lost ({mode}), profile {options.profile}, "
        f"snapshot repository {options.snapshot_repo}, procedure variant {params.variant}. Nothing below has run.",
        "set -euo pipefail",
        "",
        "# ===== 1. two kind clusters, interconnected, Camunda 8.8 installed (c8-drill kind up) =====",
        render(up_plan(options)).rstrip("\n"),
        "",
        "# ===== 2. the drill: each stage checks its current state, acts, and verifies its desired state =====",
        drill.rstrip("\n"),
        "",
        "# ===== 3. the evidence =====",
        f"c8-drill verify {journal}",
        f"c8-drill report {journal}",
        "",
        "# ===== 4. cleanup (c8-drill kind down) =====",
        render(down_plan(snapshot_repo=options.snapshot_repo)).rstrip("\n"),
    ]
    return "\n".join(parts) + "\n"
