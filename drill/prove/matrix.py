"""The matrix as data, as a terminal table, and as a self-contained HTML page: one row per case.

The JSON is the record (`prove.json`, schema c8-dr-drill/prove/1); the table and the page only render it, so they
cannot disagree with it.
"""

from __future__ import annotations

import platform
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from drill import __version__
from drill.evidence.report.html import STYLE, escape_text
from drill.prove.cases import CONTROL, FAULT, MISTAKE, OMISSION, ORDER
from drill.prove.verdict import Row

SCHEMA = "c8-dr-drill/prove/1"
KIND_ORDER = (CONTROL, OMISSION, ORDER, MISTAKE, FAULT)


def build(rows: Sequence[Row], *, lost_region: int, variant: str, seconds: float, complete: bool) -> dict[str, Any]:
    failed = [row.case for row in rows if not row.ok]
    return {
        "schema": SCHEMA,
        "tool": {"name": "c8-dr-drill", "version": __version__},
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "target": "sim (time scale 0)",
        "lost_region": lost_region,
        "variant": variant,
        "complete": complete,
        "verdict": "passed" if complete and not failed else "failed" if failed else "incomplete",
        "summary": {
            "cases": len(rows),
            "ok": len(rows) - len(failed),
            "not_ok": failed,
            "by_kind": {kind: sum(row.kind == kind for row in rows) for kind in KIND_ORDER},
            "detected": sum(row.outcome == "detected" for row in rows),
            "passed_drills": sum(row.outcome == "passed" for row in rows),
            "destructive_steps_after_detection": sum(len(row.destructive_after) for row in rows),
            "journals_intact": sum(row.journal_intact for row in rows),
            "seconds": round(seconds, 1),
        },
        "rows": [row.to_json() for row in rows],
    }


def _caught(row: dict[str, Any]) -> str:
    at = row["caught_at"]
    if at is None:
        return "drill passed" if row["outcome"] == "passed" else row["outcome"]
    return f"{at['step']} ({at['phase']})"


def table(document: dict[str, Any]) -> Table:
    summary = document["summary"]
    result = Table(
        title=f"c8-drill prove: {summary['ok']}/{summary['cases']} cases as expected "
        f"(region {document['lost_region']} lost, variant {document['variant']})",
        title_justify="left",
    )
    for column in ("", "case", "caught at", "destructive after", "journal"):
        result.add_column(column, overflow="fold")
    for row in document["rows"]:
        result.add_row(
            "[green]✔[/]" if row["ok"] else "[red]✘[/]",
            row["case"],
            _caught(row) if row["ok"] else f"{_caught(row)}\n[red]expected: {row['expected']['text']}[/]",
            str(len(row["destructive_steps_after_detection"])),
            "intact" if row["journal_intact"] else "[red]BROKEN[/]",
        )
    return result


def render_html(document: dict[str, Any]) -> str:
    summary = document["summary"]
    verdict = document["verdict"]
    klass = "v-pass" if verdict == "passed" else "v-fail" if verdict == "failed" else "v-other"
    words = {
        "passed": "every mutation and fault was caught where expected (or shown harmless), with no destructive step "
        "after detection and every journal intact",
        "failed": f"{len(summary['not_ok'])} case(s) did not behave as expected: {', '.join(summary['not_ok'])}",
        "incomplete": "the run was interrupted before every case ran; nothing is concluded",
    }
    facts = [
        ("cases", f"{summary['cases']} ({', '.join(f'{n} {k}' for k, n in summary['by_kind'].items())})"),
        ("caught / passed drills", f"{summary['detected']} caught, {summary['passed_drills']} drills passed"),
        ("destructive steps after detection", str(summary["destructive_steps_after_detection"])),
        ("journals intact", f"{summary['journals_intact']} of {summary['cases']}"),
        ("target", f"{document['target']}, region {document['lost_region']} lost, variant {document['variant']}"),
        ("tool", f"{document['tool']['name']} {document['tool']['version']} on {document['host']}"),
        ("generated", document["generated"]),
        ("duration", f"{summary['seconds']} s"),
    ]
    rows = []
    for row in document["rows"]:
        mark = "v-pass" if row["ok"] else "v-fail"
        problems = "".join(f"<div class='reason v-fail'>{escape_text(p)}</div>" for p in row["problems"])
        caught_by = "<br>".join(escape_text(c) for c in row["caught_by"]) or escape_text(row["evidence"])
        rows.append(
            f"<tr><td><span class='badge {mark}'>{'✔ as expected' if row['ok'] else '✘ NOT as expected'}</span></td>"
            f"<td><b>{escape_text(row['case'])}</b><div class='meta'>{escape_text(row['title'])}</div>"
            f"<div class='meta'>{escape_text(row['why'])}</div></td>"
            f"<td>{escape_text(row['expected']['text'])}</td>"
            f"<td>{escape_text(_caught(row))}</td>"
            f"<td class='mono'>{caught_by}{problems}</td>"
            f"<td class='num'>{len(row['destructive_steps_after_detection'])}</td>"
            f"<td>{'intact' if row['journal_intact'] else '<b>BROKEN</b>'}<div class='meta mono'>"
            f"{escape_text(row['journal'])}</div></td></tr>"
        )
    fact_rows = "".join(f"<tr><th>{escape_text(k)}</th><td>{escape_text(v)}</td></tr>" for k, v in facts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>c8-drill prove: {escape_text(verdict.upper())}</title><style>{STYLE}</style></head><body>"
        "<h1>Proof of detection: runbook mutations and injected faults</h1>"
        f"<div id='verdict' class='{klass}'><span class='word'>{escape_text(verdict.upper())}</span>"
        f"<span class='why'>{escape_text(words[verdict])}</span></div>"
        "<p class='summary'>Each case is a whole drill on a fresh simulator with one thing wrong: a step skipped or "
        "swapped, a known operator mistake, or a fault of the deployment. It must be caught at the step named for "
        "it, before any later destructive action, with an intact journal; a mutation that is harmless in fact must "
        "pass the drill's full final checks.</p>"
        f"<h2>Facts</h2><table class='facts'>{fact_rows}</table>"
        "<h2>Matrix</h2><table><thead><tr><th>result</th><th>case</th><th>expected</th><th>caught at</th>"
        "<th>check that caught it</th><th>destructive steps after detection</th><th>journal</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<footer>schema {escape_text(document['schema'])}; every row is judged from its journal (verified hash "
        "chain); rebuild a case's drill report with <code>c8-drill report JOURNAL</code>.</footer>"
        "</body></html>\n"
    )
