"""Fuzzing every client method that parses a response: whatever the body, the call returns its model or raises an
ApiError naming the request, and never reads a verdict (COMPLETED, ENABLED, green, SUCCESS) the body did not state.

Bodies are served with the success status through httpx.MockTransport: arbitrary JSON, a valid body with one field
removed or given a value of the wrong type (or another enum's word), bytes that are not JSON, and truncated JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drill.api import (
    ApiError,
    ChangeFailed,
    ClusterHealth,
    ClusterState,
    Deployment,
    ElasticsearchClient,
    ExporterStatus,
    ExportingResult,
    GatewayClient,
    HttpStatusError,
    IndexInfo,
    ManagementClient,
    PlannedChange,
    ProcessInstance,
    ProtocolError,
    Repository,
    RestoreResult,
    RetryPolicy,
    SearchResult,
    SnapshotInfo,
    SnapshotStatus,
    Topology,
    WaitTimeout,
    WrappedStatusError,
    change_outcome,
)
from drill.api.models import (
    CHANGE_STATUSES,
    EXPORTER_STATUSES,
    HEALTH_STATUSES,
    PARTITION_EXPORTER_STATES,
    PENDING_STATUSES,
    SNAPSHOT_STATES,
    SNAPSHOT_STATUS_STATES,
    PartitionStatus,
)

FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
GW, MG, ES = "http://gw:8080", "http://gw:9600", "http://es:9200"
CHANGE_ID = 4

# -- valid bodies, one per method (as test_parsing.py builds them) ---------------------------------------------------

OPERATION = {"operation": "PARTITION_FORCE_RECONFIGURE", "brokerId": 0, "partitionId": 1, "brokers": [0, 2]}
BROKER_STATE = {
    "id": 0,
    "state": "ACTIVE",
    "version": 3,
    "partitions": [
        {
            "id": 1,
            "state": "ACTIVE",
            "priority": 2,
            "config": {"exporting": {"exporters": [{"id": "camundaregion0", "state": "ENABLED"}]}},
        }
    ],
}
CLUSTER = {
    "version": 7,
    "brokers": [BROKER_STATE],
    "lastChange": {"id": CHANGE_ID, "status": "COMPLETED", "startedAt": "2024-08-23T11:33:08Z"},
    "pendingChange": {"id": 5, "status": "IN_PROGRESS", "completed": [OPERATION], "pending": [OPERATION]},
}
PLANNED = {
    "changeId": 5,
    "currentTopology": [BROKER_STATE],
    "plannedChanges": [OPERATION],
    "expectedTopology": [BROKER_STATE],
}
SHARDS = {"total": 3, "failed": 0, "successful": 3}
SNAPSHOT = {"snapshot": "s", "state": "SUCCESS", "indices": ["operate-a", "tasklist-b"], "shards": SHARDS}
VALID: dict[str, Any] = {
    "topology": {
        "brokers": [
            {
                "nodeId": 0,
                "host": "zeebe-0",
                "port": 26501,
                "partitions": [{"partitionId": 1, "role": "leader", "health": "healthy"}],
                "version": "8.8.0",
            }
        ],
        "clusterSize": 1,
        "partitionsCount": 1,
        "replicationFactor": 1,
        "gatewayVersion": "8.8.0",
        "lastCompletedChangeId": "3",
    },
    "deploy": {
        "deploymentKey": "1",
        "deployments": [
            {
                "processDefinition": {
                    "processDefinitionId": "p",
                    "processDefinitionVersion": 1,
                    "resourceName": "p.bpmn",
                    "processDefinitionKey": "9",
                }
            }
        ],
    },
    "create_instance": {
        "processInstanceKey": "5",
        "processDefinitionId": "p",
        "processDefinitionKey": "4",
        "processDefinitionVersion": 1,
    },
    "search": {"items": [{"processInstanceKey": "5"}], "page": {"totalItems": 1}},
    "cluster": CLUSTER,
    "exporters": [
        {"exporterId": "camundaregion0", "status": "ENABLED"},
        {"exporterId": "camundaregion1", "status": "DISABLED"},
    ],
    "planned": PLANNED,
    "exporting": {"body": None, "status": 204, "contentType": None},
    "acknowledged": {"acknowledged": True},
    "repository": {"r": {"type": "fs", "settings": {"location": "/snapshots"}}},
    "snapshot": {"snapshot": SNAPSHOT},
    "accepted": {"accepted": True},
    "snapshots": {"snapshots": [SNAPSHOT], "total": 1, "remaining": 0},
    "snapshot_status": {
        "snapshots": [{"snapshot": "s", "state": "SUCCESS", "shards_stats": {"done": 3, "total": 3, "failed": 0}}]
    },
    "restore": {"snapshot": {"snapshot": "s", "indices": ["operate-a"], "shards": SHARDS}},
    "health": {"cluster_name": "c", "status": "green", "timed_out": False},
    "indices": [{"index": "operate-a", "health": "green", "status": "open", "docs.count": "3"}],
    "count": {"count": 3},
    "partitions": {
        "1": {"role": "LEADER", "processedPosition": 3, "exportedPosition": 3, "exporterPhase": "EXPORTING"},
        "6": {"role": "FOLLOWER", "processedPosition": 2, "exportedPosition": 1, "exporterPhase": None},
    },
    "root": {"name": "n", "version": {"number": "8.18.0"}, "tagline": "You Know, for Search"},
}

# -- the cases: every parsing method of the three clients ----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """`method` names the client method (checked against the classes below); `route` is what the fuzzed body
    answers, `calls` the request prefixes an error may name, `check` what a returned value must satisfy."""

    name: str
    method: str
    route: str
    status: int
    valid: str
    call: Callable[[Clients], Any]
    returns: type | tuple[type, ...]
    calls: tuple[str, ...]
    check: Callable[[Any, Any], None] = lambda result, body: None
    errors: tuple[type[ApiError], ...] = (ProtocolError,)


@dataclass
class Clients:
    gateway: GatewayClient
    management: ManagementClient
    es: ElasticsearchClient


def tuple_of(kind: type) -> Callable[[Any, Any], None]:
    def check(result: Any, body: Any) -> None:
        assert all(isinstance(item, kind) for item in result)

    return check


def at(body: Any, *path: Any) -> Any:
    """The value at `path` in the body, or a marker when the path does not exist."""
    for key in path:
        try:
            body = body[key]
        except (KeyError, IndexError, TypeError):
            return MISSING
    return body


MISSING = object()


def check_cluster(state: ClusterState, body: Any) -> None:
    if state.last_change is not None:
        assert state.last_change.status in CHANGE_STATUSES
        assert state.last_change.status == at(body, "lastChange", "status")
    if state.pending_change is not None:
        assert state.pending_change.status in PENDING_STATUSES
    for broker in state.brokers:
        for partition in broker.partitions:
            assert set(partition.exporters.values()) <= set(PARTITION_EXPORTER_STATES)
    outcome = change_outcome(CHANGE_ID, state)
    if outcome is not None and outcome.status == "COMPLETED":
        assert (at(body, "lastChange", "id"), at(body, "lastChange", "status")) == (CHANGE_ID, "COMPLETED")


def check_exporters(result: tuple[ExporterStatus, ...], body: Any) -> None:
    for i, exporter in enumerate(result):
        assert exporter.status in EXPORTER_STATUSES
        assert exporter.status == at(body, i, "status")  # never reported ENABLED unless the body says so


def check_exporting(result: ExportingResult, body: Any) -> None:
    assert 200 <= result.status < 300
    assert result.variant == "wrapped"
    assert at(body, "status") == result.status


def check_outcome(outcome: Any, body: Any) -> None:
    last_id, last_status = at(body, "lastChange", "id"), at(body, "lastChange", "status")
    if outcome.status == "COMPLETED":
        assert (last_id, last_status) == (CHANGE_ID, "COMPLETED")
    else:
        assert outcome.status == "SUPERSEDED"
        assert isinstance(last_id, int) and last_id > CHANGE_ID
        assert last_status in CHANGE_STATUSES


def check_health(health: ClusterHealth, body: Any) -> None:
    assert health.status in HEALTH_STATUSES
    assert health.status == at(body, "status")
    assert health.timed_out is at(body, "timed_out")


def check_snapshots(result: tuple[SnapshotInfo, ...], body: Any) -> None:
    for i, info in enumerate(result):
        assert info.state in SNAPSHOT_STATES
        assert info.state == at(body, "snapshots", i, "state")


def check_snapshot(info: SnapshotInfo, body: Any) -> None:
    assert info.state in SNAPSHOT_STATES
    assert info.state == at(body, "snapshot", "state")
    assert all(isinstance(n, int) and not isinstance(n, bool) for n in (info.shards_total, info.shards_failed))


def check_status(status: SnapshotStatus, body: Any) -> None:
    assert status.snapshot == "s"
    assert status.state in SNAPSHOT_STATUS_STATES


def check_count(count: int, body: Any) -> None:
    assert type(count) is int
    assert count == at(body, "count")


def check_true(field: str) -> Callable[[Any, Any], None]:
    def check(result: None, body: Any) -> None:
        assert at(body, field) is True  # an answer that was not a plain `true` is never taken as one

    return check


def check_restore(result: RestoreResult, body: Any) -> None:
    assert result.shards_failed == at(body, "snapshot", "shards", "failed")


CLUSTER_URL = f"GET {MG}/actuator/cluster"
CASES = [
    Case("topology", "topology", "GET /v2/topology", 200, "topology", lambda c: c.gateway.topology(), Topology,
         (f"GET {GW}/v2/topology",)),
    Case("deploy", "deploy", "POST /v2/deployments", 200, "deploy", lambda c: c.gateway.deploy("p.bpmn", b"<x/>"),
         Deployment, (f"POST {GW}/v2/deployments",)),
    Case("create_instance", "create_instance", "POST /v2/process-instances", 200, "create_instance",
         lambda c: c.gateway.create_instance("p", {"a": 1}), ProcessInstance, (f"POST {GW}/v2/process-instances",)),
    Case("search_process_instances", "search_process_instances", "POST /v2/process-instances/search", 200, "search",
         lambda c: c.gateway.search_process_instances(variables={"tag": "x"}), SearchResult,
         (f"POST {GW}/v2/process-instances/search",)),
    Case("search", "search", "POST /v2/process-definitions/search", 200, "search",
         lambda c: c.gateway.search("/v2/process-definitions/search", {}), SearchResult,
         (f"POST {GW}/v2/process-definitions/search",)),
    Case("cluster", "cluster", "GET /actuator/cluster", 200, "cluster", lambda c: c.management.cluster(),
         ClusterState, (CLUSTER_URL,), check_cluster),
    Case("exporters", "exporters", "GET /actuator/exporters", 200, "exporters", lambda c: c.management.exporters(),
         tuple, (f"GET {MG}/actuator/exporters",), check_exporters),
    Case("partitions", "partitions", "GET /actuator/partitions", 200, "partitions",
         lambda c: c.management.partitions(), dict, (f"GET {MG}/actuator/partitions",),
         lambda result, body: all(isinstance(p, PartitionStatus) for p in result.values())),
    Case("patch_cluster", "patch_cluster", "PATCH /actuator/cluster", 202, "planned",
         lambda c: c.management.patch_cluster(remove=[1, 3], force=True), PlannedChange,
         (f"PATCH {MG}/actuator/cluster?force=true",)),
    Case("patch_cluster_dry_run", "patch_cluster", "PATCH /actuator/cluster", 202, "planned",
         lambda c: c.management.patch_cluster(add=[1], dry_run=True), PlannedChange,
         (f"PATCH {MG}/actuator/cluster?dryRun=true",)),
    Case("disable_exporter", "disable_exporter", "POST /actuator/exporters/camundaregion1/disable", 202, "planned",
         lambda c: c.management.disable_exporter("camundaregion1"), PlannedChange,
         (f"POST {MG}/actuator/exporters/camundaregion1/disable",)),
    Case("enable_exporter", "enable_exporter", "POST /actuator/exporters/camundaregion1/enable", 202, "planned",
         lambda c: c.management.enable_exporter("camundaregion1", initialize_from="camundaregion0"), PlannedChange,
         (f"POST {MG}/actuator/exporters/camundaregion1/enable",)),
    Case("pause_exporting", "pause_exporting", "POST /actuator/exporting/pause", 200, "exporting",
         lambda c: c.management.pause_exporting(), ExportingResult, (f"POST {MG}/actuator/exporting/pause",),
         check_exporting, (ProtocolError, WrappedStatusError)),
    Case("resume_exporting", "resume_exporting", "POST /actuator/exporting/resume", 200, "exporting",
         lambda c: c.management.resume_exporting(), ExportingResult, (f"POST {MG}/actuator/exporting/resume",),
         check_exporting, (ProtocolError, WrappedStatusError)),
    Case("wait_for_change", "wait_for_change", "GET /actuator/cluster", 200, "cluster",
         lambda c: c.management.wait_for_change(CHANGE_ID, timeout=1.0, sleep=lambda s: None, clock=ticks()),
         object, (CLUSTER_URL, f"change {CHANGE_ID} at {MG}/actuator/cluster"), check_outcome,
         (ProtocolError, ChangeFailed, WaitTimeout)),
    Case("put_repository", "put_repository", "PUT /_snapshot/r", 200, "acknowledged",
         lambda c: c.es.put_repository("r", {"type": "fs", "settings": {}}), type(None), (f"PUT {ES}/_snapshot/r",),
         check_true("acknowledged")),
    Case("delete_repository", "delete_repository", "DELETE /_snapshot/r", 200, "acknowledged",
         lambda c: c.es.delete_repository("r"), type(None), (f"DELETE {ES}/_snapshot/r",),
         check_true("acknowledged")),
    Case("get_repository", "get_repository", "GET /_snapshot/r", 200, "repository", lambda c: c.es.get_repository("r"),
         Repository, (f"GET {ES}/_snapshot/r",)),
    Case("create_snapshot", "create_snapshot", "PUT /_snapshot/r/s", 200, "snapshot",
         lambda c: c.es.create_snapshot("r", "s"), SnapshotInfo, (f"PUT {ES}/_snapshot/r/s?wait_for_completion=true",),
         check_snapshot),
    Case("create_snapshot_accepted", "create_snapshot", "PUT /_snapshot/r/s", 200, "accepted",
         lambda c: c.es.create_snapshot("r", "s", wait=False), type(None), (f"PUT {ES}/_snapshot/r/s",),
         check_true("accepted")),
    Case("snapshots", "snapshots", "GET /_snapshot/r/_all", 200, "snapshots", lambda c: c.es.snapshots("r"), tuple,
         (f"GET {ES}/_snapshot/r/_all",), check_snapshots),
    Case("snapshot_status", "snapshot_status", "GET /_snapshot/r/s/_status", 200, "snapshot_status",
         lambda c: c.es.snapshot_status("r", "s"), SnapshotStatus, (f"GET {ES}/_snapshot/r/s/_status",),
         check_status),
    Case("restore", "restore", "POST /_snapshot/r/s/_restore", 200, "restore", lambda c: c.es.restore("r", "s"),
         RestoreResult, (f"POST {ES}/_snapshot/r/s/_restore?wait_for_completion=true",), check_restore),
    Case("restore_accepted", "restore", "POST /_snapshot/r/s/_restore", 200, "accepted",
         lambda c: c.es.restore("r", "s", wait=False), type(None), (f"POST {ES}/_snapshot/r/s/_restore",),
         check_true("accepted")),
    Case("health", "health", "GET /_cluster/health", 200, "health", lambda c: c.es.health(), ClusterHealth,
         (f"GET {ES}/_cluster/health",), check_health),
    Case("version", "version", "GET /", 200, "root", lambda c: c.es.version(), str, (f"GET {ES}/",)),
    Case("indices", "indices", "GET /_cat/indices", 200, "indices", lambda c: c.es.indices(), tuple,
         (f"GET {ES}/_cat/indices?format=json",), tuple_of(IndexInfo)),
    Case("count", "count", "GET /operate-*/_count", 200, "count", lambda c: c.es.count("operate-*"), int,
         (f"GET {ES}/operate-*/_count",), check_count),
    Case("count_query", "count", "POST /_count_target/_count", 200, "count",
         lambda c: c.es.count("_count_target", query={"term": {"k": "v"}}), int, (f"POST {ES}/_count_target/_count",),
         check_count),
]  # fmt: skip
NOT_PARSING = {"ready": "answers by status only", "change_outcome": "a pure function, fuzzed through cluster"}


def ticks() -> Callable[[], float]:
    """A clock that advances on every read: a wait that never sees its outcome ends after a few polls."""
    now = [0.0]

    def clock() -> float:
        now[0] += 0.25
        return now[0]

    return clock


def test_every_parsing_method_of_the_clients_is_fuzzed() -> None:
    public = {
        name
        for cls in (GatewayClient, ManagementClient, ElasticsearchClient)
        for name, value in vars(cls).items()
        if not name.startswith("_") and (callable(value) or isinstance(value, staticmethod))
    }
    assert public - set(NOT_PARSING) == {case.method for case in CASES}


# -- the bodies ----------------------------------------------------------------------------------------------------

# Words of every enum the drill decides on, and near misses: a field given another enum's word must be refused.
WORDS = sorted(
    {*CHANGE_STATUSES, *PENDING_STATUSES, *EXPORTER_STATUSES, *HEALTH_STATUSES, *SNAPSHOT_STATES}
    | {*SNAPSHOT_STATUS_STATES, "SUPERSEDED", "completed", "Enabled", "GREEN", " green", "", "s", "true", "204"}
)
KEYS = sorted({"status", "state", "id", "changeId", "lastChange", "snapshot", "snapshots", "count", "accepted", "body"})
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


# The places a verdict is read from: fuzzed on purpose, since a random place rarely is one of them.
FOCUS: dict[str, list[tuple[Any, ...]]] = {
    "cluster": [
        ("lastChange", "status"),
        ("lastChange", "id"),
        ("pendingChange", "status"),
        ("pendingChange", "id"),
        ("brokers", 0, "partitions", 0, "config", "exporting", "exporters", 0, "state"),
    ],
    "exporters": [(0, "status"), (1, "status")],
    "planned": [("changeId",)],
    "exporting": [("status",), ("body",)],
    "acknowledged": [("acknowledged",)],
    "accepted": [("accepted",)],
    "snapshot": [("snapshot", "state"), ("snapshot", "shards", "failed")],
    "snapshots": [("snapshots", 0, "state")],
    "snapshot_status": [("snapshots", 0, "state"), ("snapshots", 0, "snapshot"), ("snapshots", 0, "shards_stats")],
    "restore": [("snapshot", "shards", "failed")],
    "health": [("status",), ("timed_out",)],
    "count": [("count",)],
}
verdicts = st.sampled_from(WORDS) | scalars | st.sampled_from([CHANGE_ID - 1, CHANGE_ID, CHANGE_ID + 1, 200, 204, 503])


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value: dict keys and list indices, depth first."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield (*prefix, i)
            yield from paths(child, (*prefix, i))


def json_type(value: Any) -> str:
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """The valid body with one place removed, or given a value of another type (or another word, for strings)."""
    body = json.loads(json.dumps(valid))
    place = draw(st.sampled_from(list(paths(body))))
    parent = body
    for key in place[:-1]:
        parent = parent[key]
    old = parent[place[-1]]
    if draw(st.booleans()):
        del parent[place[-1]]
    elif isinstance(old, str):
        parent[place[-1]] = draw(st.sampled_from(WORDS) | json_values.filter(lambda v: v != old))
    else:
        parent[place[-1]] = draw(json_values.filter(lambda v: json_type(v) != json_type(old)))
    return body


@st.composite
def focused(draw: st.DrawFn, valid: Any, places: list[tuple[Any, ...]]) -> Any:
    """The valid body with a verdict field removed or set to another word, number or type."""
    body = json.loads(json.dumps(valid))
    place = draw(st.sampled_from(places))
    parent = body
    for key in place[:-1]:
        parent = parent[key]
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        del parent[place[-1]]
    else:
        parent[place[-1]] = draw(verdicts)
    return body


@st.composite
def truncated(draw: st.DrawFn, valid: Any) -> bytes:
    text = json.dumps(valid).encode()
    return text[: draw(st.integers(min_value=0, max_value=len(text) - 1))]


def bodies(name: str) -> st.SearchStrategy[bytes]:
    valid = VALID[name]
    values = json_values | mutated(valid)
    if name in FOCUS:
        values |= focused(valid, FOCUS[name])
    as_json = st.builds(lambda v: json.dumps(v, allow_nan=True).encode(), values)
    return as_json | st.binary(max_size=40) | truncated(valid) | st.just(json.dumps(valid).encode())


# -- serving them --------------------------------------------------------------------------------------------------


class Fuzzed:
    """Answers the case's route with the body under test; a write's cluster read first gets a valid cluster."""

    def __init__(self) -> None:
        self.route, self.status, self.content = "", 200, b""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        route = f"{request.method} {request.url.raw_path.decode().split('?')[0]}"
        if route == self.route:
            return httpx.Response(self.status, content=self.content)
        if route == "GET /actuator/cluster":
            return httpx.Response(200, json={"version": 1, "brokers": [], "lastChange": {"id": 1, "status": "FAILED"}})
        return httpx.Response(418, text=f"no route {route}")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Fuzzed, Clients]]:
    fuzzed = Fuzzed()
    transport = httpx.MockTransport(fuzzed)
    policy = RetryPolicy(sleep=lambda seconds: None, clock=lambda: 0.0)  # a wrapped 503 is retried, without waiting
    clients = Clients(
        GatewayClient(GW, transport=transport, retry=policy),
        ManagementClient(MG, transport=transport, retry=policy),
        ElasticsearchClient(ES, transport=transport, retry=policy),
    )
    yield fuzzed, clients
    for client in (clients.gateway, clients.management, clients.es):
        client.close()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@FUZZ
@given(data=st.data())
def test_any_body_gives_the_model_or_an_api_error_naming_the_call(
    served: tuple[Fuzzed, Clients], case: Case, data: st.DataObject
) -> None:
    fuzzed, clients = served
    content = data.draw(bodies(case.valid), label="body")
    fuzzed.route, fuzzed.status, fuzzed.content = case.route, case.status, content
    try:
        result = case.call(clients)
    except ApiError as exc:
        assert isinstance(exc, case.errors), f"{type(exc).__name__}: {exc}"
        assert str(exc).startswith(tuple(f"{call}: " for call in case.calls)), str(exc)
        assert not isinstance(exc, HttpStatusError) or isinstance(exc, WrappedStatusError), str(exc)
        return
    assert isinstance(result, case.returns), repr(result)
    case.check(result, json.loads(content))


# -- error bodies: the detail of a refusal is read from any body without failing --------------------------------------


ERRORS = [
    ("gateway", "GET /v2/topology", lambda c: c.gateway.topology(), f"GET {GW}/v2/topology"),
    ("management", "GET /actuator/cluster", lambda c: c.management.cluster(), CLUSTER_URL),
    ("elasticsearch", "GET /_cluster/health", lambda c: c.es.health(), f"GET {ES}/_cluster/health"),
]


@pytest.mark.parametrize(("api", "route", "call", "prefix"), ERRORS, ids=[e[0] for e in ERRORS])
@FUZZ
@given(
    code=st.sampled_from([400, 401, 404, 409, 500, 501]),
    content=st.builds(lambda v: json.dumps(v).encode(), json_values) | st.binary(max_size=40),
)
def test_any_error_body_gives_an_http_status_error_naming_the_call(
    served: tuple[Fuzzed, Clients], api: str, route: str, call: Callable[[Clients], Any], prefix: str, code: int,
    content: bytes,
) -> None:  # fmt: skip
    fuzzed, clients = served
    fuzzed.route, fuzzed.status, fuzzed.content = route, code, content

    with pytest.raises(HttpStatusError) as caught:
        call(clients)

    assert caught.value.status == code
    assert str(caught.value).startswith(f"{prefix}: expected HTTP 200, got HTTP {code}")


# -- what the fuzz found: a verdict field outside its enum was taken as it came ---------------------------------------


def replaced(name: str, place: tuple[Any, ...], value: Any) -> bytes:
    body = json.loads(json.dumps(VALID[name]))
    parent = body
    for key in place[:-1]:
        parent = parent[key]
    parent[place[-1]] = value
    return json.dumps(body).encode()


REFUSED = [
    ("cluster", "cluster", ("lastChange", "status"), "SUPERSEDED", "lastChange.status"),
    ("cluster", "cluster", ("pendingChange", "status"), "DONE", "pendingChange.status"),
    (
        "cluster",
        "cluster",
        ("brokers", 0, "partitions", 0, "config", "exporting", "exporters", 0, "state"),
        "ENABLING",
        "brokers[0].partitions[0].config.exporting.exporters[0].state",
    ),
    ("wait_for_change", "cluster", ("lastChange",), {"id": CHANGE_ID + 5, "status": "BOGUS"}, "lastChange.status"),
    ("exporters", "exporters", (1, "status"), "enabled", "[1].status"),
    ("health", "health", ("status",), "GREEN", "status"),
    ("health", "health", ("status",), "unknown", "status"),
    ("snapshots", "snapshots", ("snapshots", 0, "state"), "STARTED", "snapshots[0].state"),
    ("create_snapshot", "snapshot", ("snapshot", "state"), "", "snapshot.state"),
    ("snapshot_status", "snapshot_status", ("snapshots", 0, "state"), "IN_PROGRESS", "snapshots[0].state"),
]


@pytest.mark.parametrize(
    ("case_name", "valid", "place", "value", "path"), REFUSED, ids=[f"{r[0]}-{r[4]}={r[3]}" for r in REFUSED]
)
def test_a_verdict_word_outside_the_contract_is_refused(
    served: tuple[Fuzzed, Clients], case_name: str, valid: str, place: tuple[Any, ...], value: Any, path: str
) -> None:
    case = next(c for c in CASES if c.name == case_name)
    fuzzed, clients = served
    fuzzed.route, fuzzed.status, fuzzed.content = case.route, case.status, replaced(valid, place, value)

    with pytest.raises(ProtocolError) as caught:
        case.call(clients)

    assert f"expected {path} to be one of " in str(caught.value)
    assert str(caught.value).startswith(tuple(f"{call}: " for call in case.calls))
