"""How benchmarks/drill_bench.py matches a journaled wait to the completion it awaited: by equal fields, the latest
completion before the observation, timed from the later of the completion and the wait's start."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from drillbench.detection import detections


def wait(ts: str, elapsed: float, awaits: Any, outcome: str = "reached") -> dict[str, Any]:
    return {
        "kind": "wait",
        "step": "s",
        "what": "w",
        "ts": f"2026-01-01T00:00:{ts}Z",
        "elapsed_s": elapsed,
        "outcome": outcome,
        "awaits": awaits,
    }


def entry(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "at": f"2026-01-01T00:00:{at}Z", **fields}


TIMELINE = {
    "completions": [
        entry("started", "00.000000", region=1, component="zeebe"),
        entry("change", "05.000000", id=1, status="COMPLETED"),
        entry("started", "20.000000", region=1, component="zeebe"),
        entry("export", "21.000000", key="7", region=0, via="exporter"),
        entry("restore", "30.000000", region=1, snapshot="s", greenAt="2026-01-01T00:00:31.000000Z"),
    ]
}


@pytest.mark.parametrize(
    ("record", "latency", "during", "verdict"),
    [
        # completed 0.1 s into a 2 s wait that ended 1.9 s later: polled too slowly for the 250 ms floor
        (wait("06.900000", 2.0, {"kind": "change", "id": 1}), 1.9, True, "missed"),
        (wait("05.200000", 1.0, {"kind": "change", "id": 1}), 0.2, True, "met"),
        # done before the wait began: its first probe is what is timed
        (wait("10.010000", 0.01, {"kind": "change", "id": 1}), 0.01, False, "met"),
        # the later of two starts of the same brokers, the one before the observation
        (wait("20.100000", 15.0, {"kind": "started", "region": 1, "component": "zeebe"}), 0.1, True, "met"),
        # a list: the last of its completions counts
        (
            wait("22.000000", 10.0, [{"kind": "change", "id": 1}, {"kind": "export", "key": "7", "region": 0}]),
            1.0,
            True,
            "met",
        ),
        (wait("31.200000", 2.0, {"kind": "restore", "region": 1, "snapshot": "s", "until": "green"}), 0.2, True, "met"),
        (wait("20.050000", 30.0, {"kind": "topology"}), 0.05, True, "met"),
        (wait("40.000000", 0.2, {"kind": "none"}), 0.2, False, "met"),
    ],
)
def test_a_wait_is_timed_from_its_completion(
    record: dict[str, Any], latency: float, during: bool, verdict: str
) -> None:
    (row,) = detections([record], TIMELINE)
    assert row.latency_s == pytest.approx(latency, abs=1e-6)
    assert (row.during, row.verdict) == (during, verdict)


def test_the_bound_is_ten_percent_of_a_long_wait() -> None:
    (row,) = detections([wait("50.000000", 30.0, {"kind": "restore", "region": 1, "snapshot": "s"})], TIMELINE)
    assert (row.bound_s, row.latency_s, row.verdict) == (3.0, pytest.approx(20.0), "missed")


def test_a_wait_without_its_completion_is_unmatched_and_a_failed_one_not_reached() -> None:
    rows = detections(
        [
            wait("50.000000", 1.0, {"kind": "export", "key": "8", "region": 0}),
            wait("04.000000", 1.0, {"kind": "change", "id": 1}),  # observed before the change completed
            wait("50.000000", 1.0, {"kind": "change", "id": 2}, outcome="timed out"),
            {"kind": "wait", "step": "s", "what": "w", "ts": "2026-01-01T00:00:01Z", "elapsed_s": 1, "outcome": "x"},
        ],
        TIMELINE,
    )
    assert [(r.verdict, r.latency_s) for r in rows] == [
        ("unmatched", None),
        ("unmatched", None),
        ("not reached", None),
        ("unmatched", None),
    ]
