"""The fence in the model: a lost region that comes back while fenced stays out of the cluster; an unfenced one
rejoins (the zombie the drill must catch). Also the public endpoint's routing. Model only, fake clock, no HTTP."""

from __future__ import annotations

import pytest

from drill.sim.clock import FakeClock
from drill.sim.model import views
from drill.sim.model.deployment import Simulation
from drill.sim.model.errors import Conflict, NotFound
from drill.sim.model.state import snapshot

EVEN, ALL = [0, 2, 4, 6], list(range(8))


@pytest.fixture
def sim() -> Simulation:
    return Simulation(clock=FakeClock())


def topology_brokers(sim: Simulation) -> list[int]:
    sim.tick()
    return [broker["nodeId"] for broker in views.v2_topology(sim)["brokers"]]


def test_an_unfenced_region_that_returns_rejoins_as_a_zombie(sim: Simulation) -> None:
    sim.lose_region(1)
    assert topology_brokers(sim) == EVEN

    sim.return_region(1)

    assert topology_brokers(sim) == ALL
    assert sim.services_up(1)


def test_a_fenced_region_that_returns_stays_cut_off(sim: Simulation) -> None:
    sim.lose_region(1)
    assert sim.fence_region(1) is True  # a lost region can be fenced: the simulator's fence is the cloud's

    sim.return_region(1)

    assert topology_brokers(sim) == EVEN
    assert sim.services_up(1) is False  # its gateway, management and Elasticsearch refuse clients
    assert sim.services_up(0) is True
    region = snapshot(sim)["regions"]["1"]
    assert (region["lost"], region["fenced"], region["servicesUp"]) == (False, True, False)
    assert all(pod["ready"] is False for pod in sim.pods(1))  # its Kubernetes API answers; its brokers are alone


def test_lifting_the_fence_lets_the_region_back_in(sim: Simulation) -> None:
    sim.lose_region(1)
    sim.fence_region(1)
    sim.return_region(1)

    assert sim.lift_fence(1) is True
    assert sim.lift_fence(1) is False  # lifting twice is no error, as --ignore-not-found

    assert topology_brokers(sim) == ALL


def test_fencing_twice_leaves_one_fence(sim: Simulation) -> None:
    assert sim.fence_region(0) is True
    assert sim.fence_region(0) is False
    assert sim.regions[0].fenced is True


def test_the_fence_outlives_a_recreation_and_a_fenced_zombie_can_be_recreated(sim: Simulation) -> None:
    sim.lose_region(1)
    sim.fence_region(1)
    sim.return_region(1)  # back, with its old data, behind the fence

    sim.recreate_region(1)  # wiped: what is done with a zombie

    region = sim.regions[1]
    assert (region.lost, region.fenced, region.release, region.volumes) == (False, True, None, set())


def test_a_live_unfenced_region_is_still_not_recreated(sim: Simulation) -> None:
    with pytest.raises(Conflict, match="region 1 is not lost; recreating it would destroy a live region"):
        sim.recreate_region(1)


def test_the_fenced_regions_elasticsearch_is_no_export_target(sim: Simulation) -> None:
    sim.fence_region(1)
    assert sim._sink("camundaregion1") is None
    assert sim._sink("camundaregion0") is not None


def test_the_public_endpoint_routes_to_region_0_until_switched(sim: Simulation) -> None:
    assert sim.public_region == 0
    sim.route_public(1)
    assert sim.public_region == 1 and snapshot(sim)["public"] == {"routesTo": 1}
    sim.lose_region(1)
    sim.route_public(1)  # a mistaken DNS change is possible: the drill's probe is what notices
    assert sim.public_region == 1
    with pytest.raises(NotFound, match="Expected region 0 or 1, got 2"):
        sim.route_public(2)
