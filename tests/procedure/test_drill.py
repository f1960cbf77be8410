"""The ten steps in order take the deployment from "region N lost" back to the original dual-region state."""

from __future__ import annotations

from collections import Counter

import pytest
from support.drill_harness import MakeDrill, run_until

from drill.evidence import verify_chain
from drill.procedure import catalog
from drill.procedure.runner import run_step
from drill.procedure.steady import steady_state

STEP_IDS = [
    "failover-1",
    "failover-2",
    "failback-1",
    "failback-2",
    "failback-3",
    "failback-4",
    "failback-5",
    "failback-6",
    "failback-7",
    "failback-8",
]


@pytest.mark.parametrize("lost", [0, 1])
def test_the_procedure_restores_the_original_dual_region_state(make_drill: MakeDrill, lost: int) -> None:
    drill = make_drill(lost)
    ctx = drill.ctx
    assert [c.line() for c in steady_state(ctx) if not c.passed] == []

    run_until(ctx)

    assert [c.line() for c in steady_state(ctx) if not c.passed] == []
    zeebe = drill.state()["zeebe"]
    assert zeebe["members"] == list(range(8))
    assert zeebe["replicationFactor"] == 4
    assert zeebe["exportingPaused"] is False
    assert zeebe["exporters"] == [
        {"exporterId": "camundaregion0", "status": "ENABLED"},
        {"exporterId": "camundaregion1", "status": "ENABLED"},
    ]
    regions = drill.state()["regions"]
    assert regions["0"]["elasticsearch"]["indices"] == regions["1"]["elasticsearch"]["indices"]


@pytest.mark.parametrize("lost", [0, 1])
def test_every_step_and_check_is_in_an_intact_journal(make_drill: MakeDrill, lost: int) -> None:
    drill = make_drill(lost)
    run_until(drill.ctx)
    drill.ctx.journal.close()

    report = verify_chain(drill.ctx.journal.path)
    assert report.records == len(drill.records())
    ends = drill.records("step_end")
    assert [(r["step_id"], r["status"]) for r in ends] == [(s, "passed") for s in STEP_IDS]
    checks = drill.records("check")
    per_step = Counter((c["step_id"], c["phase"]) for c in checks)
    for step_id in STEP_IDS:
        assert per_step[(step_id, "current")] >= 1, step_id
        assert per_step[(step_id, "desired")] >= 1, step_id
    assert {c["verdict"] for c in checks} == {"pass"}
    # Each check is attributed to the step that ran it, and every API call is evidence of its step.
    assert all(c["step"] == c["step_id"] for c in checks)
    http = drill.records("http")
    assert {r["step"] for r in http if r.get("step")} == set(STEP_IDS)
    assert any(r["method"] == "PATCH" and "force=true" in r["url"] for r in http)


def test_the_broker_ids_follow_the_lost_region(make_drill: MakeDrill) -> None:
    drill = make_drill(0)
    run_until(drill.ctx)
    patches = [r for r in drill.records("http") if r["method"] == "PATCH"]
    assert [r["request_body"] for r in patches] == [
        '{"brokers":{"remove":[0,2,4,6]}}',
        '{"brokers":{"add":[0,2,4,6]},"partitions":{"replicationFactor":4}}',
    ]
    assert "force" not in patches[1]["url"]


def test_the_operate_last_variant_starts_operate_and_tasklist_after_the_brokers(make_drill: MakeDrill) -> None:
    drill = make_drill(1, variant="operate-last")
    run_until(drill.ctx)
    assert [c.line() for c in steady_state(drill.ctx) if not c.passed] == []
    order = [r["step_id"] for r in drill.records("step_end")]
    assert order[-2:] == ["failback-8", "failback-5"]


def test_the_pause_is_proven_by_an_instance_that_arrives_only_after_the_resume(make_drill: MakeDrill) -> None:
    drill = make_drill(1)
    run_until(drill.ctx, stop_before="failback-4")
    paused = drill.ctx.memory["paused_probe"]
    assert drill.state()["zeebe"]["exportingPaused"] is True
    probe_checks = [c for c in drill.records("check") if c["step_id"] == "failback-3" and c["phase"] == "desired"]
    assert probe_checks[0]["actual"] == "not exported"
    assert paused in probe_checks[0]["expected"]

    for step in catalog.steps("seed", "failback")[3:7]:
        run_step(drill.ctx, step)
    arrived = [
        c["name"]
        for c in drill.records("check")
        if c["step_id"] == "failback-7" and c["verdict"] == "pass" and "pause" in c["name"]
    ]
    assert arrived == ["instance from the pause reaches region 0", "instance from the pause reaches region 1"]
