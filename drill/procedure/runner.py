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
from drill.procedure.actions import OutcomeError
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


def _record(ctx: DrillContext, step: Step, phase: str, checks: list[Check]) -> None:
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
    _record(ctx, step, "current", checks)
    return checks


def run_step(ctx: DrillContext, step: Step) -> StepResult:
    """Run one step; raises StepRefused, ActionFailed or StepFailed, after journaling why."""
    result = StepResult(step.id, step.title)
    started = time.monotonic()
    with ctx.journal.step(step.id, step.title):
        result.current = check_current(ctx, step)
        failing = [c for c in result.current if not c.passed]
        if failing:
            raise StepRefused(step.id, failing)
        for action in step.actions(ctx.params):
            action_started = time.monotonic()
            ctx.journal.append("action", name=action.describe(), status="started")
            try:
                output = action.run(ctx)
            except (ApiError, PlatformError, OutcomeError) as exc:
                ctx.journal.append(
                    "action",
                    name=action.describe(),
                    status="failed",
                    error=str(exc),
                    duration_s=round(time.monotonic() - action_started, 3),
                )
                raise ActionFailed(step.id, action.describe(), exc) from exc
            ctx.journal.append(
                "action",
                name=action.describe(),
                status="completed",
                output=output,
                duration_s=round(time.monotonic() - action_started, 3),
            )
            result.actions.append({"action": action.describe(), "output": output})
        result.desired = step.verify_desired(ctx)
        _record(ctx, step, "desired", result.desired)
        failing = [c for c in result.desired if not c.passed]
        if failing:
            raise StepFailed(step.id, failing)
    result.duration_s = time.monotonic() - started
    return result


def run_steps(ctx: DrillContext, steps: list[Step]) -> list[StepResult]:
    """Run in order; the first step that stops ends the run (its exception propagates, later steps never run)."""
    return [run_step(ctx, step) for step in steps]
