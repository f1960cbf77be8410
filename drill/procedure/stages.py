"""The drill around the procedure: the steady state before and after, the loss, the replacement region, and the
data-continuity markers that measure RPO and RTO. Each stage is a Step, so it is run, journaled, reported and
blocked exactly like the procedure's own ten steps.

In a drill (`cause_loss`) the loss and the replacement region are made by the drill; in an incident they have
happened already and the same stages only verify them.
"""

from __future__ import annotations

import time
from typing import Any

from drill.api.errors import ApiError
from drill.evidence.journal import read_journal
from drill.evidence.report import measures
from drill.platform.base import PlatformError
from drill.procedure import catalog, continuity, loss
from drill.procedure.actions import Action
from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.observe import journaled_wait
from drill.procedure.params import DrillParams
from drill.procedure.steady import steady_state
from drill.procedure.step import Step, exporters, healthy_partitions, led_partitions, members, namespace_clean
from drill.procedure.traffic import FenceLostRegion, LiftFence, RerouteTraffic, fence_lifted

BEFORE_LOSS, FAILOVER, FINAL = "before-loss", "failover", "final"
DEFAULT_MARKERS_BEFORE = 5
DEFAULT_MARKERS_FAILOVER = 3
STEADY = (
    "The Zeebe cluster has its full dual-region topology, both exporters are enabled "
    "and both Elasticsearch clusters are green."
)


class LoseRegion(Action):
    def describe(self) -> str:
        return "take the lost region down (drill only: the target decides how)"

    def shell(self, params: DrillParams) -> list[str]:
        return [f"# drill: region {params.lost_region} is made unreachable by the target (sim, kind)"]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        loss.lose_region(ctx)
        return {"lost_region": ctx.params.lost_region}


class ProvideEmptyRegion(Action):
    def describe(self) -> str:
        return "provide an empty replacement for the lost region (drill only)"

    def shell(self, params: DrillParams) -> list[str]:
        return [f"# drill: region {params.lost_region} comes back empty: reachable, no release, no volumes"]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        loss.provide_empty_region(ctx)
        return {"recreated_region": ctx.params.lost_region}


def _answers(handle: RegionHandle) -> list[Check]:
    gateway = f"region {handle.region}'s gateway answers"
    store = f"region {handle.region}'s Elasticsearch answers"
    return [
        observed(
            gateway, "a topology", lambda: holds(gateway, "a topology", "answered", bool(handle.gateway.topology()))
        ),
        observed(store, "a health status", lambda: holds(store, "a health status", handle.es.health().status, True)),
    ]


class SteadyBefore(Step):
    id = "steady-before"
    title = "Dual-region deployment is healthy before the loss"
    phase = "drill"
    current_state = ("Both regions answer: their gateways and their Elasticsearch clusters.",)
    desired_state = (
        STEADY,
        "Every marker written before the loss is visible in both regions' Elasticsearch.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [continuity.WriteMarkers(DEFAULT_MARKERS_BEFORE, BEFORE_LOSS, via="lost")]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return [check for handle in ctx.both() for check in _answers(handle)]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = steady_state(ctx)
        checks.append(continuity.markers_written(ctx, BEFORE_LOSS))
        for handle in ctx.both():
            checks += continuity.look_up(ctx, handle, continuity.written(ctx, BEFORE_LOSS), lookup=BEFORE_LOSS)
        return checks


class RegionLoss(Step):
    id = "region-loss"
    title = "The lost region goes down"
    phase = "drill"
    when = "the lost region goes down"
    current_state = ("Markers written before the loss are acknowledged by Zeebe.",)
    desired_state = ("The lost region's brokers are unreachable from the surviving region.",)

    def actions(self, params: DrillParams) -> list[Action]:
        return [LoseRegion()] if params.cause_loss else []

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return [continuity.markers_written(ctx, BEFORE_LOSS)]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        lost = set(ctx.params.lost_brokers)
        name = "lost brokers gone from the surviving gateway's topology"

        def reachable_lost() -> list[int] | None:
            seen = sorted(b.node_id for b in ctx.surviving.gateway.topology().brokers if b.node_id in lost)
            return None if seen else seen

        try:
            awaits = {"kind": "lost", "region": ctx.params.lost_region}
            waited = journaled_wait(ctx, reachable_lost, what=name, awaits=awaits, timeout=ctx.timeouts.health)
        except (ApiError, PlatformError) as exc:
            return [holds(name, [], f"still reachable or unreadable: {exc}", False)]
        return [holds(name, [], waited.value, True, f"after {waited.elapsed:.2f} s")]


class IncidentConfirmed(Step):
    """An incident replaces the drill's steady-before and region-loss: the harness causes nothing, it confirms.

    One topology read is not enough to decide a region is gone (a rolling restart or a network blip looks the
    same for a moment, and the procedure says a temporary loss needs no recovery), so the lost brokers must stay
    out of the surviving gateway's topology for the whole window `params.lost_for_s`, observed repeatedly, and
    their partitions must have lost quorum, before failover-1 may force-remove them.
    """

    id = "incident-confirmed"
    title = "The lost region is really lost (incident)"
    phase = "drill"
    current_state = ("The surviving region answers: its gateway and its Elasticsearch cluster.",)
    desired_state = (
        "The lost region's brokers stayed unreachable for the whole confirmation window.",
        "The lost region's partitions have no quorum: no partition has a leader.",
    )
    notes = ("Incident mode: the harness never causes the loss; the failover RTO starts at the first observation.",)

    def actions(self, params: DrillParams) -> list[Action]:
        return []

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return _answers(ctx.surviving)

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        window = p.lost_for_s
        name = f"lost brokers absent from the surviving topology for {window:g} s"
        lost = set(p.lost_brokers)
        interval = max(min(1.0, window / 5), 0.01)
        observations = 0
        seen_lost: list[int] = []
        leaders: list[int] = []
        first: float | None = None
        started = time.monotonic()
        # Bounded in count as well as time: one observation per interval over the window, plus the first.
        for _ in range(int(window / interval) + 2):
            try:
                topology = ctx.surviving.gateway.topology()
            except (ApiError, PlatformError) as exc:
                return [holds(name, "observed for the whole window", f"could not observe: {exc}", False)]
            observations += 1
            seen_lost = sorted(b.node_id for b in topology.brokers if b.node_id in lost)
            if first is None and not seen_lost:
                first = time.monotonic()
                ctx.journal.append(
                    "loss",
                    region=p.lost_region,
                    surviving_region=p.surviving_region,
                    event="lose",
                    how="observed in an incident (the harness caused nothing)",
                    platform=ctx.recreated.platform.description,
                )
            if seen_lost:
                break
            leaders = led_partitions(topology)
            if time.monotonic() - started >= window:
                break
            time.sleep(interval)
        elapsed = round(time.monotonic() - started, 2)
        absent = holds(
            name,
            [],
            seen_lost if seen_lost else [],
            not seen_lost and elapsed >= window,
            f"{observations} observations over {elapsed} s"
            + (f"; brokers {seen_lost} answered: the loss may be temporary" if seen_lost else ""),
        )
        quorum = holds("quorum lost: no partition has a leader", [], leaders, not seen_lost and not leaders)
        return [absent, quorum]


class FailoverMarkers(Step):
    id = "failover-markers"
    title = "Processing resumes in the surviving region"
    phase = "drill"
    current_state = ("The lost brokers have been removed and every partition has a leader in the surviving region.",)
    desired_state = ("New process instances are accepted by the surviving region.",)

    def actions(self, params: DrillParams) -> list[Action]:
        return [continuity.WriteMarkers(DEFAULT_MARKERS_FAILOVER, FAILOVER, via="surviving")]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        return [members(ctx, p.surviving_brokers), healthy_partitions(ctx, replicas=p.shape.replicas_per_region)]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [continuity.markers_written(ctx, FAILOVER)]


class FailoverVisible(Step):
    id = "failover-visible"
    title = "Data written during the failover reaches the surviving region's Elasticsearch"
    phase = "drill"
    current_state = ("The lost region's exporter is disabled.",)
    desired_state = ("Every marker written during the failover is visible in the surviving region's Elasticsearch.",)

    def actions(self, params: DrillParams) -> list[Action]:
        return []

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="DISABLED"))
        checks.append(continuity.markers_written(ctx, FAILOVER))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return continuity.look_up(ctx, ctx.surviving, continuity.written(ctx, FAILOVER), lookup=FAILOVER)


class RegionRecreate(Step):
    id = "region-recreate"
    title = "An empty region replaces the lost one"
    phase = "drill"
    when = "an empty replacement region is provided"
    current_state = ("The surviving region runs alone: only its brokers are cluster members.",)
    desired_state = (
        "The recreated region is reachable and its namespace is clean: no release, no volumes.",
        "The recreated namespace holds no fence: its brokers can join once they are deployed.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        # The fence is lifted only now, after the wipe, in a drill and an incident alike: lifted earlier, a region
        # that came back with its old data would rejoin (drill/procedure/traffic.py).
        return [*([ProvideEmptyRegion()] if params.cause_loss else []), LiftFence()]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return [members(ctx, ctx.params.surviving_brokers, "standalone cluster members")]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [namespace_clean(ctx.recreated), fence_lifted(ctx.recreated)]


def _measured(ctx: DrillContext) -> tuple[dict[str, Any], dict[str, Any]]:
    records = read_journal(ctx.journal.path)
    failback = [s.id for s in catalog.steps(ctx.params.variant, "failback")]
    budgets = ctx.params.budgets
    return measures.rto(records, failback, budgets), measures.rpo(records, budgets)


class SteadyAfter(Step):
    id = "steady-after"
    title = "Dual-region deployment is healthy again after the failback"
    phase = "drill"
    current_state = (
        "Every step of the failover and the failback passed.",
        "Every broker of both regions is a cluster member again.",
    )
    desired_state = (
        STEADY,
        "Every marker, written before the loss and during the failover, is visible in both regions' Elasticsearch.",
        "Failover and failback took no longer than their budgets, and no marker was lost.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return []

    def check_current(self, ctx: DrillContext) -> list[Check]:
        ended = {r["step_id"]: r["status"] for r in read_journal(ctx.journal.path) if r.get("kind") == "step_end"}
        wanted = [s.id for s in catalog.steps(ctx.params.variant)]
        shape = ctx.params.shape
        # The journal's word alone is bookkeeping; the live membership shows the last step's effect holds.
        return [
            equal("procedure steps passed", dict.fromkeys(wanted, "passed"), {s: ended.get(s) for s in wanted}),
            members(ctx, shape.brokers_of(0) + shape.brokers_of(1), "every broker a cluster member"),
        ]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = steady_state(ctx)
        every = continuity.written(ctx)
        for handle in ctx.both():
            checks += continuity.look_up(ctx, handle, every, lookup=FINAL)
        rto, rpo = _measured(ctx)
        checks += [
            _budget("failover RTO (s)", rto["failover_s"], rto["failover_budget_s"]),
            _budget("failback duration (s)", rto["failback_s"], rto["failback_budget_s"]),
            _budget("RPO: markers lost", rpo["markers_lost"], rpo["budget_markers"]),
        ]
        return checks


def _budget(name: str, value: float | None, budget: float) -> Check:
    expected = f"at most {budget:g}"
    if value is None:
        return holds(name, expected, "not measured", False)
    return holds(name, expected, value, value <= budget)


MODES = ("drill", "incident")


def default_mode(target: str) -> str:
    """On existing clusters the harness causes no loss unless told: it verifies the one that happened."""
    return "incident" if target == "kube" else "drill"


def drill_sequence(variant: str = "seed", mode: str = "drill") -> list[Step]:
    """The whole drill in order: the procedure's steps with the stages that frame and measure them.

    In an incident the region is gone before the harness starts: no steady state can be shown and no marker
    written before the loss, so the incident is confirmed instead of caused."""
    if mode not in MODES:
        raise ValueError(f"Expected mode {' or '.join(MODES)}, got {mode!r}")
    failover = catalog.steps(variant, "failover")
    failback = catalog.steps(variant, "failback")
    before: list[Step] = [SteadyBefore(), RegionLoss()] if mode == "drill" else [IncidentConfirmed()]
    return [
        *before,
        # Once the loss is established: fence the lost region, then move users' traffic (the procedure's step 1).
        FenceLostRegion(),
        RerouteTraffic(),
        failover[0],
        FailoverMarkers(),
        *failover[1:],
        FailoverVisible(),
        RegionRecreate(),
        *failback,
        SteadyAfter(),
    ]


def describe(step: Step, params: DrillParams) -> dict[str, Any]:
    """What a drill_start record lists per stage, so a report knows the whole plan even for stages never run."""
    return {
        "id": step.id,
        "title": step.title,
        "phase": step.phase,
        "destructive": step.changes_system(params),
    }
