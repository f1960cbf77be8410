"""`c8-drill run`, `report` and `verify` as a user runs them: one real drill on the simulator, then its evidence."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.browser import run_browser

from drill.cli import main
from drill.evidence import verify_chain
from drill.evidence.archive import archive_previous
from drill.launch import JournalFollower

REPORT_KEYS = {"target", "lost_region", "verdict", "started_at", "finished_at", "steps", "rto", "rpo", "journal"}


@pytest.fixture(scope="module")
def drill_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    report_dir = tmp_path_factory.mktemp("run") / "reports"
    done = subprocess.run(
        [sys.executable, "-m", "drill.cli", "run", "--lost-region", "1", "--report-dir", str(report_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, report_dir


def test_run_passes_on_the_simulator_and_writes_every_report(
    drill_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, report_dir = drill_run
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED" in done.stdout and "18/18" in done.stdout
    folder = report_dir / "lost-region-1"
    report = json.loads((folder / "report.json").read_text())
    assert report.keys() >= REPORT_KEYS
    assert (report["target"], report["lost_region"], report["verdict"]) == ("sim", 1, "passed")
    assert report["rpo"]["markers_lost"] == 0 and report["rpo"]["markers_written"] == 8
    assert report["rto"]["verdict"] == "pass" and report["rto"]["failover_s"] <= report["rto"]["failover_budget_s"]
    ends = [e for e in report["timeline"] if e["event"].startswith("failover RTO ends: marker")]
    assert len(ends) == 1 and "-failover-1 visible in region 0" in ends[0]["event"]
    check = report["steps"][2]["checks"][0]
    assert {"name", "phase", "expected", "actual", "verdict"} <= check.keys() and check["phase"] == "current"
    assert {"id", "title", "verdict", "duration_s", "checks"} <= report["steps"][0].keys()
    assert report["journal"]["head_sha256"] == verify_chain(folder / "journal.jsonl").last_hash
    assert 'data-verdict="passed"' in (folder / "report.html").read_text()
    assert "<testsuite" in (folder / "junit.xml").read_text()
    assert list((report_dir / "allure-results").glob("*-result.json"))
    assert not (report_dir / "lost-region-0").exists()  # only the region asked for
    if os.environ.get("C8_DRILL_ALLURE"):  # CI installs Allure 3: the run then makes Allure's HTML report too
        assert (report_dir / "allure-report" / "index.html").is_file(), done.stdout + done.stderr


def test_run_starts_the_simulator_with_the_shape_given_and_drills_it(tmp_path: Path) -> None:
    """clusterSize 4 with 2 partitions (the small kind profile's shape): the drill expects it, removes exactly
    region 0's two brokers and adds them back."""
    report_dir = tmp_path / "reports"
    argv = ["run", "--lost-region", "0", "--cluster-size", "4", "--partitions", "2", "--report-dir", str(report_dir)]
    done = subprocess.run([sys.executable, "-m", "drill.cli", *argv], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    records = [json.loads(line) for line in (report_dir / "lost-region-0" / "journal.jsonl").read_text().splitlines()]
    start = next(r for r in records if r["kind"] == "drill_start")
    assert start["shape"] == {"clusterSize": 4, "partitions": 2, "replicationFactor": 4}
    patches = [r for r in records if r["kind"] == "http" and r["method"] == "PATCH" and "/cluster" in r["url"]]
    assert [json.loads(r["request_body"])["brokers"] for r in patches] == [{"remove": [0, 2]}, {"add": [0, 2]}]


def test_progress_shows_every_stage_as_the_journal_records_it(
    drill_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    out = drill_run[0].stdout
    for stage in ("steady-before", "region-loss", "failover-1", "failback-4", "failback-8", "steady-after"):
        assert f"{stage} ✔ passed" in out


def test_verify_accepts_the_journal_and_names_the_first_edited_record(
    drill_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    journal = drill_run[1] / "lost-region-1" / "journal.jsonl"
    runner = CliRunner()
    ok = runner.invoke(main, ["verify", str(journal)])
    assert ok.exit_code == 0 and verify_chain(journal).last_hash in ok.output
    lines = journal.read_bytes().split(b"\n")
    target = next(i for i, line in enumerate(lines) if b'"verdict":"fail"' not in line and b'"kind":"check"' in line)
    lines[target] = lines[target].replace(b'"verdict":"pass"', b'"verdict":"fail"')
    edited = tmp_path / "edited.jsonl"
    edited.write_bytes(b"\n".join(lines))
    bad = runner.invoke(main, ["verify", str(edited)])
    assert bad.exit_code == 1
    assert f"line {target + 2}" in bad.output and f"line {target + 1} was altered" in bad.output


def test_report_rebuilds_the_reports_from_the_journal_alone(
    drill_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    folder = drill_run[1] / "lost-region-1"
    result = CliRunner().invoke(main, ["report", str(folder / "journal.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output
    original = json.loads((folder / "report.json").read_text())
    rebuilt = json.loads((tmp_path / "report.json").read_text())
    assert rebuilt == original
    assert (tmp_path / "report.html").read_text() == (folder / "report.html").read_text()
    assert len(list((tmp_path / "allure-results").glob("*-result.json"))) == len(original["steps"]) + 3


def test_report_refuses_a_file_that_is_not_a_journal(tmp_path: Path) -> None:
    stranger = tmp_path / "notes.txt"
    stranger.write_text("hello\n")
    result = CliRunner().invoke(main, ["report", str(stranger), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "not a c8-dr-drill journal" in result.output
    assert not (tmp_path / "out").exists()


def test_run_refuses_kube_without_contexts_before_doing_anything(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", "--target", "kube", "--report-dir", str(tmp_path / "r")])
    assert result.exit_code == 2 and "--context" in result.output
    assert not (tmp_path / "r").exists()


def test_an_earlier_drill_is_archived_not_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "lost-region-1"
    folder.mkdir()
    (folder / "journal.jsonl").write_text("evidence\n")
    moved = archive_previous(folder)
    assert moved is not None and (moved / "journal.jsonl").read_text() == "evidence\n"
    assert not folder.exists()
    folder.mkdir()
    again = archive_previous(folder)
    assert again is not None and again != moved and again.exists()
    assert archive_previous(tmp_path / "absent") is None


def test_the_follower_yields_only_complete_records(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    follower = JournalFollower(path)
    assert list(follower.poll()) == []
    path.write_bytes(b'{"kind":"a"}\n{"kind":')
    assert [r["kind"] for r in follower.poll()] == ["a"]
    with path.open("ab") as handle:
        handle.write(b'"b"}\n')
    assert [r["kind"] for r in follower.poll()] == ["b"]
    assert list(follower.poll()) == []


def test_the_real_drills_report_renders_in_a_browser_with_its_verdict(
    drill_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    page = drill_run[1] / "lost-region-1" / "report.html"
    dom = run_browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert 'id="verdict"' in dom and 'data-verdict="passed"' in dom and "PASSED" in dom
    assert "failback-8" in dom and "Add new brokers to the Zeebe cluster" in dom


def test_a_terminated_run_stops_the_drill_cleanly_and_keeps_its_evidence(tmp_path: Path) -> None:
    """SIGTERM (a cancelled CI job) mid-step: the step ends failed, the journal ends and verifies, exit 3."""
    report_dir = tmp_path / "reports"
    journal = report_dir / "lost-region-1" / "journal.jsonl"
    command = [sys.executable, "-m", "drill.cli", "run", "--lost-region", "1", "--time-scale", "1"]
    parent = subprocess.Popen(
        [*command, "--report-dir", str(report_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not _started(journal, "failover-1"):
            assert time.monotonic() < deadline, "failover-1 never started"
            assert parent.poll() is None, parent.communicate()[0]
            time.sleep(0.1)
        parent.send_signal(signal.SIGTERM)
        out, _ = parent.communicate(timeout=60)
    finally:
        parent.kill()
    assert parent.returncode == 3, out
    assert "stopped before it ended" in out
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    verify_chain(journal)
    assert records[-1]["kind"] == "drill_end" and records[-1]["verdict"] == "failed"
    ends = [r for r in records if r["kind"] == "step_end"]
    assert (ends[-1]["step_id"], ends[-1]["status"]) == ("failover-1", "failed")
    started = [r["step_id"] for r in records if r["kind"] == "step_start"]
    assert started == ["steady-before", "region-loss", "fence-lost-region", "reroute-traffic", "failover-1"]
    report = json.loads((journal.parent / "report.json").read_text())
    assert report["verdict"] == "failed"


def _started(journal: Path, step_id: str) -> bool:
    try:
        lines = journal.read_bytes().splitlines()
    except FileNotFoundError:
        return False
    wanted = f'"step_id":"{step_id}"'.encode()
    return any(b'"kind":"step_start"' in line and wanted in line for line in lines)


def test_progress_shows_the_waits_that_took_a_while_or_ended_badly() -> None:
    from drill.cli_drill import console, progress

    waits = [
        {"kind": "wait", "what": "marker m1 in region 0", "attempts": 1, "elapsed_s": 0.001, "outcome": "answered"},
        {"kind": "wait", "what": "change 4", "attempts": 9, "elapsed_s": 14.8, "outcome": "COMPLETED"},
        {"kind": "wait", "what": "pods ready", "attempts": 3, "elapsed_s": 0.2, "outcome": "timed out"},
    ]
    with console.capture() as captured:
        for wait in waits:
            progress(1, wait)
    shown = captured.get()
    assert "change 4" in shown and "pods ready" in shown
    assert "marker m1" not in shown
