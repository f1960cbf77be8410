"""Drill journals for report tests, written with the real Journal API (and a real JournalTransport for HTTP).

Each builder writes one shape of drill: one that passes, one whose second stage is refused (its current state does
not hold, with control characters in the value seen) so the later stages are blocked, one whose desired state
fails, one whose action fails, and one that ends mid-stage. The wall clock ticks one second per record, so
timings are predictable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from drill.evidence import Journal, JournalTransport

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
TARGET = "sim"
LOST = 0
SURVIVING = 1
STAGES = [
    {"id": "failover-1", "title": "Confirm the lost region is gone", "phase": "failover", "destructive": False},
    {"id": "failover-2", "title": "Remove the lost brokers", "phase": "failover", "destructive": True},
    {"id": "failback-1", "title": "Recreate the lost region", "phase": "failback", "destructive": True},
    {"id": "failback-2", "title": "Rebalance partitions", "phase": "failback", "destructive": False},
]
CONTROL_VALUE = "3 of 4\x00\x07\x1b[31m"


def ticking_wall(step_s: float = 1.0) -> Callable[[], datetime]:
    calls = iter(range(10**9))
    return lambda: T0 + timedelta(seconds=step_s * next(calls))


def new_journal(path: Path) -> Journal:
    return Journal.create(path, wall=ticking_wall(), durable=False)


def begin(journal: Journal, budgets: dict[str, Any] | None = None, **extra: Any) -> None:
    """The drill_start record; `extra` adds fields a newer drill journals there (a forecast)."""
    journal.drill_start(
        target=TARGET,
        lost_region=LOST,
        contexts={"0": "kind-region-0", "1": "kind-region-1"},
        versions={"gateway": "8.8.0", "brokers": ["8.8.0"]},
        chart_version={"0": "13.12.7", "1": "13.12.7"},
        operator="game-day-lead",
        host="drill-host",
        procedure=[s["id"] for s in STAGES],
        variant="standard",
        stages=STAGES,
        budgets=budgets,
        **extra,
    )


@contextmanager
def stage(journal: Journal, step_id: str, status: str = "passed", error: str | None = None) -> Iterator[None]:
    """A stage bracketed as the runner does it, but ending with any status (the runner's own `refused`, too)."""
    title = next(s["title"] for s in STAGES if s["id"] == step_id)
    journal.step_start(step_id, title)
    journal.current_step = step_id
    try:
        yield
    finally:
        journal.current_step = None
    journal.step_end(step_id, status, duration_s=2.5, error=error)


def check(journal: Journal, step_id: str, phase: str, name: str, expected: Any, actual: Any, **kw: Any) -> None:
    verdict = "pass" if expected == actual else "fail"
    journal.check(step_id=step_id, phase=phase, name=name, expected=expected, actual=actual, verdict=verdict, **kw)


def request(journal: Journal, method: str, url: str, body: dict[str, Any]) -> None:
    transport = JournalTransport(httpx.MockTransport(lambda _: httpx.Response(200, json=body)), journal)
    with httpx.Client(transport=transport) as client:
        client.request(method, url)


def action(journal: Journal, name: str, *, outcome: str | None = "completed", error: str | None = None) -> None:
    journal.append("action", name=name, status="started")
    if outcome is not None:
        journal.append("action", name=name, status=outcome, duration_s=1.25, output={"ok": True}, error=error)


def failover_1(journal: Journal) -> None:
    with stage(journal, "failover-1"):
        check(journal, "failover-1", "current", "region 0 reachable", False, False)
        journal.append("loss", region=LOST, event="lose", surviving_region=SURVIVING, platform="sim")
        journal.append("marker", event="written", tag="m-1", key=101, stage="failover-1")
        request(journal, "GET", "http://gateway-1/v2/topology", {"brokers": 4})
        journal.command(argv=["kubectl", "get", "pods"], exit_code=0, stdout="ok", stderr="", duration_s=0.5)
        action(journal, "export the lost brokers' ids")
        journal.wait(what="topology settles", attempts=3, elapsed_s=4.5, outcome="settled")
        journal.append("marker", event="seen", tag="m-1", region=SURVIVING, found=True, lookup="poll")
        check(journal, "failover-1", "desired", "brokers in region 1", 4, 4, detail="all healthy")


def failover_2(journal: Journal) -> None:
    with stage(journal, "failover-2"):
        check(journal, "failover-2", "current", "surviving brokers healthy", 4, 4)
        request(journal, "POST", "http://gateway-1/v2/cluster/brokers", {"changeId": 7})
        action(journal, "remove brokers 0, 2, 4, 6")
        check(journal, "failover-2", "desired", "cluster size", 4, 4)


def failback(journal: Journal, *, final_found: bool = True, rebalance_ok: bool = True) -> None:
    with stage(journal, "failback-1"):
        check(journal, "failback-1", "current", "region 0 empty", 0, 0)
        journal.append("loss", region=LOST, event="recreate", platform="sim")
        action(journal, "helm install region 0")
        check(journal, "failback-1", "desired", "region 0 pods ready", 4, 4)
    failed = "StepFailed: desired state does not hold: partitions balanced" if not rebalance_ok else None
    with stage(journal, "failback-2", "passed" if rebalance_ok else "failed", failed):
        check(journal, "failback-2", "current", "cluster size", 8, 8)
        action(journal, "rebalance")
        for region in (0, 1):
            found = final_found or region == SURVIVING
            journal.append("marker", event="seen", tag="m-1", region=region, found=found, lookup="final")
        check(journal, "failback-2", "desired", "partitions balanced", True, rebalance_ok, detail="leaders per broker")


def passing_drill(path: Path, budgets: dict[str, Any] | None = None) -> Path:
    with new_journal(path) as journal:
        begin(journal, budgets)
        failover_1(journal)
        failover_2(journal)
        failback(journal)
        journal.drill_end(verdict="passed")
    return path


def failed_drill(path: Path) -> Path:
    """The last stage's desired state does not hold and a marker is missing from the recreated region."""
    with new_journal(path) as journal:
        begin(journal)
        failover_1(journal)
        failover_2(journal)
        failback(journal, final_found=False, rebalance_ok=False)
        journal.drill_end(verdict="failed", error="failback-2 failed")
    return path


def action_failed_drill(path: Path) -> Path:
    """failover-2's action fails: no check failed, so the error is the reason; later stages are blocked."""
    with new_journal(path) as journal:
        begin(journal)
        failover_1(journal)
        error = "ActionFailed: remove brokers 0, 2, 4, 6: HTTP 409 from the management API"
        with stage(journal, "failover-2", "failed", error):
            check(journal, "failover-2", "current", "surviving brokers healthy", 4, 4)
            action(journal, "remove brokers 0, 2, 4, 6", outcome="failed", error="HTTP 409 from the management API")
        for blocked in ("failback-1", "failback-2"):
            journal.append("blocked", step_id=blocked, reason="failover-2 failed")
        journal.drill_end(verdict="failed", error=error)
    return path


def refused_drill(path: Path) -> Path:
    with new_journal(path) as journal:
        begin(journal)
        failover_1(journal)
        refusal = "StepRefused: refused to act, current state does not hold: surviving brokers healthy"
        with stage(journal, "failover-2", "refused", refusal):
            check(journal, "failover-2", "current", "surviving brokers healthy", 4, CONTROL_VALUE, detail="\x1b[0m")
            request(journal, "GET", "http://gateway-1/v2/topology", {"brokers": 3})
        for blocked in ("failback-1", "failback-2"):
            journal.append("blocked", step_id=blocked, reason="failover-2 refused")
        journal.drill_end(verdict="failed", error=refusal)
    return path


def incomplete_drill(path: Path) -> Path:
    """The journal ends while failover-2 runs an action: the process died mid-stage."""
    with new_journal(path) as journal:
        begin(journal)
        failover_1(journal)
        journal.step_start("failover-2", "Remove the lost brokers")
        journal.current_step = "failover-2"
        check(journal, "failover-2", "current", "surviving brokers healthy", 4, 4)
        action(journal, "remove brokers 0, 2, 4, 6", outcome=None)
    return path
