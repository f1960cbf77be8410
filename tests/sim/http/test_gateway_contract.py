"""The Orchestration Cluster REST API (v2, port 8080) over real HTTP: auth, topology, deployments, instances, search."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from drill.sim.clock import FakeClock
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

BPMN = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs">'
    b'<process id="drill-process" name="Drill process" isExecutable="true"><startEvent id="start"/></process>'
    b"</definitions>"
)
ODD = [1, 3, 5, 7]
TOPOLOGY_KEYS = {
    "brokers",
    "clusterSize",
    "partitionsCount",
    "replicationFactor",
    "gatewayVersion",
    "lastCompletedChangeId",
}
SEARCH_POLLS = 100
SEARCH_WAIT_SECONDS = 3.0


def deploy(gateway: httpx.Client, content: bytes = BPMN, name: str = "drill.bpmn") -> httpx.Response:
    return gateway.post("/v2/deployments", files={"resources": (name, content, "application/xml")})


def start(gateway: httpx.Client, variables: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"processDefinitionId": "drill-process"}
    if variables is not None:
        body["variables"] = variables
    return gateway.post("/v2/process-instances", json=body)


def search(gateway: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = gateway.post("/v2/process-instances/search", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def search_until(gateway: httpx.Client, body: dict[str, Any], total: int) -> dict[str, Any]:
    """Search is eventually consistent: poll (bounded) until `totalItems` reaches `total`."""
    deadline = time.monotonic() + SEARCH_WAIT_SECONDS
    found = search(gateway, body)
    for _ in range(SEARCH_POLLS):
        if found["page"]["totalItems"] == total or time.monotonic() > deadline:
            break
        time.sleep(0.02)
        found = search(gateway, body)
    return found


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    assert body["status"] == status
    return body


def partitions_of(topology: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(b["nodeId"], p) for b in topology["brokers"] for p in b["partitions"]]


# -- authentication --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-credentials"),
        pytest.param({"Authorization": "Basic ZGVtbzp3cm9uZw=="}, id="wrong-password"),
        pytest.param({"Authorization": "Basic bm9ib2R5OmRlbW8="}, id="unknown-user"),
        pytest.param({"Authorization": "Basic not base64!"}, id="malformed"),
        pytest.param({"Authorization": "Bearer token"}, id="bearer"),
    ],
)
def test_the_v2_api_refuses_requests_without_valid_basic_credentials(runtime, headers) -> None:
    response = httpx.get(f"{runtime.endpoints()['region0']['gateway']}/v2/topology", headers=headers)

    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert body["instance"] == "/v2/topology"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_data_endpoints_need_credentials_too(runtime) -> None:
    base = runtime.endpoints()["region0"]["gateway"]

    created = httpx.post(f"{base}/v2/process-instances", json={"processDefinitionId": "drill-process"})
    searched = httpx.post(f"{base}/v2/process-instances/search", json={})
    deployed = httpx.post(f"{base}/v2/deployments", files={"resources": ("drill.bpmn", BPMN)})

    for response in (created, searched, deployed):
        assert_problem(response, 401)


# -- OIDC: bearer tokens from the simulated identity provider --------------------------------------------------


def oidc(make_runtime: Callable[..., SimRuntime], **settings: Any) -> SimRuntime:
    return make_runtime(SimSettings(auth="oidc", **settings))


def fetch_token(identity: str, **form: str) -> httpx.Response:
    fields = {"grant_type": "client_credentials", "client_id": "drill", "client_secret": "drill-secret", **form}
    return httpx.post(f"{identity}/oauth/token", data=fields)


def test_the_identity_provider_issues_a_bearer_token_the_gateway_accepts(make_runtime) -> None:
    runtime = oidc(make_runtime, oidc_token_seconds=120)
    endpoints = runtime.endpoints()

    issued = fetch_token(endpoints["identity"], audience="orchestration-api")
    body = issued.json()
    topology = httpx.get(
        f"{endpoints['region0']['gateway']}/v2/topology", headers={"Authorization": f"Bearer {body['access_token']}"}
    )

    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 120)
    assert len(body["access_token"]) >= 32
    assert topology.status_code == 200
    assert topology.json()["clusterSize"] == 8


def test_only_an_oidc_deployment_has_an_identity_endpoint(make_runtime, runtime) -> None:
    assert "identity" in oidc(make_runtime).endpoints()
    assert set(runtime.endpoints()) == {"region0", "region1", "control", "public"}


def test_client_credentials_may_also_come_as_http_basic(make_runtime) -> None:
    identity = oidc(make_runtime).endpoints()["identity"]

    issued = httpx.post(
        f"{identity}/oauth/token", data={"grant_type": "client_credentials"}, auth=("drill", "drill-secret")
    )

    assert issued.status_code == 200
    assert issued.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        pytest.param({"client_secret": "wrong"}, 401, "invalid_client", id="wrong-secret"),
        pytest.param({"client_id": "someone"}, 401, "invalid_client", id="unknown-client"),
        pytest.param({"grant_type": "password"}, 400, "unsupported_grant_type", id="password-grant"),
        pytest.param({"grant_type": ""}, 400, "invalid_request", id="no-grant"),
    ],
)
def test_the_identity_provider_refuses_with_oauth_errors(make_runtime, form, status, error) -> None:
    identity = oidc(make_runtime).endpoints()["identity"]

    refused = fetch_token(identity, **form)

    assert refused.status_code == status
    assert refused.json()["error"] == error
    assert "access_token" not in refused.json()


def test_a_token_request_that_is_not_a_form_is_refused(make_runtime) -> None:
    identity = oidc(make_runtime).endpoints()["identity"]

    refused = httpx.post(f"{identity}/oauth/token", json={"grant_type": "client_credentials"})

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no-credentials"),
        pytest.param("Bearer not-a-token", id="unknown-token"),
        pytest.param("Basic ZGVtbzpkZW1v", id="basic-demo"),
        pytest.param("Bearer", id="no-token"),
    ],
)
def test_with_oidc_the_v2_api_refuses_anything_but_a_valid_bearer_token(make_runtime, authorization) -> None:
    gateway = oidc(make_runtime).endpoints()["region0"]["gateway"]
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(f"{gateway}/v2/topology", headers=headers)

    body = assert_problem(response, 401)
    assert body["detail"] == "Expected a valid bearer token (OIDC) for the v2 API"
    assert response.headers["www-authenticate"] == 'Bearer realm="camunda"'


def test_a_token_stops_working_when_it_expires_on_the_simulation_clock(runtime_closer) -> None:
    clock = FakeClock()
    runtime = SimRuntime(SimSettings(auth="oidc", oidc_token_seconds=60), clock=clock)
    try:
        endpoints = runtime.endpoints()
        headers = {"Authorization": f"Bearer {fetch_token(endpoints['identity']).json()['access_token']}"}
        url = f"{endpoints['region0']['gateway']}/v2/topology"
        fresh = httpx.get(url, headers=headers)
        runtime.gate.call(lambda: clock.advance(59.9))
        almost = httpx.get(url, headers=headers)
        runtime.gate.call(lambda: clock.advance(0.1))
        expired = httpx.get(url, headers=headers)
    finally:
        runtime_closer.close(runtime)

    assert (fresh.status_code, almost.status_code, expired.status_code) == (200, 200, 401)


def test_the_status_endpoint_stays_unauthenticated_with_oidc(make_runtime) -> None:
    gateway = oidc(make_runtime).endpoints()["region0"]["gateway"]

    assert httpx.get(f"{gateway}/v2/status").status_code == 204


# -- GET /v2/topology ------------------------------------------------------------------------------------------


def test_the_topology_of_a_healthy_deployment_has_the_contract_shape(gateway) -> None:
    response = gateway.get("/v2/topology")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == TOPOLOGY_KEYS
    assert (body["clusterSize"], body["partitionsCount"], body["replicationFactor"]) == (8, 8, 4)
    assert body["gatewayVersion"] == "8.8.0"
    assert body["lastCompletedChangeId"] == "-1"
    assert [b["nodeId"] for b in body["brokers"]] == list(range(8))
    for broker in body["brokers"]:
        assert set(broker) == {"nodeId", "host", "port", "partitions", "version"}
        assert broker["port"] == 26501
        assert broker["version"] == "8.8.0"
        assert broker["host"] == (
            f"camunda-zeebe-{broker['nodeId'] // 2}.camunda-zeebe.camunda-region{broker['nodeId'] % 2}"
        )
        assert len(broker["partitions"]) == 4
    for _, partition in partitions_of(body):
        assert set(partition) == {"partitionId", "role", "health"}
        assert partition["role"] in ("leader", "follower")
        assert partition["health"] == "healthy"
    leaders = sorted(p["partitionId"] for _, p in partitions_of(body) if p["role"] == "leader")
    assert leaders == list(range(1, 9))


def test_after_losing_a_region_only_the_surviving_brokers_are_listed_and_no_partition_is_healthy(
    control, gateway
) -> None:
    control.post("/regions/1/lose")

    body = gateway.get("/v2/topology").json()

    assert [b["nodeId"] for b in body["brokers"]] == [0, 2, 4, 6]
    assert all(p["health"] != "healthy" for _, p in partitions_of(body))
    assert all(p["role"] != "leader" for _, p in partitions_of(body))


def test_after_failover_the_topology_shows_four_brokers_rf_2_and_leaders_in_the_surviving_region(
    gateway, fail_over
) -> None:
    change_id = fail_over()

    body = gateway.get("/v2/topology").json()

    assert body["clusterSize"] == 4
    assert body["replicationFactor"] == 2
    assert body["partitionsCount"] == 8
    assert [b["nodeId"] for b in body["brokers"]] == [0, 2, 4, 6]
    leaders = {p["partitionId"]: node for node, p in partitions_of(body) if p["role"] == "leader"}
    assert sorted(leaders) == list(range(1, 9))
    assert all(node % 2 == 0 for node in leaders.values())
    assert all(p["health"] == "healthy" for _, p in partitions_of(body))
    assert int(body["lastCompletedChangeId"]) > change_id  # the exporter disable came after the removal


def test_last_completed_change_id_is_a_string_minus_one_then_the_id_of_the_completed_change(
    gateway, management, await_change
) -> None:
    before = gateway.get("/v2/topology").json()["lastCompletedChangeId"]
    change_id = management.post("/actuator/exporters/camundaregion1/disable").json()["changeId"]
    await_change(management, change_id)

    after = gateway.get("/v2/topology").json()["lastCompletedChangeId"]

    assert before == "-1"
    assert after == str(change_id)


def test_the_topology_lists_running_brokers_that_are_not_members_while_the_cluster_lists_members_only(
    control, management, gateway, fail_over
) -> None:
    fail_over()
    control.post("/regions/1/recreate")
    control.post("/regions/1/helm/install", json={})

    topology = gateway.get("/v2/topology").json()
    cluster = management.get("/actuator/cluster").json()

    assert [b["nodeId"] for b in topology["brokers"]] == list(range(8))
    assert [b["nodeId"] for b in topology["brokers"] if not b["partitions"]] == ODD
    hosts = [b["host"] for b in topology["brokers"]]
    assert sum("camunda-region0" in h for h in hosts) == 4
    assert sum("camunda-region1" in h for h in hosts) == 4
    assert [b["id"] for b in cluster["brokers"]] == [0, 2, 4, 6]


# -- GET /v2/status --------------------------------------------------------------------------------------------


def test_status_is_204_while_healthy_and_503_after_losing_a_region(runtime, control) -> None:
    base = runtime.endpoints()["region0"]["gateway"]

    healthy = httpx.get(f"{base}/v2/status")  # unauthenticated, as in the spec
    control.post("/regions/1/lose")
    lost = httpx.get(f"{base}/v2/status")

    assert healthy.status_code == 204
    assert healthy.content == b""
    assert lost.status_code == 503


# -- POST /v2/deployments --------------------------------------------------------------------------------------


def test_deploying_a_bpmn_resource_answers_the_deployment_and_its_process_definition(gateway) -> None:
    response = deploy(gateway)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"deploymentKey", "tenantId", "deployments"}
    assert isinstance(body["deploymentKey"], str)
    assert body["deploymentKey"].isdigit()
    assert body["tenantId"] == "<default>"
    assert len(body["deployments"]) == 1
    definition = body["deployments"][0]["processDefinition"]
    assert set(definition) == {
        "processDefinitionId",
        "processDefinitionVersion",
        "resourceName",
        "tenantId",
        "processDefinitionKey",
    }
    assert definition["processDefinitionId"] == "drill-process"
    assert definition["processDefinitionVersion"] == 1
    assert definition["resourceName"] == "drill.bpmn"
    assert definition["tenantId"] == "<default>"
    assert isinstance(definition["processDefinitionKey"], str)
    assert "drill-process" in response.text


def test_redeploying_identical_content_keeps_the_version_and_changed_content_gets_a_new_one(gateway) -> None:
    first = deploy(gateway).json()["deployments"][0]["processDefinition"]
    same = deploy(gateway).json()["deployments"][0]["processDefinition"]
    changed = deploy(gateway, BPMN.replace(b"Drill process", b"Drill process v2")).json()

    assert same["processDefinitionKey"] == first["processDefinitionKey"]
    assert same["processDefinitionVersion"] == 1
    assert changed["deployments"][0]["processDefinition"]["processDefinitionVersion"] == 2


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"<definitions", id="not-xml"),
        pytest.param(b"<html><body/></html>", id="not-bpmn"),
        pytest.param(
            b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
            b'<process id="p" isExecutable="false"/></definitions>',
            id="no-executable-process",
        ),
    ],
)
def test_a_malformed_bpmn_resource_is_refused_with_400(gateway, content) -> None:
    response = deploy(gateway, content, name="broken.bpmn")

    body = assert_problem(response, 400)
    assert "broken.bpmn" in body["detail"]
    assert body["instance"] == "/v2/deployments"


def test_a_deployment_without_a_resources_part_is_refused_with_400(gateway) -> None:
    wrong_part = gateway.post("/v2/deployments", files={"file": ("drill.bpmn", BPMN)})
    not_multipart = gateway.post("/v2/deployments", json={"resources": "drill.bpmn"})

    assert "resources" in assert_problem(wrong_part, 400)["detail"]
    assert "multipart" in assert_problem(not_multipart, 400)["detail"]


# -- POST /v2/process-instances --------------------------------------------------------------------------------


def test_creating_an_instance_answers_its_key_as_a_string(gateway) -> None:
    definition = deploy(gateway).json()["deployments"][0]["processDefinition"]

    response = start(gateway, {"marker": "m-0"})

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["processInstanceKey"], str)
    assert body["processInstanceKey"].isdigit()
    assert body["processDefinitionId"] == "drill-process"
    assert body["processDefinitionKey"] == definition["processDefinitionKey"]
    assert body["processDefinitionVersion"] == 1
    assert body["tenantId"] == "<default>"
    assert body["variables"] == {"marker": "m-0"}


def test_creating_an_instance_of_an_unknown_process_is_404(gateway) -> None:
    response = gateway.post("/v2/process-instances", json={"processDefinitionId": "no-such-process"})

    body = assert_problem(response, 404)
    assert "no-such-process" in body["detail"]


def test_creating_an_instance_while_a_region_is_lost_and_before_failover_is_503(control, gateway) -> None:
    deploy(gateway)
    control.post("/regions/1/lose")

    response = start(gateway)

    body = assert_problem(response, 503)
    assert body["title"] == "Service Unavailable"


def test_creating_instances_works_again_after_failover(gateway, fail_over) -> None:
    deploy(gateway)
    fail_over()

    response = start(gateway)

    assert response.status_code == 200


# -- POST /v2/process-instances/search -------------------------------------------------------------------------


def test_search_counts_only_what_was_exported_so_a_paused_export_hides_new_instances(gateway, management) -> None:
    deploy(gateway)
    by_process = {"filter": {"processDefinitionId": "drill-process"}}
    keys = [start(gateway).json()["processInstanceKey"] for _ in range(2)]
    before = search_until(gateway, by_process, 2)

    assert management.post("/actuator/exporting/pause").status_code == 204
    hidden_key = start(gateway).json()["processInstanceKey"]
    time.sleep(0.05)
    while_paused = search(gateway, by_process)
    assert management.post("/actuator/exporting/resume").status_code == 204
    after = search_until(gateway, by_process, 3)

    assert before["page"]["totalItems"] == 2
    assert sorted(i["processInstanceKey"] for i in before["items"]) == sorted(keys)
    assert while_paused["page"]["totalItems"] == 2
    assert hidden_key not in {i["processInstanceKey"] for i in while_paused["items"]}
    assert after["page"]["totalItems"] == 3
    assert hidden_key in {i["processInstanceKey"] for i in after["items"]}


def test_search_results_have_items_and_page_shape(gateway) -> None:
    deploy(gateway)
    key = start(gateway).json()["processInstanceKey"]

    body = search_until(gateway, {"filter": {"processDefinitionId": "drill-process"}}, 1)

    assert set(body) == {"items", "page"}
    assert body["page"]["totalItems"] == 1
    item = body["items"][0]
    assert item["processInstanceKey"] == key
    assert item["processDefinitionId"] == "drill-process"
    assert item["processDefinitionName"] == "Drill process"
    assert item["state"] == "ACTIVE"
    assert item["tenantId"] == "<default>"


def test_a_variables_filter_finds_exactly_the_tagged_instance(gateway) -> None:
    deploy(gateway)
    tagged = start(gateway, {"marker": "m-1"}).json()["processInstanceKey"]
    start(gateway, {"marker": "m-2"})
    start(gateway)
    search_until(gateway, {}, 3)

    body = search(gateway, {"filter": {"variables": [{"name": "marker", "value": '"m-1"'}]}})

    assert body["page"]["totalItems"] == 1
    assert [i["processInstanceKey"] for i in body["items"]] == [tagged]


MALFORMED_SEARCHES = [
    pytest.param({"filter": {"variables": "marker"}}, id="variables-not-a-list"),
    pytest.param({"filter": {"bpmnProcessId": "drill-process"}}, id="unknown-filter-property"),
    pytest.param({"page": {"limit": -1}}, id="negative-limit"),
]


@pytest.mark.parametrize("body", MALFORMED_SEARCHES)
def test_a_malformed_search_is_refused_with_400_when_instances_exist(gateway, body) -> None:
    deploy(gateway)
    start(gateway)
    search_until(gateway, {}, 1)

    response = gateway.post("/v2/process-instances/search", json=body)

    assert_problem(response, 400)


@pytest.mark.parametrize("body", MALFORMED_SEARCHES)
def test_a_malformed_search_is_refused_with_400_even_before_anything_was_exported(gateway, body) -> None:
    # The request is invalid whatever the index holds; validating it per document lets a typo pass as "0 found".
    response = gateway.post("/v2/process-instances/search", json=body)

    assert_problem(response, 400)


# -- web applications ------------------------------------------------------------------------------------------


def test_operate_answers_while_its_profile_is_on_and_is_gone_after_turning_it_off(runtime, control) -> None:
    url = f"{runtime.endpoints()['region0']['gateway']}/operate"

    on = httpx.get(url)
    upgraded = control.post("/regions/0/helm/upgrade", json={"set": ["orchestration.profiles.operate=false"]})
    off = httpx.get(url)

    assert on.status_code == 200
    assert "Operate" in on.text
    assert upgraded.status_code == 200
    assert upgraded.json()["revision"] == 2
    assert off.status_code == 404
