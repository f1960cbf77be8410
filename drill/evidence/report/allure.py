"""Allure evidence for a drill: the per-step attachments, and a whole Allure results directory from a journal.

The pytest plugin attaches `step_attachments` while a scenario runs; `c8-drill report JOURNAL` rebuilds the
results later with `write_allure_results` from the same records, so the live report and the rebuilt one carry
the same evidence. The results are the plain JSON files allure-python writes (see allure_commons.model2), written
here directly so reporting never depends on allure-python being installed.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drill.evidence.report import measures
from drill.evidence.report.junit import (
    BudgetLine,
    budget_lines,
    check_line,
    failure_details,
    one_line,
    step_message,
    suite_name,
)

STEP_ID_KINDS = frozenset({"step_start", "step_end", "check", "blocked"})
"""Records that name their step in `step_id`; every other record is attributed by the journal's `step` field."""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VERSION_TAG = "c8.8"
FRAMEWORK = "c8-dr-drill"
FEATURES = {"failover": "Failover", "failback": "Failback"}
STATUS = {
    "passed": "passed",
    "failed": "failed",
    "refused": "failed",
    "blocked": "skipped",
    "not run": "skipped",
    "running": "broken",
}
BUDGET_STATUS = {"pass": "passed", "fail": "failed", "not measured": "skipped"}
ACTION_STATUS = {"completed": "passed", "failed": "failed"}


@dataclass(frozen=True)
class Attachment:
    name: str
    content: str
    media_type: str = "application/json"
    extension: str = "json"


def step_records(records: Sequence[Mapping[str, Any]], step_id: str) -> list[Mapping[str, Any]]:
    return [
        r
        for r in records
        if r.get("step") == step_id or (r.get("kind") in STEP_ID_KINDS and r.get("step_id") == step_id)
    ]


def _of_kind(records: Sequence[Mapping[str, Any]], *kinds: str) -> list[Mapping[str, Any]]:
    return [r for r in records if r.get("kind") in kinds]


def _checks(records: Sequence[Mapping[str, Any]], phase: str) -> list[Mapping[str, Any]]:
    return [r for r in _of_kind(records, "check") if r.get("phase") == phase]


def _last(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any]:
    found = _of_kind(records, kind)
    return found[-1] if found else {}


def _timings(records: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """When the step ran and where its time went; None for a step that never started (nothing to time)."""
    start, end = _last(records, "step_start"), _last(records, "step_end")
    actions = [
        {k: r.get(k) for k in ("ts", "name", "status", "duration_s")}
        for r in _of_kind(records, "action")
        if r.get("status") != "started"
    ]
    waits = [
        {k: r.get(k) for k in ("ts", "what", "attempts", "elapsed_s", "outcome")} for r in _of_kind(records, "wait")
    ]
    if not (start or end or actions or waits):
        return None
    return {
        "started_at": start.get("ts"),
        "finished_at": end.get("ts"),
        "duration_s": end.get("duration_s"),
        "actions": actions,
        "waits": waits,
    }


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def step_attachments(records: Sequence[Mapping[str, Any]], step_id: str) -> list[Attachment]:
    """The evidence of one step as JSON attachments; an attachment with nothing in it is left out."""
    mine = step_records(records, step_id)
    parts: list[tuple[str, Any]] = [
        ("current state", _checks(mine, "current")),
        ("requests and responses", _of_kind(mine, "http", "command")),
        ("desired state", _checks(mine, "desired")),
        ("timings", _timings(mine)),
    ]
    return [Attachment(name, _json(value)) for name, value in parts if value]


# Results


def _ms(ts: Any) -> int | None:
    """Epoch milliseconds, computed exactly (a float timestamp can land a millisecond early)."""
    if not isinstance(ts, str) or not ts:
        return None
    return (measures.parse_ts(ts) - EPOCH) // timedelta(milliseconds=1)


def _stable_id(*parts: Any) -> str:
    """Same drill target, region and step give the same id, so Allure links a rerun to its history."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _timed(item: dict[str, Any], start: Any, stop: Any) -> dict[str, Any]:
    """allure-python leaves out empty fields; a step that never ran has no start or stop at all."""
    for key, ts in (("start", start), ("stop", stop)):
        ms = _ms(ts)
        if ms is not None:
            item[key] = ms
    return item


def _details(message: str | None, trace: Sequence[str] = ()) -> dict[str, Any]:
    details: dict[str, Any] = {"message": message} if message else {}
    if trace:
        details["trace"] = "\n".join(trace)
    return {"statusDetails": details} if details else {}


def _check_step(check: Mapping[str, Any]) -> dict[str, Any]:
    status = "passed" if check.get("verdict") == "pass" else "failed"
    item = {"name": one_line(check_line(check)), "status": status, "stage": "finished"}
    item |= _details(check.get("detail"))
    return _timed(item, check.get("ts"), check.get("ts"))


def _action_steps(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One sub-step per action: its start record gives the start, its end record the outcome (none: broken)."""
    steps: list[dict[str, Any]] = []
    running: dict[str, dict[str, Any]] = {}
    for record in _of_kind(records, "action"):
        name = str(record.get("name"))
        started = record.get("status") == "started"
        item = None if started else running.pop(name, None)
        if item is None:
            item = _timed({"name": name, "status": "broken", "stage": "interrupted"}, record.get("ts"), None)
            steps.append(item)
        if started:
            running[name] = item
            continue
        item |= {"status": ACTION_STATUS.get(str(record.get("status")), "broken"), "stage": "finished"}
        item |= _details(record.get("error"))
        _timed(item, None, record.get("ts"))
    return steps


def _group(name: str, children: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not children:
        return None
    statuses = {c.get("status") for c in children}
    status = next((s for s in ("failed", "broken") if s in statuses), "passed")
    item: dict[str, Any] = {"name": name, "status": status, "stage": "finished", "steps": children}
    for key, child in (("start", children[0]), ("stop", children[-1])):
        if key in child:
            item[key] = child[key]
    return item


def _sub_steps(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups = [
        _group("Current state", [_check_step(c) for c in _checks(records, "current")]),
        _group("Actions", _action_steps(records)),
        _group("Desired state", [_check_step(c) for c in _checks(records, "desired")]),
    ]
    return [g for g in groups if g]


def _write_attachments(out_dir: Path, attachments: Sequence[Attachment], written: list[Path]) -> list[dict[str, str]]:
    refs: list[dict[str, str]] = []
    for attachment in attachments:
        source = f"{uuid.uuid4()}-attachment.{attachment.extension}"
        path = out_dir / source
        path.write_text(attachment.content, encoding="utf-8")
        written.append(path)
        refs.append({"name": attachment.name, "source": source, "type": attachment.media_type})
    return refs


def _labels(report: Mapping[str, Any], *, feature: str, suite: str, story: str, tags: Sequence[str]) -> list[Any]:
    pairs = [
        ("feature", feature),
        ("story", story),
        *(("tag", tag) for tag in tags),
        ("parentSuite", f"region {report.get('lost_region')} lost"),
        ("suite", suite),
        ("host", str(report.get("host"))),
        ("framework", FRAMEWORK),
    ]
    return [{"name": name, "value": value} for name, value in pairs]


def _base(report: Mapping[str, Any], key: str, name: str, full_name: str, status: str) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "historyId": _stable_id(report.get("target"), report.get("lost_region"), key),
        "testCaseId": _stable_id(FRAMEWORK, key),
        "fullName": full_name,
        "name": name,
        "status": status,
        "stage": "interrupted" if status == "broken" else "finished",
        "parameters": [
            {"name": "lost_region", "value": str(report.get("lost_region"))},
            {"name": "target", "value": str(report.get("target"))},
        ],
    }


def _step_result(
    report: Mapping[str, Any], step: Mapping[str, Any], records: Sequence[Mapping[str, Any]], attachments: list[Any]
) -> dict[str, Any]:
    step_id, phase = str(step.get("id")), str(step.get("phase"))
    status = STATUS.get(str(step.get("verdict")), "unknown")
    result = _base(report, step_id, str(step.get("title")), f"{suite_name(report)}: {step_id}", status)
    result |= _details(step_message(step), failure_details(step) if status == "failed" else ())
    tags = [step_id, *(["destructive"] if step.get("destructive") else []), VERSION_TAG]
    feature = FEATURES.get(phase, "Drill")
    result["labels"] = _labels(report, feature=feature, suite=phase, story=step_id, tags=tags)
    result["titlePath"] = [suite_name(report), feature]
    steps = _sub_steps(records)
    if steps:
        result["steps"] = steps
    if attachments:
        result["attachments"] = attachments
    return _timed(result, step.get("started_at"), step.get("finished_at"))


def _budget_result(report: Mapping[str, Any], line: BudgetLine) -> dict[str, Any]:
    result = _base(report, line.name, line.name, f"{suite_name(report)}: {line.name}", BUDGET_STATUS[line.verdict])
    result |= _details(line.message)
    tags = ["budget", VERSION_TAG]
    result["labels"] = _labels(report, feature="Budgets", suite="budgets", story=line.name, tags=tags)
    result["titlePath"] = [suite_name(report), "Budgets"]
    return _timed(result, report.get("started_at"), report.get("finished_at"))


def _write_result(out_dir: Path, result: Mapping[str, Any], written: list[Path]) -> None:
    path = out_dir / f"{result['uuid']}-result.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    written.append(path)


def write_allure_results(report: dict[str, Any], records: Sequence[Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """Write one result per stage and per budget (plus their attachments) into `out_dir`; returns the files."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for step in report.get("steps") or []:
        mine = step_records(records, str(step.get("id")))
        refs = _write_attachments(out_dir, step_attachments(mine, str(step.get("id"))), written)
        _write_result(out_dir, _step_result(report, step, mine, refs), written)
    for line in budget_lines(report):
        _write_result(out_dir, _budget_result(report, line), written)
    return written
