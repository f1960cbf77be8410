"""The production guard, judged up front: against a simulator exposed under non-kind context names, a drill
without --allow-production changes nothing at all, and its report says why."""

from __future__ import annotations

from support.drive import drive

from drill.evidence.journal import read_journal

from .conftest import Deployment

PRODUCTION = ("prod-eu", "prod-us")


def test_without_the_flag_nothing_runs_and_nothing_changes(deployment: Deployment) -> None:
    before = deployment.state()
    session = deployment.session(contexts=PRODUCTION)
    drive(session)
    written = session.finish()

    assert deployment.state() == before
    records = read_journal(session.journal_path)
    assert not [r for r in records if r["kind"] == "step_start"]
    assert not [r for r in records if r["kind"] == "http" and r.get("method") != "GET"]
    guard = next(r for r in records if r["kind"] == "guard")
    assert guard["first_destructive"] == "region-loss"
    assert written is not None
    report = written.report
    assert report["verdict"] == "failed"
    assert "--allow-production prod-eu --allow-production prod-us" in report["error"]
    assert "stopped before its first destructive step (region-loss) and ran nothing" in report["error"]
    assert {s["verdict"] for s in report["steps"]} == {"blocked"}


def test_allowing_one_context_still_refuses_naming_the_other(deployment: Deployment) -> None:
    before = deployment.state()
    session = deployment.session(contexts=PRODUCTION, allow_production=("prod-eu",))
    drive(session)
    written = session.finish()
    assert deployment.state() == before
    assert written is not None
    assert written.report["error"].startswith(
        "guard: region 1 (prod-us) is not a kind cluster; destructive steps there need --allow-production prod-us;"
    )


def test_naming_both_contexts_exactly_lets_the_drill_run(deployment: Deployment) -> None:
    session = deployment.session(contexts=PRODUCTION, allow_production=PRODUCTION)
    drive(session)
    written = session.finish()
    assert written is not None and written.report["verdict"] == "passed"


def test_kind_contexts_need_no_flag(deployment: Deployment) -> None:
    session = deployment.session(contexts=("kind-c8-region0", "kind-c8-region1"))
    assert session.stopped_by is None
    assert session.begin_stage(session.sequence[0].id) is None
    session.end_stage(RuntimeError("not driven further"))
    session.finish(reports=False)


def test_a_dry_run_needs_no_flag_and_still_changes_nothing(deployment: Deployment) -> None:
    before = deployment.state()
    session = deployment.session(contexts=PRODUCTION, dry_run=True)
    drive(session)
    written = session.finish()
    assert deployment.state() == before
    assert written is not None and written.report["verdict"] == "ready"
