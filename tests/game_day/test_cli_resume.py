"""`c8-drill run` SIGKILLed in the middle of failover-1 (its force removal sent) and `c8-drill run --resume` on
the same running simulator: the drill passes in one continuous journal that verifies. The pytest child runs in
its own session; a killed parent must not leave it running the drill unsupervised: it is interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from drill.evidence.journal import read_journal, verify_chain
from tests.test_cli_sim_up import CLI_ENV, REPO_ROOT, SIM_UP, wait_for_file

RUN = [sys.executable, "-m", "drill.cli", "run", "--lost-region", "1"]
SLOW_CLUSTER_READS = {
    "kind": "delay", "service": "management", "region": 0, "method": "GET", "path": "/actuator/cluster", "seconds": 1.0
}  # fmt: skip


def _force_removal_sent(journal: Path) -> bool:
    try:
        lines = journal.read_bytes().splitlines()
    except FileNotFoundError:
        return False
    return any(b'"method":"PATCH"' in line and b'"step":"failover-1"' in line for line in lines)


def test_a_killed_run_resumed_from_its_journal_passes_in_one_chain(tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    reports = tmp_path / "reports"
    journal = reports / "lost-region-1" / "journal.jsonl"
    sim = subprocess.Popen(
        [*SIM_UP, "--endpoints-file", str(endpoints), "--for-seconds", "120"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO_ROOT,
        env=CLI_ENV,
    )
    try:
        wait_for_file(endpoints, sim)  # type: ignore[arg-type]
        control = json.loads(endpoints.read_text())["control"]
        # The drill is fast: every look at the surviving region's cluster takes a second, so the kill below lands
        # while failover-1 waits for its removal, however loaded the machine is. Cleared before the resume.
        httpx.post(f"{control}/faults", json=SLOW_CLUSTER_READS, timeout=10).raise_for_status()
        first = subprocess.Popen(
            [*RUN, "--endpoints", str(endpoints), "--report-dir", str(reports)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            env=CLI_ENV,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not _force_removal_sent(journal):
                assert time.monotonic() < deadline and first.poll() is None, "failover-1 never sent its removal"
                time.sleep(0.02)
        finally:
            os.killpg(first.pid, signal.SIGKILL)  # c8-drill run itself: it cannot clean up
            first.wait(10)
        deadline = time.monotonic() + 30
        while not [r for r in read_journal(journal) if r["kind"] == "drill_end"]:
            assert time.monotonic() < deadline, "the orphaned pytest child did not stop"
            time.sleep(0.05)
        end = [r for r in read_journal(journal) if r["kind"] == "drill_end"][-1]
        assert end["verdict"] == "failed"  # interrupted in failover-1, not run on to the end
        httpx.delete(f"{control}/faults", timeout=10).raise_for_status()

        resumed = subprocess.run(
            [*RUN, "--endpoints", str(endpoints), "--resume", str(journal)],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=CLI_ENV,
            timeout=120,
        )
    finally:
        sim.kill()
        sim.wait(10)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "resume starts at" in resumed.stdout
    records = read_journal(journal)
    assert verify_chain(journal).records == len(records)
    assert [r["kind"] for r in records].count("drill_start") == 1
    report = json.loads((journal.parent / "report.json").read_text())
    assert report["verdict"] == "passed"
