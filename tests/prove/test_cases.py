"""The catalogue of cases covers what the issue lists, and rows are judged from journals alone."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from drill.evidence.journal import Journal
from drill.procedure.catalog import steps
from drill.procedure.params import DrillParams
from drill.prove.cases import DETECTED, HARMLESS, Case, Expect, caught, mistakes, omissions, swaps
from drill.prove.engine import ProveSettings, all_cases
from drill.prove.faults import Endpoint, FirstCall, called_endpoints, endpoint_cases, state_cases, transient_cases
from drill.prove.verdict import judge

IDS = [s.id for s in steps()]


def test_every_step_is_skipped_and_every_adjacent_pair_swapped() -> None:
    assert [c.id for c in omissions()] == [f"skip {i}" for i in IDS]
    assert [c.id for c in swaps()] == [f"swap {a} {b}" for a, b in itertools.pairwise(IDS)]
    sequence = [s.id for s in swaps()[3].sequence(steps())]
    assert sequence[3:5] == ["failback-3", "failback-2"]
    assert "failback-4" not in [s.id for s in omissions()[5].sequence(steps())]


def test_the_known_operator_mistakes_are_all_there() -> None:
    assert {c.id for c in mistakes()} == {
        "mistake schema-manager",
        "mistake exporter-before-restore",
        "mistake resume-before-exporter",
        "mistake force-add",
        "mistake operate-on-during-backup",
        "mistake remove-surviving",
    }


def test_every_fault_class_of_the_issue_is_a_case() -> None:
    ids = {c.id for c in state_cases()}
    assert {"snapshot-partial", "snapshot-failed", "restore-conflict before", "restore-conflict during"} <= ids
    assert {"es-red surviving", "zombie before fence", "zombie before failover-1", "zombie during failover"} <= ids
    assert {f"change-failed {s}" for s in ("failover-1", "failover-2", "failback-6", "failback-8")} <= ids
    assert all(c.expect.outcome == "tolerated" for c in transient_cases())


def test_case_ids_are_unique_including_the_endpoint_faults() -> None:
    called = {Endpoint("management", 0, "GET", "/actuator/cluster"): FirstCall("failover-1", "current")}
    cases = all_cases(ProveSettings(out_dir=Path("unused")), called)
    assert len({c.id for c in cases}) == len(cases)
    assert {c.id for c in cases} >= {"503 management0 GET /actuator/cluster", "hang management0 GET /actuator/cluster"}


def test_an_expected_detection_names_its_step_and_phase() -> None:
    with pytest.raises(ValueError, match="names its step"):
        Expect(DETECTED, "failover-1", None)
    assert caught("failback-4", "current").describe() == "caught at failback-4 (current)"


# -- endpoints called, from a journal ------------------------------------------------------------------------


ENDPOINTS = {
    "region0": {
        "gateway": "http://127.0.0.1:1",
        "management": "http://127.0.0.1:2",
        "elasticsearch": "http://127.0.0.1:3",
    },
    "region1": {
        "gateway": "http://127.0.0.1:4",
        "management": "http://127.0.0.1:5",
        "elasticsearch": "http://127.0.0.1:6",
    },
    "control": "http://127.0.0.1:7",
}


def http(step: str, method: str, url: str) -> dict[str, Any]:
    return {"kind": "http", "step": step, "method": method, "url": url}


def test_called_endpoints_keep_the_first_step_and_phase_and_wildcard_keys() -> None:
    records = [
        {"kind": "step_start", "step_id": "steady-before", "step": "steady-before"},
        http("steady-before", "GET", "http://127.0.0.1:1/v2/topology"),  # not one of the ten steps
        http("failover-1", "GET", "http://127.0.0.1:1/v2/topology"),
        {"kind": "check", "step": "failover-1", "phase": "current"},
        {"kind": "action", "step": "failover-1", "status": "started"},
        http("failover-1", "PATCH", "http://127.0.0.1:2/actuator/cluster?force=true"),
        {"kind": "action", "step": "failover-1", "status": "completed"},
        http("failover-1", "GET", "http://127.0.0.1:1/v2/process-instances/2251799813685249"),
        http("failover-2", "GET", "http://127.0.0.1:1/v2/topology"),
        http("failback-1", "GET", "http://127.0.0.1:7/regions/1"),  # the control API is not an endpoint
    ]
    assert called_endpoints(records, ENDPOINTS) == {
        Endpoint("gateway", 0, "GET", "/v2/topology"): FirstCall("failover-1", "current"),
        Endpoint("management", 0, "PATCH", "/actuator/cluster"): FirstCall("failover-1", "action"),
        Endpoint("gateway", 0, "GET", "/v2/process-instances/*"): FirstCall("failover-1", "desired"),
    }


def test_each_endpoint_gets_a_503_and_a_hang_expected_where_it_is_first_called() -> None:
    called = {Endpoint("elasticsearch", 1, "POST", "/x/_count"): FirstCall("failback-7", "desired")}
    cases = endpoint_cases(called, DrillParams(lost_region=1))
    assert [(c.id, c.expect) for c in cases] == [
        ("503 elasticsearch1 POST /x/_count", caught("failback-7", "desired")),
        ("hang elasticsearch1 POST /x/_count", caught("failback-7", "desired")),
    ]
    assert [arm.before for c in cases for arm in c.arms] == ["failback-7", "failback-7"]
    assert "recreated region" in cases[0].title


# -- judging a journal -----------------------------------------------------------------------------------------


STAGES = [
    {"id": "failover-1", "destructive": True},
    {"id": "failover-markers", "destructive": True},
    {"id": "failover-2", "destructive": True},
    {"id": "failover-visible", "destructive": False},
]


def journal(tmp_path: Path, body: list[tuple[str, dict[str, Any]]]) -> Path:
    path = tmp_path / "journal.jsonl"
    j = Journal.create(path, durable=False)
    try:
        j.append("drill_start", stages=STAGES)
        for kind, fields in body:
            fields = dict(fields)
            j.current_step = fields.pop("step", None)  # the journal attaches the step itself
            j.append(kind, **fields)
    finally:
        j.close()
    return path


def case(expect: Expect) -> Case:
    return Case("c", "omission", "a case", expect)


def test_a_refusal_is_caught_in_the_current_phase_with_its_failing_checks(tmp_path: Path) -> None:
    path = journal(
        tmp_path,
        [
            ("step_start", {"step_id": "failover-1"}),
            (
                "check",
                {
                    "step": "failover-1",
                    "phase": "current",
                    "name": "quorum",
                    "expected": [],
                    "actual": [1],
                    "verdict": "fail",
                },
            ),
            (
                "check",
                {
                    "step": "failover-1",
                    "phase": "current",
                    "name": "members",
                    "expected": 1,
                    "actual": 1,
                    "verdict": "pass",
                },
            ),
            ("step_end", {"step_id": "failover-1", "status": "refused", "error": "StepRefused: quorum"}),
            ("blocked", {"step_id": "failover-markers"}),
            ("drill_end", {"verdict": "failed"}),
        ],
    )
    row = judge(case(caught("failover-1", "current")), path)
    assert (row.outcome, row.step, row.phase, row.ok) == ("detected", "failover-1", "current", True)
    assert row.caught_by == ["quorum: expected [], got [1]"]
    assert row.destructive_after == [] and row.journal_intact


def test_a_failed_action_is_caught_in_the_action_phase(tmp_path: Path) -> None:
    path = journal(
        tmp_path,
        [
            ("step_start", {"step_id": "failover-1"}),
            ("action", {"step": "failover-1", "name": "remove", "status": "started"}),
            ("action", {"step": "failover-1", "name": "remove", "status": "failed", "error": "HTTP 400"}),
            ("step_end", {"step_id": "failover-1", "status": "failed"}),
        ],
    )
    row = judge(case(caught("failover-1", "desired")), path)
    assert (row.phase, row.caught_by) == ("action", ["remove: HTTP 400"])
    assert row.problems == ["expected caught at failover-1 (desired), caught at failover-1 (action)"]


def test_a_destructive_stage_after_detection_fails_the_row(tmp_path: Path) -> None:
    path = journal(
        tmp_path,
        [
            ("step_start", {"step_id": "failover-1"}),
            ("step_end", {"step_id": "failover-1", "status": "refused"}),
            ("step_start", {"step_id": "failover-2"}),
            ("step_end", {"step_id": "failover-2", "status": "passed"}),
        ],
    )
    row = judge(case(caught("failover-1", "current")), path)
    assert row.destructive_after == ["failover-2"]
    assert row.problems == ["destructive stages ran after detection: failover-2"]


def test_an_undetected_mutation_and_a_detected_harmless_one_fail_their_rows(tmp_path: Path) -> None:
    passed = journal(
        tmp_path,
        [
            ("step_start", {"step_id": "failover-1"}),
            ("step_end", {"step_id": "failover-1", "status": "passed"}),
            ("drill_end", {"verdict": "passed"}),
        ],
    )
    row = judge(case(caught("failover-1", "current")), passed)
    assert row.outcome == "passed"
    assert row.problems == ["expected caught at failover-1 (current), but the drill passed without catching it"]
    assert judge(case(Expect(HARMLESS)), passed).ok


def test_an_altered_journal_is_reported_not_judged(tmp_path: Path) -> None:
    path = journal(
        tmp_path,
        [("step_start", {"step_id": "failover-1"}), ("step_end", {"step_id": "failover-1", "status": "refused"})],
    )
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("failover-1", "failover-2")
    path.write_text("\n".join(lines) + "\n")
    row = judge(case(caught("failover-1", "current")), path)
    assert not row.journal_intact
    assert row.problems and row.problems[0].startswith("journal does not verify")
