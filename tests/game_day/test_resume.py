"""Resume: a drill killed in the middle of any stage and resumed ends as an uninterrupted one does, in one
continuous journal whose chain verifies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from support.drive import Killed, abandon, drive, kill_when

from drill.evidence.journal import read_journal, verify_chain
from drill.evidence.report.model import report_from_journal
from drill.procedure.params import ParameterError
from drill.procedure.stages import drill_sequence

from .conftest import Deployment

STAGES = [step.id for step in drill_sequence()]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def mid_stage(stage: str):  # type: ignore[no-untyped-def]
    """The first moment inside `stage` after which something has happened that a plain re-run could trip over:
    a write answered (e.g. the force removal accepted, its change still running), an action done, or a desired
    check recorded for a stage that only observes."""

    def point(step: str, record: Mapping[str, Any]) -> bool:
        if step != stage:
            return False
        kind = record.get("kind")
        if kind == "http" and record.get("method") in WRITES and record.get("status") is not None:
            return True
        if kind == "action" and record.get("status") == "completed":
            return True
        return kind == "check" and record.get("phase") == "desired"

    return point


def final_state(deployment: Deployment) -> dict[str, Any]:
    """What must be the same after any drill: who runs and is a member, the exporters, where traffic goes, each
    region's release, volumes, fence and index names, every index equal across the regions. Not what a drill's
    timing decides (leaders, positions, the count of probe instances, revisions)."""
    state = deployment.state()
    zeebe = state["zeebe"]
    regions = {
        region: {
            "lost": r["lost"],
            "fenced": r.get("fenced"),
            "release": (r["release"] or {}).get("status"),
            "volumes": r["volumes"],
            "indices": sorted(r["elasticsearch"]["indices"]),
        }
        for region, r in state["regions"].items()
    }
    counts = [state["regions"][r]["elasticsearch"]["indices"] for r in sorted(state["regions"])]
    return {
        "running": zeebe["running"],
        "members": zeebe["members"],
        "replicationFactor": zeebe["replicationFactor"],
        "exporters": zeebe["exporters"],
        "exporting paused": zeebe["exportingPaused"],
        "public": state.get("public"),
        "regions": regions,
        "both regions' indices equal": counts[0] == counts[1],
    }


@pytest.mark.parametrize("stage", STAGES)
def test_killed_in_the_middle_of_a_stage_and_resumed_ends_like_an_uninterrupted_drill(
    deployment: Deployment, stage: str
) -> None:
    first = deployment.session()
    kill_when(first.journal, mid_stage(stage))
    with pytest.raises(Killed):
        drive(first)
    abandon(first)
    journal = first.journal_path
    assert not [r for r in read_journal(journal) if r["kind"] == "drill_end"]

    resumed = deployment.session(resume=journal)
    drive(resumed)
    written = resumed.finish()

    assert written is not None
    report = written.report
    assert report["verdict"] == "passed", (stage, report["error"], [(s["id"], s["verdict"]) for s in report["steps"]])
    assert verify_chain(journal).records == len(read_journal(journal))
    kinds = [r["kind"] for r in read_journal(journal)]
    assert kinds.count("drill_start") == 1 and kinds.count("resume") == 1 and kinds[-1] == "drill_end"
    plan = next(r for r in read_journal(journal) if r["kind"] == "resume_plan")
    assert plan["start"] in STAGES[STAGES.index(stage) :] or plan["start"] is None


def test_the_resumed_drill_ends_in_the_state_of_an_uninterrupted_one(
    deployment: Deployment, make_runtime: Any, tmp_path: Any
) -> None:
    first = deployment.session()
    kill_when(first.journal, mid_stage("failover-1"))
    with pytest.raises(Killed):
        drive(first)
    abandon(first)
    resumed = deployment.session(resume=first.journal_path)
    drive(resumed)
    assert resumed.finish() is not None

    other = Deployment(make_runtime(), tmp_path / "uninterrupted")
    try:
        whole = other.session()
        drive(whole)
        assert whole.finish() is not None
        assert final_state(deployment) == final_state(other)
    finally:
        other.control.close()


def test_a_resumed_journal_is_refused_when_there_is_nothing_to_resume(deployment: Deployment) -> None:
    done = deployment.session()
    drive(done)
    done.finish()
    with pytest.raises(ParameterError, match="the drill passed; there is nothing to resume"):
        deployment.session(resume=done.journal_path)


def test_a_resume_is_refused_for_another_lost_region(deployment: Deployment) -> None:
    first = deployment.session(1)
    kill_when(first.journal, mid_stage("failover-1"))
    with pytest.raises(Killed):
        drive(first)
    abandon(first)
    with pytest.raises(ParameterError, match="expected a drill losing region 0, the journal lost region 1"):
        deployment.session(0, resume=first.journal_path)


def test_resuming_keeps_the_evidence_of_the_interrupted_part(deployment: Deployment) -> None:
    first = deployment.session()
    kill_when(first.journal, mid_stage("failback-4"))
    with pytest.raises(Killed):
        drive(first)
    abandon(first)
    before = read_journal(first.journal_path)
    resumed = deployment.session(resume=first.journal_path)
    drive(resumed)
    resumed.finish()
    after = read_journal(first.journal_path)
    assert after[: len(before)] == before
    report = report_from_journal(first.journal_path)
    assert report["verdict"] == "passed"
