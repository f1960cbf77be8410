"""Detection latency: from a piece of work completing in the simulator to the drill's wait observing it.

Each `wait` record names what it awaited (`awaits`, in the terms of the simulator's timeline, see
drill/sim/model/timeline.py) and ends when the wait saw it (its `ts`; it started `elapsed_s` earlier). The timeline
says when the work completed, at the modelled instant. Matching is by equal fields, never by reading prose:

- a plain kind (change, snapshot, restore, started, export, lost, route) matches the entries whose fields equal
  every field the wait names; of those, the latest that completed before the observation counts (a region's
  brokers start twice in a drill: once at the start, again after the recreation);
- a list of them counts when the last of them completed;
- `topology`: the topology settles when whatever last changed it did (a change, brokers starting, a loss);
- `none`: nothing was in flight.

Latency = observed - max(completed, wait started): work done before the wait began should be seen by its first
probe. Bound = max(250 ms, 10 % of the wait's duration), the issue's target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

FLOOR_S = 0.25
SHARE = 0.10
TOPOLOGY_KINDS = {"change", "lost"}


@dataclass(frozen=True)
class Detection:
    step: str
    what: str
    awaits: str
    outcome: str
    wait_s: float
    latency_s: float | None  # None: no completion to measure from (see verdict)
    during: bool | None  # whether the work completed while the wait ran (else its first probe is what is timed)
    bound_s: float
    verdict: str  # met, missed, unmatched (no such completion on the timeline), not reached (the wait failed)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "what": self.what,
            "awaits": self.awaits,
            "outcome": self.outcome,
            "wait_s": round(self.wait_s, 3),
            "latency_s": None if self.latency_s is None else round(self.latency_s, 4),
            "completed_during_wait": self.during,
            "bound_s": round(self.bound_s, 3),
            "verdict": self.verdict,
        }


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def describe(awaited: Any) -> str:
    items = awaited if isinstance(awaited, list) else [awaited]
    return " + ".join(
        " ".join([str(item.get("kind"))] + [f"{k}={v}" for k, v in item.items() if k != "kind"])
        for item in items
        if isinstance(item, dict)
    )


def _completed(item: dict[str, Any], entries: list[dict[str, Any]], observed: float) -> float | None:
    """When (epoch seconds) the work `item` names last completed at or before `observed`; None when it never did,
    minus infinity when it names nothing in flight."""
    kind = item.get("kind")
    if kind == "none":
        return float("-inf")
    if kind == "topology":
        candidates = [
            e for e in entries if e["kind"] in TOPOLOGY_KINDS or (e["kind"] == "started" and e["component"] == "zeebe")
        ]
    else:
        wanted = {k: v for k, v in item.items() if k != "until"}
        candidates = [e for e in entries if all(e.get(k) == v for k, v in wanted.items())]
    times = [_time(e["greenAt"] if item.get("until") == "green" else e["at"]) for e in candidates]
    before = [t for t in times if t <= observed]
    return max(before) if before else None


def detections(records: list[dict[str, Any]], timeline: dict[str, Any]) -> list[Detection]:
    entries = list(timeline.get("completions", []))
    rows = []
    for record in records:
        if record.get("kind") != "wait":
            continue
        wait_s = float(record.get("elapsed_s") or 0.0)
        bound = max(FLOOR_S, SHARE * wait_s)
        awaited = record.get("awaits")
        base = Detection(
            step=str(record.get("step")),
            what=str(record.get("what")),
            awaits=describe(awaited) if awaited is not None else "(not named)",
            outcome=str(record.get("outcome")),
            wait_s=wait_s,
            latency_s=None,
            during=None,
            bound_s=bound,
            verdict="unmatched",
        )
        if awaited is None:
            rows.append(base)
            continue
        if record.get("outcome") == "timed out":
            rows.append(replace(base, verdict="not reached"))
            continue
        observed = _time(str(record["ts"]))
        items = awaited if isinstance(awaited, list) else [awaited]
        completions = [_completed(item, entries, observed) for item in items]
        if any(c is None for c in completions):
            rows.append(base)
            continue
        done = max(c for c in completions if c is not None)
        started = observed - wait_s
        latency = observed - max(done, started)
        rows.append(
            replace(base, latency_s=latency, during=done > started, verdict="met" if latency <= bound else "missed")
        )
    return rows
