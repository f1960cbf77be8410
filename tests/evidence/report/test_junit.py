"""JUnit XML from a drill report: what a CI system shows as passed, failed and skipped must match the report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.report_journals import (
    action_failed_drill,
    failed_drill,
    incomplete_drill,
    passing_drill,
    refused_drill,
)

from drill.evidence.report.junit import render_junit
from drill.evidence.report.model import report_from_journal

BUDGET_CASES = ["RTO failover", "RTO failback", "RPO"]


def report_of(build: Callable[[Path], Path], tmp_path: Path) -> dict[str, Any]:
    return report_from_journal(build(tmp_path / "journal.jsonl"))


def suite_of(report: dict[str, Any]) -> ET.Element:
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    return suite


def case(suite: ET.Element, name: str) -> ET.Element:
    (found,) = [c for c in suite.findall("testcase") if c.get("name") == name]
    return found


def budget_verdicts(report: dict[str, Any]) -> list[str]:
    rto = report["rto"]
    return [rto["failover_verdict"], rto["failback_verdict"], report["rpo"]["verdict"]]


def test_document_has_an_xml_declaration_and_is_indented(tmp_path: Path) -> None:
    xml = render_junit(report_of(passing_drill, tmp_path))
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert "\n  <testsuite " in xml


def test_passing_drill_is_one_suite_with_every_stage_and_budget_passing(tmp_path: Path) -> None:
    report = report_of(passing_drill, tmp_path)
    suite = suite_of(report)

    assert suite.get("name") == "c8-dr-drill: region 0 lost (sim)"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("7", "0", "0")
    assert suite.get("timestamp") == report["started_at"][:19]
    assert float(suite.get("time", "")) == report["duration_s"]
    names = [(c.get("classname"), c.get("name")) for c in suite.findall("testcase")]
    assert names == [
        ("drill.failover", "failover-1 Confirm the lost region is gone"),
        ("drill.failover", "failover-2 Remove the lost brokers"),
        ("drill.failback", "failback-1 Recreate the lost region"),
        ("drill.failback", "failback-2 Rebalance partitions"),
        *(("drill.budgets", name) for name in BUDGET_CASES),
    ]
    assert not suite.findall(".//failure") and not suite.findall(".//skipped")


def test_properties_cite_the_journal_and_the_measured_figures(tmp_path: Path) -> None:
    report = report_of(passing_drill, tmp_path)
    props = {p.get("name"): p.get("value") for p in suite_of(report).iter("property")}

    assert props["target"] == "sim" and props["lost_region"] == "0" and props["verdict"] == "passed"
    assert props["journal.path"] == report["journal"]["path"]
    assert props["journal.records"] == str(report["journal"]["records"])
    assert props["journal.head_sha256"] == report["journal"]["head_sha256"]
    assert props["rto.failover_s"] == str(report["rto"]["failover_s"])
    assert props["rto.failback_verdict"] == "pass" and props["rpo.markers_lost"] == "0"


def test_stage_times_come_from_the_step_durations(tmp_path: Path) -> None:
    report = report_of(passing_drill, tmp_path)
    suite = suite_of(report)
    assert case(suite, "failover-1 Confirm the lost region is gone").get("time") == "2.500"
    assert case(suite, "RTO failover").get("time") == f"{report['rto']['failover_s']:.3f}"


@pytest.mark.parametrize("build", [passing_drill, failed_drill, action_failed_drill, refused_drill, incomplete_drill])
def test_failure_and_skip_counts_match_the_report(build: Callable[[Path], Path], tmp_path: Path) -> None:
    report = report_of(build, tmp_path)
    verdicts = [s["verdict"] for s in report["steps"]]
    budgets = budget_verdicts(report)
    failures = sum(v in ("failed", "refused") for v in verdicts) + budgets.count("fail")
    skipped = sum(v in ("blocked", "not run", "running") for v in verdicts) + budgets.count("not measured")

    suite = suite_of(report)

    assert suite.get("tests") == str(len(verdicts) + 3)
    assert (suite.get("failures"), suite.get("skipped")) == (str(failures), str(skipped))
    assert len(suite.findall("testcase/failure")) == failures
    assert len(suite.findall("testcase/skipped")) == skipped


def test_refused_stage_fails_naming_the_check_expected_and_actual(tmp_path: Path) -> None:
    suite = suite_of(report_of(refused_drill, tmp_path))
    failure = case(suite, "failover-2 Remove the lost brokers").find("failure")

    assert failure is not None and failure.get("type") == "refused"
    # The value held NUL, BEL and ESC; they are shown escaped, and the document still parses.
    assert failure.get("message") == "surviving brokers healthy: expected 4, got 3 of 4\\x00\\x07\\x1b[31m"
    body = failure.text or ""
    assert "surviving brokers healthy: expected 4, got 3 of 4\\x00" in body
    assert "error: StepRefused: refused to act" in body


def test_blocked_stages_are_skipped_with_the_reason(tmp_path: Path) -> None:
    suite = suite_of(report_of(refused_drill, tmp_path))
    for name in ("failback-1 Recreate the lost region", "failback-2 Rebalance partitions"):
        skipped = case(suite, name).find("skipped")
        assert skipped is not None and skipped.get("message") == "blocked: failover-2 refused"


def test_a_reason_that_already_says_blocked_is_not_prefixed_twice(tmp_path: Path) -> None:
    report = report_of(refused_drill, tmp_path)
    report["steps"][2]["error"] = "blocked by an earlier stage: failover-2 refused"
    skipped = case(suite_of(report), "failback-1 Recreate the lost region").find("skipped")
    assert skipped is not None and skipped.get("message") == "blocked by an earlier stage: failover-2 refused"


def test_unmeasured_budgets_are_skipped_and_measured_ones_reported(tmp_path: Path) -> None:
    suite = suite_of(report_of(refused_drill, tmp_path))

    failover = case(suite, "RTO failover")
    assert failover.find("skipped") is None and failover.find("failure") is None
    assert "failover took 7.0 s (budget 60.0 s)" in (failover.findtext("system-out") or "")
    for name in ("RTO failback", "RPO"):
        skipped = case(suite, name).find("skipped")
        assert skipped is not None and (skipped.get("message") or "").startswith("not measured: ")


def test_failed_desired_state_and_lost_markers_are_failures(tmp_path: Path) -> None:
    suite = suite_of(report_of(failed_drill, tmp_path))

    failure = case(suite, "failback-2 Rebalance partitions").find("failure")
    assert failure is not None and failure.get("type") == "failed"
    assert failure.get("message") == "partitions balanced: expected true, got false"
    assert "    leaders per broker" in (failure.text or "")
    rpo = case(suite, "RPO").find("failure")
    assert rpo is not None and rpo.get("message") == "1 of 1 markers lost (budget 0): m-1"


def test_a_failed_action_without_a_failing_check_fails_with_the_error(tmp_path: Path) -> None:
    suite = suite_of(report_of(action_failed_drill, tmp_path))
    failure = case(suite, "failover-2 Remove the lost brokers").find("failure")

    error = "ActionFailed: remove brokers 0, 2, 4, 6: HTTP 409 from the management API"
    assert failure is not None and failure.get("type") == "failed"
    assert failure.get("message") == error
    assert failure.text == f"error: {error}"


def test_a_failover_over_budget_fails_its_case(tmp_path: Path) -> None:
    report = report_from_journal(passing_drill(tmp_path / "journal.jsonl", budgets={"failover_s": 1}))
    failure = case(suite_of(report), "RTO failover").find("failure")
    assert failure is not None
    assert failure.get("message") == f"failover took {report['rto']['failover_s']} s, over the budget of 1 s"


def test_incomplete_drill_shows_the_running_and_unrun_stages_as_not_run(tmp_path: Path) -> None:
    suite = suite_of(report_of(incomplete_drill, tmp_path))

    running = case(suite, "failover-2 Remove the lost brokers").find("skipped")
    assert running is not None and running.get("message") == "not run: the journal ends while this stage was running"
    unrun = case(suite, "failback-1 Recreate the lost region").find("skipped")
    assert unrun is not None and unrun.get("message") == "not run: the journal ends before this stage started"


def test_system_out_lists_every_check_of_the_stage(tmp_path: Path) -> None:
    suite = suite_of(report_of(passing_drill, tmp_path))
    out = case(suite, "failover-1 Confirm the lost region is gone").findtext("system-out") or ""
    assert out.splitlines() == [
        "[current] pass region 0 reachable: expected false, got false",
        "[desired] pass brokers in region 1: expected 4, got 4",
        "    all healthy",
    ]


def test_characters_xml_cannot_hold_are_escaped_everywhere(tmp_path: Path) -> None:
    report = report_of(refused_drill, tmp_path)
    nasty = "a\x00b\x1fc\ud800d\ufffee\tf"
    report["target"] = nasty
    report["steps"][1]["title"] = nasty
    report["steps"][1]["checks"][0]["expected"] = {"value": nasty}
    report["steps"][1]["error"] = nasty

    suite = suite_of(report)

    assert suite.get("name") == "c8-dr-drill: region 0 lost (a\\x00b\\x1fc\\ud800d\\ufffee\tf)"
    failure = case(suite, "failover-2 a\\x00b\\x1fc\\ud800d\\ufffee\tf").find("failure")
    assert failure is not None
    assert '"value": "a\\u0000b\\u001fc' in (failure.get("message") or "")
    assert (failure.text or "").endswith("error: a\\x00b\\x1fc\\ud800d\\ufffee\tf")
