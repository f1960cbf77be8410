"""The management API (port 9600): `/actuator/cluster`, `/actuator/exporters`, `/actuator/exporting`.

Configuration writes are asynchronous: a 202 only says the change was planned. Completion is observed on
`GET /actuator/cluster` by the rule of contract §3.6 (`change_outcome`), never by "no pendingChange", which cannot
tell a completed change from a failed one or from one that has not started.

A configuration write is never repeated blindly, since a repeated PATCH could apply a change twice. It is retried
by observation instead: the newest change id is read before the write, and after a transient failure the cluster
shows whether the write landed (a newer change is pending or ended: that one is adopted, not sent again) or not
(sent again within the retry policy). A 409 (another change in progress) waits for that change to end, bounded by
the policy's `total`. This assumes the drill is the only writer: a change someone else starts at the same moment
is indistinguishable from ours.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import httpx

from drill.api.base import BaseClient, call_of, decode_json, json_or_none, message_of, parse
from drill.api.errors import ApiError, ChangeFailed, HttpStatusError, ProtocolError, WaitTimeout, WrappedStatusError
from drill.api.models import (
    ChangeOutcome,
    ClusterState,
    ExporterStatus,
    ExportingResult,
    Fields,
    PartitionStatus,
    PlannedChange,
    array,
    partition_statuses,
)
from drill.api.retry import Budget, RetryEvent, reason_of
from drill.api.waits import Backoff, wait_until

CLUSTER = "/actuator/cluster"
FAILED_STATUSES = ("FAILED", "CANCELLED")


def cluster_patch_body(
    add: Iterable[int] = (), remove: Iterable[int] = (), replication_factor: int | None = None
) -> dict[str, Any]:
    """The `PATCH /actuator/cluster` body with only the keys that are set, e.g. `{"brokers":{"remove":[1,3,5,7]}}`."""
    body: dict[str, Any] = {}
    brokers: dict[str, list[int]] = {}
    if add_list := sorted(set(add)):
        brokers["add"] = add_list
    if remove_list := sorted(set(remove)):
        brokers["remove"] = remove_list
    if brokers:
        body["brokers"] = brokers
    if replication_factor is not None:
        body["partitions"] = {"replicationFactor": replication_factor}
    return body


def cluster_patch_query(force: bool = False, dry_run: bool = False) -> dict[str, str]:
    """Query flags of a configuration write, only those that are on (`?force=true`, `?dryRun=true`)."""
    query: dict[str, str] = {}
    if force:
        query["force"] = "true"
    if dry_run:
        query["dryRun"] = "true"
    return query


def enable_exporter_body(initialize_from: str | None = None) -> dict[str, str]:
    """`{"initializeFrom": id}` continues the exporter from another one's position (failback); `{}` starts fresh."""
    return {} if initialize_from is None else {"initializeFrom": initialize_from}


def change_outcome(change_id: int, state: ClusterState) -> ChangeOutcome | None:
    """How change `change_id` ended according to `state`, or None while it is pending or not visible yet (§3.6)."""
    last = state.last_change
    if last is None:
        return None
    if last.id == change_id:
        return ChangeOutcome(change_id, last.status, last)
    if last.id > change_id:
        return ChangeOutcome(change_id, "SUPERSEDED", last)
    return None


def newest_change_id(state: ClusterState) -> int:
    """The newest change the cluster knows of, pending or ended; 0 before any change."""
    ids = [c.id for c in (state.last_change, state.pending_change) if c is not None]
    return max(ids, default=0)


def landed_change(state: ClusterState, baseline: int) -> int | None:
    """The change newer than `baseline` that `state` shows (pending first), or None: what a lost write did."""
    pending, last = state.pending_change, state.last_change
    if pending is not None and pending.id > baseline:
        return pending.id
    if last is not None and last.id > baseline:
        return last.id
    return None


def adopted_plan(state: ClusterState, change_id: int) -> PlannedChange:
    """A PlannedChange for a change whose 202 was lost: its operations while it is pending; the expected topology
    is unknown (it was only in the lost answer)."""
    pending = state.pending_change
    operations = pending.completed + pending.pending if pending is not None and pending.id == change_id else ()
    return PlannedChange(change_id, state.brokers, operations, (), raw=state.raw, adopted=True)


def _is_conflict(exc: ApiError) -> bool:
    return isinstance(exc, HttpStatusError) and not isinstance(exc, WrappedStatusError) and exc.status == 409


def describe_progress(change_id: int, state: ClusterState | None) -> str:
    """One line on where change `change_id` stands, for timeouts and progress logs."""
    if state is None:
        return f"change {change_id}: the cluster was never read"
    pending, last = state.pending_change, state.last_change
    if pending is not None and pending.id == change_id:
        return f"change {change_id} still pending: {pending.progress()}"
    seen = f"last change {last.id} {last.status}" if last is not None else "no change ended yet"
    if pending is not None:
        seen += f", change {pending.id} pending"
    return f"change {change_id} not seen yet ({seen})"


class ManagementClient(BaseClient):
    def _error_detail(self, response: httpx.Response) -> str | None:
        """`{"message": ...}`; some refusals (unknown exporter operation) are plain text."""
        body = json_or_none(response)
        if body is None:
            return response.text.strip() or None
        return message_of(body, "message", "error")

    # -- cluster -----------------------------------------------------------------------------------------------

    def cluster(self) -> ClusterState:
        call, body = self._get_json(CLUSTER)
        return parse(call, ClusterState.from_json, body)

    def patch_cluster(
        self,
        *,
        add: Iterable[int] = (),
        remove: Iterable[int] = (),
        replication_factor: int | None = None,
        force: bool = False,
        dry_run: bool = False,
    ) -> PlannedChange:
        return self._plan(
            "PATCH",
            CLUSTER,
            json=cluster_patch_body(add, remove, replication_factor),
            params=cluster_patch_query(force, dry_run),
            dry_run=dry_run,
        )

    def _plan(self, method: str, path: str, *, dry_run: bool, **kwargs: Any) -> PlannedChange:
        if dry_run:  # applies nothing, so it is repeated like a read
            return self._planned(method, path, idempotent=True, **kwargs)
        return self._write_observed(method, path, **kwargs)

    def _planned(self, method: str, path: str, **kwargs: Any) -> PlannedChange:
        call, body = self._call_json(method, path, expect=(202,), **kwargs)
        return parse(call, PlannedChange.from_json, body)

    def _write_observed(self, method: str, path: str, **kwargs: Any) -> PlannedChange:
        """Send a configuration write, retrying by observation (see the module docstring)."""
        budget = Budget(self.retry)
        try:
            baseline = newest_change_id(self.cluster())
        except ApiError as exc:
            raise exc.annotate(f"read before {method} {self.base_url}{path}, which was not sent") from exc.__cause__
        uncertain = False  # an earlier try failed after it may have reached the broker
        while True:
            budget.tries += 1
            try:
                response = self._exchange(method, path, expect=(202,), **kwargs)
                return parse(call_of(response.request), PlannedChange.from_json, decode_json(response))
            except ApiError as exc:
                error = exc
            conflict = _is_conflict(error)
            if error.transient or (uncertain and isinstance(error, HttpStatusError)):
                # A refusal after an uncertain try may be our own change refusing its twin ("already enabled").
                adopted = self._adopt_if_landed(error, budget, baseline)
                if adopted is not None:
                    return adopted
            if error.transient:
                uncertain = True
                delay = budget.next_delay()
                if delay is None:
                    error.annotate(f"the cluster showed no change newer than {baseline}")
                    budget.gave_up(error)
                    raise error
                self._retried(RetryEvent(error.call, budget.tries, str(error), delay, reason_of(error)))
                self.retry.sleep(delay)
            elif conflict and budget.tries < self.retry.attempts:
                adopted = self._await_no_pending(error, budget, baseline, uncertain)
                if adopted is not None:
                    return adopted
            else:
                if conflict:
                    budget.gave_up(error)
                raise error

    def _adopt_if_landed(self, error: ApiError, budget: Budget, baseline: int) -> PlannedChange | None:
        """The change a failed write made, if the cluster shows one newer than `baseline`; raises `error` when the
        cluster cannot be read, because then nobody knows whether sending again would apply it twice."""
        try:
            state = self.cluster()
        except ApiError as seen:
            error.transient = False
            error.annotate(f"not retried: the cluster could not be read to tell whether the write landed ({seen})")
            raise error from seen
        change = landed_change(state, baseline)
        if change is None:
            return None
        where = "pending" if state.pending_change is not None and state.pending_change.id == change else "ended"
        reason = f"adopted: change {change} is {where} (the newest was {baseline} before the write); not sent again"
        self._retried(RetryEvent(error.call, budget.tries, str(error), 0.0, reason, adopted=True))
        return adopted_plan(state, change)

    def _await_no_pending(
        self, error: ApiError, budget: Budget, baseline: int, uncertain: bool
    ) -> PlannedChange | None:
        """After a 409: poll until no change is pending, within what is left of the policy's `total`; return the
        adopted change if an earlier uncertain try turns out to have landed, None to send again."""
        policy = self.retry
        seen: list[ClusterState] = []

        def probe() -> ClusterState | None:
            state = self.cluster()
            seen[:] = [state]
            if uncertain and landed_change(state, baseline) is not None:
                return state
            return state if state.pending_change is None else None

        try:
            waited = wait_until(
                probe,
                what=f"no pending change at {self.base_url}{CLUSTER}",
                timeout=max(budget.remaining(), 0.0),
                backoff=policy.backoff(),
                sleep=policy.sleep,
                clock=policy.clock,
            )
        except WaitTimeout as timeout:
            pending = seen[0].pending_change if seen else None
            which = f"change {pending.id}" if pending is not None else "a change"
            error.annotate(f"{which} still pending after {policy.total:g} s")
            raise error from timeout
        change = landed_change(waited.value, baseline) if uncertain else None
        if change is not None:
            reason = f"adopted: change {change} appeared while waiting out the conflict; not sent again"
            self._retried(RetryEvent(error.call, budget.tries, str(error), round(waited.elapsed, 3), reason, True))
            return adopted_plan(waited.value, change)
        blocking = f"change {waited.value.last_change.id}" if waited.value.last_change else "the pending change"
        reason = f"conflict: HTTP 409, waited until {blocking} ended"
        self._retried(RetryEvent(error.call, budget.tries, str(error), round(waited.elapsed, 3), reason))
        return None

    def _retried(self, event: RetryEvent) -> None:
        if self.on_retry is not None:
            self.on_retry(event)

    # -- exporters ---------------------------------------------------------------------------------------------

    def exporters(self) -> tuple[ExporterStatus, ...]:
        call, body = self._get_json("/actuator/exporters")
        return parse(call, lambda data: tuple(ExporterStatus.from_json(e.raw, e.path) for e in array(data)), body)

    def partitions(self) -> dict[int, PartitionStatus]:
        """`GET /actuator/partitions`: broker-local, so it shows the replicas of the pod the service routed to."""
        call, body = self._get_json("/actuator/partitions")
        return parse(call, partition_statuses, body)

    def disable_exporter(self, exporter_id: str, *, dry_run: bool = False) -> PlannedChange:
        path = f"/actuator/exporters/{quote(exporter_id, safe='')}/disable"
        return self._plan("POST", path, params=cluster_patch_query(dry_run=dry_run), dry_run=dry_run)

    def enable_exporter(
        self, exporter_id: str, *, initialize_from: str | None = None, dry_run: bool = False
    ) -> PlannedChange:
        path = f"/actuator/exporters/{quote(exporter_id, safe='')}/enable"
        body = enable_exporter_body(initialize_from)
        return self._plan("POST", path, json=body or None, params=cluster_patch_query(dry_run=dry_run), dry_run=dry_run)

    # -- exporting ---------------------------------------------------------------------------------------------

    def pause_exporting(self, *, soft: bool = False) -> ExportingResult:
        return self._exporting("pause", {"soft": "true"} if soft else {})

    def resume_exporting(self) -> ExportingResult:
        return self._exporting("resume", {})

    def _exporting(self, action: str, params: dict[str, str]) -> ExportingResult:
        """Accept both answers of contract §5: a real 204, or 200 wrapping `{"status": 204}`; a wrapped failure
        (status 500 inside a 200) raises like a real one, because a harness that only checks "HTTP 20x" misses it.

        Retried like a read: pausing (or resuming) twice is harmless, and a failed call may have paused some
        partitions already, which only a successful repeat puts right (contract §5).
        """
        outcome: list[ExportingResult] = []

        def judge(response: httpx.Response) -> None:  # inside the attempt, so a wrapped 503 is retried too
            outcome[:] = [self._exporting_result(response)]

        self._send(
            "POST", f"/actuator/exporting/{action}", expect=(200, 204), params=params, idempotent=True, check=judge
        )
        return outcome[0]

    def _exporting_result(self, response: httpx.Response) -> ExportingResult:
        if response.status_code == 204:
            return ExportingResult("no-content", 204)
        call = call_of(response.request)
        data = decode_json(response)

        def read(body: Any) -> tuple[int, Any]:
            f = Fields(body)
            return f.int("status"), f.raw.get("body")

        status, inner = parse(call, read, data)
        if 200 <= status < 300:
            return ExportingResult("wrapped", status)
        detail = message_of(inner, "message") or (inner if isinstance(inner, str) else "")
        raise WrappedStatusError(
            call, "HTTP 204, or HTTP 200 wrapping a 2xx status", response.status_code, status, response.text, detail
        )

    # -- completion --------------------------------------------------------------------------------------------

    @staticmethod
    def change_outcome(change_id: int, state: ClusterState) -> ChangeOutcome | None:
        return change_outcome(change_id, state)

    def wait_for_change(
        self,
        change_id: int,
        *,
        timeout: float,
        backoff: Backoff | None = None,
        on_poll: Callable[[ClusterState], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> ChangeOutcome:
        """Poll the cluster until change `change_id` ended; COMPLETED or SUPERSEDED return, FAILED and CANCELLED
        raise ChangeFailed, and running out of `timeout` raises WaitTimeout with the change's progress."""
        last_state: list[ClusterState] = []

        def probe() -> ChangeOutcome | None:
            state = self.cluster()
            last_state[:] = [state]
            if on_poll is not None:
                on_poll(state)
            return change_outcome(change_id, state)

        what = f"change {change_id} at {self.base_url}{CLUSTER}"
        outcome = wait_until(
            probe,
            what=what,
            timeout=timeout,
            backoff=backoff,
            sleep=sleep,
            clock=clock,
            describe=lambda: describe_progress(change_id, last_state[0] if last_state else None),
            expected=f"the change to end within {timeout:g} s",
        ).value
        if outcome.status in FAILED_STATUSES:
            raise ChangeFailed(
                what,
                "status COMPLETED",
                f"status {outcome.status}",
                change_id=change_id,
                status=outcome.status,
            )
        if outcome.status not in ("COMPLETED", "SUPERSEDED"):
            raise ProtocolError(what, "lastChange.status COMPLETED, FAILED or CANCELLED", repr(outcome.status))
        return outcome
