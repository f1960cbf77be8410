"""The whole drill on the simulator: steady state, loss, markers, the ten steps, steady state again; judged from
the journal alone."""

from __future__ import annotations

import pytest
from support.drill_harness import MakeDrill

from drill.evidence.report.model import report_from_journal
from drill.procedure import session
from drill.procedure.runner import run_steps
from drill.procedure.stages import drill_sequence


@pytest.mark.parametrize("lost", [0, 1])
def test_a_full_drill_passes_with_rpo_zero_and_rto_measured(make_drill: MakeDrill, lost: int) -> None:
    drill = make_drill(lost)
    session.begin(drill.ctx, target="sim")
    results = run_steps(drill.ctx, drill_sequence())
    session.finish(drill.ctx, verdict="passed")
    report = report_from_journal(drill.ctx.journal.path)
    assert [s["verdict"] for s in report["steps"]] == ["passed"] * len(results) == ["passed"] * 18
    assert report["verdict"] == "passed", report["rto"]
    assert report["rpo"]["markers_written"] == 8 and report["rpo"]["markers_lost"] == 0
    assert all(m["found"] == {"0": True, "1": True} for m in report["rpo"]["markers"])
    assert 0 < report["rto"]["failover_s"] < 60 and 0 < report["rto"]["failback_s"] < 300
