"""The completion timeline: each piece of asynchronous work is put on it at the instant it completed in the model,
however late it is observed, named as a drill's wait names what it awaits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drill.sim.clock import FakeClock, iso
from drill.sim.model.deployment import BROKER_STARTUP_SECONDS, ES_STARTUP_SECONDS, SimSettings, Simulation
from drill.sim.model.elasticsearch import ElasticsearchCluster, SnapshotStore
from drill.sim.model.timeline import Timeline
from drill.sim.model.zeebe import EXPORT_LATENCY

START = datetime(2026, 1, 1, tzinfo=UTC)
FS_REPO = {"type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots"}}
BPMN = (
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    b'<process id="drill" name="Drill" isExecutable="true"/></definitions>'
)
ODD = [1, 3, 5, 7]


def at(seconds: float) -> str:
    """The wall time `seconds` after the fake clock's start, as the timeline renders it."""
    return iso(START + timedelta(seconds=seconds))


def entries(sim: Simulation, kind: str) -> list[dict[str, Any]]:
    sim.tick()
    return [e for e in sim.timeline.to_json()["completions"] if e["kind"] == kind]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Simulation:
    return Simulation(SimSettings(time_scale=1.0), clock=clock)


def test_a_change_is_stamped_when_it_completed_not_when_it_was_observed(sim: Simulation, clock: FakeClock) -> None:
    sim.lose_region(1)
    sim.tick()
    change = sim.zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    clock.advance(600)  # nobody looks for ten minutes
    sim.tick()
    last = sim.zeebe.last_change
    assert last is not None and last.status == "COMPLETED"
    assert last.completed_at is not None and last.completed_at < START + timedelta(seconds=600)
    (entry,) = entries(sim, "change")
    assert entry["id"] == change.change_id and entry["status"] == "COMPLETED"
    assert entry["at"] == iso(last.completed_at)
    assert last.completed[-1][1] == last.completed_at  # the last operation completed with the change


def test_a_cancelled_change_is_on_the_timeline_with_its_status(sim: Simulation) -> None:
    sim.lose_region(1)
    sim.tick()
    change = sim.zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    sim.zeebe.cancel_change(change.change_id)
    assert [(e["id"], e["status"], e["at"]) for e in entries(sim, "change")] == [(change.change_id, "CANCELLED", at(0))]


def test_an_export_is_stamped_when_the_record_became_exportable(sim: Simulation, clock: FakeClock) -> None:
    sim.zeebe.deploy("drill.bpmn", BPMN)
    key = sim.zeebe.create_instance("drill").key
    clock.advance(30)
    exports = entries(sim, "export")
    assert {(e["key"], e["region"], e["via"]) for e in exports} == {
        (str(key), 0, "exporter"),
        (str(key), 1, "exporter"),
    }
    assert {e["at"] for e in exports} == {at(EXPORT_LATENCY)}


def test_an_export_held_by_a_pause_is_stamped_at_the_resume(sim: Simulation, clock: FakeClock) -> None:
    sim.zeebe.deploy("drill.bpmn", BPMN)
    sim.tick()
    sim.zeebe.pause_exporting()
    key = str(sim.zeebe.create_instance("drill").key)
    clock.advance(5)
    sim.tick()  # the pass before the resume still holds the record
    sim.zeebe.resume_exporting()
    clock.advance(7)
    assert {e["at"] for e in entries(sim, "export") if e["key"] == key} == {at(5)}


def test_only_the_camunda_exporter_counts_so_a_legacy_one_adds_nothing(clock: FakeClock) -> None:
    sim = Simulation(SimSettings(legacy_exporters=True), clock=clock)
    sim.zeebe.deploy("drill.bpmn", BPMN)
    key = str(sim.zeebe.create_instance("drill").key)
    assert sorted(e["region"] for e in entries(sim, "export") if e["key"] == key) == [0, 1]


def test_a_region_started_is_put_on_the_timeline_once_its_pods_run(sim: Simulation, clock: FakeClock) -> None:
    assert {(e["region"], e["component"], e["at"]) for e in entries(sim, "started")} == {
        (r, c, at(0)) for r in (0, 1) for c in ("zeebe", "elasticsearch")
    }
    sim.lose_region(1)
    sim.recreate_region(1)
    clock.advance(1)
    sim.helm_install(1, {})
    clock.advance(BROKER_STARTUP_SECONDS + 100)
    late = [e for e in entries(sim, "started") if e["at"] != at(0)]
    assert {(e["region"], e["component"], e["at"]) for e in late} == {
        (1, "zeebe", at(1 + BROKER_STARTUP_SECONDS)),
        (1, "elasticsearch", at(1 + ES_STARTUP_SECONDS)),
    }


def test_pods_removed_before_they_started_never_appear(sim: Simulation, clock: FakeClock) -> None:
    sim.lose_region(1)
    sim.recreate_region(1)
    sim.helm_install(1, {})
    sim.helm_uninstall(1)
    clock.advance(BROKER_STARTUP_SECONDS + 100)
    assert all(e["at"] == at(0) for e in entries(sim, "started"))


def test_loss_and_rerouting_are_instant(sim: Simulation, clock: FakeClock) -> None:
    clock.advance(2)
    sim.lose_region(1)
    sim.route_public(0)
    assert [(e["kind"], e["region"], e["at"]) for e in sim.timeline.to_json()["completions"][-2:]] == [
        ("lost", 1, at(2)),
        ("route", 0, at(2)),
    ]


def test_snapshot_and_restore_are_stamped_when_they_finished(clock: FakeClock) -> None:
    timeline = Timeline(clock, arrival_index="operate-list-view-8.3.0_")
    store = SnapshotStore()
    surviving, recreated = (
        ElasticsearchCluster(region=r, clock=clock, store=store, time_scale=1.0, seed=1, timeline=timeline)
        for r in (0, 1)
    )
    surviving.index_document("operate-list-view-8.3.0_", "1", {"processInstanceKey": 1})
    surviving.put_repository("camunda_backup", FS_REPO)
    uuid = surviving.create_snapshot("camunda_backup", "failback")
    clock.advance(300)
    finished = surviving.snapshot_result(uuid)
    assert finished is not None
    snapshot = timeline.to_json()["completions"][0]
    assert snapshot["kind"] == "snapshot"
    assert (snapshot["region"], snapshot["name"], snapshot["state"]) == (0, "failback", "SUCCESS")
    assert snapshot["at"] == finished["snapshot"]["end_time"]
    recreated.put_repository("camunda_backup", FS_REPO)
    clock.advance(1)
    restore_id = recreated.restore_snapshot("camunda_backup", "failback")
    clock.advance(300)
    assert recreated.restore_result(restore_id) is not None
    restore, arrived = timeline.to_json()["completions"][1:]
    assert (restore["kind"], restore["region"], restore["snapshot"]) == ("restore", 1, "failback")
    assert restore["indices"] == ["operate-list-view-8.3.0_"]
    assert START + timedelta(seconds=301) < datetime.fromisoformat(restore["at"]) < START + timedelta(seconds=400)
    assert restore["greenAt"] == restore["at"]  # no replicas: green as soon as the primaries are recovered
    # The instance reached the recreated region's Elasticsearch by the restore, not by an exporter.
    assert arrived == {**arrived, "kind": "export", "key": "1", "region": 1, "via": "restore", "at": restore["at"]}


def test_the_timeline_is_bounded_and_says_how_much_it_dropped(clock: FakeClock) -> None:
    timeline = Timeline(clock, limit=3)
    for change_id in range(1, 6):
        timeline.change(change_id, "COMPLETED", clock.now())
    body = timeline.to_json()
    assert [e["id"] for e in body["completions"]] == [3, 4, 5]
    assert (body["dropped"], body["limit"]) == (2, 3)


def test_bad_input_names_what_was_expected(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="at least 1 entry, got limit=0"):
        Timeline(clock, limit=0)
    with pytest.raises(ValueError, match=r"Expected a completion kind among change, .*got 'nap'"):
        Timeline(clock).record("nap", clock.now())
