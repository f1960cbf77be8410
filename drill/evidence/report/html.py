"""report.html: one drill's report (report.json data) as a self-contained page an auditor or manager can read.

The page is a compliance record that gets archived, mailed and printed, often far from the network the drill ran
in, so it carries everything inline: no script, no fonts, no image or stylesheet by URL. Every value comes from
the journal (operators, URLs, check values, error texts), which makes all of it untrusted text: it is escaped
where it is written, never assembled into markup. The page only renders `model.build_report`'s data; all
judging (verdicts, RTO, RPO) happens there, so the HTML, JSON and JUnit reports cannot disagree.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape as _html_escape
from typing import Any

from drill.evidence.report.measures import parse_ts

_PASS = frozenset({"pass", "passed"})
_FAIL = frozenset({"fail", "failed", "refused"})
# Verdicts carry a word and a symbol besides their colour, so a black-and-white print or a colour-blind reader
# loses nothing.
_SYMBOL = {"pass": "\u2714", "fail": "\u2718", "other": "\u26a0"}
_VERDICT_TEXT = {
    "passed": "every step passed and recovery time and data loss are within budget",
    "failed": "the drill did not meet its procedure or its budgets; see below what failed",
    "incomplete": "the journal ends before the drill ended (interrupted or still running); nothing is concluded",
}
_READINESS_TEXT = {
    "passed": "every concern holds: the deployment is ready for the loss of a region",
    "failed": "the deployment is not ready for the loss of a region; see below which concern failed and why",
}
_EVIDENCE_LABEL = {
    "http": "HTTP",
    "command": "command",
    "wait": "wait",
    "retry": "retry",
    "action": "action",
    "note": "note",
    "loss": "region loss",
    "marker": "data marker",
}
_NONE = "\u2014"
# Control characters (an ANSI colour code in a pod log line, a NUL in a value) are invalid in HTML and invisible
# anyway, and a lone surrogate cannot even be written as UTF-8: all are shown as their escape sequence instead.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_DOT = " \u00b7 "

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328;
  background: #fff; margin: 0 auto; max-width: 80rem; padding: 1.5rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
h3 { font-size: 1.08rem; margin: 0 0 .5rem; }
h4 { font-size: .95rem; margin: 1rem 0 .3rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  font-size: .86em; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #f6f8fa; font-weight: 600; }
th .meta { font-weight: normal; }
table.facts th { width: 14rem; }
td.num { white-space: nowrap; text-align: right; }
#verdict { border: 3px solid; border-left-width: 14px; border-radius: 6px; padding: .8rem 1.1rem; margin: 0 0 1rem; }
#verdict .word { font-size: 2rem; font-weight: 800; letter-spacing: .06em; }
#verdict .why { display: block; margin-top: .2rem; }
.summary { font-size: 1.08rem; }
.v-pass { color: #116329; background: #dafbe1; border-color: #1a7f37; }
.v-fail { color: #a40e26; background: #ffebe9; border-color: #cf222e; }
.v-other { color: #7d4e00; background: #fff8c5; border-color: #bf8700; }
.badge { display: inline-block; border: 1px solid; border-radius: 4px; padding: 0 .4rem; font-size: .8rem;
  font-weight: 700; white-space: nowrap; }
.badge.destructive { color: #fff; background: #6e2b8b; border-color: #6e2b8b; }
section.step { border: 1px solid #d0d7de; border-left: 8px solid #d0d7de; border-radius: 6px; padding: .8rem 1rem;
  margin: 1rem 0; }
section.step.v-pass, section.step.v-fail, section.step.v-other { background: #fff; color: inherit; }
section.step.v-pass { border-left-color: #1a7f37; }
section.step.v-fail { border-left-color: #cf222e; }
section.step.v-other { border-left-color: #bf8700; }
.meta { color: #57606a; margin: 0 0 .4rem; }
.reason { border: 1px solid; border-radius: 4px; padding: .4rem .6rem; white-space: pre-wrap; }
.none { color: #57606a; font-style: italic; }
details { margin-top: .6rem; }
summary { cursor: pointer; font-weight: 600; }
table.checks, table.evidence { table-layout: fixed; }
table.checks th:nth-child(1) { width: 28%; }
table.checks th:nth-child(2), table.checks th:nth-child(3) { width: 22%; }
table.checks th:nth-child(4) { width: 9rem; }
table.evidence th:nth-child(1) { width: 4.5rem; }
table.evidence th:nth-child(2) { width: 15rem; }
table.evidence th:nth-child(3) { width: 7rem; }
table.evidence td { font-size: .88rem; }
footer { margin-top: 2.5rem; border-top: 1px solid #d0d7de; padding-top: .6rem; color: #57606a; font-size: .9rem; }
a { color: #0969da; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  a { color: inherit; text-decoration: none; }
  #verdict, .badge, .v-pass, .v-fail, .v-other { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2, h3, h4 { break-after: avoid; }
  tr { break-inside: avoid; }
  section.step { break-inside: auto; }
  summary { list-style: none; }
}
@media print {
  details::details-content { content-visibility: visible; display: block; }
}
"""


def render_html(report: Mapping[str, Any]) -> str:
    """The whole page as one string, so it can be written next to report.json or mailed as it is."""
    target = _text(report.get("target"))
    lost = _text(report.get("lost_region"))
    title = f"Camunda 8 dual-region DR drill \u2014 {target}, region {lost} lost"
    readiness = _readiness(report)
    if readiness:
        title = f"Camunda 8 dual-region readiness check \u2014 {target}"
    parts = [
        "<!DOCTYPE html>\n",
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n",
        f"<header>\n<h1>{_esc(title)}</h1>\n",
        _banner(report),
        f'<p class="summary" id="summary">{_esc(summary_sentence(report))}</p>\n</header>\n<main>\n',
        _facts(report),
        "" if readiness else _measures(report),
        _overview(report.get("steps") or []),
        _timeline(report.get("timeline") or []),
        _steps(report.get("steps") or []),
        "</main>\n",
        _footer(report),
        "</body>\n</html>\n",
    ]
    return "".join(parts)


def summary_sentence(report: Mapping[str, Any]) -> str:
    """The drill in one sentence of plain words, for a reader who stops after the first paragraph."""
    if _readiness(report):
        state = {"passed": "is ready", "incomplete": "was not fully checked"}.get(_text(report.get("verdict")))
        sentence = f"The deployment {state or 'is not ready'} for the loss of a region; "
        steps = report.get("steps") or []
        sentence += f"{_steps_clause(steps)} (nothing was changed, no region was lost)."
        ended_early = any(s.get("verdict") not in ("passed", "failed") for s in steps)
        why = _text(report.get("error") or "its journal ends before every concern was checked")
        return sentence + (f" The check ended early: {why}" if ended_early else "")
    lost = _text(report.get("lost_region"))
    verdict = report.get("verdict")
    if verdict == "passed":
        opening = f"Region {lost} was lost and recovered"
    elif verdict == "incomplete":
        opening = f"The drill losing region {lost} did not finish (its journal has no end record)"
    else:
        opening = f"The drill losing region {lost} failed"
    clauses = [_steps_clause(report.get("steps") or [])]
    rto = report.get("rto") or {}
    for name in ("failover", "failback"):
        clauses.append(_rto_clause(name, rto.get(f"{name}_s"), rto.get(f"{name}_budget_s"), rto.get(f"{name}_verdict")))
    clauses.append(_rpo_clause(report.get("rpo") or {}))
    sentence = f"{opening}; {', '.join(c for c in clauses if c)}."
    over = over_budget_sentence(rto.get("forecast"))
    if over:
        sentence += f" {over}"
    if report.get("error"):
        sentence += f" The drill ended with the error: {_text(report['error'])}"
    return sentence


# -- the summary's clauses ---------------------------------------------------------------------------------------


def _steps_clause(steps: Sequence[Mapping[str, Any]]) -> str:
    if not steps:
        return "no steps were recorded"
    total = len(steps)
    counts: dict[str, list[str]] = {}
    for step in steps:
        counts.setdefault(_text(step.get("verdict")), []).append(_text(step.get("id")))
    passed = len(counts.get("passed", []))
    if passed == total:
        return f"all {total} steps passed"
    words = [f"{passed} of {total} steps passed"]
    for verdict, ids in counts.items():
        if verdict == "passed":
            continue
        if verdict in ("failed", "refused", "running"):
            words.append(f"{', '.join(ids)} {verdict}")
        else:
            words.append(f"{len(ids)} {verdict}")
    return ", ".join(words)


def _rto_clause(name: str, value: Any, budget: Any, verdict: Any) -> str:
    if value is None:
        return f"{name} time was not measured"
    if verdict == "fail":
        return f"{name} took {_seconds(value)}, over its budget of {_seconds(budget)}"
    return f"{name} took {_seconds(value)} (budget {_seconds(budget)})"


def _rpo_clause(rpo: Mapping[str, Any]) -> str:
    written = rpo.get("markers_written", 0)
    lost = rpo.get("markers_lost")
    if lost is None:
        return f"data loss was not measured ({written} markers written)"
    if lost == 0:
        return f"no data was lost (all {written} markers found in both regions)"
    return f"{lost} of {written} data markers were lost (budget {rpo.get('budget_markers')})"


# -- sections ----------------------------------------------------------------------------------------------------


def _banner(report: Mapping[str, Any]) -> str:
    verdict = _text(report.get("verdict"))
    klass = _klass(verdict)
    why = _VERDICT_TEXT.get(verdict, "")
    label = "Drill verdict"
    if _readiness(report):
        label, why = "Readiness verdict", _READINESS_TEXT.get(verdict, why)
    return (
        f'<div id="verdict" class="{klass}" data-verdict="{_esc(verdict)}" role="status">'
        f'<span class="word">{_SYMBOL[klass[2:]]} {_esc(verdict.upper())}</span>'
        f'<span class="why">{label}: {_esc(why)}</span></div>\n'
    )


def _readiness(report: Mapping[str, Any]) -> bool:
    return report.get("kind") == "readiness"


def _facts(report: Mapping[str, Any]) -> str:
    lost, surviving = report.get("lost_region"), report.get("surviving_region")
    rows: list[tuple[str, str]] = [
        ("Target", _cell(report.get("target"))),
        ("Region lost", _cell(lost)),
        ("Surviving region", _cell(surviving)),
        ("Procedure variant", _cell(report.get("variant"))),
        ("Started", _esc(_utc(report.get("started_at")))),
        ("Finished", _esc(_utc(report.get("finished_at"))) if report.get("finished_at") else _none("not finished")),
        ("Duration", _esc(_seconds(report["duration_s"])) if report.get("duration_s") is not None else _none()),
        ("Operator", _cell(report.get("operator"))),
        ("Host", _cell(report.get("host"))),
        ("Kubernetes contexts", _mapping(report.get("contexts"))),
        ("Camunda versions", _mapping(report.get("versions"))),
        ("Helm chart version", _mapping(report.get("chart_version"))),
        ("Cluster shape", _mapping(report.get("shape"))),
    ]
    if _readiness(report):  # a readiness check loses no region and runs no procedure
        rows = [row for row in rows if row[0] not in ("Region lost", "Surviving region", "Procedure variant")]
    body = "".join(f'<tr><th scope="row">{_esc(k)}</th><td>{v}</td></tr>\n' for k, v in rows)
    return f'<section id="facts">\n<h2>Drill facts</h2>\n<table class="facts">\n{body}</table>\n</section>\n'


def _measures(report: Mapping[str, Any]) -> str:
    rto = report.get("rto") or {}
    rpo = report.get("rpo") or {}
    budgets = report.get("budgets") or {}
    lost, surviving = _text(report.get("lost_region")), _text(report.get("surviving_region"))
    restore = rto.get("backup_restore_s") or 0
    failback_budget = _seconds(rto.get("failback_budget_s"))
    if restore:
        failback_budget += (
            f": {_seconds(budgets.get('failback_s'))} plus the {_seconds(restore)} the Elasticsearch"
            " backup and restore took"
        )
    lost_count = rpo.get("markers_lost")
    lost_tags = rpo.get("lost_tags") or []
    measured_rpo = (
        _none("not measured")
        if lost_count is None
        else _esc(f"{lost_count} of {rpo.get('markers_written', 0)} markers lost")
        + (f"<br>Lost: <code>{_esc(', '.join(_text(t) for t in lost_tags))}</code>" if lost_tags else "")
    )
    rows = [
        (
            "Failover (RTO)",
            f"from the loss of region {lost} to the first new data seen in region {surviving}",
            _measured(rto.get("failover_s")),
            _esc(_seconds(rto.get("failover_budget_s"))),
            rto.get("failover_verdict"),
        ),
        (
            "Failback (RTO)",
            "from the start of the first failback step to the end of the last one",
            _measured(rto.get("failback_s")),
            _esc(failback_budget),
            rto.get("failback_verdict"),
        ),
        (
            "Data loss (RPO)",
            "marker records written during the drill and not found in both regions afterwards",
            measured_rpo,
            _esc(f"{rpo.get('budget_markers', 0)} markers lost"),
            rpo.get("verdict"),
        ),
    ]
    forecast = rto.get("forecast")
    # The forecast sits between what was measured and the budget, only in reports of drills that made one.
    forecasts = [_forecast_cell(forecast, "failover"), _forecast_cell(forecast, "failback"), _none("not forecast")]
    body = "".join(
        f'<tr><th scope="row">{_esc(name)}<br><span class="meta">{_esc(what)}</span></th>'
        f"<td>{measured}</td>{f'<td>{forecast_cell}</td>' if forecast else ''}<td>{budget}</td>"
        f"<td>{_badge(verdict)}</td></tr>\n"
        for (name, what, measured, budget, verdict), forecast_cell in zip(rows, forecasts, strict=True)
    )
    forecast_head = "<th>Forecast</th>" if forecast else ""
    return (
        '<section id="measures">\n<h2>Recovery time and data loss against budget</h2>\n'
        '<table class="measures">\n<thead><tr><th>Measure</th><th>Measured</th>'
        f"{forecast_head}<th>Budget</th><th>Verdict</th>"
        f"</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n"
        f"{_forecast(forecast, report.get('steps') or []) if forecast else ''}</section>\n"
    )


def _forecast_cell(forecast: Mapping[str, Any] | None, name: str) -> str:
    """The forecast and how it stands against its budget; the failback's budget is the forecast's own (the budget
    plus the forecast backup and restore), so it is spelled out rather than left to the Budget column."""
    if not forecast:
        return ""
    budget = _seconds(forecast.get(f"{name}_budget_s"))
    if name == "failback":
        backup = forecast.get("backup_restore_s") or 0
        base = _seconds(forecast["failback_budget_s"] - backup)
        budget += f" ({base} plus the forecast {_seconds(backup)} backup and restore)"
    if forecast.get(f"{name}_verdict") == "over budget":
        standing = f'<strong>over budget</strong> <span class="meta">of {_esc(budget)}</span>'
    else:
        standing = f'<span class="meta">within its budget of {_esc(budget)}</span>'
    return f"{_esc(_seconds(forecast.get(f'{name}_s')))}<br>{standing}"


def over_budget_sentence(forecast: Mapping[str, Any] | None) -> str:
    """A forecast over budget in plain words; empty when it is within budget (or there is none)."""
    if not forecast:
        return ""
    over = [
        f"the {name} forecast of {_seconds(forecast.get(f'{name}_s'))} exceeds its budget of "
        f"{_seconds(forecast.get(f'{name}_budget_s'))}"
        for name in ("failover", "failback")
        if forecast.get(f"{name}_verdict") == "over budget"
    ]
    return f"For this deployment's size, {' and '.join(over)}." if over else ""


def _forecast(forecast: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]) -> str:
    """What the forecast was made for and from, each stage's forecast beside its measured duration, and a plain
    statement when it is over budget (the drill's verdict stays the measured one)."""
    inputs = forecast.get("inputs") or {}
    shape = inputs.get("shape") or {}
    made_for = (
        f"clusterSize {_text(shape.get('clusterSize'))}, partitions {_text(shape.get('partitions'))}, "
        f"replicationFactor {_text(shape.get('replicationFactor'))}, {_number(inputs.get('es_data_gib'))} GiB of "
        f"Elasticsearch data per region, snapshot {_number(inputs.get('snapshot_s_per_gib'))} s/GiB, restore "
        f"{_number(inputs.get('restore_s_per_gib'))} s/GiB"
    )
    measured = {_text(s.get("id")): s.get("duration_s") for s in steps}
    rows = "".join(
        f"<tr><td><code>{_esc(_text(stage.get('id')))}</code></td><td>{_esc(_text(stage.get('phase')))}</td>"
        f'<td class="num">{_esc(_maybe_seconds(stage.get("seconds")))}</td>'
        f'<td class="num">{_esc(_maybe_seconds(measured.get(_text(stage.get("id")))))}</td>'
        f"<td>{_esc(_text(stage.get('basis')))}</td></tr>\n"
        for stage in forecast.get("stages") or []
    )
    over = over_budget_sentence(forecast)
    statement = f'<p class="reason v-other" id="forecast-over-budget"><strong>Over budget:</strong> {_esc(over)}</p>\n'
    return (
        '<div id="forecast">\n<h3>Forecast for this deployment</h3>\n'
        f"<p class=\"meta\">Made at the drill's start, before the loss, from the simulator's time model for "
        f"{_esc(made_for)}, in real seconds. It leaves out the harness's and operators' own time, network and DNS, "
        "and Helm rollouts; it informs, and the verdict stays the measured drill's.</p>\n"
        f"{statement if over else ''}"
        '<table class="forecast">\n<thead><tr><th>Stage</th><th>Phase</th><th>Forecast</th><th>Measured</th>'
        f"<th>How it is made</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n</div>\n"
    )


def _overview(steps: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td class="num">{n}</td><td><a href="#{_anchor(n, step)}"><code>{_esc(_text(step.get("id")))}</code>'
        f"</a></td><td>{_esc(_text(step.get('title')))}</td><td>{_esc(_text(step.get('phase')))}</td>"
        f'<td>{_badge(step.get("verdict"))}</td><td class="num">{_esc(_maybe_seconds(step.get("duration_s")))}'
        "</td></tr>\n"
        for n, step in enumerate(steps, start=1)
    )
    return (
        '<section id="overview">\n<h2>Steps at a glance</h2>\n<table class="overview">\n<thead><tr><th>#</th>'
        "<th>Step</th><th>Title</th><th>Phase</th><th>Verdict</th><th>Duration</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
    )


def _timeline(events: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f'<tr><td class="num">{_esc(_offset(e.get("offset_s")))}</td><td class="mono">{_esc(_utc(e.get("at")))}'
        f"</td><td>{_esc(_text(e.get('event')))}</td>"
        f"<td>{_badge(e.get('verdict')) if e.get('verdict') else ''}</td></tr>\n"
        for e in events
    )
    return (
        '<section id="timeline">\n<h2>Timeline</h2>\n<table class="timeline">\n<thead><tr><th>Offset</th>'
        "<th>Time (UTC)</th><th>Event</th><th>Verdict</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody>\n</table>\n</section>\n"
    )


def _steps(steps: Sequence[Mapping[str, Any]]) -> str:
    body = "".join(_step(n, step) for n, step in enumerate(steps, start=1))
    return f'<section id="steps">\n<h2>Steps</h2>\n{body}</section>\n'


def _step(n: int, step: Mapping[str, Any]) -> str:
    verdict = _text(step.get("verdict"))
    destructive = ' <span class="badge destructive">DESTRUCTIVE</span>' if step.get("destructive") else ""
    meta = [
        f"phase {_esc(_text(step.get('phase')))}",
        f"duration {_esc(_maybe_seconds(step.get('duration_s')))}",
    ]
    if step.get("started_at"):
        meta.append(f"started {_esc(_utc(step.get('started_at')))}")
    if step.get("finished_at"):
        meta.append(f"finished {_esc(_utc(step.get('finished_at')))}")
    checks = step.get("checks") or []
    current = [c for c in checks if c.get("phase") == "current"]
    desired = [c for c in checks if c.get("phase") == "desired"]
    other = [c for c in checks if c.get("phase") not in ("current", "desired")]
    evidence = step.get("evidence") or []
    parts = [
        f'<section class="step {_klass(verdict)}" id="{_anchor(n, step)}" data-step="{_esc(_text(step.get("id")))}"'
        f' data-verdict="{_esc(verdict)}">\n',
        f"<h3>{n}. <code>{_esc(_text(step.get('id')))}</code> {_esc(_text(step.get('title')))}"
        f"{destructive} {_badge(verdict)}</h3>\n",
        f'<p class="meta">{_DOT.join(meta)}</p>\n',
        _reason(verdict, step.get("error")),
    ]
    if not checks and not evidence and verdict in ("blocked", "not run"):
        # Two empty check tables per step that never ran would bury the steps that did.
        parts.append('<p class="none">Not executed: no checks and no evidence recorded.</p>\n')
    else:
        if step.get("phase") == "readiness":  # a concern only observes: no before and after
            parts += ["<h4>Checks</h4>\n", _checks(checks, "readiness")]
        else:
            parts += ["<h4>Current state (before)</h4>\n", _checks(current, "current")]
            parts += ["<h4>Desired state (after)</h4>\n", _checks(desired, "desired")]
        if other:
            parts += ["<h4>Other checks</h4>\n", _checks(other, "other")]
        parts.append(_evidence(evidence))
    parts.append("</section>\n")
    return "".join(parts)


def _reason(verdict: str, error: Any) -> str:
    if not error:
        return ""
    label = {"blocked": "Blocked because", "refused": "Refused because"}.get(verdict, "Error")
    klass = "v-other" if verdict == "blocked" else "v-fail"
    return f'<p class="reason {klass}"><strong>{_esc(label)}:</strong> {_esc(_text(error))}</p>\n'


def _checks(checks: Sequence[Mapping[str, Any]], phase: str) -> str:
    if not checks:
        return '<p class="none">No checks recorded.</p>\n'
    rows = "".join(
        f"<tr><td>{_esc(_text(c.get('name')))}</td><td>{_value(c.get('expected'))}</td>"
        f"<td>{_value(c.get('actual'))}</td><td>{_badge(c.get('verdict'))}</td>"
        f"<td>{_esc(_text(c.get('detail'))) if c.get('detail') is not None else ''}</td></tr>\n"
        for c in checks
    )
    return (
        f'<table class="checks" data-phase="{_esc(phase)}">\n<thead><tr><th>Check</th><th>Expected</th>'
        f"<th>Actual</th><th>Verdict</th><th>Detail</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n"
    )


def _evidence(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return '<p class="none">No evidence recorded for this step.</p>\n'
    body = "".join(
        f'<tr><td class="num">{_esc(_text(r.get("seq")))}</td><td class="mono">{_esc(_utc(r.get("ts")))}</td>'
        f"<td>{_esc(_EVIDENCE_LABEL.get(_text(r.get('kind')), _text(r.get('kind'))))}</td>"
        f"<td>{_esc(evidence_line(r))}</td></tr>\n"
        for r in rows
    )
    return (
        f"<details>\n<summary>Evidence ({len(rows)} journal records)</summary>\n"
        '<table class="evidence">\n<thead><tr><th>Seq</th><th>Time (UTC)</th><th>Kind</th><th>What</th></tr>'
        f"</thead>\n<tbody>\n{body}</tbody>\n</table>\n</details>\n"
    )


def evidence_line(row: Mapping[str, Any]) -> str:
    """One evidence row as a sentence; the full record (bodies, output) stays in the journal it cites by seq."""
    kind = row.get("kind")
    if kind == "http":
        line = f"{_text(row.get('method'))} {_text(row.get('url'))} \u2192 {_text(row.get('status'))}"
        if row.get("duration_ms") is not None:
            line += f" in {_number(row['duration_ms'])} ms"
        return line + (f" (error: {_text(row['error'])})" if row.get("error") else "")
    if kind == "command":
        argv = row.get("argv")
        shown = shlex.join(str(a) for a in argv) if isinstance(argv, list) else _text(argv)
        line = f"$ {shown} \u2192 exit {_text(row.get('exit_code'))}"
        return line + (f" in {_seconds(row['duration_s'])}" if row.get("duration_s") is not None else "")
    if kind == "wait":
        line = f"waited for {_text(row.get('what'))}: {_text(row.get('outcome'))}"
        return line + f" after {_text(row.get('attempts'))} attempts, {_maybe_seconds(row.get('elapsed_s'))}"
    if kind == "retry":
        if row.get("adopted"):
            return f"{_text(row.get('call'))}: the write had landed; its change was adopted, not sent again"
        line = f"{_text(row.get('call'))}: attempt {_text(row.get('attempt'))} failed ({_text(row.get('error'))})"
        return line + f"; retried after {_maybe_seconds(row.get('delay_s'))}"
    if kind == "action":
        line = f"{_text(row.get('name'))}: {_text(row.get('status'))}"
        if row.get("duration_s") is not None:
            line += f" in {_seconds(row['duration_s'])}"
        return line + (f" (error: {_text(row['error'])})" if row.get("error") else "")
    if kind == "marker":
        return _marker_line(row)
    if kind == "loss":
        line = f"region {_text(row.get('region'))}: {_text(row.get('event'))}"
        return line + _rest(row, ("region", "event"))
    if kind == "note":
        return _text(row.get("message")) + _rest(row, ("message",))
    return _rest(row, ()).lstrip("; ")


def _marker_line(row: Mapping[str, Any]) -> str:
    tag = _text(row.get("tag"))
    if row.get("event") == "written":
        where = f" in region {_text(row['region'])}" if row.get("region") is not None else ""
        return f"marker {tag} written{where} (key {_text(row.get('key'))}, stage {_text(row.get('stage'))})"
    if row.get("event") == "seen":
        found = "found" if row.get("found") is True else "NOT found"
        lookup = f" ({_text(row.get('lookup'))} lookup)" if row.get("lookup") else ""
        return f"marker {tag} {found} in region {_text(row.get('region'))}{lookup}"
    return f"marker {tag}" + _rest(row, ("tag",))


def _rest(row: Mapping[str, Any], shown: Iterable[str]) -> str:
    skip = {"seq", "ts", "kind", *shown}
    extra = {k: v for k, v in row.items() if k not in skip and v is not None}
    return "; " + "; ".join(f"{k}: {_text(v)}" for k, v in extra.items()) if extra else ""


def _footer(report: Mapping[str, Any]) -> str:
    journal = report.get("journal") or {}
    path = _text(journal.get("path"))
    return (
        '<footer>\n<table class="facts">\n'
        f'<tr><th scope="row">Journal</th><td><code>{_esc(path)}</code></td></tr>\n'
        f'<tr><th scope="row">Journal records</th><td>{_esc(_text(journal.get("records")))}</td></tr>\n'
        f'<tr><th scope="row">Journal head sha256</th><td><code id="head-sha256">'
        f"{_esc(_text(journal.get('head_sha256')))}</code></td></tr>\n"
        f'<tr><th scope="row">Report schema</th><td><code>{_esc(_text(report.get("schema")))}</code></td></tr>\n'
        "</table>\n"
        "<p>Made from the journal by c8-dr-drill; verify with "
        f"<code>c8-drill verify {_esc(shlex.quote(path))}</code> and compare the head sha256 above.</p>\n"
        "</footer>\n"
    )


# -- small pieces ------------------------------------------------------------------------------------------------


def escape_text(text: str) -> str:
    """For other pages of the project (the prove matrix) that share this page's rules for untrusted text."""
    return _esc(text)


# The look of every page the project writes, so a matrix and a drill report read as one set of evidence.
STYLE = _CSS


def _esc(text: str) -> str:
    """html.escape, plus unprintable characters made visible as escapes rather than dropped or mangled."""
    return _html_escape(_UNPRINTABLE.sub(_visible, text))


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _klass(verdict: Any) -> str:
    if verdict in _PASS:
        return "v-pass"
    if verdict in _FAIL:
        return "v-fail"
    return "v-other"


def _badge(verdict: Any) -> str:
    if verdict is None:
        return _none("none")
    klass = _klass(verdict)
    word = _text(verdict).upper()
    return f'<span class="badge {klass}">{_SYMBOL[klass[2:]]} {_esc(word)}</span>'


def _text(value: Any) -> str:
    """Strings as they are, everything else as compact JSON: what a reader sees is what the journal holds."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def _value(value: Any) -> str:
    return f"<code>{_esc(_text(value))}</code>"


def _cell(value: Any) -> str:
    return _none() if value is None else _esc(_text(value))


def _none(word: str = "not recorded") -> str:
    return f'<span class="none">{_esc(word)}</span>'


def _mapping(value: Any) -> str:
    """Region-keyed facts (contexts, chart versions) one per line, so two regions read side by side."""
    if value is None:
        return _none()
    if not isinstance(value, Mapping) or not value:
        return _esc(_text(value))
    return "<br>".join(f"{_esc(_label(k))}: {_esc(_text(v))}" for k, v in value.items())


def _label(key: Any) -> str:
    return f"region {key}" if isinstance(key, str) and key.isdigit() else _text(key)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if value == int(value):
        return str(int(value))
    if abs(value) < 1:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _seconds(value: Any) -> str:
    """Seconds as people read them: `3.2 s`, and minutes from a minute and a half on (`2 min 30 s`)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _text(value)
    if value < 90:
        return f"{_number(value)} s"
    minutes, rest = divmod(value, 60)
    return f"{int(minutes)} min {_number(rest)} s" if rest else f"{int(minutes)} min"


def _maybe_seconds(value: Any) -> str:
    return _NONE if value is None else _seconds(value)


def _measured(value: Any) -> str:
    return _none("not measured") if value is None else _esc(_seconds(value))


def _offset(value: Any) -> str:
    return _NONE if value is None else f"+{_seconds(value)}"


def _utc(value: Any) -> str:
    """Journal timestamps at millisecond precision with the zone spelled out; unparsable ones as they are."""
    if not isinstance(value, str):
        return _NONE if value is None else _text(value)
    try:
        moment: datetime = parse_ts(value)
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _anchor(n: int, step: Mapping[str, Any]) -> str:
    """Ids stay unique and attribute-safe whatever a step id holds."""
    return f"step-{n}-" + re.sub(r"[^A-Za-z0-9_-]", "-", _text(step.get("id")))
