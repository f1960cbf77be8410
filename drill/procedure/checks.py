"""Checks: the unit of evidence a step produces before and after it acts.

A check holds what the procedure requires (`expected`) next to what the live system showed (`actual`), so a
report can show an auditor both, and a failure message can tell an operator exactly what did not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from drill.api.errors import ApiError
from drill.platform.base import PlatformError

Phase = str  # "current" (before acting) or "desired" (after acting)


def show(value: Any) -> str:
    """One readable line for a JSON-able value; strings as they are."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Check:
    name: str
    expected: Any
    actual: Any
    passed: bool
    detail: str | None = None

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else "fail"

    def line(self) -> str:
        text = f"{self.name}: expected {show(self.expected)}, got {show(self.actual)}"
        return f"{text} ({self.detail})" if self.detail else text

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "expected": self.expected,
            "actual": self.actual,
            "verdict": self.verdict,
            "detail": self.detail,
        }


def equal(name: str, expected: Any, actual: Any, detail: str | None = None) -> Check:
    return Check(name, expected, actual, expected == actual, detail)


def holds(name: str, expected: Any, actual: Any, passed: bool, detail: str | None = None) -> Check:
    return Check(name, expected, actual, bool(passed), detail)


def observed(name: str, expected: Any, observe: Callable[[], Check]) -> Check:
    """Run one observation; an API or platform error is a failed check that says what was seen, not a crash.

    Observations run before any action, so a broken connection must refuse the step with a reason rather than
    escape as a stack trace (and never let a later destructive action run).
    """
    try:
        return observe()
    except (ApiError, PlatformError) as exc:
        return Check(name, expected, f"could not observe: {exc}", False)


class StepError(AssertionError):
    """A step stopped. `checks` are the ones that did not hold (empty when an action failed).

    An AssertionError, because a step that stops is a finding of the drill (a failed test in pytest and Allure),
    not a broken harness.
    """

    def __init__(self, step_id: str, message: str, checks: Sequence[Check] = ()) -> None:
        self.step_id, self.checks = step_id, tuple(checks)
        super().__init__(f"{step_id}: {message}")


class StepRefused(StepError):
    """The step's current state did not hold: nothing was done."""

    def __init__(self, step_id: str, checks: Sequence[Check], *, what: str = "current state does not hold") -> None:
        reasons = "; ".join(c.line() for c in checks)
        super().__init__(step_id, f"refused to act, {what}: {reasons}", checks)


class StepFailed(StepError):
    """The step acted but its desired state did not follow."""

    def __init__(self, step_id: str, checks: Sequence[Check]) -> None:
        reasons = "; ".join(c.line() for c in checks)
        super().__init__(step_id, f"desired state not reached: {reasons}", checks)


class ActionFailed(StepError):
    """An action of the step raised (API error, platform error, timeout)."""

    def __init__(self, step_id: str, action: str, error: Exception) -> None:
        self.action, self.error = action, error
        super().__init__(step_id, f"{action} failed: {error}")
