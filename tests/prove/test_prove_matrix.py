"""The proof itself, in CI: every mutation and fault is caught where expected, nothing destructive runs after
detection, every journal verifies. This is the test that fails when a check of the drill stops catching something.

One run of the whole matrix (about 85 drills on the simulator, in worker processes) is shared by the tests here.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from drill.cli_prove import default_workers
from drill.evidence.journal import read_journal
from drill.procedure.catalog import steps
from drill.prove import matrix
from drill.prove.engine import ProveSettings, prove
from drill.prove.verdict import Row


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[Row]:
    out = tmp_path_factory.mktemp("prove")
    return prove(ProveSettings(out_dir=out), workers=default_workers())


def test_every_case_behaves_as_expected(rows: list[Row]) -> None:
    wrong = {row.case: row.problems for row in rows if not row.ok}
    assert wrong == {}


def test_the_matrix_covers_every_omission_swap_mistake_and_fault_class(rows: list[Row]) -> None:
    kinds = Counter(row.kind for row in rows)
    assert kinds["control"] == 1
    assert kinds["omission"] == len(steps())
    assert kinds["order"] == len(steps()) - 1
    assert kinds["mistake"] == 6
    endpoint_faults = [row for row in rows if row.case.startswith(("503 ", "hang "))]
    services = {row.case.split()[1].rstrip("01") for row in endpoint_faults}
    assert services == {"gateway", "management", "elasticsearch"}
    assert len(endpoint_faults) >= 40  # a 503 and a hang on each of the 20+ endpoints the ten steps call
    assert sum(row.case.startswith("blip ") for row in rows) == 4


def test_no_destructive_stage_runs_after_detection_and_every_journal_verifies(rows: list[Row]) -> None:
    assert all(row.journal_intact for row in rows)
    assert [row.case for row in rows if row.destructive_after] == []
    detected = [row for row in rows if row.outcome == "detected"]
    assert len(detected) >= 75
    for row in detected:
        records = read_journal(Path(row.journal))
        stop = next(i for i, r in enumerate(records) if r["kind"] == "step_end" and r["status"] != "passed")
        later = [r for r in records[stop + 1 :] if r["kind"] in ("step_start", "action")]
        assert later == [], f"{row.case}: something ran after detection"
        assert records[-1]["kind"] == "drill_end" and records[-1]["verdict"] == "failed"


def test_the_harmless_swap_passes_the_full_final_checks_with_its_evidence(rows: list[Row]) -> None:
    harmless = next(row for row in rows if row.case == "swap failback-5 failback-6")
    assert harmless.outcome == "passed"
    assert "0 markers lost" in harmless.evidence
    records = read_journal(Path(harmless.journal))
    order = [r["step_id"] for r in records if r["kind"] == "step_start"]
    assert order.index("failback-6") < order.index("failback-5")


def test_transient_blips_are_retried_and_recorded(rows: list[Row]) -> None:
    for row in (row for row in rows if row.case.startswith("blip ")):
        assert row.outcome == "passed" and row.retries >= 1, row.case
        retries = [r for r in read_journal(Path(row.journal)) if r["kind"] == "retry"]
        assert retries and all(r.get("step") for r in retries)


def test_the_matrix_document_and_page_say_what_was_proven(rows: list[Row], tmp_path: Path) -> None:
    document = matrix.build(rows, lost_region=1, variant="seed", seconds=1.0, complete=True)
    assert document["verdict"] == "passed"
    assert document["summary"]["destructive_steps_after_detection"] == 0
    assert json.loads(json.dumps(document))["rows"][0]["case"] == "baseline"
    page = matrix.render_html(document)
    assert "PASSED" in page and "skip failback-3" in page and "caught at failback-4 (current)" in page
