"""What the evidence costs per drill: the journal's records and bytes, and the time to make every report from it
(report.json, report.html, junit.xml and the Allure results, as `c8-drill report` makes them), rendered in this
process so that only the rendering is timed."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drill.evidence.journal import read_journal
from drill.evidence.report.write import write_reports


@dataclass(frozen=True)
class JournalCost:
    lost_region: int
    records: int
    http_records: int
    wait_records: int
    bytes: int
    render_s: float  # median of `runs` renderings

    def to_json(self) -> dict[str, Any]:
        return {
            "lost_region": self.lost_region,
            "records": self.records,
            "http_records": self.http_records,
            "wait_records": self.wait_records,
            "bytes": self.bytes,
            "render_s": round(self.render_s, 4),
        }


def journal_cost(journal: Path, lost_region: int, runs: int) -> JournalCost:
    records = read_journal(journal)
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="drill-bench-render-") as tmp:
            out = Path(tmp)
            started = time.perf_counter()
            write_reports(journal, out / "reports", allure_results=out / "allure-results")
            times.append(time.perf_counter() - started)
    return JournalCost(
        lost_region,
        len(records),
        sum(r.get("kind") == "http" for r in records),
        sum(r.get("kind") == "wait" for r in records),
        journal.stat().st_size,
        statistics.median(times),
    )
