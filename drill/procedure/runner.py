"""Runs steps: current state first (refuse if it does not hold), then the actions, then the desired state.

Everything is journaled as it happens, so a step that stops leaves evidence of exactly how far it got; a step that
stops raises, and the caller runs no later step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from drill.api.errors import ApiError
from drill.platform.base import PlatformError
from drill.procedure.actions import Action, OutcomeError
from drill.procedure.checks import ActionFailed, Check, StepFailed, StepRefused
from drill.procedure.context import DrillContext
from drill.procedure.step import Step


@dataclass
class StepResult:
    step_id: str
    title: str
    current: list[Check] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    desired: list[Check] = field(default_factory=list)
    duration_s: float = 0.0


def record_checks(ctx: DrillContext, step: Step, phase: str, checks: list[Check]) -> None:
    """Every check as a journal record of the step and phase (current, desired, or a resume's re-reading)."""
    for check in checks:
        ctx.journal.check(
            step_id=step.id,
            phase=phase,
            name=check.name,
            expected=check.expected,
            actual=check.actual,
            verdict=check.verdict,
            detail=check.detail,
        )


def check_current(ctx: DrillContext, step: Step) -> list[Check]:
    checks = step.check_current(ctx)
    record_checks(ctx, step, "current", checks)
    return checks


class StepRun:
    """One step run in phases, so Gherkin can check the current state (Given), act (When) and verify (Then) in
    separate step functions while the journal brackets the whole step and attributes every request to it.

    Call `begin`, then `current`, `act` and `desired` in that order (each raises when its phase does not hold),
    and always `end` with the exception that stopped the step, if any.
    """

    def __init__(self, ctx: DrillContext, step: Step) -> None:
        self.ctx, self.step = ctx, step
        self.result = StepResult(step.id, step.title)
        self._started: float | None = None
        self._outer: str | None = None

    def begin(self) -> None:
        if self._started is not None:
            raise RuntimeError(f"step {self.step.id} has already begun")
        self._outer = self.ctx.journal.current_step
        self.ctx.journal.step_start(self.step.id, self.step.title)
        self.ctx.journal.current_step = self.step.id
        self._started = time.monotonic()

    def record(self, phase: str, checks: list[Check]) -> None:
        record_checks(self.ctx, self.step, phase, checks)

    def current(self) -> list[Check]:
        self.result.current = check_current(self.ctx, self.step)
        failing = [c for c in self.result.current if not c.passed]
        if failing:
            raise StepRefused(self.step.id, failing)
        return self.result.current

    def act(self, actions: list[Action] | None = None) -> list[dict[str, Any]]:
        """Run the step's actions (or the given ones, e.g. a marker count the feature file names) in order."""
        if self._started is None:
            raise RuntimeError(f"step {self.step.id} has not begun")
        for action in self.step.actions(self.ctx.params) if actions is None else actions:
            self.result.actions.append(
                {"action": action.describe(), "output": _run_action(self.ctx, self.step, action)}
            )
        return self.result.actions

    def desired(self) -> list[Check]:
        self.result.desired = self.step.verify_desired(self.ctx)
        record_checks(self.ctx, self.step, "desired", self.result.desired)
        failing = [c for c in self.result.desired if not c.passed]
        if failing:
            raise StepFailed(self.step.id, failing)
        return self.result.desired

    def end(self, error: BaseException | None = None, *, status: str | None = None) -> StepResult:
        """`status` names an outcome other than the verdict an error implies (a dry run's `ready`)."""
        started = self._started if self._started is not None else time.monotonic()
        self.result.duration_s = time.monotonic() - started
        if status is None:
            status = "passed" if error is None else "refused" if isinstance(error, StepRefused) else "failed"
        try:
            self.ctx.journal.step_end(
                self.step.id,
                status,
                duration_s=round(self.result.duration_s, 6),
                error=None if error is None else _describe(error),
            )
        finally:
            self.ctx.journal.current_step = self._outer
        return self.result


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _run_action(ctx: DrillContext, step: Step, action: Action) -> dict[str, Any]:
    started = time.monotonic()
    ctx.journal.append("action", name=action.describe(), status="started")
    try:
        output = action.run(ctx)
    except (ApiError, PlatformError, OutcomeError) as exc:
        ctx.journal.append(
            "action",
            name=action.describe(),
            status="failed",
            error=str(exc),
            duration_s=round(time.monotonic() - started, 3),
        )
        raise ActionFailed(step.id, action.describe(), exc) from exc
    ctx.journal.append(
        "action",
        name=action.describe(),
        status="completed",
        output=output,
        duration_s=round(time.monotonic() - started, 3),
    )
    return output


def run_step(ctx: DrillContext, step: Step) -> StepResult:
    """Run one step; raises StepRefused, ActionFailed or StepFailed, after journaling why."""
    run = StepRun(ctx, step)
    run.begin()
    try:
        run.current()
        run.act()
        run.desired()
    except BaseException as exc:
        run.end(exc)
        raise
    return run.end()


def run_steps(ctx: DrillContext, steps: list[Step]) -> list[StepResult]:
    """Run in order; the first step that stops ends the run (its exception propagates, later steps never run)."""
    return [run_step(ctx, step) for step in steps]
