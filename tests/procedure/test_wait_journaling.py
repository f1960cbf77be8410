"""Every wait of the procedure is a `wait` record naming what it awaited in the simulator timeline's terms, so a
benchmark can match each wait to the completion it waited for by equality."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.drill_harness import FAST, MakeDrill, run_until
from support.drive import drive

import drill.procedure
from drill.api.errors import ChangeFailed
from drill.api.management import ManagementClient
from drill.drill_session import DrillSession, DrillSettings
from drill.evidence.journal import read_journal
from drill.procedure import actions, observe
from drill.procedure.params import DrillParams
from drill.sim.runtime import SimRuntime
from drill.targets import SIM_TIMEOUTS, sim_target

PROCEDURE = Path(drill.procedure.__file__).parent
TIMELINE_KINDS = {"change", "snapshot", "restore", "started", "export", "lost", "route"}


def calls_in(source: Path, name: str) -> list[str]:
    """The functions of `source` that call `name` (as a plain name or an attribute)."""
    tree = ast.parse(source.read_text())
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.Call):
                callee = node.func
                called = callee.id if isinstance(callee, ast.Name) else getattr(callee, "attr", None)
                if called == name:
                    found.append(fn.name)
    return found


def test_the_procedure_waits_only_through_the_journaled_helpers() -> None:
    """A new wait that bypasses them (and so journals nothing the benchmark can match) fails here."""
    waits = {p.name: calls_in(p, "wait_until") for p in sorted(PROCEDURE.glob("*.py"))}
    assert {name: fns for name, fns in waits.items() if fns} == {"observe.py": ["journaled_wait"]}
    changes = {p.name: calls_in(p, "wait_for_change") for p in sorted(PROCEDURE.glob("*.py"))}
    assert {name: fns for name, fns in changes.items() if fns} == {"actions.py": ["await_change"]}


def matches(awaited: dict[str, Any], entry: dict[str, Any]) -> bool:
    return all(entry.get(k) == v for k, v in awaited.items() if k != "until")


@pytest.fixture
def whole_drill(
    make_runtime: Callable[..., SimRuntime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, int]]:
    """A whole drill (every stage, region 1 lost) on the simulator: its records, the timeline, and how often the
    procedure waited (counted where the waits happen, not from the journal)."""
    counted = {"wait_until": 0, "wait_for_change": 0}
    real_wait, real_change = observe.wait_until, ManagementClient.wait_for_change

    def counting_wait(*args: Any, **kwargs: Any) -> Any:
        counted["wait_until"] += 1
        return real_wait(*args, **kwargs)

    def counting_change(self: ManagementClient, *args: Any, **kwargs: Any) -> Any:
        counted["wait_for_change"] += 1
        return real_change(self, *args, **kwargs)

    monkeypatch.setattr(observe, "wait_until", counting_wait)
    monkeypatch.setattr(ManagementClient, "wait_for_change", counting_change)
    runtime = make_runtime()
    endpoints = runtime.endpoints()
    target = sim_target(endpoints, timeouts=SIM_TIMEOUTS, auth=httpx.BasicAuth("demo", "demo"))
    session = DrillSession(DrillSettings(params=DrillParams(lost_region=1), report_dir=tmp_path), 1, target=target)
    drive(session)
    written = session.finish(reports=False)
    assert written is None and session.stopped_by is None
    timeline = httpx.get(f"{endpoints['control']}/timeline", timeout=10).json()
    return read_journal(session.journal_path), timeline, counted


def test_every_wait_of_a_drill_is_journaled_with_what_it_awaited(whole_drill: Any) -> None:
    records, timeline, counted = whole_drill
    waits = [r for r in records if r["kind"] == "wait"]
    snapshot_and_restore = 2  # Elasticsearch's own waits (wait_for_completion): one request each
    assert len(waits) == counted["wait_until"] + counted["wait_for_change"] + snapshot_and_restore
    assert all("awaits" in w and w["outcome"] != "timed out" for w in waits)
    awaited = [a for w in waits for a in (w["awaits"] if isinstance(w["awaits"], list) else [w["awaits"]])]
    assert {a["kind"] for a in awaited} == TIMELINE_KINDS | {"topology"}
    completions = timeline["completions"]
    unmatched = [a for a in awaited if a["kind"] in TIMELINE_KINDS and not any(matches(a, e) for e in completions)]
    assert unmatched == []


def test_change_and_export_waits_name_the_change_and_the_instance(whole_drill: Any) -> None:
    records, timeline, _ = whole_drill
    awaited = [r["awaits"] for r in records if r["kind"] == "wait" and isinstance(r["awaits"], dict)]
    changes = [e["id"] for e in timeline["completions"] if e["kind"] == "change"]
    assert [a["id"] for a in awaited if a["kind"] == "change"] == changes == [1, 2, 3, 4]
    markers = {(r["key"], r["region"]) for r in records if r["kind"] == "marker" and r["event"] == "seen"}
    exports = {(a["key"], a["region"]) for a in awaited if a["kind"] == "export"}
    assert markers <= exports


def test_a_wait_that_runs_out_is_journaled_as_timed_out(make_drill: MakeDrill) -> None:
    drill = make_drill(1, timeouts=FAST)
    check = observe.reaches(drill.ctx, drill.ctx.surviving, "999999", "an instance that never was")
    assert not check.passed
    (wait,) = drill.records("wait")
    assert wait["outcome"] == "timed out" and wait["attempts"] >= 1
    assert wait["awaits"] == {"kind": "export", "key": "999999", "region": 0}


def test_a_change_that_fails_is_journaled_with_its_end(make_drill: MakeDrill) -> None:
    drill = make_drill(1)
    run_until(drill.ctx, stop_before="failover-1")
    drill.control.post("/faults", json={"kind": "change"}).raise_for_status()
    with pytest.raises(ChangeFailed):
        actions.ForceRemoveBrokers(drill.ctx.params.lost_brokers).run(drill.ctx)
    (wait,) = [w for w in drill.records("wait") if w["awaits"]["kind"] == "change"]
    assert (wait["outcome"], wait["awaits"]) == ("FAILED", {"kind": "change", "id": 1})
