"""Runs each case as a whole drill on its own fresh simulator, through the same DrillSession the feature files use.

The session blocks every stage after the first one that stops, exactly as in `c8-drill run`; the engine adds
only the case's changes (a step order, an operator's actions, faults armed before a stage) and journals each
change it makes, so a case's journal shows both the fault and the drill's reaction to it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from drill.api.retry import RetryPolicy
from drill.api.transport import http_client
from drill.drill_session import DrillSession, DrillSettings
from drill.evidence.journal import read_journal
from drill.procedure.context import ClientOptions
from drill.procedure.params import DrillParams, Timeouts
from drill.procedure.stages import drill_sequence
from drill.prove.cases import CONTROL, HARMLESS, Case, Expect, mistakes, omissions, swaps
from drill.prove.faults import (
    Endpoint,
    FirstCall,
    called_endpoints,
    endpoint_cases,
    state_cases,
    transient_cases,
)
from drill.prove.verdict import Row, judge
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime
from drill.targets import OpenTarget, sim_target

# Tighter than a plain simulator drill: at time scale 0 every healthy wait ends at its next observation, so these
# only bound how long a fault takes to be caught (a hang costs at most a client timeout per attempt).
PROVE_TIMEOUTS = Timeouts(change=3, export_visible=2, quiet_window=0.1, snapshot=5, readiness=2, health=2)
CLIENT_TIMEOUT = 0.5
# Enough to absorb the blip cases (503 twice), small enough that a persistent fault is caught within a second.
PROVE_RETRY = RetryPolicy(attempts=3, first=0.05, factor=2.0, cap=0.2, total=1.0)
BASELINE = Case("baseline", CONTROL, "the unmutated drill", Expect(HARMLESS), why="the control: every check passes")


class ArmError(Exception):
    """The simulator refused a fault the case wanted to arm: the case proves nothing, so prove stops."""


@dataclass
class SimArmory:
    params: DrillParams
    endpoints: dict[str, Any]
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = http_client(base_url=self.endpoints["control"], timeout=5.0)

    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, path, json=body)
        if response.status_code >= 400:
            raise ArmError(f"{method} {path}: expected success, got HTTP {response.status_code} {response.text}")
        return response.json()

    def es_put(self, region: int, path: str) -> None:
        url = self.endpoints[f"region{region}"]["elasticsearch"]
        response = httpx.put(url + path, timeout=5.0)
        if response.status_code >= 400:
            raise ArmError(f"PUT {url}{path}: expected success, got HTTP {response.status_code} {response.text}")

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class ProveSettings:
    out_dir: Path
    lost_region: int = 1
    variant: str = "seed"
    timeouts: Timeouts = PROVE_TIMEOUTS
    client_timeout: float = CLIENT_TIMEOUT


def slug(case_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", case_id).strip("_")


def _open_sim(timeouts: Timeouts) -> tuple[OpenTarget, dict[str, Any]]:
    runtime = SimRuntime(SimSettings(time_scale=0))
    endpoints = runtime.endpoints()
    return sim_target(
        endpoints, timeouts=timeouts, auth=httpx.BasicAuth("demo", "demo"), closers=[runtime.close]
    ), endpoints


def run_case(case: Case, settings: ProveSettings) -> Row:
    """One drill with the case applied; the row is judged from its journal."""
    started = time.monotonic()
    target, endpoints = _open_sim(settings.timeouts)
    drill_settings = DrillSettings(
        params=DrillParams(lost_region=settings.lost_region, variant=settings.variant),
        report_dir=settings.out_dir / "cases" / slug(case.id),
        operator="c8-drill prove",
    )
    session = DrillSession(
        drill_settings,
        settings.lost_region,
        target=target,
        sequence=case.sequence(drill_sequence(settings.variant)),
        client_options=ClientOptions(
            gateway_auth=target.gateway_auth, timeout=settings.client_timeout, retry=PROVE_RETRY
        ),
    )
    armory: SimArmory | None = None
    try:  # from here on an interrupt still ends the journal (DrillSession itself covers its start)
        armory = SimArmory(session.params, endpoints)
        session.journal.append(
            "prove_case", case=case.id, title=case.title, expected=case.expect.to_json(), endpoints=endpoints
        )
        _drive(session, case, armory)
    finally:
        with _deaf_to_interrupts():
            if armory is not None:
                armory.close()
            session.finish(reports=False)
    return judge(case, session.journal_path, seconds=time.monotonic() - started)


@contextlib.contextmanager
def _deaf_to_interrupts() -> Iterator[None]:
    """Ignore SIGINT while a drill's evidence is closed; Ctrl-C reaches the workers and, through `prove`, a second
    time. Only the main thread may set handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _drive(session: DrillSession, case: Case, armory: SimArmory) -> None:
    """The stages in order, as the feature files run them: Given, When, Then, and blocking after a stop."""
    for step in session.sequence:
        for arm in (a for a in case.arms if a.before == step.id):
            if session.stopped_by is None:
                session.journal.append("fault_armed", before=step.id, what=arm.what)
                arm.apply(armory)
        if session.begin_stage(step.id) is not None:
            continue
        error: BaseException | None = None
        try:
            session.current()
            override = case.actions.get(step.id)
            session.act(override(session.params) if override is not None else None)
            session.desired()
        except KeyboardInterrupt as exc:
            with _deaf_to_interrupts():  # a second Ctrl-C must not cut the journal's end short
                session.end_stage(exc)
            raise
        except Exception as exc:  # a step error, or a harness bug: both end the stage as failed, with the reason
            error = exc
        session.end_stage(error)


def baseline(settings: ProveSettings) -> tuple[Row, dict[Endpoint, FirstCall]]:
    """The unmutated drill; the endpoints it called become the endpoint fault cases."""
    row = run_case(BASELINE, settings)
    if not row.ok:
        return row, {}
    records = read_journal(Path(row.journal))
    endpoints = next(r for r in records if r.get("kind") == "prove_case")["endpoints"]
    return row, called_endpoints(records, endpoints)


def all_cases(settings: ProveSettings, called: Mapping[Endpoint, FirstCall]) -> list[Case]:
    params = DrillParams(lost_region=settings.lost_region, variant=settings.variant)
    cases = [*omissions(), *swaps(), *mistakes(), *state_cases(), *transient_cases(), *endpoint_cases(called, params)]
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ValueError(f"two prove cases are named {case.id!r}")
        seen.add(case.id)
    return cases


# -- workers: cases hold callables, so a worker rebuilds the same list and is sent only case ids ----------------

_worker_cases: dict[str, Case] = {}
_worker_settings: list[ProveSettings] = []


def _init_worker(settings: ProveSettings, called: dict[Endpoint, FirstCall]) -> None:
    _worker_settings[:] = [settings]
    _worker_cases.clear()
    _worker_cases.update({case.id: case for case in all_cases(settings, called)})


def _run_by_id(case_id: str) -> Row:
    return run_case(_worker_cases[case_id], _worker_settings[0])


def prove(
    settings: ProveSettings,
    *,
    select: Callable[[Case], bool] | None = None,
    on_row: Callable[[Row], None] | None = None,
    workers: int = 1,
) -> list[Row]:
    """The baseline first (without a passing control drill no detection means anything), then every selected
    case, each on its own simulator; with `workers` > 1 in that many processes. Rows come back in case order."""
    report = on_row or (lambda row: None)
    first, called = baseline(settings)
    report(first)
    if not first.ok:
        return [first]
    cases = [case for case in all_cases(settings, called) if select is None or select(case)]
    if workers <= 1 or len(cases) <= 1:
        rows = []
        for case in cases:
            rows.append(run_case(case, settings))
            report(rows[-1])
        return [first, *rows]
    order = {case.id: i for i, case in enumerate(cases)}
    done: list[Row] = []
    # forkserver, not fork: forking this process could copy a lock some other thread holds (an embedding test
    # runner, a closing server); the fork server is single-threaded and has the engine imported already.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["drill.prove.engine"])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(settings, called))
    try:
        futures = [pool.submit(_run_by_id, case.id) for case in cases]
        for future in as_completed(futures):
            done.append(future.result())
            report(done[-1])
    except BaseException:
        # Ctrl-C reaches the workers too (same process group); SIGTERM reaches only us, so pass it on: each
        # worker ends its current stage, writes its journal's end and stops.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [first, *sorted(done, key=lambda row: order[row.case])]
