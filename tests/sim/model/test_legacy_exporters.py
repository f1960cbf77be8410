"""An 8.8 migrated from 8.7 keeps its legacy exporters elasticsearchregion0/1: the simulator must make them matter.

They follow the same state machine as the Camunda exporters (enable, disable, initializeFrom, aggregation, one
change at a time) and stall exporting when their Elasticsearch is gone, so skipping them in a step visibly hurts.
Driven through the model with a fake clock; no HTTP.
"""

from __future__ import annotations

import pytest

from drill.sim.clock import FakeClock
from drill.sim.model import camunda_schema
from drill.sim.model.deployment import SimSettings, Simulation, default_values
from drill.sim.model.errors import Conflict

BPMN = (
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
    b'<process id="drill" name="Drill" isExecutable="true"/></definitions>'
)
ODD = [1, 3, 5, 7]
LEGACY_INSTANCES = camunda_schema.legacy_index(camunda_schema.LIST_VIEW)


def migrated(time_scale: float = 0.0) -> Simulation:
    sim = Simulation(SimSettings(legacy_exporters=True, time_scale=time_scale), clock=FakeClock())
    sim.zeebe.deploy("drill.bpmn", BPMN)
    return sim


def instances(sim: Simulation, region: int, index: str = camunda_schema.LIST_VIEW) -> set[int]:
    return {doc["processInstanceKey"] for doc in sim.elasticsearch(region).documents(index)}


def after_failover_1(sim: Simulation) -> int:
    """Region 1 lost and its brokers force-removed: processing resumes, an instance is created (and stalls)."""
    sim.lose_region(1)
    sim.tick()
    sim.zeebe.patch({"brokers": {"remove": ODD}}, force=True)
    sim.tick()
    key = sim.zeebe.create_instance("drill").key
    sim.tick()
    return key


def settle(sim: Simulation) -> None:
    sim.tick()
    assert sim.zeebe.pending is None, "the change completes at the next observation (time scale 0)"


def test_both_families_are_configured_enabled_and_export_to_their_own_indices() -> None:
    sim = migrated()
    assert dict(sim.zeebe.exporter_status()) == {
        "camundaregion0": "ENABLED",
        "camundaregion1": "ENABLED",
        "elasticsearchregion0": "ENABLED",
        "elasticsearchregion1": "ENABLED",
    }
    key = sim.zeebe.create_instance("drill").key
    sim.tick()
    for region in (0, 1):
        assert key in instances(sim, region)
        assert key in instances(sim, region, LEGACY_INSTANCES), "the legacy exporter writes its own zeebe-record_*"
    env = {e["name"]: e["value"] for e in default_values(sim.settings, 0)["orchestration"]["env"]}
    assert env["ZEEBE_BROKER_EXPORTERS_ELASTICSEARCHREGION1_CLASSNAME"] == (
        "io.camunda.zeebe.exporter.ElasticsearchExporter"
    )


def test_a_plain_88_deployment_has_no_legacy_exporter() -> None:
    sim = Simulation(SimSettings(), clock=FakeClock())
    assert [e for e, _ in sim.zeebe.exporter_status()] == ["camundaregion0", "camundaregion1"]


def test_export_stays_stalled_until_the_lost_legacy_exporter_is_disabled_too() -> None:
    sim = migrated()
    key = after_failover_1(sim)
    sim.zeebe.disable_exporter("camundaregion1")
    settle(sim)
    assert key not in instances(sim, 0), "the enabled legacy exporter to the lost region still holds every partition"
    assert all(reason and "elasticsearchregion1" in reason for reason in sim.zeebe.stalled.values())

    sim.zeebe.disable_exporter("elasticsearchregion1")
    settle(sim)
    assert key in instances(sim, 0)
    assert key in instances(sim, 0, LEGACY_INSTANCES)
    assert not any(sim.zeebe.stalled.values())


def test_a_second_exporter_change_while_the_first_is_pending_is_a_conflict() -> None:
    sim = migrated(time_scale=1.0)
    first = sim.zeebe.disable_exporter("camundaregion1")
    with pytest.raises(Conflict, match=rf"\[{first.change_id}\] is in progress") as err:
        sim.zeebe.disable_exporter("elasticsearchregion1")
    assert err.value.status == 409
    assert dict(sim.zeebe.exporter_status())["camundaregion1"] == "DISABLING"
    assert dict(sim.zeebe.exporter_status())["elasticsearchregion1"] == "ENABLED", "the refused change left no trace"


def test_each_family_is_enabled_again_from_the_surviving_exporter_of_its_own_family() -> None:
    sim = migrated()
    after_failover_1(sim)
    for exporter in ("camundaregion1", "elasticsearchregion1"):
        sim.zeebe.disable_exporter(exporter)
        settle(sim)
    for _ in range(3):
        sim.zeebe.create_instance("drill")
    sim.tick()
    sim.zeebe.pause_exporting()  # as the failback does: positions move only by the initialisation

    for lost, surviving in (("camundaregion1", "camundaregion0"), ("elasticsearchregion1", "elasticsearchregion0")):
        sim.zeebe.enable_exporter(lost, initialize_from=surviving)
        settle(sim)
        assert sim.zeebe.positions[lost] == sim.zeebe.positions[surviving], f"{lost} starts where {surviving} is"
        assert sum(sim.zeebe.positions[lost].values()) > 0
    assert dict(sim.zeebe.exporter_status()) == dict.fromkeys(
        ("camundaregion0", "camundaregion1", "elasticsearchregion0", "elasticsearchregion1"), "ENABLED"
    )
    initialised = {
        exporter: config.initialized_from
        for member in sim.zeebe.config.members.values()
        for partition in member.partitions.values()
        for exporter, config in partition.exporters.items()
        if exporter.endswith("1")
    }
    assert initialised == {"camundaregion1": "camundaregion0", "elasticsearchregion1": "elasticsearchregion0"}
