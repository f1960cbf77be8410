"""RTO and RPO as the journal shows them, judged against budgets.

Both are computed from journal records only (the loss, the marker records, the step brackets), so the report a
drill writes and the report `c8-drill report` rebuilds later from the same journal can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

# Camunda's published figures: failover within a minute (DNS excluded), failback within five minutes plus the time
# the Elasticsearch backup and restore takes, and no acknowledged data lost.
DEFAULT_FAILOVER_BUDGET_S = 60.0
DEFAULT_FAILBACK_BUDGET_S = 300.0
DEFAULT_RPO_BUDGET = 0
BACKUP_RESTORE_STEP = "failback-4"


@dataclass(frozen=True)
class Budgets:
    failover_s: float = DEFAULT_FAILOVER_BUDGET_S
    failback_s: float = DEFAULT_FAILBACK_BUDGET_S
    rpo_markers: int = DEFAULT_RPO_BUDGET

    def __post_init__(self) -> None:
        for name in ("failover_s", "failback_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"Expected budget {name} to be a positive number of seconds, got {value!r}")
        if isinstance(self.rpo_markers, bool) or not isinstance(self.rpo_markers, int) or self.rpo_markers < 0:
            raise ValueError(f"Expected the RPO budget to be a whole number of markers >= 0, got {self.rpo_markers!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Any) -> Budgets:
        """Budgets as a drill_start record holds them; a journal without them is judged by the defaults."""
        if not isinstance(value, Mapping):
            return cls()
        known = {k: value[k] for k in ("failover_s", "failback_s", "rpo_markers") if k in value}
        return cls(**known)


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_between(start: str, end: str) -> float:
    return round((parse_ts(end) - parse_ts(start)).total_seconds(), 6)


def _first(records: Sequence[Mapping[str, Any]], kind: str, **match: Any) -> Mapping[str, Any] | None:
    for record in records:
        if record.get("kind") == kind and all(record.get(k) == v for k, v in match.items()):
            return record
    return None


def failover_end(records: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The record that stops the failover clock: the first marker written after the loss and then seen in the
    surviving region's Elasticsearch."""
    loss = _first(records, "loss", event="lose")
    if loss is None:
        return None
    written_after = {
        r["tag"] for r in records if r.get("kind") == "marker" and r.get("event") == "written" and r["ts"] >= loss["ts"]
    }
    surviving = loss.get("surviving_region")
    for record in records:
        if (
            record.get("kind") == "marker"
            and record.get("event") == "seen"
            and record.get("found") is True
            and record.get("tag") in written_after
            and record.get("region") == surviving
        ):
            return record
    return None


def failover_rto(records: Sequence[Mapping[str, Any]]) -> float | None:
    """From the loss to the first marker that was created after it and seen in the surviving region."""
    loss = _first(records, "loss", event="lose")
    end = failover_end(records)
    if loss is None or end is None:
        return None
    return seconds_between(loss["ts"], end["ts"])


def failback_window(records: Sequence[Mapping[str, Any]], failback_ids: Sequence[str]) -> float | None:
    """From the start of the first failback step to the passing end of the last one."""
    if not failback_ids:
        return None
    start = _first(records, "step_start", step_id=failback_ids[0])
    end = _first(records, "step_end", step_id=failback_ids[-1], status="passed")
    if start is None or end is None:
        return None
    return seconds_between(start["ts"], end["ts"])


def backup_restore_s(records: Sequence[Mapping[str, Any]]) -> float:
    end = _first(records, "step_end", step_id=BACKUP_RESTORE_STEP)
    value = end.get("duration_s") if end else None
    return float(value) if isinstance(value, int | float) else 0.0


def _judge(value: float | None, budget: float) -> str:
    if value is None:
        return "not measured"
    return "pass" if value <= budget else "fail"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def forecast(records: Sequence[Mapping[str, Any]], budgets: Budgets) -> dict[str, Any] | None:
    """The RTO forecast the drill journaled at its start, judged against the same budgets; None when it has none.

    The failback budget is the published one: the budget plus the backup and restore, here the forecast's own
    failback-4. A forecast over budget is stated, never judged as a failure: the verdict is the measured drill's.
    """
    start = _first(records, "drill_start")
    made = start.get("forecast") if start is not None else None
    if not isinstance(made, Mapping) or not _number(made.get("failover_s")) or not _number(made.get("failback_s")):
        return None
    stages = [dict(s) for s in made.get("stages") or [] if isinstance(s, Mapping)]
    seconds = next((s.get("seconds") for s in stages if s.get("id") == BACKUP_RESTORE_STEP), None)
    backup = float(seconds) if isinstance(seconds, int | float) else 0.0
    failback_budget = round(budgets.failback_s + backup, 6)
    failover, failback = float(made["failover_s"]), float(made["failback_s"])
    return {
        "failover_s": failover,
        "failover_budget_s": budgets.failover_s,
        "failover_verdict": "within budget" if failover <= budgets.failover_s else "over budget",
        "failback_s": failback,
        "failback_budget_s": failback_budget,
        "failback_verdict": "within budget" if failback <= failback_budget else "over budget",
        "backup_restore_s": backup,
        "stages": stages,
        "inputs": made.get("inputs"),
        "time_scale": made.get("time_scale"),
    }


def rto(records: Sequence[Mapping[str, Any]], failback_ids: Sequence[str], budgets: Budgets) -> dict[str, Any]:
    failover = failover_rto(records)
    failback = failback_window(records, failback_ids)
    restore = backup_restore_s(records)
    failback_budget = round(budgets.failback_s + restore, 6)
    verdicts = {"failover": _judge(failover, budgets.failover_s), "failback": _judge(failback, failback_budget)}
    return {
        "failover_s": failover,
        "failover_budget_s": budgets.failover_s,
        "failover_verdict": verdicts["failover"],
        "failback_s": failback,
        "failback_budget_s": failback_budget,
        "failback_verdict": verdicts["failback"],
        "backup_restore_s": restore,
        "verdict": "pass" if set(verdicts.values()) == {"pass"} else "fail",
        "forecast": forecast(records, budgets),
    }


def markers(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every marker written, with where the final lookup found it (region id as a string -> found)."""
    rows: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("kind") != "marker":
            continue
        tag = str(record.get("tag"))
        if record.get("event") == "written":
            rows[tag] = {"tag": tag, "key": record.get("key"), "stage": record.get("stage"), "found": {}}
        elif record.get("event") == "seen" and record.get("lookup") == "final" and tag in rows:
            rows[tag]["found"][str(record.get("region"))] = bool(record.get("found"))
    return list(rows.values())


def rpo(records: Sequence[Mapping[str, Any]], budgets: Budgets, regions: Sequence[int] = (0, 1)) -> dict[str, Any]:
    """Markers not found in every region's Elasticsearch after the failback; unmeasured until that lookup ran."""
    rows = markers(records)
    looked_up = any(r.get("kind") == "marker" and r.get("lookup") == "final" for r in records)
    lost = [r["tag"] for r in rows if not all(r["found"].get(str(region)) for region in regions)]
    if not rows or not looked_up:
        verdict, lost_count = "not measured", None
    else:
        lost_count = len(lost)
        verdict = "pass" if lost_count <= budgets.rpo_markers else "fail"
    return {
        "markers_written": len(rows),
        "markers_lost": lost_count,
        "lost_tags": lost if looked_up else [],
        "budget_markers": budgets.rpo_markers,
        "verdict": verdict,
        "markers": rows,
    }
