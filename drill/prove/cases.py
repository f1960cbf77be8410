"""What `c8-drill prove` runs: one drill per mutation of the runbook or fault of the deployment, each with the
outcome it must have.

A mutation changes what the operator does (skips a step, swaps two, makes a known mistake); a fault changes what
the deployment does (an endpoint answers 5xx or hangs, a change or snapshot ends badly, a region comes back). The
expectation is written down per case, so a check that stops catching something fails the matrix instead of
quietly passing a drill.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from drill.procedure.actions import Action, AddBrokers, ForceRemoveBrokers, HelmDeploy, await_change
from drill.procedure.catalog import steps as procedure_steps
from drill.procedure.context import DrillContext
from drill.procedure.params import OPERATE_TASKLIST_OFF, DrillParams
from drill.procedure.step import Step

OMISSION, ORDER, MISTAKE, FAULT, CONTROL = "omission", "order", "mistake", "fault", "control"
DETECTED, HARMLESS, TOLERATED = "detected", "harmless", "tolerated"
PHASES = ("current", "action", "desired")


@dataclass(frozen=True)
class Expect:
    """The outcome a case must have: caught at `step` in `phase` (Given = current, When = action, Then =
    desired), harmless (the drill passes with its full final checks), or tolerated (passes after retries)."""

    outcome: str
    step: str | None = None
    phase: str | None = None

    def __post_init__(self) -> None:
        if self.outcome == DETECTED and (self.step is None or self.phase not in PHASES):
            raise ValueError(f"a detection names its step and one of {PHASES}, got {self.step!r}, {self.phase!r}")

    def describe(self) -> str:
        if self.outcome == DETECTED:
            return f"caught at {self.step} ({self.phase})"
        return {HARMLESS: "harmless: the drill passes", TOLERATED: "tolerated: retried, the drill passes"}.get(
            self.outcome, self.outcome
        )

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "step": self.step, "phase": self.phase, "text": self.describe()}


def caught(step: str, phase: str) -> Expect:
    return Expect(DETECTED, step, phase)


class Armory(Protocol):
    """What an arm may touch: the simulator's control API (faults, regions, users) and the drill's parameters."""

    params: DrillParams

    def control(self, method: str, path: str, body: Any = None) -> Any: ...

    def es_put(self, region: int, path: str) -> None: ...


@dataclass(frozen=True)
class Arm:
    """Something the case does to the deployment right before stage `before` begins."""

    before: str
    what: str
    apply: Callable[[Armory], None]


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    title: str
    expect: Expect
    reorder: Callable[[list[Step]], list[Step]] | None = None
    # Stage id -> the actions the operator runs there instead of the procedure's.
    actions: Mapping[str, Callable[[DrillParams], list[Action]]] = field(default_factory=dict)
    arms: tuple[Arm, ...] = ()
    why: str = ""

    def sequence(self, baseline: list[Step]) -> list[Step]:
        return self.reorder(list(baseline)) if self.reorder is not None else list(baseline)


# -- sequence mutations ----------------------------------------------------------------------------------------


def _without(step_id: str) -> Callable[[list[Step]], list[Step]]:
    return lambda sequence: [s for s in sequence if s.id != step_id]


def _swapped(first: str, second: str) -> Callable[[list[Step]], list[Step]]:
    def swap(sequence: list[Step]) -> list[Step]:
        ids = [s.id for s in sequence]
        i, j = ids.index(first), ids.index(second)
        sequence[i], sequence[j] = sequence[j], sequence[i]
        return sequence

    return swap


def _moved_before(moving: str, anchor: str) -> Callable[[list[Step]], list[Step]]:
    def move(sequence: list[Step]) -> list[Step]:
        step = next(s for s in sequence if s.id == moving)
        rest = [s for s in sequence if s.id != moving]
        at = [s.id for s in rest].index(anchor)
        return [*rest[:at], step, *rest[at:]]

    return move


# Where skipping a step is caught, and why there: the first later stage whose current state needs what the
# skipped step makes.
SKIP_CAUGHT: dict[str, tuple[Expect, str]] = {
    "failover-1": (
        caught("failover-markers", "current"),
        "the lost brokers are still members, so no partition can form a quorum",
    ),
    "failover-2": (
        caught("failover-visible", "current"),
        "the lost region's exporter is still enabled, so nothing reaches Elasticsearch",
    ),
    "failback-1": (caught("failback-2", "current"), "the recreated region has no deployment"),
    "failback-2": (caught("failback-3", "current"), "Operate and Tasklist still run in the surviving region"),
    "failback-3": (caught("failback-4", "current"), "exporting still runs, so a backup would miss records"),
    "failback-4": (caught("failback-5", "current"), "the recreated Elasticsearch holds none of the indices"),
    "failback-5": (caught("failback-8", "current"), "Operate and Tasklist are off in both regions"),
    "failback-6": (caught("failback-7", "current"), "the recreated region's exporter is still disabled"),
    "failback-7": (caught("failback-8", "current"), "exporting is still paused"),
    "failback-8": (caught("steady-after", "current"), "the recreated brokers are not cluster members"),
}

# Where swapping two adjacent steps is caught; None marks a swap that is harmless in fact.
SWAP_CAUGHT: dict[tuple[str, str], tuple[Expect, str]] = {
    ("failover-1", "failover-2"): (
        caught("failover-2", "current"),
        "without quorum no probe instance can be created to prove the export stall",
    ),
    ("failover-2", "failback-1"): (caught("failback-1", "current"), "the replacement region does not exist yet"),
    ("failback-1", "failback-2"): (caught("failback-2", "current"), "the recreated region has no deployment"),
    ("failback-2", "failback-3"): (
        caught("failback-3", "current"),
        "Operate and Tasklist still run in the surviving region",
    ),
    ("failback-3", "failback-4"): (caught("failback-4", "current"), "exporting still runs"),
    ("failback-4", "failback-5"): (caught("failback-5", "current"), "nothing has been restored yet"),
    ("failback-5", "failback-6"): (
        Expect(HARMLESS),
        "initialising the exporter before starting Operate and Tasklist changes nothing they need; the "
        "operate-last variant runs them later still",
    ),
    ("failback-6", "failback-7"): (caught("failback-7", "current"), "the recreated region's exporter is disabled"),
    ("failback-7", "failback-8"): (caught("failback-8", "current"), "exporting is still paused"),
}


def omissions() -> list[Case]:
    cases = []
    for step in procedure_steps():
        expect, why = SKIP_CAUGHT[step.id]
        cases.append(
            Case(f"skip {step.id}", OMISSION, f"skip {step.id}: {step.title}", expect, _without(step.id), why=why)
        )
    return cases


def swaps() -> list[Case]:
    ids = [s.id for s in procedure_steps()]
    cases = []
    for first, second in itertools.pairwise(ids):
        expect, why = SWAP_CAUGHT[(first, second)]
        cases.append(
            Case(
                f"swap {first} {second}",
                ORDER,
                f"run {second} before {first}",
                expect,
                _swapped(first, second),
                why=why,
            )
        )
    return cases


# -- the known operator mistakes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForceAddBrokers(AddBrokers):
    """The official document's `?force=true` on re-adding brokers: the API refuses it."""

    def describe(self) -> str:
        return f"add brokers {list(self.brokers)} with replicationFactor {self.replication_factor} and force=true"

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        plan = ctx.surviving.management.patch_cluster(
            add=self.brokers, replication_factor=self.replication_factor, force=True
        )
        return await_change(ctx, plan, self.describe())


def _users_act(armory: Armory) -> None:
    region = armory.params.surviving_region
    for target in ("task-1", "task-2"):
        armory.control(
            "POST", f"/regions/{region}/user-actions", {"app": "tasklist", "action": "assign", "target": target}
        )


def mistakes() -> list[Case]:
    return [
        Case(
            "mistake schema-manager",
            MISTAKE,
            "install the recreated region without disabling the schema manager (the restore will conflict)",
            caught("failback-1", "desired"),
            actions={"failback-1": lambda p: [HelmDeploy("recreated", "install", OPERATE_TASKLIST_OFF)]},
            why="the schema manager creates Camunda indices in the empty Elasticsearch",
        ),
        Case(
            "mistake exporter-before-restore",
            MISTAKE,
            "enable the new exporter (failback-6) before the backup and restore (failback-4)",
            caught("failback-6", "current"),
            _moved_before("failback-6", "failback-4"),
            why="the recreated Elasticsearch does not hold the surviving region's indices yet",
        ),
        Case(
            "mistake resume-before-exporter",
            MISTAKE,
            "resume exporting (failback-7) before the new exporter is enabled (failback-6)",
            caught("failback-7", "current"),
            _moved_before("failback-7", "failback-5"),
            why="the recreated region's exporter is still disabled",
        ),
        Case(
            "mistake force-add",
            MISTAKE,
            "re-add the brokers with ?force=true, as the official document says",
            caught("failback-8", "action"),
            actions={
                "failback-8": lambda p: [ForceAddBrokers(p.lost_brokers, p.shape.replication_factor)],
            },
            why='the API answers 400 "Cannot force add brokers" and changes nothing',
        ),
        Case(
            "mistake operate-on-during-backup",
            MISTAKE,
            "leave Operate and Tasklist on during the backup window while users act",
            caught("failback-3", "current"),
            _without("failback-2"),
            arms=(Arm("failback-3", "users assign tasks in the surviving region's Tasklist", _users_act),),
            why="user actions after the snapshot would be missing in the recreated region",
        ),
        Case(
            "mistake remove-surviving",
            MISTAKE,
            "force-remove the surviving region's brokers instead of the lost ones",
            caught("failover-1", "action"),
            actions={"failover-1": lambda p: [ForceRemoveBrokers(p.surviving_brokers)]},
            why="the harness refuses to force-remove brokers the gateway still reaches, before any request",
        ),
    ]
