"""GatewayClient against the simulated v2 REST API over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from drill.api import GatewayClient, HttpStatusError, Topology, wait_until
from drill.sim.runtime import SimRuntime

SEARCH_TIMEOUT = 3.0


def test_topology_parses_every_broker_partition_and_leader(gateway: GatewayClient) -> None:
    topology = gateway.topology()

    assert isinstance(topology, Topology)
    assert (topology.cluster_size, topology.partitions_count, topology.replication_factor) == (8, 8, 4)
    assert topology.gateway_version == "8.8.0"
    assert topology.last_completed_change_id == "-1"
    assert [b.node_id for b in topology.brokers] == list(range(8))
    broker = topology.broker(3)
    assert broker is not None
    assert broker.host == "camunda-zeebe-1.camunda-zeebe.camunda-region1"
    assert broker.port == 26501
    assert topology.broker(42) is None
    partitions = topology.partitions()
    assert sorted(partitions) == list(range(1, 9))
    assert all(len(replicas) == 4 for replicas in partitions.values())
    assert {info.health for replicas in partitions.values() for _, info in replicas} == {"healthy"}
    assert sorted(topology.leaders()) == list(range(1, 9))
    assert topology.raw["clusterSize"] == 8


def test_after_losing_a_region_the_topology_lists_only_the_survivors(gateway: GatewayClient, control) -> None:
    control.post("/regions/1/lose")

    topology = gateway.topology()

    assert [b.node_id for b in topology.brokers] == [0, 2, 4, 6]
    assert topology.leaders() == {}
    assert gateway.ready() is False


def test_ready_is_true_while_partitions_have_leaders(gateway: GatewayClient) -> None:
    assert gateway.ready() is True


def test_deploy_create_and_search_by_variables(gateway: GatewayClient, marker_bpmn: bytes) -> None:
    deployment = gateway.deploy("drill-marker.bpmn", marker_bpmn)
    first = gateway.create_instance("drillMarker", {"drillTag": "alpha", "n": 1})
    second = gateway.create_instance("drillMarker", {"drillTag": "beta", "n": 2})
    gateway.create_instance("drillMarker")

    [process] = deployment.processes
    assert (process.process_definition_id, process.version, process.resource_name) == (
        "drillMarker",
        1,
        "drill-marker.bpmn",
    )
    assert deployment.deployment_key.isdigit()
    assert first.process_definition_key == process.process_definition_key
    assert (first.process_definition_id, first.version) == ("drillMarker", 1)
    assert first.process_instance_key != second.process_instance_key

    found = wait_until(
        lambda: r if (r := gateway.search_process_instances(variables={"drillTag": "alpha"})).total_items else None,
        what="instance tagged alpha in search",
        timeout=SEARCH_TIMEOUT,
    ).value
    assert found.total_items == 1
    assert found.items[0]["processInstanceKey"] == first.process_instance_key
    everything = wait_until(
        lambda: (
            r if (r := gateway.search_process_instances(process_definition_id="drillMarker")).total_items == 3 else None
        ),
        what="three marker instances",
        timeout=SEARCH_TIMEOUT,
    ).value
    assert {i["processDefinitionId"] for i in everything.items} == {"drillMarker"}
    limited = gateway.search_process_instances(process_definition_id="drillMarker", limit=1)
    assert (len(limited.items), limited.total_items) == (1, 3)
    two = gateway.search_process_instances(variables={"drillTag": "beta", "n": 2})
    assert [i["processInstanceKey"] for i in two.items] == [second.process_instance_key]
    assert gateway.search_process_instances(variables={"drillTag": "beta", "n": 3}).total_items == 0


def test_generic_search_reads_process_definitions(gateway: GatewayClient, marker_bpmn: bytes) -> None:
    gateway.deploy("drill-marker.bpmn", marker_bpmn)

    result = wait_until(
        lambda: r if (r := gateway.search("/v2/process-definitions/search", {})).total_items else None,
        what="the marker definition in search",
        timeout=SEARCH_TIMEOUT,
    ).value

    assert [i["processDefinitionId"] for i in result.items] == ["drillMarker"]


def test_starting_an_unknown_process_names_the_servers_problem_detail(gateway: GatewayClient) -> None:
    with pytest.raises(HttpStatusError) as caught:
        gateway.create_instance("noSuchProcess")

    assert caught.value.status == 404
    assert not caught.value.transient
    message = str(caught.value)
    assert message.startswith(f"POST {gateway.base_url}/v2/process-instances: expected HTTP 200, got HTTP 404 ")
    assert "noSuchProcess" in message


def test_wrong_credentials_are_a_401_naming_the_call(runtime: SimRuntime) -> None:
    url = runtime.endpoints()["region0"]["gateway"]
    with GatewayClient(url, auth=httpx.BasicAuth("demo", "wrong")) as client, pytest.raises(HttpStatusError) as caught:
        client.topology()

    assert caught.value.status == 401
    assert str(caught.value) == (
        f"GET {url}/v2/topology: expected HTTP 200, got HTTP 401 "
        "Unauthorized: Expected valid credentials (HTTP basic) for the v2 API"
    )
