"""Retries that hold: transient failures are retried within the policy, writes only where that cannot apply them
twice, and configuration writes by observing the cluster. A fake clock and sleep: no test waits or is timed."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.fake_time import FakeTime

from drill.api import (
    ElasticsearchClient,
    GatewayClient,
    HttpStatusError,
    ManagementClient,
    ProtocolError,
    RetryEvent,
    RetryPolicy,
    TransportError,
)
from drill.api.retry import retrying
from drill.evidence.journal import Journal, read_journal
from drill.platform.base import ServiceUrls
from drill.procedure.context import ClientOptions, RegionHandle

Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


class Server:
    """Answers each route from its own script (the last answer repeats) and records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.requests: list[httpx.Request] = []

    def route(self, method: str, path: str, *answers: Answer) -> Server:
        self.routes[f"{method} {path}"] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        script = self.routes[f"{request.method} {request.url.path}"]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            if isinstance(answer, httpx.RequestError):
                answer.request = request
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def sent(self, method: str, path: str | None = None) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and (path is None or r.url.path == path)]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def status(code: int, body: Any = None) -> httpx.Response:
    return httpx.Response(code, json=body) if body is not None else httpx.Response(code)


UNAVAILABLE = {"title": "Service Unavailable", "detail": "no leader", "status": 503}
TOPOLOGY = {
    "brokers": [],
    "clusterSize": 0,
    "partitionsCount": 0,
    "replicationFactor": 0,
    "gatewayVersion": "8.8.0",
}
CREATED = {
    "processInstanceKey": "5",
    "processDefinitionId": "p",
    "processDefinitionKey": "4",
    "processDefinitionVersion": 1,
}


def gateway(server: Server, policy: RetryPolicy, events: list[RetryEvent]) -> GatewayClient:
    return GatewayClient("http://gw:8080", transport=server.transport(), retry=policy, on_retry=events.append)


def management(server: Server, policy: RetryPolicy, events: list[RetryEvent]) -> ManagementClient:
    return ManagementClient("http://gw:9600", transport=server.transport(), retry=policy, on_retry=events.append)


def elasticsearch(server: Server, policy: RetryPolicy, events: list[RetryEvent]) -> ElasticsearchClient:
    return ElasticsearchClient("http://es:9200", transport=server.transport(), retry=policy, on_retry=events.append)


# -- the policy ----------------------------------------------------------------------------------------------------


def test_the_default_policy_is_the_documented_one() -> None:
    policy = RetryPolicy()

    assert (policy.attempts, policy.first, policy.factor, policy.cap, policy.total) == (4, 0.2, 2.0, 2.0, 15.0)
    assert RetryPolicy.none().attempts == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"attempts": 0}, "attempts", id="no-attempt"),
        pytest.param({"attempts": 2.5}, "attempts", id="fractional-attempts"),
        pytest.param({"attempts": True}, "attempts", id="bool-attempts"),
        pytest.param({"first": -0.1}, "first", id="negative-first"),
        pytest.param({"factor": 0.5}, "factor", id="shrinking"),
        pytest.param({"cap": -1.0}, "cap", id="negative-cap"),
        pytest.param({"total": -1.0}, "total", id="negative-total"),
        pytest.param({"total": math.nan}, "total", id="nan-total"),
        pytest.param({"first": math.inf}, "first", id="infinite-first"),
        pytest.param({"cap": "2"}, "cap", id="text-cap"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field} must be"):
        RetryPolicy(**kwargs)


def test_delays_grow_by_the_factor_up_to_the_cap(fake: FakeTime) -> None:
    server = Server().route("GET", "/v2/topology", status(503, UNAVAILABLE))
    events: list[RetryEvent] = []
    policy = fake.policy(attempts=6, first=0.5, factor=3.0, cap=2.0, total=100.0)

    with gateway(server, policy, events) as client, pytest.raises(HttpStatusError):
        client.topology()

    assert fake.sleeps == [0.5, 1.5, 2.0, 2.0, 2.0]
    assert [e.delay_s for e in events] == fake.sleeps
    assert [e.attempt for e in events] == [1, 2, 3, 4, 5]


def test_the_loop_never_retries_what_retryable_refuses(fake: FakeTime) -> None:
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise TransportError("GET http://x/", "HTTP 200", "ConnectError: refused", kind="ConnectError", unsent=True)

    with pytest.raises(TransportError) as caught:
        retrying(fail, retryable=lambda exc: False, policy=fake.policy())

    assert calls == [1]
    assert str(caught.value) == "GET http://x/: expected HTTP 200, got ConnectError: refused"


# -- reads ---------------------------------------------------------------------------------------------------------


def test_a_503_then_200_is_retried_once_and_reported(fake: FakeTime) -> None:
    server = Server().route("GET", "/v2/topology", status(503, UNAVAILABLE), status(200, TOPOLOGY))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client:
        topology = client.topology()

    assert topology.gateway_version == "8.8.0"
    assert len(server.requests) == 2
    assert fake.sleeps == [0.2]
    assert events == [
        RetryEvent(
            call="GET http://gw:8080/v2/topology",
            attempt=1,
            error="GET http://gw:8080/v2/topology: expected HTTP 200, got HTTP 503 Service Unavailable: no leader",
            delay_s=0.2,
            reason="transient: HTTP 503",
        )
    ]


def test_a_503_forever_gives_up_after_the_attempts_naming_call_and_status(fake: FakeTime) -> None:
    server = Server().route("GET", "/v2/topology", status(503, UNAVAILABLE))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.topology()

    assert len(server.requests) == 4
    assert fake.sleeps == [0.2, 0.4, 0.8]
    assert len(events) == 3
    assert caught.value.status == 503
    assert caught.value.transient  # an outer wait may still treat it as "not yet"
    assert str(caught.value) == (
        "GET http://gw:8080/v2/topology: expected HTTP 200, got HTTP 503 Service Unavailable: no leader; "
        "gave up after 4 attempts in 1.4 s"
    )


def test_no_attempt_starts_past_the_total_budget(fake: FakeTime) -> None:
    def slow_503(request: httpx.Request) -> httpx.Response:
        fake.now += 5.0  # each try takes 5 s to fail (e.g. a gateway timing out)
        return status(504)

    server = Server().route("GET", "/actuator/cluster", slow_503)
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.cluster()

    # tries end at 5, 10.2 and 15.6 s; a fourth would start at 16.4 s, past the 15 s budget
    assert len(server.requests) == 3
    assert fake.sleeps == [0.2, 0.4]
    assert str(caught.value).endswith("gave up after 3 attempts in 15.6 s: another would pass the 15 s budget")


@pytest.mark.parametrize("code", [400, 401, 404, 409, 500])
def test_a_permanent_status_is_never_retried(fake: FakeTime, code: int) -> None:
    server = Server().route("GET", "/v2/topology", status(code, {"title": "No", "detail": "refused"}))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.topology()

    assert len(server.requests) == 1
    assert (events, fake.sleeps) == ([], [])
    assert str(caught.value) == f"GET http://gw:8080/v2/topology: expected HTTP 200, got HTTP {code} No: refused"


def test_a_body_that_breaks_the_contract_is_never_retried(fake: FakeTime) -> None:
    server = Server().route("GET", "/v2/topology", httpx.Response(200, content=b"<html>"))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client, pytest.raises(ProtocolError):
        client.topology()

    assert (len(server.requests), events) == (1, [])


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ConnectError("[Errno 111] Connection refused"), id="refused"),
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("Server disconnected"), id="dropped"),
    ],
)
def test_a_read_is_retried_after_any_transport_failure(fake: FakeTime, failure: Exception) -> None:
    server = Server().route("GET", "/actuator/cluster", failure, status(200, {"version": 1, "brokers": []}))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        assert client.cluster().version == 1

    assert [e.reason for e in events] == [f"transient: {type(failure).__name__}"]


def test_a_single_attempt_policy_reports_the_first_failure_unchanged(fake: FakeTime) -> None:
    server = Server().route("GET", "/v2/topology", status(503, UNAVAILABLE))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(attempts=1), events) as client, pytest.raises(HttpStatusError) as caught:
        client.topology()

    assert (len(server.requests), events) == (1, [])
    assert str(caught.value).endswith("got HTTP 503 Service Unavailable: no leader")


# -- writes that are not idempotent --------------------------------------------------------------------------------


def test_a_create_refused_at_connect_is_sent_again(fake: FakeTime) -> None:
    server = Server().route(
        "POST", "/v2/process-instances", httpx.ConnectError("[Errno 111] Connection refused"), status(200, CREATED)
    )
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client:
        instance = client.create_instance("p")

    assert instance.process_instance_key == "5"
    assert len(server.sent("POST")) == 2
    assert [e.reason for e in events] == ["transient: ConnectError"]


def test_a_create_refused_at_connect_forever_gives_up_without_claiming_an_unknown_outcome(fake: FakeTime) -> None:
    server = Server().route("POST", "/v2/process-instances", httpx.ConnectError("refused"))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client, pytest.raises(TransportError) as caught:
        client.create_instance("p")

    assert len(server.requests) == 4
    assert "gave up after 4 attempts" in str(caught.value)
    assert "outcome is unknown" not in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "seen"),
    [
        pytest.param(httpx.ReadTimeout("timed out"), "got ReadTimeout: timed out", id="read-timeout"),
        pytest.param(status(503, UNAVAILABLE), "got HTTP 503 Service Unavailable: no leader", id="503"),
        pytest.param(httpx.RemoteProtocolError("Server disconnected"), "got RemoteProtocolError", id="dropped"),
    ],
)
def test_a_create_whose_outcome_is_unknown_is_not_sent_again(fake: FakeTime, answer: Answer, seen: str) -> None:
    server = Server().route("POST", "/v2/process-instances", answer, status(200, CREATED))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client, pytest.raises((TransportError, HttpStatusError)) as caught:
        client.create_instance("p")

    message = str(caught.value)
    assert len(server.requests) == 1
    assert events == []
    assert message.startswith("POST http://gw:8080/v2/process-instances: expected HTTP 200, ")
    assert seen in message
    assert message.endswith("; not retried: the outcome is unknown, the write may have been applied")
    assert not caught.value.transient  # no outer wait may repeat it either


def test_a_snapshot_put_is_not_repeated_after_a_timeout(fake: FakeTime) -> None:
    server = Server().route("PUT", "/_snapshot/repo/snap", httpx.ReadTimeout("timed out"))
    events: list[RetryEvent] = []

    with elasticsearch(server, fake.policy(), events) as client, pytest.raises(TransportError) as caught:
        client.create_snapshot("repo", "snap")

    assert len(server.requests) == 1
    assert "the write may have been applied" in str(caught.value)


@pytest.mark.parametrize(
    ("route", "call"),
    [
        pytest.param(
            "POST /idx/_count",
            lambda c: c.count("idx", query={"match_all": {}}),
            id="es-count-query",
        ),
        pytest.param("PUT /_snapshot/repo", lambda c: c.put_repository("repo", {"type": "fs"}), id="es-put-repo"),
    ],
)
def test_elasticsearch_reads_and_idempotent_puts_are_retried(
    fake: FakeTime, route: str, call: Callable[[ElasticsearchClient], Any]
) -> None:
    method, path = route.split(" ")
    server = Server().route(method, path, status(503), status(200, {"count": 3, "acknowledged": True}))
    events: list[RetryEvent] = []

    with elasticsearch(server, fake.policy(), events) as client:
        call(client)

    assert len(server.requests) == 2
    assert len(events) == 1


def test_a_search_is_retried_like_a_read(fake: FakeTime) -> None:
    found = {"items": [], "page": {"totalItems": 0}}
    server = Server().route("POST", "/v2/process-instances/search", httpx.ReadTimeout("timed out"), status(200, found))
    events: list[RetryEvent] = []

    with gateway(server, fake.policy(), events) as client:
        assert client.search_process_instances().total_items == 0

    assert len(server.requests) == 2


# -- exporting pause / resume -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(status(503, {"message": "unavailable"}), id="503"),
        pytest.param(status(200, {"body": {"message": "no leader"}, "status": 503, "contentType": None}), id="wrapped"),
    ],
)
def test_pausing_exporting_is_retried_after_a_transient_failure(fake: FakeTime, failure: httpx.Response) -> None:
    server = Server().route("POST", "/actuator/exporting/pause", failure, status(204))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        result = client.pause_exporting()

    assert (result.variant, result.status) == ("no-content", 204)
    assert len(server.requests) == 2
    assert len(events) == 1


def test_a_wrapped_500_is_not_retried(fake: FakeTime) -> None:
    wrapped = status(200, {"body": {"message": "Expected 4 members"}, "status": 500, "contentType": None})
    server = Server().route("POST", "/actuator/exporting/resume", wrapped)
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError):
        client.resume_exporting()

    assert len(server.requests) == 1


# -- configuration writes: retry by observation -------------------------------------------------------------------


def cluster(*, last: int | None = None, pending: int | None = None, last_status: str = "COMPLETED") -> httpx.Response:
    body: dict[str, Any] = {"version": 5, "brokers": []}
    if last is not None:
        body["lastChange"] = {"id": last, "status": last_status}
    if pending is not None:
        body["pendingChange"] = {
            "id": pending,
            "status": "IN_PROGRESS",
            "completed": [],
            "pending": [{"operation": "BROKER_REMOVE", "brokerId": 0, "brokers": [1]}],
        }
    return status(200, body)


def planned(change_id: int) -> httpx.Response:
    return status(202, {"changeId": change_id, "currentTopology": [], "plannedChanges": [], "expectedTopology": []})


CONFLICT = status(
    409, {"message": "Cannot apply configuration change. Another configuration change [7] is in progress."}
)


def writes(server: Server) -> list[httpx.Request]:
    return [r for r in server.requests if r.method != "GET"]


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(status(503, {"message": "unavailable"}), id="503"),
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.ConnectError("refused"), id="refused"),
    ],
)
def test_a_write_that_did_not_land_is_sent_again(fake: FakeTime, failure: Answer) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=3), cluster(last=3))
    server.route("PATCH", "/actuator/cluster", failure, planned(4))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.patch_cluster(remove=[1], force=True)

    assert (plan.change_id, plan.adopted) == (4, False)
    assert [r.method for r in server.requests] == ["GET", "PATCH", "GET", "PATCH"]
    assert [(e.attempt, e.delay_s, e.adopted) for e in events] == [(1, 0.2, False)]
    assert events[0].call == "PATCH http://gw:9600/actuator/cluster?force=true"
    assert events[0].reason.startswith("transient: ")


@pytest.mark.parametrize(
    ("after", "where"),
    [
        pytest.param(cluster(last=3, pending=4), "pending", id="pending"),
        pytest.param(cluster(last=4), "ended", id="ended"),
    ],
)
def test_a_write_that_landed_is_adopted_and_sent_exactly_once(
    fake: FakeTime, after: httpx.Response, where: str
) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=3), after, cluster(last=4))
    server.route("PATCH", "/actuator/cluster", status(503, {"message": "timeout"}))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.patch_cluster(remove=[1], force=True)
        outcome = client.wait_for_change(plan.change_id, timeout=5.0, sleep=fake.sleep, clock=fake.clock)

    assert (plan.change_id, plan.adopted) == (4, True)
    assert len(writes(server)) == 1
    assert plan.operations() == (("BROKER_REMOVE",) if where == "pending" else ())
    assert outcome.status == "COMPLETED"
    [event] = events
    assert (event.adopted, event.attempt, event.delay_s) == (True, 1, 0.0)
    assert event.reason == f"adopted: change 4 is {where} (the newest was 3 before the write); not sent again"


def test_exporter_writes_are_observed_too(fake: FakeTime) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(), cluster(pending=1))
    server.route("POST", "/actuator/exporters/camundaregion1/disable", httpx.ReadTimeout("timed out"))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.disable_exporter("camundaregion1")

    assert (plan.change_id, plan.adopted, len(writes(server))) == (1, True, 1)


def test_a_write_is_not_sent_again_when_the_cluster_cannot_be_read(fake: FakeTime) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=3), status(503))
    server.route("PATCH", "/actuator/cluster", status(504))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.patch_cluster(remove=[1], force=True)

    assert len(writes(server)) == 1
    assert caught.value.status == 504
    assert not caught.value.transient
    assert "not retried: the cluster could not be read to tell whether the write landed" in str(caught.value)


def test_a_write_that_never_lands_gives_up_within_the_attempts(fake: FakeTime) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=3))
    server.route("PATCH", "/actuator/cluster", status(502))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.patch_cluster(add=[1], replication_factor=4)

    assert len(writes(server)) == 4
    assert fake.sleeps == [0.2, 0.4, 0.8]
    assert str(caught.value).endswith(
        "got HTTP 502; the cluster showed no change newer than 3; gave up after 4 attempts in 1.4 s"
    )


def test_a_409_waits_until_the_pending_change_ended_and_sends_once_more(fake: FakeTime) -> None:
    server = Server()
    server.route(
        "GET", "/actuator/cluster", cluster(pending=7), cluster(pending=7), cluster(pending=7), cluster(last=7)
    )
    server.route("POST", "/actuator/exporters/camundaregion1/enable", CONFLICT, planned(8))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.enable_exporter("camundaregion1", initialize_from="camundaregion0")

    assert (plan.change_id, plan.adopted) == (8, False)
    assert len(writes(server)) == 2
    assert json.loads(writes(server)[1].content) == {"initializeFrom": "camundaregion0"}
    # polled with the policy's backoff (0.2 s, 0.4 s), the second delay shortened to the detection bound
    assert fake.sleeps == [0.2, 0.2]
    [event] = events
    assert event.reason == "conflict: HTTP 409, waited until change 7 ended"
    assert event.delay_s == pytest.approx(0.4)


def test_a_409_whose_change_stays_pending_fails_naming_it(fake: FakeTime) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=6, pending=7))
    server.route("PATCH", "/actuator/cluster", CONFLICT)
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.patch_cluster(remove=[1], force=True)

    message = str(caught.value)
    assert len(writes(server)) == 1
    assert events == []
    assert fake.now >= 15.0
    assert caught.value.status == 409
    assert not caught.value.transient
    assert message.startswith("PATCH http://gw:9600/actuator/cluster?force=true: expected HTTP 202, got HTTP 409 ")
    assert message.endswith("is in progress.; change 7 still pending after 15 s")


def test_a_conflict_after_an_uncertain_try_adopts_the_change_that_try_made(fake: FakeTime) -> None:
    server = Server()
    # before: 3; after the 503 nothing yet; the resend meets our own change, now pending
    server.route("GET", "/actuator/cluster", cluster(last=3), cluster(last=3), cluster(last=3, pending=4))
    server.route("PATCH", "/actuator/cluster", status(503), CONFLICT)
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.patch_cluster(remove=[1], force=True)

    assert (plan.change_id, plan.adopted) == (4, True)
    assert len(writes(server)) == 2
    assert [e.adopted for e in events] == [False, True]


def test_a_dry_run_is_retried_like_a_read_without_observing(fake: FakeTime) -> None:
    server = Server().route("PATCH", "/actuator/cluster", status(503), planned(4))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client:
        plan = client.patch_cluster(remove=[1], force=True, dry_run=True)

    assert plan.change_id == 4
    assert [r.method for r in server.requests] == ["PATCH", "PATCH"]


def test_a_refused_write_is_not_retried(fake: FakeTime) -> None:
    server = Server()
    server.route("GET", "/actuator/cluster", cluster(last=3))
    server.route("PATCH", "/actuator/cluster", status(400, {"message": "Cannot force add brokers"}))
    events: list[RetryEvent] = []

    with management(server, fake.policy(), events) as client, pytest.raises(HttpStatusError) as caught:
        client.patch_cluster(add=[1], force=True)

    assert str(caught.value).endswith("got HTTP 400 Cannot force add brokers")
    assert (len(writes(server)), events) == (1, [])


# -- the drill's evidence ------------------------------------------------------------------------------------------


class OnePlatform:
    """Only what RegionHandle asks a platform for."""

    def service_urls(self) -> ServiceUrls:
        return ServiceUrls("http://gw:8080", "http://gw:9600", "http://es:9200")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.create(tmp_path / "journal.jsonl", durable=False) as journal:
        yield journal


def test_a_retry_is_journaled_inside_the_current_step(fake: FakeTime, journal: Journal) -> None:
    server = Server().route("GET", "/v2/topology", status(503, UNAVAILABLE), status(200, TOPOLOGY))
    options = ClientOptions(transport=server.transport, retry=fake.policy())
    handle = RegionHandle(0, OnePlatform(), options, journal)  # type: ignore[arg-type]

    with journal.step("failover-1", "Ensure network isolation"):
        handle.gateway.topology()
    handle.close()

    records = read_journal(journal.path)
    [retry] = [r for r in records if r["kind"] == "retry"]
    http = [r for r in records if r["kind"] == "http"]
    assert retry["step"] == "failover-1"
    assert {k: retry[k] for k in ("call", "attempt", "delay_s", "reason", "adopted")} == {
        "call": "GET http://gw:8080/v2/topology",
        "attempt": 1,
        "delay_s": 0.2,
        "reason": "transient: HTTP 503",
        "adopted": False,
    }
    assert "HTTP 503 Service Unavailable: no leader" in retry["error"]
    assert [(r["status"], r["step"]) for r in http] == [(503, "failover-1"), (200, "failover-1")]
    assert http[0]["seq"] < retry["seq"] < http[1]["seq"]


def test_the_drills_clients_use_the_options_policy() -> None:
    policy = RetryPolicy(attempts=2)
    handle = RegionHandle(0, OnePlatform(), ClientOptions(retry=policy), None)  # type: ignore[arg-type]

    assert {client.retry for client in handle.clients()} == {policy}
    assert ClientOptions().retry == RetryPolicy()
    handle.close()
