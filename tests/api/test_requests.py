"""What the clients send: paths, query flags and bodies exactly as the contract and the runbook show them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from drill.api import (
    GatewayClient,
    ManagementClient,
    cluster_patch_body,
    cluster_patch_query,
    enable_exporter_body,
    instance_search_body,
    repository_body,
)

PLANNED = {"changeId": 2, "currentTopology": [], "plannedChanges": [], "expectedTopology": []}


@pytest.mark.parametrize(
    ("kwargs", "body"),
    [
        pytest.param({"remove": [7, 1, 5, 3]}, {"brokers": {"remove": [1, 3, 5, 7]}}, id="failover"),
        pytest.param(
            {"add": (1, 3, 5, 7), "replication_factor": 4},
            {"brokers": {"add": [1, 3, 5, 7]}, "partitions": {"replicationFactor": 4}},
            id="failback",
        ),
        pytest.param({"replication_factor": 3}, {"partitions": {"replicationFactor": 3}}, id="rf-only"),
        pytest.param({}, {}, id="nothing"),
    ],
)
def test_cluster_patch_body_has_only_the_keys_that_are_set(kwargs: dict[str, Any], body: dict[str, Any]) -> None:
    assert cluster_patch_body(**kwargs) == body


def test_query_flags_and_exporter_bodies() -> None:
    assert cluster_patch_query() == {}
    assert cluster_patch_query(force=True) == {"force": "true"}
    assert cluster_patch_query(force=True, dry_run=True) == {"force": "true", "dryRun": "true"}
    assert enable_exporter_body() == {}
    assert enable_exporter_body("camundaregion0") == {"initializeFrom": "camundaregion0"}
    assert repository_body("fs", {"location": "/snapshots"}) == {"type": "fs", "settings": {"location": "/snapshots"}}


def test_instance_search_body_filters_variables_as_json_text() -> None:
    body = instance_search_body(process_definition_id="drillMarker", variables={"tag": "a", "n": 2, "ok": True})

    assert body == {
        "filter": {
            "processDefinitionId": "drillMarker",
            "variables": [
                {"name": "tag", "value": '"a"'},
                {"name": "n", "value": "2"},
                {"name": "ok", "value": "true"},
            ],
        },
        "page": {"limit": 100},
    }
    assert instance_search_body(limit=5) == {"page": {"limit": 5}}


class Recorder:
    """Answers every request with one response and records it; the cluster read before a configuration write
    is answered with an empty cluster and not recorded."""

    def __init__(self, status: int, body: Any) -> None:
        self.requests: list[httpx.Request] = []
        self.status, self.body = status, body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/actuator/cluster":
            return httpx.Response(200, json={"version": 1, "brokers": []})
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    def only(self) -> httpx.Request:
        [request] = self.requests
        return request


def test_patch_cluster_sends_the_body_and_flags() -> None:
    recorder = Recorder(202, PLANNED)
    with ManagementClient("http://gw:9600", transport=httpx.MockTransport(recorder)) as client:
        planned = client.patch_cluster(remove=[1, 3, 5, 7], force=True, dry_run=True)

    request = recorder.only()
    assert (request.method, str(request.url)) == ("PATCH", "http://gw:9600/actuator/cluster?force=true&dryRun=true")
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {"brokers": {"remove": [1, 3, 5, 7]}}
    assert planned.change_id == 2
    assert planned.raw == PLANNED


def test_exporter_requests_match_the_procedure() -> None:
    recorder = Recorder(202, PLANNED)
    with ManagementClient("http://gw:9600", transport=httpx.MockTransport(recorder)) as client:
        client.disable_exporter("camundaregion1")
        client.enable_exporter("camundaregion1", initialize_from="camundaregion0")
        client.enable_exporter("camundaregion1", dry_run=True)

    disable, enable, fresh = recorder.requests
    assert (disable.method, str(disable.url), disable.content) == (
        "POST",
        "http://gw:9600/actuator/exporters/camundaregion1/disable",
        b"",
    )
    assert str(enable.url) == "http://gw:9600/actuator/exporters/camundaregion1/enable"
    assert json.loads(enable.content) == {"initializeFrom": "camundaregion0"}
    assert (str(fresh.url), fresh.content) == (
        "http://gw:9600/actuator/exporters/camundaregion1/enable?dryRun=true",
        b"",
    )


def test_gateway_requests_match_the_v2_api() -> None:
    deployed = {
        "deploymentKey": "1",
        "tenantId": "<default>",
        "deployments": [
            {"decisionDefinition": {"decisionDefinitionId": "d"}},
            {
                "processDefinition": {
                    "processDefinitionId": "drillMarker",
                    "processDefinitionVersion": 2,
                    "resourceName": "m.bpmn",
                    "tenantId": "<default>",
                    "processDefinitionKey": "9",
                }
            },
        ],
    }
    recorder = Recorder(200, deployed)
    with GatewayClient("http://gw:8080", transport=httpx.MockTransport(recorder)) as client:
        deployment = client.deploy("m.bpmn", b"<definitions/>")

    request = recorder.only()
    assert (request.method, str(request.url)) == ("POST", "http://gw:8080/v2/deployments")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'Content-Disposition: form-data; name="resources"; filename="m.bpmn"' in request.content
    assert b"<definitions/>" in request.content
    assert [(p.process_definition_id, p.version, p.process_definition_key) for p in deployment.processes] == [
        ("drillMarker", 2, "9")
    ]


def test_create_instance_sends_variables_only_when_given() -> None:
    created = {
        "processInstanceKey": "5",
        "processDefinitionId": "p",
        "processDefinitionKey": "4",
        "processDefinitionVersion": 1,
        "variables": {},
        "tenantId": "<default>",
    }
    recorder = Recorder(200, created)
    with GatewayClient("http://gw:8080", transport=httpx.MockTransport(recorder)) as client:
        client.create_instance("p")
        instance = client.create_instance("p", {"drillTag": "x"})

    bare, tagged = recorder.requests
    assert json.loads(bare.content) == {"processDefinitionId": "p"}
    assert json.loads(tagged.content) == {"processDefinitionId": "p", "variables": {"drillTag": "x"}}
    assert (instance.process_instance_key, instance.version) == ("5", 1)
