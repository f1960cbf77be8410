"""report.html in a real browser: the page an auditor opens must load, show its verdict, render and print.

Needs a Chromium binary. Without one the tests skip, unless C8_DRILL_REQUIRE_BROWSER=1 (CI sets it and installs
chromium), where a missing browser is a failure: a CI run that silently skipped them would prove nothing.
The browser runs with networking background services off and a throwaway profile, so it reaches nothing but the
file it is given.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from support.browser import run_browser

from drill.evidence import Journal
from drill.evidence.report.html import render_html
from drill.evidence.report.model import report_from_journal

TIMEOUT_S = 60
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
STAGES: list[dict[str, Any]] = [
    {"id": "steady-1", "title": "Verify the steady state", "phase": "steady", "destructive": False},
    {"id": "failover-1", "title": "Remove lost brokers", "phase": "failover", "destructive": True},
    {"id": "failback-1", "title": "Deploy Camunda 8 in the recreated region", "phase": "failback", "destructive": True},
]


def failed_report_page(tmp_path: Path) -> Path:
    """A drill whose second step refuses, with a hostile check value: the page that most needs to be right."""
    now = [T0]

    def clock() -> datetime:
        now[0] += timedelta(milliseconds=250)
        return now[0]

    path = tmp_path / "journal.jsonl"
    with Journal.create(path, durable=False, wall=clock) as journal:
        journal.drill_start(
            target="sim",
            lost_region=1,
            contexts={"0": "kind-region-0", "1": "kind-region-1"},
            versions={"gateway": "8.6.3"},
            chart_version={"0": "11.2.0", "1": "11.2.0"},
            operator="alice",
            host="runner",
            procedure=[s["id"] for s in STAGES],
            variant="operate-tasklist",
            stages=STAGES,
        )
        journal.step_start("steady-1", "Verify the steady state")
        journal.current_step = "steady-1"
        for n in range(30):
            journal.http({"method": "GET", "url": f"http://localhost:8080/v2/topology?n={n}", "status": 200})
        journal.current_step = None
        journal.step_end("steady-1", "passed", duration_s=1.0)
        journal.step_start("failover-1", "Remove lost brokers")
        journal.check(
            step_id="failover-1",
            phase="current",
            name="lost brokers absent",
            expected=[0, 2, 4, 6],
            actual="<script>document.title='owned'</script>",
            verdict="fail",
        )
        journal.step_end("failover-1", "refused", duration_s=0.2, error="current state does not hold")
        journal.append("blocked", step_id="failback-1", reason="failover-1 refused")
        journal.drill_end(verdict="failed")
    page = tmp_path / "report.html"
    page.write_text(render_html(report_from_journal(path)), encoding="utf-8")
    return page


def test_browser_shows_the_verdict_and_runs_no_injected_script(tmp_path: Path) -> None:
    page = failed_report_page(tmp_path)
    dom = run_browser(tmp_path, "--dump-dom", page.as_uri()).stdout
    banner = re.search(r'<div id="verdict"[^>]*data-verdict="failed"[^>]*>(.*?)</div>', dom, re.S)
    assert banner, f"no verdict element in the DOM: {dom[:500]}"
    assert "FAILED" in unescape(re.sub(r"<[^>]+>", " ", banner.group(1)))
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and unescape(title.group(1)) == "Camunda 8 dual-region DR drill \u2014 sim, region 1 lost"
    assert "&lt;script&gt;document.title='owned'&lt;/script&gt;" in dom
    assert dom.count('data-step="') == len(STAGES)


def test_browser_renders_a_screenshot(tmp_path: Path) -> None:
    page = failed_report_page(tmp_path)
    shot = tmp_path / "report.png"
    run_browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 20_000, "a page of tables and a coloured banner is far more than a blank image"


def test_printing_opens_the_evidence(tmp_path: Path) -> None:
    """On paper there is nothing to click: the evidence inside <details> must be printed expanded."""
    pdftotext = shutil.which("pdftotext")
    page = failed_report_page(tmp_path)
    pdf = tmp_path / "report.pdf"
    run_browser(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if pdftotext is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; the PDF was made but its text cannot be read")
    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    ).stdout
    assert "Evidence (30 journal records)" in text
    # long cells wrap on paper, so compare without whitespace
    assert "topology?n=29" in "".join(text.split()), "the evidence inside <details> was not printed"
    assert "FAILED" in text
