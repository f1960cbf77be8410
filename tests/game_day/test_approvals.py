"""Approvals: before each When that changes something, the step's current state and exact commands are shown and
a typed confirmation is awaited; who approved what, and when, is journaled."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from support.drive import drive

from drill.approvals import Approval, ApprovalRequest, FileApprover, answer, judge, pending_requests
from drill.evidence.journal import read_journal

from .conftest import Deployment


class Typist:
    """Types the step id for every step, except a refusal at `refuse`; remembers what it was shown."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse, self.shown = refuse, []

    def __call__(self, request: ApprovalRequest) -> Approval:
        self.shown.append(request)
        typed = "y" if request.step_id == self.refuse else request.step_id
        return judge(request, typed, "alice@gameday")


def test_every_changing_step_is_approved_first_and_the_approvals_are_journaled(deployment: Deployment) -> None:
    typist = Typist()
    session = deployment.session(approver=typist)
    drive(session)
    written = session.finish()

    assert written is not None and written.report["verdict"] == "passed", written.report["error"]
    changing = [s.id for s in session.sequence if s.changes_system(session.params)]
    assert [r.step_id for r in typist.shown] == changing
    force = next(r for r in typist.shown if r.step_id == "failover-1")
    assert any("PATCH" in line and "force=true" in line for line in force.commands)
    assert force.current_state and all(line.startswith("pass: ") for line in force.current_state)
    records = read_journal(session.journal_path)
    approvals = [r for r in records if r["kind"] == "approval"]
    assert [r["step_id"] for r in approvals] == changing
    assert all(r["approved"] and r["approver"] == "alice@gameday" and r["ts"] for r in approvals)
    # the approval comes before the step's first action
    for step_id in changing:
        seqs = [r["seq"] for r in records if r.get("step") == step_id and r["kind"] in ("approval", "action")]
        kinds = [r["kind"] for r in records if r.get("step") == step_id and r["kind"] in ("approval", "action")]
        assert kinds[0] == "approval", (step_id, kinds, seqs)


def test_a_refused_approval_stops_the_drill_before_the_step_acts(deployment: Deployment) -> None:
    session = deployment.session(approver=Typist(refuse="failover-1"))
    drive(session)
    written = session.finish()

    assert written is not None
    verdicts = {s["id"]: s["verdict"] for s in written.report["steps"]}
    assert verdicts["failover-1"] == "refused" and verdicts["failover-2"] == "blocked"
    assert "not approved by alice@gameday" in written.report["error"]
    assert "expected the step id 'failover-1' typed, got 'y'" in written.report["error"]
    records = read_journal(session.journal_path)
    assert not [r for r in records if r.get("step") == "failover-1" and r["kind"] == "action"]
    assert deployment.state()["zeebe"]["members"] == list(range(8))  # nobody was removed


def test_the_file_handshake_carries_a_request_and_its_answer(tmp_path: Path) -> None:
    request = ApprovalRequest("failover-1", "Remove lost brokers", ["pass: lost brokers unreachable"], ["curl ..."], 1)

    def person() -> None:
        for _ in range(200):
            pending = pending_requests(tmp_path)
            if pending:
                answer(tmp_path, pending[0], judge(pending[0], "failover-1", "bob@host"))
                return
            threading.Event().wait(0.01)

    helper = threading.Thread(target=person)
    helper.start()
    approval = FileApprover(tmp_path, wait_s=5)(request)
    helper.join(5)
    assert approval.approved and approval.approver == "bob@host" and approval.typed == "failover-1"
    assert json.loads((tmp_path / "001.request.json").read_text())["commands"] == ["curl ..."]
    assert pending_requests(tmp_path) == []


def test_no_answer_in_time_is_a_refusal_that_says_so(tmp_path: Path) -> None:
    clock = iter(float(t) for t in range(100))
    approver = FileApprover(tmp_path, wait_s=3, sleep=lambda _: None, clock=lambda: next(clock))
    approval = approver(ApprovalRequest("failback-1", "Deploy", [], [], 7))
    assert not approval.approved
    assert "no answer within 3 s" in approval.reason and "007.answer.json" in approval.reason


def test_a_manual_confirmation_is_asked_through_the_approver_and_journaled(deployment: Deployment) -> None:
    typist = Typist()
    session = deployment.session(approver=typist)
    assert session.ctx.confirm is not None
    stage = session.sequence[0].id
    assert session.begin_stage(stage) is None
    answer = session.ctx.confirm("Is the public DNS name switched to region 0?", ["dig +short camunda.example"])
    session.end_stage(RuntimeError("not driven further"))
    session.finish(reports=False)

    assert answer.confirmed and answer.by == "alice@gameday"
    assert typist.shown[0].title == "Is the public DNS name switched to region 0?"
    assert typist.shown[0].commands == ["dig +short camunda.example"]
    approval = next(r for r in read_journal(session.journal_path) if r["kind"] == "approval")
    assert approval["step_id"] == stage and approval["approved"] is True
