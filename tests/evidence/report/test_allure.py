"""Allure evidence from a journal: the per-step attachments and the results directory `c8-drill report` rebuilds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.report_journals import (
    CONTROL_VALUE,
    action_failed_drill,
    failed_drill,
    incomplete_drill,
    passing_drill,
    refused_drill,
)

from drill.evidence import read_journal
from drill.evidence.report.allure import Attachment, step_attachments, write_allure_results
from drill.evidence.report.model import report_from_journal

Results = dict[str, dict[str, Any]]
"""Result files read back, keyed by result name (stage title or budget name)."""


def records_of(build: Callable[[Path], Path], tmp_path: Path) -> list[dict[str, Any]]:
    return read_journal(build(tmp_path / "journal.jsonl"))


def rebuild(build: Callable[[Path], Path], tmp_path: Path, out: str = "results") -> tuple[Results, Path]:
    journal = tmp_path / "journal.jsonl"
    if not journal.exists():
        build(journal)
    out_dir = tmp_path / out
    write_allure_results(report_from_journal(journal), read_journal(journal), out_dir)
    results = [json.loads(p.read_text(encoding="utf-8")) for p in out_dir.glob("*-result.json")]
    return {r["name"]: r for r in results}, out_dir


def attachments_by_name(records: list[dict[str, Any]], step_id: str) -> dict[str, Any]:
    return {a.name: json.loads(a.content) for a in step_attachments(records, step_id)}


def labels(result: dict[str, Any]) -> list[tuple[str, str]]:
    return [(label["name"], label["value"]) for label in result["labels"]]


# step_attachments


def test_a_completed_step_has_all_four_attachments_in_order(tmp_path: Path) -> None:
    attachments = step_attachments(records_of(passing_drill, tmp_path), "failover-1")
    assert [a.name for a in attachments] == ["current state", "requests and responses", "desired state", "timings"]
    assert {(a.media_type, a.extension) for a in attachments} == {("application/json", "json")}


def test_state_attachments_hold_the_check_records_of_their_phase(tmp_path: Path) -> None:
    found = attachments_by_name(records_of(passing_drill, tmp_path), "failover-1")

    (current,) = found["current state"]
    assert (current["kind"], current["phase"], current["name"]) == ("check", "current", "region 0 reachable")
    (desired,) = found["desired state"]
    assert (desired["name"], desired["expected"], desired["actual"], desired["detail"]) == (
        "brokers in region 1",
        4,
        4,
        "all healthy",
    )


def test_requests_attachment_holds_the_full_http_and_command_records_of_the_step_only(tmp_path: Path) -> None:
    records = records_of(passing_drill, tmp_path)
    exchanges = attachments_by_name(records, "failover-1")["requests and responses"]

    http, command = exchanges
    assert (http["kind"], http["method"], http["url"], http["status"]) == (
        "http",
        "GET",
        "http://gateway-1/v2/topology",
        200,
    )
    assert json.loads(http["response_body"]) == {"brokers": 4} and "request_headers" in http
    assert (command["kind"], command["argv"]) == ("command", ["kubectl", "get", "pods"])
    later = attachments_by_name(records, "failover-2")["requests and responses"]
    assert [e["url"] for e in later] == ["http://gateway-1/v2/cluster/brokers"]


def test_timings_attachment_has_the_step_brackets_actions_and_waits(tmp_path: Path) -> None:
    records = records_of(passing_drill, tmp_path)
    timings = attachments_by_name(records, "failover-1")["timings"]

    start = next(r for r in records if r["kind"] == "step_start" and r["step_id"] == "failover-1")
    end = next(r for r in records if r["kind"] == "step_end" and r["step_id"] == "failover-1")
    assert (timings["started_at"], timings["finished_at"], timings["duration_s"]) == (start["ts"], end["ts"], 2.5)
    assert [(a["name"], a["status"], a["duration_s"]) for a in timings["actions"]] == [
        ("export the lost brokers' ids", "completed", 1.25)
    ]
    assert [(w["what"], w["attempts"], w["elapsed_s"]) for w in timings["waits"]] == [("topology settles", 3, 4.5)]


def test_a_refused_step_has_no_desired_state_attachment(tmp_path: Path) -> None:
    found = attachments_by_name(records_of(refused_drill, tmp_path), "failover-2")
    assert list(found) == ["current state", "requests and responses", "timings"]
    assert found["current state"][0]["actual"] == CONTROL_VALUE


def test_a_blocked_step_has_no_attachments(tmp_path: Path) -> None:
    assert step_attachments(records_of(refused_drill, tmp_path), "failback-1") == []


def test_attachment_is_a_frozen_value() -> None:
    attachment = Attachment("timings", "{}")
    with pytest.raises(AttributeError):
        attachment.name = "other"  # type: ignore[misc]


# write_allure_results


def test_one_result_per_stage_and_per_budget_with_statuses(tmp_path: Path) -> None:
    results, _ = rebuild(refused_drill, tmp_path)
    statuses = {name: r["status"] for name, r in results.items()}
    assert statuses == {
        "Confirm the lost region is gone": "passed",
        "Remove the lost brokers": "failed",
        "Recreate the lost region": "skipped",
        "Rebalance partitions": "skipped",
        "RTO failover": "passed",
        "RTO failback": "skipped",
        "RPO": "skipped",
    }


def test_refused_result_names_the_failing_check_and_keeps_only_the_current_state(tmp_path: Path) -> None:
    results, _ = rebuild(refused_drill, tmp_path)
    refused = results["Remove the lost brokers"]

    assert refused["statusDetails"]["message"] == f"surviving brokers healthy: expected 4, got {CONTROL_VALUE}"
    assert "error: StepRefused: refused to act" in refused["statusDetails"]["trace"]
    assert [s["name"] for s in refused["steps"]] == ["Current state"]
    (check,) = refused["steps"][0]["steps"]
    assert check["status"] == "failed" and check["name"].startswith("surviving brokers healthy: expected 4")


def test_blocked_result_says_why_and_has_no_times(tmp_path: Path) -> None:
    results, _ = rebuild(refused_drill, tmp_path)
    blocked = results["Recreate the lost region"]
    assert blocked["statusDetails"] == {"message": "blocked: failover-2 refused"}
    assert "start" not in blocked and "stop" not in blocked
    assert "steps" not in blocked and "attachments" not in blocked


def test_passed_result_has_current_actions_and_desired_sub_steps(tmp_path: Path) -> None:
    results, _ = rebuild(passing_drill, tmp_path)
    result = results["Confirm the lost region is gone"]

    assert [(s["name"], s["status"]) for s in result["steps"]] == [
        ("Current state", "passed"),
        ("Actions", "passed"),
        ("Desired state", "passed"),
    ]
    assert [s["name"] for s in result["steps"][1]["steps"]] == ["export the lost brokers' ids"]
    assert result["steps"][2]["steps"][0]["name"] == "brokers in region 1: expected 4, got 4"
    assert "statusDetails" not in result
    assert result["stop"] - result["start"] > 0


def test_labels_and_parameters_place_the_result_in_the_drill(tmp_path: Path) -> None:
    results, _ = rebuild(passing_drill, tmp_path)

    assert labels(results["Remove the lost brokers"]) == [
        ("feature", "Failover"),
        ("story", "failover-2"),
        ("tag", "failover-2"),
        ("tag", "destructive"),
        ("tag", "c8.8"),
        ("parentSuite", "region 0 lost"),
        ("suite", "failover"),
        ("host", "drill-host"),
        ("framework", "c8-dr-drill"),
    ]
    rebalance = labels(results["Rebalance partitions"])
    assert ("feature", "Failback") in rebalance and ("tag", "destructive") not in rebalance
    assert ("feature", "Budgets") in labels(results["RPO"])
    assert results["RPO"]["parameters"] == [{"name": "lost_region", "value": "0"}, {"name": "target", "value": "sim"}]


def test_attachments_are_written_beside_the_results_with_the_step_evidence(tmp_path: Path) -> None:
    results, out_dir = rebuild(passing_drill, tmp_path)
    refs = results["Confirm the lost region is gone"]["attachments"]
    expected = step_attachments(read_journal(tmp_path / "journal.jsonl"), "failover-1")

    assert [r["name"] for r in refs] == [a.name for a in expected]
    for ref, attachment in zip(refs, expected, strict=True):
        assert ref["type"] == "application/json" and ref["source"].endswith("-attachment.json")
        assert (out_dir / ref["source"]).read_text(encoding="utf-8") == attachment.content


def test_failed_drill_marks_the_step_and_the_lost_markers(tmp_path: Path) -> None:
    results, _ = rebuild(failed_drill, tmp_path)

    rebalance = results["Rebalance partitions"]
    assert rebalance["status"] == "failed"
    assert rebalance["statusDetails"]["message"] == "partitions balanced: expected true, got false"
    assert [s["status"] for s in rebalance["steps"]] == ["passed", "passed", "failed"]
    assert results["RPO"]["status"] == "failed"
    assert results["RPO"]["statusDetails"]["message"] == "1 of 1 markers lost (budget 0): m-1"


def test_a_failed_action_fails_its_sub_step_and_the_error_is_the_message(tmp_path: Path) -> None:
    results, _ = rebuild(action_failed_drill, tmp_path)
    result = results["Remove the lost brokers"]

    assert result["status"] == "failed"
    assert result["statusDetails"]["message"].startswith("ActionFailed: remove brokers 0, 2, 4, 6: HTTP 409")
    assert [(s["name"], s["status"]) for s in result["steps"]] == [("Current state", "passed"), ("Actions", "failed")]
    (action,) = result["steps"][1]["steps"]
    assert action["statusDetails"] == {"message": "HTTP 409 from the management API"}
    assert action["stop"] - action["start"] == 1000  # started and failed records, one tick apart


def test_start_and_stop_are_the_exact_epoch_milliseconds_of_the_step_records(tmp_path: Path) -> None:
    results, _ = rebuild(passing_drill, tmp_path)
    report = report_from_journal(tmp_path / "journal.jsonl")
    step = report["steps"][0]
    result = results[step["title"]]
    assert result["start"] == int(datetime.fromisoformat(step["started_at"]).timestamp()) * 1000
    assert result["stop"] - result["start"] == round(
        (datetime.fromisoformat(step["finished_at"]) - datetime.fromisoformat(step["started_at"])).total_seconds()
        * 1000
    )


def test_a_step_cut_short_is_broken_with_its_action_interrupted(tmp_path: Path) -> None:
    results, _ = rebuild(incomplete_drill, tmp_path)

    running = results["Remove the lost brokers"]
    assert running["status"] == "broken" and running["stage"] == "interrupted"
    assert "start" in running and "stop" not in running
    actions = next(s for s in running["steps"] if s["name"] == "Actions")
    assert [(a["status"], a["stage"]) for a in actions["steps"]] == [("broken", "interrupted")]
    assert results["Recreate the lost region"]["status"] == "skipped"


def test_history_ids_are_stable_across_rebuilds_and_unique_within_one(tmp_path: Path) -> None:
    first, _ = rebuild(passing_drill, tmp_path, "one")
    second, _ = rebuild(passing_drill, tmp_path, "two")

    assert {n: r["historyId"] for n, r in first.items()} == {n: r["historyId"] for n, r in second.items()}
    assert {n: r["testCaseId"] for n, r in first.items()} == {n: r["testCaseId"] for n, r in second.items()}
    assert len({r["historyId"] for r in first.values()}) == len(first)
    assert not {r["uuid"] for r in first.values()} & {r["uuid"] for r in second.values()}


def test_history_id_depends_on_the_lost_region(tmp_path: Path) -> None:
    journal = passing_drill(tmp_path / "journal.jsonl")
    report, records = report_from_journal(journal), read_journal(journal)
    write_allure_results(report, records, tmp_path / "region0")
    write_allure_results(report | {"lost_region": 1}, records, tmp_path / "region1")

    def ids(out: str) -> set[str]:
        return {json.loads(p.read_text())["historyId"] for p in (tmp_path / out).glob("*-result.json")}

    assert not ids("region0") & ids("region1")


def test_writes_only_inside_out_dir_and_returns_every_file(tmp_path: Path) -> None:
    journal = passing_drill(tmp_path / "journal.jsonl")
    before = set(tmp_path.rglob("*"))
    out_dir = tmp_path / "nested" / "allure-results"

    written = write_allure_results(report_from_journal(journal), read_journal(journal), out_dir)

    assert set(written) == set(out_dir.iterdir())
    assert set(tmp_path.rglob("*")) - before == {tmp_path / "nested", out_dir, *written}
    assert len([p for p in written if p.name.endswith("-result.json")]) == 7


@pytest.mark.parametrize("build", [passing_drill, failed_drill, action_failed_drill, refused_drill, incomplete_drill])
def test_results_load_into_allure_pythons_own_model(build: Callable[[Path], Path], tmp_path: Path) -> None:
    """Every field we write is one allure-python writes (its attrs classes refuse unknown keyword arguments)."""
    model = pytest.importorskip("allure_commons.model2")

    def step(data: dict[str, Any]) -> Any:
        return model.TestStepResult(
            **data | {"steps": [step(s) for s in data.get("steps", [])], "statusDetails": details(data)}
        )

    def details(data: dict[str, Any]) -> Any:
        return model.StatusDetails(**data["statusDetails"]) if "statusDetails" in data else None

    results, out_dir = rebuild(build, tmp_path)
    for data in results.values():
        result = model.TestResult(
            **data
            | {
                "labels": [model.Label(**label) for label in data["labels"]],
                "parameters": [model.Parameter(**p) for p in data["parameters"]],
                "attachments": [model.Attachment(**a) for a in data.get("attachments", [])],
                "steps": [step(s) for s in data.get("steps", [])],
                "statusDetails": details(data),
            }
        )
        assert result.status in (model.Status.PASSED, model.Status.FAILED, model.Status.SKIPPED, model.Status.BROKEN)
        assert all((out_dir / a.source).is_file() for a in result.attachments)
