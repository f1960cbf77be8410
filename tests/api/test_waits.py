"""Bounded waits with a fake clock and sleep (no real time passes), and the change-completion rule of §3.6."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fake_time import FakeTime

from drill.api import (
    ApiError,
    Backoff,
    ChangeFailed,
    ClusterState,
    CompletedChange,
    HttpStatusError,
    ManagementClient,
    PendingChange,
    RetryPolicy,
    TransportError,
    WaitTimeout,
    change_outcome,
    wait_until,
)
from drill.api.models import Operation
from drill.api.waits import DETECTION_FLOOR_S, DETECTION_SHARE


def test_backoff_grows_by_its_factor_up_to_its_cap() -> None:
    delays = list(itertools.islice(Backoff(first=0.5, factor=2.0, cap=3.0), 5))

    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert next(iter(Backoff())) == 0.05
    with pytest.raises(ValueError, match="must not shrink"):
        Backoff(factor=0.5)


def test_a_probe_that_succeeds_at_once_is_called_once_without_sleeping() -> None:
    time = FakeTime()

    waited = wait_until(lambda: "ok", what="x", timeout=5.0, sleep=time.sleep, clock=time.clock)

    assert (waited.value, waited.attempts, waited.elapsed) == ("ok", 1, 0.0)
    assert time.sleeps == []


def test_a_falsy_value_other_than_none_is_a_result() -> None:
    time = FakeTime()

    assert wait_until(lambda: 0, what="x", timeout=1.0, sleep=time.sleep, clock=time.clock).value == 0


def test_the_wait_succeeds_on_a_later_attempt_and_counts_attempts() -> None:
    time = FakeTime()
    answers = iter([None, None, "ready"])

    waited = wait_until(
        lambda: next(answers),
        what="x",
        timeout=5.0,
        backoff=Backoff(1.0, 2.0, 10.0),
        sleep=time.sleep,
        clock=time.clock,
    )

    # the backoff asks for 1 s then 2 s; the detection bound shortens both to 0.2 s (see next_poll_delay)
    assert (waited.value, waited.attempts, waited.elapsed) == ("ready", 3, pytest.approx(0.4))
    assert time.sleeps == [0.2, 0.2]


def test_a_long_wait_polls_as_its_backoff_says_once_the_bound_allows_it() -> None:
    time = FakeTime()
    answers = iter([None, None, None, "ready"])

    waited = wait_until(
        lambda: next(answers) if time.now > 200 else None,
        what="x",
        timeout=1000.0,
        backoff=Backoff(0.05, 2.0, 10.0),
        sleep=time.sleep,
        clock=time.clock,
    )

    assert waited.value == "ready"
    assert max(time.sleeps) == 10.0  # the cap, once 8 % of the time waited exceeds it
    assert all(
        delay <= max(DETECTION_FLOOR_S, DETECTION_SHARE * waited_so_far) + 1e-9
        for delay, waited_so_far in zip(time.sleeps, itertools.accumulate([0.0, *time.sleeps]), strict=False)
    )


def test_a_wait_never_sleeps_past_its_deadline_and_probes_at_the_deadline() -> None:
    time = FakeTime()
    probes: list[float] = []

    def probe() -> None:
        probes.append(time.now)

    with pytest.raises(WaitTimeout) as caught:
        wait_until(
            probe,
            what="pods ready in region 1",
            timeout=10.0,
            backoff=Backoff(1.0, 2.0, 4.0),
            sleep=time.sleep,
            clock=time.clock,
            describe=lambda: "3 of 4 pods ready",
        )

    assert max(time.sleeps) <= 0.8  # 8 % of the 10 s waited: the detection bound, below the backoff's 4 s cap
    assert probes[-1] == time.now == 10.0  # the last probe is at the deadline, never after it
    assert pytest.approx(sum(time.sleeps)) == 10.0
    error = caught.value
    assert (error.attempts, error.elapsed, error.transient) == (len(probes), 10.0, True)
    assert str(error) == (
        "pods ready in region 1: expected success within 10 s, got 3 of 4 pods ready "
        f"(after {len(probes)} attempts in 10.0 s)"
    )


def test_a_zero_timeout_still_probes_once() -> None:
    time = FakeTime()
    calls: list[int] = []

    with pytest.raises(WaitTimeout, match=r"got no result yet \(after 1 attempt in 0.0 s\)"):
        wait_until(lambda: calls.append(1), what="x", timeout=0.0, sleep=time.sleep, clock=time.clock)

    assert calls == [1]
    assert time.sleeps == []


def test_a_probe_slower_than_the_deadline_is_not_followed_by_a_sleep() -> None:
    time = FakeTime()

    def slow() -> None:
        time.now += 7.0

    with pytest.raises(WaitTimeout) as caught:
        wait_until(slow, what="x", timeout=10.0, backoff=Backoff(1.0, 1.0, 1.0), sleep=time.sleep, clock=time.clock)

    assert time.sleeps == [pytest.approx(0.56)]  # 8 % of the 7 s the first probe took; the second ends too late
    assert caught.value.attempts == 2


def test_transient_errors_are_retried_and_the_last_one_reported() -> None:
    time = FakeTime()
    calls = itertools.count(1)

    def probe() -> None:
        raise TransportError(f"GET http://gw/v2/topology #{next(calls)}", "HTTP 200", "ConnectError: refused")

    with pytest.raises(WaitTimeout) as caught:
        wait_until(
            probe,
            what="topology",
            timeout=0.4,
            backoff=Backoff(0.2, 1.0, 0.2),
            sleep=time.sleep,
            clock=time.clock,
            describe=lambda: "never used while the last probe failed",
        )

    assert str(caught.value) == (
        "topology: expected success within 0.4 s, got last error: GET http://gw/v2/topology #3: expected HTTP 200, "
        "got ConnectError: refused (after 3 attempts in 0.4 s)"
    )
    assert isinstance(caught.value.__cause__, TransportError)


def test_a_transient_error_then_success_returns() -> None:
    time = FakeTime()
    answers: list[Any] = [HttpStatusError("GET u", "HTTP 200", 503, ""), "up"]

    def probe() -> str:
        answer = answers.pop(0)
        if isinstance(answer, ApiError):
            raise answer
        return str(answer)

    assert wait_until(probe, what="x", timeout=5.0, sleep=time.sleep, clock=time.clock).attempts == 2


def test_a_permanent_error_propagates_at_once() -> None:
    time = FakeTime()
    calls: list[int] = []

    def probe() -> None:
        calls.append(1)
        raise HttpStatusError("PATCH http://gw/actuator/cluster", "HTTP 202", 400, '{"message":"no"}')

    with pytest.raises(HttpStatusError):
        wait_until(probe, what="x", timeout=60.0, sleep=time.sleep, clock=time.clock)

    assert calls == [1]
    assert time.sleeps == []


def test_other_exceptions_propagate_untouched() -> None:
    time = FakeTime()

    def probe() -> None:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        wait_until(probe, what="x", timeout=60.0, sleep=time.sleep, clock=time.clock)


# -- §3.6: when has a change ended --------------------------------------------------------------------------------


def state(last: tuple[int, str] | None = None, pending: int | None = None) -> ClusterState:
    return ClusterState(
        version=1,
        brokers=(),
        last_change=CompletedChange(last[0], last[1], "t0", "t1") if last else None,
        pending_change=PendingChange(pending, "IN_PROGRESS", (), ()) if pending is not None else None,
    )


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        pytest.param(state(last=(3, "COMPLETED")), "COMPLETED", id="last-is-it-completed"),
        pytest.param(state(last=(3, "FAILED")), "FAILED", id="last-is-it-failed"),
        pytest.param(state(last=(3, "CANCELLED")), "CANCELLED", id="last-is-it-cancelled"),
        pytest.param(state(last=(4, "COMPLETED")), "SUPERSEDED", id="later-completed"),
        pytest.param(state(last=(2, "COMPLETED"), pending=3), None, id="pending"),
        pytest.param(state(last=(2, "COMPLETED")), None, id="not-started"),
        pytest.param(state(), None, id="nothing-yet"),
    ],
)
def test_change_outcome_follows_the_contract(cluster: ClusterState, expected: str | None) -> None:
    outcome = change_outcome(3, cluster)

    assert (outcome.status if outcome else None) == expected
    if outcome is not None:
        assert outcome.change_id == 3
        assert outcome.last_change == cluster.last_change
    assert ManagementClient.change_outcome(3, cluster) == outcome


def cluster_body(last: dict[str, Any] | None = None, pending: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"version": 5, "brokers": []}
    if last is not None:
        body["lastChange"] = last
    if pending is not None:
        body["pendingChange"] = pending
    return body


def pending_body(change_id: int, done: int, todo: int) -> dict[str, Any]:
    op = {"operation": "PARTITION_FORCE_RECONFIGURE", "brokerId": 0, "partitionId": 1, "brokers": [0, 2]}
    return {
        "id": change_id,
        "status": "IN_PROGRESS",
        "completed": [{**op, "completedAt": "t"}] * done,
        "pending": [op] * todo,
    }


def polling(bodies: list[dict[str, Any]]) -> tuple[ManagementClient, list[int]]:
    served: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        served.append(1)
        return httpx.Response(200, json=bodies[min(len(served), len(bodies)) - 1])

    return ManagementClient("http://gw:9600", transport=httpx.MockTransport(handle)), served


def test_wait_for_change_follows_a_change_to_completion() -> None:
    time = FakeTime()
    client, served = polling(
        [
            cluster_body(pending=pending_body(3, 1, 7)),
            cluster_body(pending=pending_body(3, 5, 3)),
            cluster_body(last={"id": 3, "status": "COMPLETED", "startedAt": "a", "completedAt": "b"}),
        ]
    )
    polled: list[int | None] = []

    outcome = client.wait_for_change(
        3,
        timeout=10.0,
        sleep=time.sleep,
        clock=time.clock,
        on_poll=lambda s: polled.append(s.pending_change.id if s.pending_change else None),
    )

    assert (outcome.status, len(served), polled) == ("COMPLETED", 3, [3, 3, None])
    assert outcome.last_change == CompletedChange(3, "COMPLETED", "a", "b")


def test_wait_for_change_reports_progress_when_it_times_out() -> None:
    time = FakeTime()
    client, _ = polling([cluster_body(last={"id": 2, "status": "COMPLETED"}, pending=pending_body(3, 5, 3))])

    with pytest.raises(WaitTimeout) as caught:
        client.wait_for_change(3, timeout=0.8, backoff=Backoff(0.2, 1.0, 0.2), sleep=time.sleep, clock=time.clock)

    assert str(caught.value) == (
        "change 3 at http://gw:9600/actuator/cluster: expected the change to end within 0.8 s, "
        "got change 3 still pending: 5 of 8 operations completed (after 5 attempts in 0.8 s)"
    )
    assert pytest.approx(sum(time.sleeps)) == 0.8


def test_wait_for_change_says_when_the_change_is_not_visible_yet() -> None:
    time = FakeTime()
    client, _ = polling([cluster_body(last={"id": 1, "status": "COMPLETED"})])

    with pytest.raises(WaitTimeout, match=r"got change 3 not seen yet \(last change 1 COMPLETED\)"):
        client.wait_for_change(3, timeout=0.0, sleep=time.sleep, clock=time.clock)


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_a_change_that_failed_or_was_cancelled_raises_change_failed(status: str) -> None:
    time = FakeTime()
    client, _ = polling([cluster_body(last={"id": 3, "status": status})])

    with pytest.raises(ChangeFailed) as caught:
        client.wait_for_change(3, timeout=5.0, sleep=time.sleep, clock=time.clock)

    assert (caught.value.change_id, caught.value.status, caught.value.transient) == (3, status, False)
    assert str(caught.value) == (
        f"change 3 at http://gw:9600/actuator/cluster: expected status COMPLETED, got status {status}"
    )


def test_a_superseded_change_counts_as_ended() -> None:
    time = FakeTime()
    client, _ = polling([cluster_body(last={"id": 7, "status": "COMPLETED"})])

    assert client.wait_for_change(3, timeout=5.0, sleep=time.sleep, clock=time.clock).status == "SUPERSEDED"


def test_an_unreachable_gateway_during_the_wait_is_retried_then_reported() -> None:
    time = FakeTime()

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    retry = RetryPolicy(sleep=time.sleep, clock=time.clock)
    client = ManagementClient("http://gw:9600", transport=httpx.MockTransport(refuse), retry=retry)
    with pytest.raises(WaitTimeout) as caught:
        client.wait_for_change(3, timeout=1.0, sleep=time.sleep, clock=time.clock)

    assert "got last error: GET http://gw:9600/actuator/cluster: expected HTTP 200, got ConnectError" in str(
        caught.value
    )
    assert "gave up after 4 attempts in 1.4 s" in str(caught.value)
    # one probe used its whole retry budget (1.4 s): the wait overran its 1 s bound by at most that much
    assert (caught.value.attempts, time.now) == (1, pytest.approx(1.4))


def test_pending_progress_counts_completed_and_pending_operations() -> None:
    op = Operation("PARTITION_JOIN", broker_id=1, partition_id=2, priority=3)

    assert PendingChange(4, "IN_PROGRESS", (op,), (op, op)).progress() == "1 of 3 operations completed"


@settings(max_examples=200, deadline=None)
@given(
    done_at=st.floats(min_value=0.0, max_value=900.0),
    probe_cost=st.floats(min_value=0.001, max_value=0.02),
    backoff=st.builds(
        Backoff,
        first=st.floats(min_value=0.05, max_value=5.0),
        factor=st.floats(min_value=1.0, max_value=4.0),
        cap=st.floats(min_value=0.05, max_value=60.0),
    ),
)
def test_whatever_the_backoff_a_completion_is_noticed_within_250_ms_or_10_percent(
    done_at: float, probe_cost: float, backoff: Backoff
) -> None:
    """Issue 8's detection bound, for any backoff a caller passes: the first probe that starts after the awaited
    thing happened ends within max(250 ms, 10 % of the time it took), with probes of up to 20 ms each."""
    time = FakeTime()

    def probe() -> float | None:
        started = time.now
        time.now += probe_cost
        return time.now if started >= done_at else None

    waited = wait_until(probe, what="x", timeout=1000.0, backoff=backoff, sleep=time.sleep, clock=time.clock)

    assert waited.value - done_at <= max(0.25, 0.1 * done_at)
