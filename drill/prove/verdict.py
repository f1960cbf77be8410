"""One row of the matrix, judged from the case's journal alone.

Where the drill stopped, which checks caught it, and what ran afterwards are read back from the evidence rather
than taken from the runner's own bookkeeping: the matrix then proves what an auditor would find in the journal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drill.evidence.journal import JournalError, read_journal
from drill.procedure.checks import show
from drill.prove.cases import DETECTED, HARMLESS, TOLERATED, Case

PASSED, UNDETECTED = "passed", "undetected"
EXCERPT = 400


@dataclass
class Row:
    case: str
    kind: str
    title: str
    expected: dict[str, Any]
    outcome: str  # detected, passed (the drill ran to its end and passed), or "error: ..." when no journal verifies
    step: str | None = None
    phase: str | None = None
    caught_by: list[str] = field(default_factory=list)
    evidence: str = ""
    destructive_after: list[str] = field(default_factory=list)
    journal_intact: bool = False
    journal: str = ""
    retries: int = 0
    seconds: float = 0.0
    why: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "kind": self.kind,
            "title": self.title,
            "expected": self.expected,
            "outcome": self.outcome,
            "caught_at": None if self.step is None else {"step": self.step, "phase": self.phase},
            "caught_by": self.caught_by,
            "evidence": self.evidence,
            "destructive_steps_after_detection": self.destructive_after,
            "journal_intact": self.journal_intact,
            "journal": self.journal,
            "retries": self.retries,
            "seconds": round(self.seconds, 3),
            "why": self.why,
            "ok": self.ok,
            "problems": self.problems,
        }


def _phase(step_records: Sequence[Mapping[str, Any]], status: str) -> str:
    if status == "refused":
        return "current"
    if any(r.get("kind") == "action" and r.get("status") == "failed" for r in step_records):
        return "action"
    return "desired"


def _caught_by(step_records: Sequence[Mapping[str, Any]], phase: str) -> list[str]:
    if phase == "action":
        return [
            f"{r.get('name')}: {r.get('error')}"
            for r in step_records
            if r.get("kind") == "action" and r.get("status") == "failed"
        ]
    return [
        f"{r.get('name')}: expected {show(r.get('expected'))}, got {show(r.get('actual'))}"[:EXCERPT]
        for r in step_records
        if r.get("kind") == "check" and r.get("phase") == phase and r.get("verdict") == "fail"
    ]


def judge(case: Case, journal: Path, *, seconds: float = 0.0) -> Row:
    row = Row(case.id, case.kind, case.title, case.expect.to_json(), "error", journal=str(journal), why=case.why)
    row.seconds = seconds
    try:
        records = read_journal(journal)  # verifies the chain first
    except (JournalError, OSError) as exc:
        row.outcome = f"error: {exc}"
        row.problems.append(f"journal does not verify: {exc}")
        return row
    row.journal_intact = True
    row.retries = sum(r.get("kind") == "retry" for r in records)
    start = next((r for r in records if r.get("kind") == "drill_start"), {})
    destructive = {s["id"] for s in start.get("stages", []) if s.get("destructive")}
    stopped = next(
        (i for i, r in enumerate(records) if r.get("kind") == "step_end" and r.get("status") != "passed"), None
    )
    end = next((r for r in records if r.get("kind") == "drill_end"), None)
    if stopped is None:
        row.outcome = PASSED if end is not None and end.get("verdict") == "passed" else "incomplete"
        row.evidence = _passed_evidence(records) if row.outcome == PASSED else "the journal has no passing drill_end"
    else:
        stop = records[stopped]
        row.outcome, row.step = DETECTED, str(stop.get("step_id"))
        own = [r for r in records[:stopped] if r.get("step") == row.step]
        row.phase = _phase(own, str(stop.get("status")))
        row.caught_by = _caught_by(own, row.phase)
        row.evidence = str(stop.get("error") or "")[:EXCERPT]
        row.destructive_after = [
            str(r.get("step_id"))
            for r in records[stopped + 1 :]
            if r.get("kind") == "step_start" and r.get("step_id") in destructive
        ]
        acted = [r for r in records[stopped + 1 :] if r.get("kind") == "action" and r.get("status") == "started"]
        if acted and not row.destructive_after:
            row.destructive_after = [f"{len(acted)} action(s) outside a stage"]
    row.problems = _problems(case, row)
    return row


def _passed_evidence(records: Sequence[Mapping[str, Any]]) -> str:
    """What the passing drill proved at its end: the final steady-state checks and the RPO."""
    final = [r for r in records if r.get("step") == "steady-after" and r.get("kind") == "check"]
    passed = sum(r.get("verdict") == "pass" for r in final)
    rpo = next((r for r in final if str(r.get("name", "")).startswith("RPO")), None)
    lost = "not measured" if rpo is None else f"{show(rpo.get('actual'))} markers lost"
    return f"steady-after: {passed}/{len(final)} final checks passed (full topology, markers in both regions); {lost}"


def _problems(case: Case, row: Row) -> list[str]:
    expect, problems = case.expect, []
    if expect.outcome == DETECTED:
        if row.outcome != DETECTED:
            problems.append(f"expected {expect.describe()}, but the drill {row.outcome} without catching it")
        elif (row.step, row.phase) != (expect.step, expect.phase):
            problems.append(f"expected {expect.describe()}, caught at {row.step} ({row.phase})")
    elif expect.outcome in (HARMLESS, TOLERATED):
        if row.outcome != PASSED:
            where = f" at {row.step} ({row.phase})" if row.step else ""
            problems.append(f"expected {expect.describe()}, got {row.outcome}{where}: {row.evidence}")
        elif expect.outcome == TOLERATED and row.retries == 0:
            problems.append("expected the fault to be retried, the journal has no retry")
    if row.destructive_after:
        problems.append(f"destructive stages ran after detection: {', '.join(row.destructive_after)}")
    return problems
