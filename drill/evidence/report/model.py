"""One drill's report as data (the schema of report.json), built from its journal and nothing else.

Every other format (HTML, JUnit, Allure results) is rendered from this data, so all of them tell the same story;
`c8-drill report JOURNAL` rebuilds them all from a journal alone.

Step verdicts: passed, failed (an action or the desired state failed), refused (the current state did not hold,
nothing was done), blocked (an earlier step stopped the drill; never executed), not run (the journal ends first).
The drill verdict is `passed` only when every stage passed and RTO and RPO are within budget; a journal without
its drill_end record is `incomplete`. A readiness check (drill_start `purpose: readiness`) loses no region, so its RTO
and RPO are `not applicable` and its verdict is its stages' alone. `rto.forecast` is the RTO forecast the drill
journaled at its start (None in older journals), stated against the budgets and never part of the verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from drill.evidence.journal import ChainReport, read_verified
from drill.evidence.report import measures

SCHEMA = "c8-dr-drill/report/1"
DRILL, READINESS = "drill", "readiness"
NOT_APPLICABLE = "not applicable"
EVIDENCE_KINDS = ("http", "command", "wait", "retry", "action", "note", "loss", "marker")


def _stages(start: Mapping[str, Any]) -> list[dict[str, Any]]:
    stages = start.get("stages")
    if isinstance(stages, list) and stages:
        return [dict(s) for s in stages if isinstance(s, Mapping) and "id" in s]
    if not isinstance(start.get("procedure"), list):
        raise ValueError("the drill_start record lists neither stages nor procedure steps: nothing to report on")
    return [{"id": step_id, "title": step_id, "phase": str(step_id).split("-")[0]} for step_id in start["procedure"]]


def _evidence(record: Mapping[str, Any]) -> dict[str, Any]:
    """A compact line per piece of evidence; full bodies stay in the journal and the Allure attachments."""
    kind = record["kind"]
    row: dict[str, Any] = {"seq": record["seq"], "ts": record["ts"], "kind": kind}
    if kind == "http":
        row |= {
            "method": record.get("method"),
            "url": record.get("url"),
            "status": record.get("status"),
            "duration_ms": record.get("duration_ms"),
            "error": record.get("error"),
        }
    elif kind == "command":
        row |= {k: record.get(k) for k in ("argv", "exit_code", "duration_s")}
    elif kind == "wait":
        row |= {k: record.get(k) for k in ("what", "attempts", "elapsed_s", "outcome")}
    elif kind == "action":
        row |= {k: record.get(k) for k in ("name", "status", "duration_s", "error")}
    else:
        row |= {k: v for k, v in record.items() if k not in ("seq", "ts", "prev", "kind", "step")}
    return row


def _step_rows(stages: list[dict[str, Any]], records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = {
        s["id"]: {
            "id": s["id"],
            "title": s.get("title", s["id"]),
            "phase": s.get("phase"),
            "destructive": bool(s.get("destructive", False)),
            "verdict": "not run",
            "started_at": None,
            "finished_at": None,
            "duration_s": None,
            "error": None,
            "checks": [],
            "evidence": [],
        }
        for s in stages
    }
    for record in records:
        kind = record.get("kind")
        step_id = record.get("step_id") if kind in ("step_start", "step_end", "check", "blocked") else None
        row = rows.get(step_id) if step_id is not None else rows.get(str(record.get("step")))
        if row is None:
            continue
        if kind == "step_start":
            row["started_at"] = record["ts"]
            row["verdict"] = "running"
        elif kind == "step_end":
            row["finished_at"] = record["ts"]
            row["duration_s"] = record.get("duration_s")
            row["verdict"] = record.get("status")
            row["error"] = record.get("error")
        elif kind == "check":
            row["checks"].append(
                {k: record.get(k) for k in ("name", "phase", "expected", "actual", "verdict", "detail")}
            )
        elif kind == "blocked":
            row["verdict"] = "blocked"
            row["error"] = record.get("reason")
        elif kind in EVIDENCE_KINDS:
            row["evidence"].append(_evidence(record))
    return list(rows.values())


def _timeline(records: Sequence[Mapping[str, Any]], started_at: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def add(record: Mapping[str, Any], text: str, verdict: str | None = None) -> None:
        events.append(
            {
                "at": record["ts"],
                "offset_s": measures.seconds_between(started_at, record["ts"]),
                "event": text,
                "verdict": verdict,
            }
        )

    rto_end = measures.failover_end(records)
    for record in records:
        kind = record.get("kind")
        if record is rto_end:
            add(record, f"failover RTO ends: marker {record.get('tag')} visible in region {record.get('region')}")
        if kind == "drill_start" and record.get("purpose") == READINESS:
            add(record, f"readiness check started on target {record.get('target')} (read-only, no region lost)")
        elif kind == "drill_start":
            add(record, f"drill started on target {record.get('target')}, losing region {record.get('lost_region')}")
        elif kind == "step_start":
            add(record, f"{record.get('step_id')} started: {record.get('title')}")
        elif kind == "step_end":
            add(record, f"{record.get('step_id')} {record.get('status')}", record.get("status"))
        elif kind == "blocked":
            add(record, f"{record.get('step_id')} blocked: {record.get('reason')}", "blocked")
        elif kind == "loss":
            add(record, f"region {record.get('region')}: {record.get('event')}")
        elif kind == "drill_end":
            add(record, f"drill ended: {record.get('verdict')}", record.get("verdict"))
    return events


def _verdict(
    start: Mapping[str, Any],
    end: Mapping[str, Any] | None,
    steps: list[dict[str, Any]],
    rto: dict[str, Any],
    rpo: dict[str, Any],
) -> str:
    if end is None:
        return "incomplete"
    if start.get("dry_run"):  # a reading: could the drill start now? Later Givens wait for earlier Whens.
        read = [s for s in steps if s["verdict"] in ("ready", "not ready")]
        if len(read) != len(steps) or not read:
            return "failed"
        return "ready" if read[0]["verdict"] == "ready" else "not ready"
    if any(s["verdict"] != "passed" for s in steps):
        return "failed"
    if rto["verdict"] not in ("pass", NOT_APPLICABLE) or rpo["verdict"] not in ("pass", NOT_APPLICABLE):
        return "failed"
    return "passed"


def _not_measured(budgets: measures.Budgets) -> tuple[dict[str, Any], dict[str, Any]]:
    """RTO and RPO of a run that loses no region: the same keys as measured ones, each `not applicable`."""
    rto: dict[str, Any] = {
        "failover_s": None,
        "failover_budget_s": budgets.failover_s,
        "failover_verdict": NOT_APPLICABLE,
        "failback_s": None,
        "failback_budget_s": budgets.failback_s,
        "failback_verdict": NOT_APPLICABLE,
        "backup_restore_s": 0.0,
        "verdict": NOT_APPLICABLE,
        "forecast": None,
    }
    rpo: dict[str, Any] = {
        "markers_written": 0,
        "markers_lost": None,
        "lost_tags": [],
        "budget_markers": budgets.rpo_markers,
        "verdict": NOT_APPLICABLE,
        "markers": [],
    }
    return rto, rpo


def build_report(records: Sequence[Mapping[str, Any]], *, path: Path, chain: ChainReport) -> dict[str, Any]:
    start = next((r for r in records if r.get("kind") == "drill_start"), None)
    if start is None:
        raise ValueError(f"{path}: the journal has no drill_start record; it holds no drill to report on")
    end = next((r for r in reversed(records) if r.get("kind") == "drill_end"), None)
    budgets = measures.Budgets.from_json(start.get("budgets"))
    stages = _stages(start)
    steps = _step_rows(stages, records)
    failback_ids = [s["id"] for s in stages if s.get("phase") == "failback"]
    lost = start.get("lost_region")
    kind = start.get("purpose") or DRILL
    if kind == READINESS:
        rto, rpo = _not_measured(budgets)
    else:
        rto, rpo = measures.rto(records, failback_ids, budgets), measures.rpo(records, budgets)
    return {
        "schema": SCHEMA,
        "kind": kind,
        "target": start.get("target"),
        "lost_region": lost,
        "surviving_region": 1 - lost if lost in (0, 1) else None,
        "variant": start.get("variant"),
        "verdict": _verdict(start, end, steps, rto, rpo),
        "mode": start.get("mode", "drill"),
        "dry_run": bool(start.get("dry_run", False)),
        "error": end.get("error") if end else None,
        "started_at": start["ts"],
        "finished_at": end["ts"] if end else None,
        "duration_s": measures.seconds_between(start["ts"], end["ts"]) if end else None,
        "operator": start.get("operator"),
        "host": start.get("host"),
        "contexts": start.get("contexts"),
        "versions": start.get("versions"),
        "chart_version": start.get("chart_version"),
        "shape": start.get("shape"),
        "budgets": budgets.to_json(),
        "steps": steps,
        "rto": rto,
        "rpo": rpo,
        "timeline": _timeline(records, start["ts"]),
        "journal": {"path": str(path), "records": chain.records, "head_sha256": chain.last_hash},
    }


def report_from_journal(path: Path) -> dict[str, Any]:
    """Verify the chain first: a report is never made from altered evidence."""
    records, chain = read_verified(path)
    return build_report(records, path=Path(path), chain=chain)
