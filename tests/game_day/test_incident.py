"""Incident mode: the harness never causes the loss; it confirms the loss over a window before failover-1."""

from __future__ import annotations

from support.drive import drive

from drill.evidence.journal import read_journal

from .conftest import Deployment


def test_an_incident_is_confirmed_then_recovered_without_the_harness_causing_the_loss(deployment: Deployment) -> None:
    deployment.lose(1)
    deployment.control.post("/regions/1/recreate").raise_for_status()  # the operator provides the new region
    session = deployment.session(mode="incident", params={"lost_for_s": 0.3})
    drive(session)
    written = session.finish()

    assert written is not None
    report = written.report
    assert report["verdict"] == "passed", report["error"]
    assert report["mode"] == "incident"
    records = read_journal(session.journal_path)
    stages = [r["step_id"] for r in records if r["kind"] == "step_start"]
    assert stages[0] == "incident-confirmed" and "steady-before" not in stages and "region-loss" not in stages
    assert not [r for r in records if r["kind"] == "http" and r["url"].endswith(("/lose", "/recreate"))]
    window = next(r for r in records if r["kind"] == "check" and r["name"].startswith("lost brokers absent"))
    assert window["verdict"] == "pass" and "observations over" in window["detail"]
    assert report["rto"]["failover_s"] is not None  # measured from the first observation of the loss


def test_an_incident_on_a_region_that_answers_stops_before_anything_is_removed(deployment: Deployment) -> None:
    before = deployment.state()
    session = deployment.session(mode="incident", params={"lost_for_s": 0.2})
    drive(session)
    written = session.finish()
    assert written is not None
    verdicts = {s["id"]: s["verdict"] for s in written.report["steps"]}
    assert verdicts["incident-confirmed"] == "failed"
    assert verdicts["failover-1"] == "blocked"
    assert "the loss may be temporary" in written.report["error"]
    assert deployment.state()["zeebe"]["members"] == before["zeebe"]["members"]
