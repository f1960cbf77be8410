"""The simulator's public endpoint and fence over HTTP, and the platform objects the drill reaches them with.

The public endpoint hands requests to the gateway of the region it routes to (region 0 at first), answers 502 while
that region is cut off, and is switched by the control API as a DNS change would be. The fence is applied, read and
lifted through the control API, shows in the namespace, and keeps a returning region out of the cluster.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support.sim_fixtures import CLIENT_TIMEOUT, DEMO_AUTH

from drill.platform.base import PlatformError
from drill.platform.sim import SimPlatform, SimRouter
from drill.sim.runtime import SimRuntime

EVEN, ALL = [0, 2, 4, 6], list(range(8))


@pytest.fixture
def public(runtime: SimRuntime) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=runtime.endpoints()["public"], auth=DEMO_AUTH, timeout=CLIENT_TIMEOUT) as client:
        yield client


@pytest.fixture
def router(runtime: SimRuntime) -> Iterator[SimRouter]:
    sim_router = SimRouter(runtime.endpoints())
    yield sim_router
    sim_router.close()


@pytest.fixture
def region1(runtime: SimRuntime) -> Iterator[SimPlatform]:
    platform = SimPlatform(1, runtime.endpoints())
    yield platform
    platform.close()


def brokers(client: httpx.Client) -> list[int]:
    response = client.get("/v2/topology")
    assert response.status_code == 200, response.text
    return [broker["nodeId"] for broker in response.json()["brokers"]]


def test_the_public_endpoint_is_in_the_endpoints_and_answers_as_region_0s_gateway(runtime, control, public) -> None:
    endpoints = runtime.endpoints()
    assert control.get("/endpoints").json()["public"] == endpoints["public"]
    assert endpoints["public"] not in {url for region in ("region0", "region1") for url in endpoints[region].values()}
    assert control.get("/public").json() == {"routesTo": 0}
    assert brokers(public) == ALL
    assert public.get("/v2/topology", auth=("demo", "wrong")).status_code == 401  # the gateway's own answer


def test_routed_to_a_lost_region_it_answers_502_naming_it(control, public) -> None:
    assert control.post("/regions/0/lose").status_code == 200

    response = public.get("/v2/topology")

    assert response.status_code == 502
    assert response.json()["detail"] == "the public endpoint routes to region 0, whose gateway does not answer"


def test_switched_to_the_surviving_region_it_answers_from_there(control, public, router) -> None:
    control.post("/regions/0/lose")

    router.route_to(1)

    assert router.routed_to() == 1 and control.get("/public").json() == {"routesTo": 1}
    assert brokers(public) == [1, 3, 5, 7]


@pytest.mark.parametrize("body", [{}, {"region": 2}, {"region": True}, [1]])
def test_a_route_to_no_region_is_refused(control, body: object) -> None:
    response = control.post("/public/route", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith('Expected a JSON object {"region": 0 or 1}, got ')


def test_the_router_names_what_went_wrong(runtime) -> None:
    with pytest.raises(PlatformError, match=r"^sim public endpoint: read endpoints: expected 'public' and 'control'"):
        SimRouter({"control": runtime.endpoints()["control"]})


def test_the_fence_is_applied_read_and_lifted_through_the_control_api(control, region1) -> None:
    assert region1.fenced() is False

    applied = region1.fence()

    assert region1.fenced() is True
    assert '"policyTypes": ["Ingress", "Egress"]' in applied and '"podSelector": {}' in applied
    assert control.get("/regions/1/namespace").json()["fenced"] is True
    assert control.get("/state").json()["regions"]["1"]["fenced"] is True
    region1.lift_fence()
    region1.lift_fence()  # nothing left to lift: no error
    assert region1.fenced() is False


def test_a_fenced_lost_region_that_returns_stays_out_of_the_cluster(control, gateway, region1) -> None:
    region1.lose_region()
    region1.fence()  # the simulator's fence answers while the region is lost

    assert control.post("/regions/1/return").status_code == 200

    assert brokers(gateway) == EVEN
    assert control.get("/regions/1/namespace").json()["fenced"] is True  # its Kubernetes API answers again
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{region1.service_urls().gateway}/v2/topology", auth=DEMO_AUTH, timeout=CLIENT_TIMEOUT)
    region1.lift_fence()
    assert brokers(gateway) == ALL  # lifted, the zombie rejoins: why the fence stays until the region is wiped
