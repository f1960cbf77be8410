"""Making the loss happen in a drill (sim, kind). In an incident the region is gone already and nothing here runs."""

from __future__ import annotations

from drill.procedure.context import DrillContext


def lose_region(ctx: DrillContext) -> None:
    region = ctx.params.lost_region
    ctx.journal.append(
        "loss",
        region=region,
        surviving_region=ctx.params.surviving_region,
        event="lose",
        platform=ctx.recreated.platform.description,
    )
    ctx.recreated.platform.lose_region()
    ctx.recreated.close()


def provide_empty_region(ctx: DrillContext) -> None:
    """The replacement region the failback starts from: reachable, no release, no volumes."""
    region = ctx.params.lost_region
    ctx.journal.append("loss", region=region, event="recreate", platform=ctx.recreated.platform.description)
    ctx.recreated.platform.recreate_region()
    ctx.recreated.close()
