"""`c8-drill prove` as users run it: the matrix files, a selection, bad input, and an interrupt mid-matrix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from drill.cli import main
from drill.evidence.journal import read_journal

C8_DRILL = Path(sys.executable).with_name("c8-drill")


def test_a_selected_case_writes_the_matrix_as_json_and_html(tmp_path: Path) -> None:
    out = tmp_path / "prove"
    result = CliRunner().invoke(main, ["prove", "--only", "skip failback-3", "--report-dir", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "prove.json").read_text())
    assert [r["case"] for r in document["rows"]] == ["baseline", "skip failback-3"]
    assert document["rows"][1]["caught_at"] == {"step": "failback-4", "phase": "current"}
    assert document["verdict"] == "passed" and document["complete"] is True
    assert "skip failback-3" in (out / "prove.html").read_text()
    assert "caught at failback-4 (current)" in result.output


def test_an_unknown_selection_is_one_line_and_runs_nothing(tmp_path: Path) -> None:
    out = tmp_path / "prove"
    result = CliRunner().invoke(main, ["prove", "--only", "skip failback-11", "--report-dir", str(out)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "'skip failback-11' matches no case id" in result.output
    assert not out.exists()


def test_a_terminated_prove_ends_each_running_drill_cleanly_and_exits_3(tmp_path: Path) -> None:
    out = tmp_path / "prove"
    process = subprocess.Popen(
        [str(C8_DRILL), "prove", "--workers", "2", "--report-dir", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cases = out / "cases"
            if cases.exists() and len(list(cases.iterdir())) >= 4:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 3, output.decode()
    document = json.loads((out / "prove.json").read_text())
    assert document["complete"] is False and document["verdict"] in ("incomplete", "failed")
    journals = sorted((out / "cases").glob("*/lost-region-1/journal.jsonl"))
    assert len(journals) >= 4
    for path in journals:
        records = read_journal(path)  # every chain verifies, interrupted ones included
        assert records[-1]["kind"] == "drill_end", (path, records[-1])
