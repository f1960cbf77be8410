"""A drill report as JUnit XML, so a CI system shows each stage and each budget as a test case.

CI systems only understand passed, failure and skipped, so the drill's richer verdicts are folded into those:
failed and refused stages are failures (type says which), blocked and unrun stages are skipped with the reason,
and RTO/RPO are test cases of their own so a drill that passes every stage but overruns a budget still fails the
build. The line helpers here (`check_line`, `step_message`, `budget_lines`) are shared with the Allure results,
so both formats word a failure the same way.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MESSAGE_LIMIT = 500
"""Longest one-line message; a check's actual value can be a whole topology, which belongs in the body only."""

FAILING_VERDICTS = frozenset({"failed", "refused"})
SKIPPED_VERDICTS = frozenset({"blocked", "not run", "running"})

# XML 1.0 forbids most C0 controls, surrogates and U+FFFE/U+FFFF; ElementTree writes them anyway and the file then
# fails to parse. Such characters in a check value are evidence, so they are shown escaped, not dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class BudgetLine:
    """One RTO/RPO figure judged against its budget; verdict is pass, fail or not measured."""

    name: str
    verdict: str
    message: str
    seconds: float | None


def describe(value: Any) -> str:
    """Strings as they are, everything else as compact JSON, so `expected 8` and `expected "8"` differ."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def check_line(check: Mapping[str, Any]) -> str:
    return f"{check.get('name')}: expected {describe(check.get('expected'))}, got {describe(check.get('actual'))}"


def failing_checks(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in step.get("checks") or [] if c.get("verdict") == "fail"]


def step_message(step: Mapping[str, Any]) -> str | None:
    """Why a stage did not pass, in one line: the first failing check, else the error; None when it passed."""
    verdict = step.get("verdict")
    if verdict in FAILING_VERDICTS:
        failing = failing_checks(step)
        if failing:
            return one_line(check_line(failing[0]))
        return one_line(str(step.get("error") or f"{verdict} without a recorded reason"))
    if verdict == "blocked":
        reason = str(step.get("error") or "an earlier stage stopped the drill")
        return one_line(reason if reason.lower().startswith("blocked") else f"blocked: {reason}")
    if verdict == "not run":
        return "not run: the journal ends before this stage started"
    if verdict == "running":
        return "not run: the journal ends while this stage was running"
    return None


def failure_details(step: Mapping[str, Any]) -> list[str]:
    """Every failing check (with its detail) and the error: what an engineer reads to decide what to fix."""
    lines: list[str] = []
    for check in failing_checks(step):
        lines.append(check_line(check))
        if check.get("detail"):
            lines.append(f"    {check['detail']}")
    if step.get("error"):
        lines.append(f"error: {step['error']}")
    return lines


def check_lines(step: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for check in step.get("checks") or []:
        lines.append(f"[{check.get('phase')}] {check.get('verdict')} {check_line(check)}")
        if check.get("detail"):
            lines.append(f"    {check['detail']}")
    return lines


def _seconds(value: Any) -> str:
    return f"{value} s" if isinstance(value, int | float) else str(value)


def _timed_budget(name: str, what: str, value: Any, budget: Any, verdict: str, unmeasured: str) -> BudgetLine:
    if verdict == "not measured":
        message = f"not measured: {unmeasured}"
    elif verdict == "pass":
        message = f"{what} took {_seconds(value)} (budget {_seconds(budget)})"
    else:
        message = f"{what} took {_seconds(value)}, over the budget of {_seconds(budget)}"
    return BudgetLine(name, verdict, message, value if isinstance(value, int | float) else None)


def _rpo_budget(rpo: Mapping[str, Any]) -> BudgetLine:
    verdict = str(rpo.get("verdict"))
    if verdict == "not measured":
        message = "not measured: the journal holds no final marker lookup"
    else:
        message = f"{rpo.get('markers_lost')} of {rpo.get('markers_written')} markers lost"
        message += f" (budget {rpo.get('budget_markers')})"
        if rpo.get("lost_tags"):
            message += ": " + ", ".join(str(t) for t in rpo["lost_tags"])
    return BudgetLine("RPO", verdict, one_line(message), None)


def _forecast_note(line: BudgetLine, forecast: Mapping[str, Any] | None, name: str) -> BudgetLine:
    """The journaled forecast beside the measured figure; over budget is said, but judges nothing."""
    if not forecast:
        return line
    note = f"; forecast {_seconds(forecast.get(f'{name}_s'))}"
    if forecast.get(f"{name}_verdict") == "over budget":
        note += f", over its budget of {_seconds(forecast.get(f'{name}_budget_s'))}"
    return BudgetLine(line.name, line.verdict, line.message + note, line.seconds)


def budget_lines(report: Mapping[str, Any]) -> list[BudgetLine]:
    if report.get("kind") == "readiness":  # no region is lost: nothing to measure, nothing to skip either
        return []
    rto = report.get("rto") or {}
    forecast = rto.get("forecast")
    return [
        _forecast_note(
            _timed_budget(
                "RTO failover",
                "failover",
                rto.get("failover_s"),
                rto.get("failover_budget_s"),
                str(rto.get("failover_verdict")),
                "no marker written after the loss was seen in the surviving region",
            ),
            forecast,
            "failover",
        ),
        _forecast_note(
            _timed_budget(
                "RTO failback",
                "failback",
                rto.get("failback_s"),
                rto.get("failback_budget_s"),
                str(rto.get("failback_verdict")),
                "the failback stages did not all pass",
            ),
            forecast,
            "failback",
        ),
        _rpo_budget(report.get("rpo") or {}),
    ]


def suite_name(report: Mapping[str, Any]) -> str:
    if report.get("kind") == "readiness":
        return f"c8-dr-drill: readiness check ({report.get('target')})"
    return f"c8-dr-drill: region {report.get('lost_region')} lost ({report.get('target')})"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xml_safe(value: Any) -> str:
    """Text that survives an XML round trip: forbidden characters become visible escapes like \\x00."""
    return _NOT_XML.sub(_escape, str(value))


def _element(parent: ET.Element, tag: str, text: str | None = None, **attrs: Any) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_safe(v) for k, v in attrs.items() if v is not None})
    if text:
        element.text = xml_safe(text)
    return element


def _properties(suite: ET.Element, report: Mapping[str, Any]) -> None:
    rto, rpo, journal = report.get("rto") or {}, report.get("rpo") or {}, report.get("journal") or {}
    values = {
        "target": report.get("target"),
        "lost_region": report.get("lost_region"),
        "verdict": report.get("verdict"),
        "journal.path": journal.get("path"),
        "journal.records": journal.get("records"),
        "journal.head_sha256": journal.get("head_sha256"),
        **{f"rto.{k}": rto.get(k) for k in ("failover_s", "failover_budget_s", "failover_verdict")},
        **{f"rto.{k}": rto.get(k) for k in ("failback_s", "failback_budget_s", "failback_verdict")},
        **{f"rpo.{k}": rpo.get(k) for k in ("markers_written", "markers_lost", "budget_markers", "verdict")},
    }
    forecast = rto.get("forecast")
    if forecast:  # only drills that journaled one; older journals keep their properties as they were
        keys = ("failover_s", "failover_verdict", "failback_s", "failback_budget_s", "failback_verdict")
        values |= {f"rto.forecast.{k}": forecast.get(k) for k in keys}
        inputs = forecast.get("inputs") or {}
        values |= {
            f"rto.forecast.{k}": inputs.get(k) for k in ("es_data_gib", "snapshot_s_per_gib", "restore_s_per_gib")
        }
    properties = _element(suite, "properties")
    for name, value in values.items():
        _element(properties, "property", name=name, value="not measured" if value is None else value)


def _time(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "0"


def _step_case(suite: ET.Element, step: Mapping[str, Any]) -> None:
    case = _element(
        suite,
        "testcase",
        classname=f"drill.{step.get('phase')}",
        name=f"{step.get('id')} {step.get('title')}",
        time=_time(step.get("duration_s")),
    )
    verdict = step.get("verdict")
    message = step_message(step)
    if verdict in FAILING_VERDICTS:
        _element(case, "failure", "\n".join(failure_details(step)), message=message, type=verdict)
    elif verdict in SKIPPED_VERDICTS:
        _element(case, "skipped", message=message)
    lines = check_lines(step)
    if lines:
        _element(case, "system-out", "\n".join(lines))


def _budget_case(suite: ET.Element, line: BudgetLine) -> None:
    case = _element(suite, "testcase", classname="drill.budgets", name=line.name, time=_time(line.seconds))
    if line.verdict == "fail":
        _element(case, "failure", line.message, message=line.message, type="budget")
    elif line.verdict != "pass":
        _element(case, "skipped", message=line.message)
    else:
        _element(case, "system-out", line.message)


def _count(root: ET.Element, tag: str) -> int:
    return sum(1 for _ in root.iter(tag))


def render_junit(report: dict[str, Any]) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, indented)."""
    root = ET.Element("testsuites", name="c8-dr-drill")
    suite = _element(
        root,
        "testsuite",
        name=suite_name(report),
        timestamp=str(report.get("started_at") or "")[:19],
        hostname=report.get("host"),
        time=_time(report.get("duration_s")),
    )
    _properties(suite, report)
    for step in report.get("steps") or []:
        _step_case(suite, step)
    for line in budget_lines(report):
        _budget_case(suite, line)
    counts = {
        "tests": _count(suite, "testcase"),
        "failures": _count(suite, "failure"),
        "errors": 0,
        "skipped": _count(suite, "skipped"),
    }
    for element in (root, suite):
        element.attrib.update({k: str(v) for k, v in counts.items()})
    root.set("time", suite.get("time", "0"))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
