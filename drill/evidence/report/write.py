"""Write every report of one drill from its journal: the end of a drill and `c8-drill report` share this."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drill.evidence.journal import read_verified
from drill.evidence.report.allure import write_allure_results
from drill.evidence.report.html import render_html
from drill.evidence.report.junit import render_junit
from drill.evidence.report.model import build_report


@dataclass
class Written:
    report: dict[str, Any]
    paths: dict[str, Path] = field(default_factory=dict)


def write_reports(journal: Path, out_dir: Path, *, allure_results: Path | None = None) -> Written:
    """report.json, report.html and junit.xml in `out_dir`; Allure results too when a directory is given."""
    records, chain = read_verified(journal)
    report = build_report(records, path=journal, chain=chain)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = Written(report)
    for name, text in (
        ("report.json", json.dumps(report, indent=2, sort_keys=False) + "\n"),
        ("report.html", render_html(report)),
        ("junit.xml", render_junit(report)),
    ):
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.paths[name] = path
    if allure_results is not None:
        write_allure_results(report, records, allure_results)
        written.paths["allure-results"] = allure_results
    return written
