"""Dry run: every Given runs, read-only; no When runs; what each When would run is printed and journaled."""

from __future__ import annotations

from support.drive import drive

from drill.evidence.journal import read_journal

from .conftest import Deployment

READS = {"GET", "HEAD"}


def test_a_dry_run_reads_every_given_and_changes_nothing(deployment: Deployment) -> None:
    before = deployment.state()
    session = deployment.session(dry_run=True)
    drive(session)
    written = session.finish()

    assert deployment.state() == before
    records = read_journal(session.journal_path)
    ends = {r["step_id"]: r["status"] for r in records if r["kind"] == "step_end"}
    assert list(ends) == [step.id for step in session.sequence]  # every stage read, none blocked
    assert ends["steady-before"] == "ready"
    assert ends["failover-1"] == "not ready"  # its Given waits for the loss a When would cause
    assert not [r for r in records if r["kind"] == "action"]
    writes = [r for r in records if r["kind"] == "http" and r.get("method") not in READS]
    sent = [r for r in writes if (r.get("error") or {}).get("type") != "WriteRefused"]
    assert all("_search" in r["url"] or "_count" in r["url"] or "/search" in r["url"] for r in sent), sent
    planned = {r["step_id"]: r["actions"] for r in records if r["kind"] == "dry_run"}
    force = " ".join(line for a in planned["failover-1"] for line in a["would_run"])
    assert "PATCH" in force and "force=true" in force
    assert written is not None
    assert written.report["verdict"] == "ready" and written.report["dry_run"] is True


def test_a_check_that_would_write_fails_in_a_dry_run_instead_of_writing(deployment: Deployment) -> None:
    """failover-2's Given proves the export stall with a probe instance: a write a dry run must refuse."""
    deployment.lose(1)
    before = deployment.state()
    session = deployment.session(dry_run=True, mode="incident", params={"lost_for_s": 0.2})
    drive(session)
    session.finish()
    assert deployment.state() == before
    checks = [r for r in read_journal(session.journal_path) if r["kind"] == "check" and r["step_id"] == "failover-2"]
    refused = [c for c in checks if "refused, not sent" in str(c["actual"])]
    assert refused and all(c["verdict"] == "fail" for c in refused)


def test_an_incident_dry_run_shows_failover_1_could_run_now(deployment: Deployment) -> None:
    deployment.lose(1)
    session = deployment.session(dry_run=True, mode="incident", params={"lost_for_s": 0.2})
    drive(session)
    written = session.finish()
    ends = {r["step_id"]: r["status"] for r in read_journal(session.journal_path) if r["kind"] == "step_end"}
    assert ends["incident-confirmed"] == "ready"
    assert ends["failover-1"] == "ready"
    assert written is not None and written.report["verdict"] == "ready"
