"""Every client failure is an ApiError naming the call: malformed bodies, wrong types, statuses, transport errors.

Answered by httpx.MockTransport, so each case is exactly the body or failure under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from drill.api import (
    ApiError,
    ClusterState,
    ElasticsearchClient,
    GatewayClient,
    HttpStatusError,
    ManagementClient,
    ProtocolError,
    RetryPolicy,
    ShapeError,
    Topology,
    TransportError,
)

Handler = Callable[[httpx.Request], httpx.Response]
ONCE = RetryPolicy.none()  # these tests are about one answer; retries are tested in test_retries.py
CLUSTER = {"version": 1, "brokers": []}


def answering(response: httpx.Response | Handler) -> httpx.MockTransport:
    if isinstance(response, httpx.Response):
        fixed = response
        return httpx.MockTransport(lambda request: fixed)
    return httpx.MockTransport(response)


def gateway(response: httpx.Response | Handler) -> GatewayClient:
    return GatewayClient("http://gw:8080", transport=answering(response), retry=ONCE)


def management(response: httpx.Response | Handler) -> ManagementClient:
    return ManagementClient("http://gw:9600", transport=answering(response), retry=ONCE)


def elasticsearch(response: httpx.Response | Handler) -> ElasticsearchClient:
    return ElasticsearchClient("http://es:9200", transport=answering(response), retry=ONCE)


def with_cluster(write_answer: httpx.Response) -> Handler:
    """A management API whose cluster reads are fine: a configuration write reads the cluster first."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/actuator/cluster":
            return httpx.Response(200, json=CLUSTER)
        return write_answer

    return handle


def broker(node_id: Any = 0, **overrides: Any) -> dict[str, Any]:
    body = {
        "nodeId": node_id,
        "host": f"camunda-zeebe-{node_id}",
        "port": 26501,
        "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
        "version": "8.8.0",
    }
    return {**body, **overrides}


def topology(**overrides: Any) -> dict[str, Any]:
    body = {
        "brokers": [broker(0), broker(1), broker(2)],
        "clusterSize": 3,
        "partitionsCount": 1,
        "replicationFactor": 3,
        "gatewayVersion": "8.8.0",
        "lastCompletedChangeId": "-1",
    }
    return {**body, **overrides}


def topology_error(body: Any) -> str:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with gateway(httpx.Response(200, content=content)) as client, pytest.raises(ProtocolError) as caught:
        client.topology()
    return str(caught.value)


# -- bodies ------------------------------------------------------------------------------------------------------


def test_a_well_formed_topology_parses() -> None:
    with gateway(httpx.Response(200, json=topology(lastCompletedChangeId=None))) as client:
        parsed = client.topology()

    assert [b.node_id for b in parsed.brokers] == [0, 1, 2]
    assert parsed.last_completed_change_id is None
    assert parsed.partitions()[1][0][1].role == "leader"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            topology(brokers=[broker(0), broker(1), broker("x")]),
            'expected brokers[2].nodeId to be an integer, got "x"',
            id="string-for-int",
        ),
        pytest.param(
            topology(brokers=[broker(0), broker(1), broker(True)]),
            "expected brokers[2].nodeId to be an integer, got true",
            id="bool-for-int",
        ),
        pytest.param(topology(clusterSize=3.0), "expected clusterSize to be an integer, got 3.0", id="float-for-int"),
        pytest.param(
            {k: v for k, v in topology().items() if k != "partitionsCount"},
            "expected partitionsCount to be an integer, got nothing (field missing)",
            id="missing",
        ),
        pytest.param(topology(gatewayVersion=None), "expected gatewayVersion to be a string, got null", id="null"),
        pytest.param(
            topology(brokers=[broker(0, partitions=[{"partitionId": 1, "role": None, "health": "healthy"}])]),
            "expected brokers[0].partitions[0].role to be a string, got null",
            id="nested",
        ),
        pytest.param(
            topology(brokers={"0": {}}), 'expected brokers to be an array, got {"0": {}}', id="object-for-list"
        ),
        pytest.param(topology(brokers=[7]), "expected brokers[0] to be a JSON object, got 7", id="scalar-in-list"),
        pytest.param(
            topology(lastCompletedChangeId=3), "expected lastCompletedChangeId to be a string, got 3", id="int-for-str"
        ),
        pytest.param([topology()], "expected the body to be a JSON object, got [{", id="array-for-object"),
    ],
)
def test_a_body_of_the_wrong_shape_names_the_field_path(body: Any, expected: str) -> None:
    message = topology_error(body)

    assert message.startswith("GET http://gw:8080/v2/topology: ")
    assert expected in message


@pytest.mark.parametrize(
    ("content", "seen"),
    [
        pytest.param(b"", "got an empty body", id="empty"),
        pytest.param(b"<html>oops</html>", "got HTTP 200 with a body that is not JSON: <html>oops</html>", id="html"),
        pytest.param(b'{"brokers": [', "with a body that is not JSON", id="truncated"),
        pytest.param(b"\xff\xfe\xfa", "with a body that is not JSON", id="not-utf8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "with a body that is not JSON", id="too-deep"),
    ],
)
def test_a_body_that_is_not_json_is_a_protocol_error(content: bytes, seen: str) -> None:
    message = topology_error(content)

    assert message.startswith("GET http://gw:8080/v2/topology: expected a JSON body, ")
    assert seen in message


def test_parsers_used_on_their_own_raise_shape_errors_with_the_path() -> None:
    with pytest.raises(ShapeError) as caught:
        Topology.from_json(topology(replicationFactor=False))

    assert isinstance(caught.value, ApiError)
    assert caught.value.path == "replicationFactor"
    assert str(caught.value) == "response body: expected replicationFactor to be an integer, got false"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {
                "version": 1,
                "brokers": [],
                "pendingChange": {
                    "id": 2,
                    "status": "IN_PROGRESS",
                    "completed": [],
                    "pending": [{"operation": "X", "brokerId": "1"}],
                },
            },
            'expected pendingChange.pending[0].brokerId to be an integer, got "1"',
            id="operation-broker",
        ),
        pytest.param(
            {"version": 1, "brokers": [], "lastChange": {"status": "COMPLETED"}},
            "expected lastChange.id to be an integer, got nothing (field missing)",
            id="last-change-id",
        ),
        pytest.param(
            {
                "version": 1,
                "brokers": [
                    {
                        "id": 0,
                        "state": "ACTIVE",
                        "version": 1,
                        "partitions": [
                            {
                                "id": 1,
                                "state": "ACTIVE",
                                "priority": 1,
                                "config": {"exporting": {"exporters": [{"id": "camundaregion0", "state": False}]}},
                            }
                        ],
                    }
                ],
            },
            "expected brokers[0].partitions[0].config.exporting.exporters[0].state to be a string, got false",
            id="exporter-state",
        ),
    ],
)
def test_cluster_shape_errors_name_the_path(body: Any, expected: str) -> None:
    with management(httpx.Response(200, json=body)) as client, pytest.raises(ProtocolError) as caught:
        client.cluster()

    assert str(caught.value) == f"GET http://gw:9600/actuator/cluster: {expected}"


def test_a_cluster_without_config_per_partition_has_no_exporters() -> None:
    body = {
        "version": 3,
        "brokers": [
            {"id": 0, "state": "ACTIVE", "version": 2, "partitions": [{"id": 1, "state": "ACTIVE", "priority": 3}]}
        ],
    }

    state = ClusterState.from_json(body)

    assert state.brokers[0].partitions[0].exporters == {}
    assert state.exporter_states() == {}
    assert state.raw is body


def test_a_planned_change_with_a_textual_change_id_is_refused() -> None:
    body = {"changeId": "3", "currentTopology": [], "plannedChanges": [], "expectedTopology": []}

    with management(with_cluster(httpx.Response(202, json=body))) as client, pytest.raises(ProtocolError) as caught:
        client.disable_exporter("camundaregion1")

    assert str(caught.value) == (
        'POST http://gw:9600/actuator/exporters/camundaregion1/disable: expected changeId to be an integer, got "3"'
    )


def test_exporters_must_be_an_array() -> None:
    client = management(httpx.Response(200, json={"camundaregion0": "ENABLED"}))
    with client, pytest.raises(ProtocolError, match="expected the body to be a JSON array"):
        client.exporters()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"body": None, "contentType": None}, "expected status to be an integer, got nothing", id="no-status"
        ),
        pytest.param({"body": None, "status": True}, "expected status to be an integer, got true", id="bool-status"),
        pytest.param([], "expected the body to be a JSON object, got []", id="array"),
    ],
)
def test_a_malformed_wrapped_exporting_answer_is_a_protocol_error(body: Any, expected: str) -> None:
    with management(httpx.Response(200, json=body)) as client, pytest.raises(ProtocolError) as caught:
        client.resume_exporting()

    assert str(caught.value).startswith(f"POST http://gw:9600/actuator/exporting/resume: {expected}")


def test_an_exporting_answer_that_is_neither_variant_is_refused() -> None:
    with management(httpx.Response(202, text="")) as client, pytest.raises(HttpStatusError) as caught:
        client.pause_exporting(soft=True)

    assert str(caught.value) == (
        "POST http://gw:9600/actuator/exporting/pause?soft=true: expected HTTP 200 or 204, got HTTP 202"
    )


@pytest.mark.parametrize(
    ("method", "body", "expected"),
    [
        pytest.param(
            "health",
            {"status": "green", "timed_out": "false"},
            'expected timed_out to be a boolean, got "false"',
            id="health",
        ),
        pytest.param("count", {"count": 1.5}, "expected count to be an integer, got 1.5", id="count"),
        pytest.param(
            "indices",
            [{"index": "a", "health": "green", "status": "open", "docs.count": "1e3"}],
            'expected [0].docs.count to be an integer or a string of digits, got "1e3"',
            id="cat-count",
        ),
        pytest.param(
            "snapshots",
            {
                "snapshots": [
                    {
                        "snapshot": "s",
                        "state": "SUCCESS",
                        "indices": ["a", 1],
                        "shards": {"total": 1, "failed": 0, "successful": 1},
                    }
                ]
            },
            "expected snapshots[0].indices[1] to be a string, got 1",
            id="snapshot-index",
        ),
    ],
)
def test_elasticsearch_shape_errors_name_the_path(method: str, body: Any, expected: str) -> None:
    with elasticsearch(httpx.Response(200, json=body)) as client, pytest.raises(ProtocolError) as caught:
        if method == "snapshots":
            client.snapshots("camunda_backup")
        else:
            getattr(client, method)()

    assert expected in str(caught.value)


def test_a_snapshot_answer_that_was_only_accepted_while_waiting_is_refused() -> None:
    with elasticsearch(httpx.Response(200, json={"accepted": True})) as client, pytest.raises(ProtocolError) as caught:
        client.create_snapshot("camunda_backup", "failback")

    assert str(caught.value) == (
        "PUT http://es:9200/_snapshot/camunda_backup/failback?wait_for_completion=true: "
        "expected snapshot to be a JSON object, got nothing (field missing)"
    )


def test_an_unacknowledged_repository_registration_is_refused() -> None:
    client = elasticsearch(httpx.Response(200, json={"acknowledged": False}))
    with client, pytest.raises(ProtocolError, match="expected acknowledged to be true, got false"):
        client.put_repository("camunda_backup", {"type": "fs", "settings": {}})


def test_the_status_of_a_snapshot_not_in_the_answer_is_refused() -> None:
    body = {
        "snapshots": [{"snapshot": "other", "state": "SUCCESS", "shards_stats": {"done": 1, "total": 1, "failed": 0}}]
    }
    with elasticsearch(httpx.Response(200, json=body)) as client, pytest.raises(ProtocolError) as caught:
        client.snapshot_status("camunda_backup", "failback")

    assert "expected snapshots to be a list with snapshot 'failback', got [\"other\"]" in str(caught.value)


GARBAGE: list[Any] = [None, [], {}, "text", 42, True, {"brokers": None}, [{}], {"snapshot": []}, {"items": [1]}]


def client_calls() -> list[tuple[str, Callable[[httpx.MockTransport], Any]]]:
    def gw(t: httpx.MockTransport) -> GatewayClient:
        return GatewayClient("http://gw", transport=t, retry=ONCE)

    def mg(t: httpx.MockTransport) -> ManagementClient:
        return ManagementClient("http://gw", transport=t, retry=ONCE)

    def es(t: httpx.MockTransport) -> ElasticsearchClient:
        return ElasticsearchClient("http://es", transport=t, retry=ONCE)

    return [
        ("topology", lambda t: gw(t).topology()),
        ("deploy", lambda t: gw(t).deploy("x.bpmn", b"<x/>")),
        ("create_instance", lambda t: gw(t).create_instance("p")),
        ("search", lambda t: gw(t).search_process_instances()),
        ("cluster", lambda t: mg(t).cluster()),
        ("patch_cluster", lambda t: mg(t).patch_cluster(remove=[1])),
        ("exporters", lambda t: mg(t).exporters()),
        ("enable_exporter", lambda t: mg(t).enable_exporter("e", initialize_from="f")),
        ("pause_exporting", lambda t: mg(t).pause_exporting()),
        ("get_repository", lambda t: es(t).get_repository("r")),
        ("delete_repository", lambda t: es(t).delete_repository("r")),
        ("create_snapshot", lambda t: es(t).create_snapshot("r", "s")),
        ("snapshots", lambda t: es(t).snapshots("r")),
        ("snapshot_status", lambda t: es(t).snapshot_status("r", "s")),
        ("restore", lambda t: es(t).restore("r", "s")),
        ("health", lambda t: es(t).health()),
        ("indices", lambda t: es(t).indices()),
        ("count", lambda t: es(t).count()),
    ]


@pytest.mark.parametrize(("name", "call"), client_calls(), ids=[n for n, _ in client_calls()])
def test_no_garbage_body_escapes_as_anything_but_a_protocol_error(name: str, call: Callable[..., Any]) -> None:
    for garbage in GARBAGE:

        def handle(request: httpx.Request, body: Any = garbage) -> httpx.Response:
            if name != "cluster" and request.method == "GET" and request.url.path == "/actuator/cluster":
                return httpx.Response(200, json=CLUSTER)  # the read before a write: the write's answer is under test
            status = 202 if request.method == "PATCH" or request.url.path.endswith(("/enable", "/disable")) else 200
            return httpx.Response(status, json=body)

        try:
            result = call(httpx.MockTransport(handle))
        except ProtocolError as exc:
            assert ": expected " in str(exc), (name, garbage)
        else:  # only an empty array is a valid answer, of the endpoints that answer arrays
            assert (garbage, result) == ([], ()), name


# -- statuses and transport ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "transient"), [(500, False), (502, True), (503, True), (504, True), (404, False)])
def test_an_unexpected_status_is_an_http_status_error_transient_only_for_gateway_failures(
    status: int, transient: bool
) -> None:
    problem = {"type": "about:blank", "title": "Service Unavailable", "status": status, "detail": "no leader"}

    with gateway(httpx.Response(status, json=problem)) as client, pytest.raises(HttpStatusError) as caught:
        client.topology()

    assert caught.value.status == status
    assert caught.value.transient is transient
    assert str(caught.value) == (
        f"GET http://gw:8080/v2/topology: expected HTTP 200, got HTTP {status} Service Unavailable: no leader"
    )


def test_an_error_body_that_is_not_json_is_quoted_collapsed() -> None:
    with management(httpx.Response(500, text="boom\n  at line 3")) as client, pytest.raises(HttpStatusError) as caught:
        client.cluster()

    assert str(caught.value) == "GET http://gw:9600/actuator/cluster: expected HTTP 200, got HTTP 500 boom at line 3"


def test_ready_is_false_on_503_and_an_error_otherwise() -> None:
    with gateway(httpx.Response(503)) as client:
        assert client.ready() is False
    with gateway(httpx.Response(500)) as client, pytest.raises(HttpStatusError, match="expected HTTP 204 or 503"):
        client.ready()


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ConnectError("[Errno 111] Connection refused"), id="refused"),
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.ConnectTimeout("timed out"), id="connect-timeout"),
        pytest.param(httpx.RemoteProtocolError("Server disconnected without sending a response."), id="dropped"),
    ],
)
def test_transport_failures_are_transient_transport_errors(failure: httpx.TransportError) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        failure.request = request
        raise failure

    with management(fail) as client, pytest.raises(TransportError) as caught:
        client.cluster()

    assert caught.value.transient
    assert str(caught.value) == (
        f"GET http://gw:9600/actuator/cluster: expected HTTP 200, got {type(failure).__name__}: {failure}"
    )
    assert caught.value.__cause__ is failure


def test_elasticsearch_errors_report_type_and_reason() -> None:
    body = {
        "error": {
            "root_cause": [{"type": "snapshot_missing_exception", "reason": "[camunda_backup:x] is missing"}],
            "type": "snapshot_missing_exception",
            "reason": "[camunda_backup:x] is missing",
        },
        "status": 404,
    }
    with elasticsearch(httpx.Response(404, json=body)) as client, pytest.raises(HttpStatusError) as caught:
        client.snapshot_status("camunda_backup", "x")

    assert str(caught.value) == (
        "GET http://es:9200/_snapshot/camunda_backup/x/_status: expected HTTP 200, "
        "got HTTP 404 snapshot_missing_exception: [camunda_backup:x] is missing"
    )
    assert json.loads(caught.value.body) == body


def test_a_long_reason_is_kept_whole_up_to_the_detail_limit() -> None:
    reason = "cannot restore index [operate-list-view-8.3.0_] because " + "x" * 400
    body = {"error": {"type": "snapshot_restore_exception", "reason": reason}, "status": 500}

    with elasticsearch(httpx.Response(500, json=body)) as client, pytest.raises(HttpStatusError) as caught:
        client.restore("camunda_backup", "failback")

    assert f"snapshot_restore_exception: {reason}" in str(caught.value)


def test_requests_carry_the_per_call_timeout_and_the_documented_bodies() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"accepted": True})

    with elasticsearch(record) as client:
        client.create_snapshot("camunda_backup", "failback", wait=False, include_global_state=False, timeout=123.0)
        client.restore("camunda_backup", "failback", wait=False)

    snapshot, restore = seen
    assert (snapshot.method, str(snapshot.url)) == ("PUT", "http://es:9200/_snapshot/camunda_backup/failback")
    assert json.loads(snapshot.content) == {"include_global_state": False}
    assert snapshot.extensions["timeout"]["read"] == 123.0
    assert (restore.method, str(restore.url)) == ("POST", "http://es:9200/_snapshot/camunda_backup/failback/_restore")
    assert restore.extensions["timeout"]["read"] == 10.0
