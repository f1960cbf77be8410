"""Semantics of the simulated Zeebe cluster, driven directly with a fake clock (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from drill.sim.clock import FakeClock
from drill.sim.model.errors import BadRequest, Conflict, InternalError, Unavailable
from drill.sim.model.zeebe import ZeebeCluster

BPMN = (
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    b'<process id="drill" name="Drill" isExecutable="true"/></definitions>'
)
ODD = [1, 3, 5, 7]


class Sink:
    def __init__(self) -> None:
        self.docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.up = True

    def index_document(self, index: str, doc_id: str, source: dict[str, Any]) -> None:
        self.docs[(index, doc_id)] = source

    def instances(self) -> set[int]:
        return {doc["processInstanceKey"] for (index, _), doc in self.docs.items() if index.startswith("operate-list")}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sinks() -> dict[int, Sink]:
    return {0: Sink(), 1: Sink()}


def make(clock: FakeClock, sinks: dict[int, Sink], time_scale: float = 0.0, **kw: Any) -> ZeebeCluster:
    def resolve(exporter: str) -> Sink | None:
        sink = sinks[int(exporter[-1])]
        return sink if sink.up else None

    zeebe = ZeebeCluster(clock=clock, time_scale=time_scale, sink=resolve, **kw)
    zeebe.deploy("drill.bpmn", BPMN)
    return zeebe


def lose_region_1(zeebe: ZeebeCluster, sinks: dict[int, Sink]) -> None:
    zeebe.running -= set(ODD)
    sinks[1].up = False


def test_a_healthy_cluster_has_a_leader_per_partition_and_exports_to_both_regions(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    keys = {zeebe.create_instance("drill").key for _ in range(8)}
    zeebe.tick()
    assert all(leader is not None for leader in zeebe.leaders().values())
    assert sinks[0].instances() == keys
    assert sinks[1].instances() == keys
    assert len({zeebe.leader(p) for p in range(1, 9)}) > 1


def test_losing_a_region_leaves_every_partition_without_quorum(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    assert all(leader is None for leader in zeebe.leaders().values())
    with pytest.raises(Unavailable, match="no partition has a leader"):
        zeebe.create_instance("drill")


def test_force_remove_halves_replication_and_restores_processing(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    request = zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    ops = [op.operation for op in request.operations]
    assert ops.count("PARTITION_FORCE_RECONFIGURE") == 8
    assert ops[-4:] == ["BROKER_REMOVE"] * 4
    assert zeebe.pending is not None and zeebe.pending.id == request.change_id
    zeebe.tick()
    assert zeebe.pending is None
    assert zeebe.last_change is not None and zeebe.last_change.status == "COMPLETED"
    assert sorted(zeebe.config.members) == [0, 2, 4, 6]
    assert zeebe.config.replication_factor() == 2
    assert all(leader in (0, 2, 4, 6) for leader in zeebe.leaders().values())


def test_export_stalls_on_every_partition_while_the_lost_exporter_is_enabled(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    zeebe.tick()
    key = zeebe.create_instance("drill").key
    zeebe.tick()
    assert key not in sinks[0].instances(), (
        "the surviving region must not receive data while region 1's exporter blocks"
    )
    assert all(reason and "camundaregion1" in reason for reason in zeebe.stalled.values())
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    assert key in sinks[0].instances()
    assert not any(zeebe.stalled.values())


def test_changes_take_modelled_time_and_show_progress(clock, sinks) -> None:
    zeebe = make(clock, sinks, time_scale=1.0)
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    assert zeebe.pending is not None
    assert dict(zeebe.exporter_status()) == {"camundaregion0": "ENABLED", "camundaregion1": "DISABLING"}
    clock.advance(0.35)
    zeebe.tick()
    assert zeebe.pending is not None and 0 < len(zeebe.pending.completed) < len(zeebe.pending.operations)
    clock.advance(10)
    zeebe.tick()
    assert zeebe.pending is None
    assert dict(zeebe.exporter_status()) == {"camundaregion0": "ENABLED", "camundaregion1": "DISABLED"}


def test_a_second_change_while_one_is_pending_is_a_conflict(clock, sinks) -> None:
    zeebe = make(clock, sinks, time_scale=1.0)
    first = zeebe.disable_exporter("camundaregion1")
    with pytest.raises(Conflict, match=rf"\[{first.change_id}\] is in progress") as err:
        zeebe.enable_exporter("camundaregion1")
    assert err.value.status == 409
    assert zeebe.disable_exporter("camundaregion0", dry_run=True).change_id == first.change_id + 1, (
        "dry runs are not refused"
    )


def test_dry_run_plans_without_applying(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    before = zeebe.config.copy()
    request = zeebe.patch({"brokers": {"remove": ODD}}, force=True, dry_run=True)
    zeebe.tick()
    assert request.operations and zeebe.pending is None and zeebe.last_change is None
    assert zeebe.config == before
    assert sorted(request.expected.members) == [0, 2, 4, 6]


def test_a_change_that_needs_a_dead_broker_never_completes(clock, sinks) -> None:
    """Disabling region 1's exporter before removing its brokers (steps swapped) blocks every later change."""
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    zeebe.disable_exporter("camundaregion1")
    for _ in range(3):
        clock.advance(60)
        zeebe.tick()
    assert zeebe.pending is not None and zeebe.pending.status == "IN_PROGRESS"
    with pytest.raises(Conflict):
        zeebe.patch({"brokers": {"remove": ODD}}, force=True)


def test_force_rules_of_the_endpoint(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    cases = [
        ({"brokers": {"add": ODD}, "partitions": {"replicationFactor": 4}}, "Cannot force add brokers"),
        ({"brokers": {"remove": ODD}, "partitions": {"replicationFactor": 4}}, "Cannot force change the replication"),
        ({"brokers": {"remove": ODD}, "partitions": {"count": 9}}, "Cannot force change the partition count."),
        ({"brokers": {"count": 4}}, "Cannot force change the broker count."),
        ({"partitions": {"replicationFactor": 2}}, "Must provide a set of brokers to force remove."),
        ({"brokers": {}}, "Must provide a set of brokers to force remove."),
    ]
    for body, message in cases:
        with pytest.raises(BadRequest, match=message):
            zeebe.patch(body, force=True)
    with pytest.raises(BadRequest, match="Cannot change brokers count and add/remove brokers"):
        zeebe.patch({"brokers": {"count": 4, "remove": ODD}})


def test_malformed_patch_bodies_name_what_was_expected(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    with pytest.raises(BadRequest, match="list of broker ids"):
        zeebe.patch({"brokers": {"remove": "1,3"}}, force=True)
    with pytest.raises(BadRequest, match="'replicationFactor' to be an integer"):
        zeebe.patch({"partitions": {"replicationFactor": "4"}})
    with pytest.raises(BadRequest, match="JSON object"):
        zeebe.patch([1, 3])


def test_pause_is_refused_while_the_topology_is_incomplete(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    with pytest.raises(InternalError, match="Expected 4 members of partition 1 but found 2"):
        zeebe.pause_exporting()
    assert not zeebe.exporting_paused


def test_paused_exporting_keeps_new_instances_out_of_elasticsearch(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    zeebe.pause_exporting()
    key = zeebe.create_instance("drill").key
    zeebe.tick()
    assert key not in sinks[0].instances() and key not in sinks[1].instances()
    zeebe.resume_exporting()
    zeebe.tick()
    assert key in sinks[0].instances() and key in sinks[1].instances()


def test_initialize_from_copies_the_position_so_nothing_is_exported_twice_or_missed(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    lose_region_1(zeebe, sinks)
    zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    zeebe.tick()
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    during_failover = {zeebe.create_instance("drill").key for _ in range(4)}
    zeebe.tick()
    zeebe.pause_exporting()
    sinks[1] = Sink()  # the recreated region's Elasticsearch, restored from region 0's snapshot
    sinks[1].docs = dict(sinks[0].docs)
    zeebe.enable_exporter("camundaregion1", initialize_from="camundaregion0")
    zeebe.tick()
    assert zeebe.positions["camundaregion1"] == zeebe.positions["camundaregion0"]
    zeebe.resume_exporting()
    after = zeebe.create_instance("drill").key
    zeebe.tick()
    assert during_failover | {after} <= sinks[1].instances()
    assert sinks[0].instances() == sinks[1].instances()


def test_enabling_without_initialize_from_after_compaction_leaves_a_gap(clock, sinks) -> None:
    """Log compaction follows only enabled exporters: a re-enabled exporter cannot export what is gone."""
    zeebe = make(clock, sinks)
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    missed = zeebe.create_instance("drill").key
    zeebe.tick()
    zeebe.enable_exporter("camundaregion1")
    zeebe.tick()
    later = zeebe.create_instance("drill").key
    zeebe.tick()
    assert later in sinks[1].instances()
    assert missed not in sinks[1].instances()


def test_enable_validation_follows_the_applier(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    with pytest.raises(BadRequest, match="the exporter 'camundaregion1' is already enabled"):
        zeebe.enable_exporter("camundaregion1")
    zeebe.disable_exporter("camundaregion0")
    zeebe.tick()
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    with pytest.raises(BadRequest, match="exporter 'camundaregion0' is disabled"):
        zeebe.enable_exporter("camundaregion1", initialize_from="camundaregion0")
    with pytest.raises(BadRequest, match="does not have the exporter 'nope'"):
        zeebe.disable_exporter("nope")


def test_readding_brokers_restores_the_original_layout(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    original = {p: zeebe.config.replica_ids(p) for p in range(1, 9)}
    lose_region_1(zeebe, sinks)
    zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    zeebe.tick()
    with pytest.raises(BadRequest, match=r"brokers \[1, 3, 5, 7\] are not running"):
        zeebe.patch({"brokers": {"add": ODD}, "partitions": {"replicationFactor": 4}})
    zeebe.running |= set(ODD)
    request = zeebe.patch({"brokers": {"add": ODD}, "partitions": {"replicationFactor": 4}})
    assert {op.operation for op in request.operations} >= {"BROKER_ADD", "PARTITION_JOIN"}
    zeebe.tick()
    assert zeebe.last_change is not None and zeebe.last_change.status == "COMPLETED"
    assert {p: zeebe.config.replica_ids(p) for p in range(1, 9)} == original
    assert zeebe.config.replication_factor() == 4


def test_a_failed_change_keeps_the_configuration_and_reports_failed(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    zeebe.fail_next_change()
    before = zeebe.config.copy()
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    assert zeebe.last_change is not None and zeebe.last_change.status == "FAILED"
    assert zeebe.config == before
    zeebe.disable_exporter("camundaregion1")
    zeebe.tick()
    assert zeebe.last_change.status == "COMPLETED"


def test_process_keys_encode_their_partition_and_instances_spread(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    records = [zeebe.create_instance("drill") for _ in range(16)]
    assert {r.partition for r in records} == set(range(1, 9))
    assert all(r.key >> 51 == r.partition for r in records)


def test_deploying_needs_partition_one_and_a_valid_bpmn(clock, sinks) -> None:
    zeebe = make(clock, sinks)
    with pytest.raises(BadRequest, match="not valid XML"):
        zeebe.deploy("broken.bpmn", b"<definitions")
    _, definitions = zeebe.deploy("drill.bpmn", BPMN)
    assert definitions[0].version == 1, "identical content is not a new version"
    lose_region_1(zeebe, sinks)
    with pytest.raises(Unavailable, match="partition 1 has no leader"):
        zeebe.deploy("drill.bpmn", BPMN)


def test_an_elasticsearch_that_refuses_a_write_holds_the_partition_until_it_accepts(clock, sinks) -> None:
    from drill.sim.model.errors import Unavailable as EsUnavailable

    class Restoring(Sink):
        def __init__(self) -> None:
            super().__init__()
            self.refuse = True

        def index_document(self, index: str, doc_id: str, source: dict[str, Any]) -> None:
            if self.refuse:
                raise EsUnavailable("[operate-list-view-8.3.0_] primary shard is not active")
            super().index_document(index, doc_id, source)

    sinks[1] = Restoring()
    zeebe = make(clock, sinks)
    record = zeebe.create_instance("drill")
    zeebe.tick()
    assert "cannot write" in (zeebe.stalled[record.partition] or "")
    assert zeebe.positions["camundaregion1"][record.partition] < record.position
    sinks[1].refuse = False  # type: ignore[attr-defined]
    zeebe.tick()
    assert record.key in sinks[1].instances()
    assert zeebe.stalled[record.partition] is None
