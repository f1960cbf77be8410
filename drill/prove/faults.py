"""Faults of the deployment, injected into the simulator while a drill runs.

Endpoint faults are derived from a real run, not from a hand-kept list: every endpoint the ten steps called in the
baseline drill gets a persistent 503 and a hang, armed right before the first step that calls it, and must be
caught in the phase (Given, When, Then) that first called it; a new call in the procedure is covered the day it
is written. Model faults (a change or snapshot ending badly, Elasticsearch going red, the lost region coming back,
a restore conflict) are the failures the procedure document warns of.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from drill.procedure.actions import Action, RestoreSnapshot
from drill.procedure.catalog import step as procedure_step
from drill.procedure.catalog import steps as procedure_steps
from drill.procedure.context import DrillContext
from drill.procedure.params import DrillParams
from drill.prove.cases import FAULT, HARMLESS, TOLERATED, Arm, Armory, Case, Expect, caught

SERVICES = ("gateway", "management", "elasticsearch")
_KEY = re.compile(r"^[0-9]+$")
# An index the schema manager (or a stray Operate) would create; its presence makes the restore conflict.
CONFLICTING_INDEX = "operate-list-view-8.3.0_"


@dataclass(frozen=True, order=True)
class Endpoint:
    """An endpoint as the simulator's fault book matches it: service, region, method and a path pattern."""

    service: str
    region: int
    method: str
    path: str

    def label(self, params: DrillParams) -> str:
        role = "surviving" if self.region == params.surviving_region else "recreated"
        return f"{self.method} {self.path} on the {role} region's {self.service}"


@dataclass(frozen=True)
class FirstCall:
    step: str
    phase: str


def _pattern(path: str) -> str:
    """Keys in paths (instance keys) differ per run: match any."""
    return "/".join("*" if _KEY.match(part) else part for part in path.split("/"))


def _phases(step_records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The phase of each record of one step: before its first action the Given, up to its last action the When,
    after it the Then."""
    actions = [i for i, r in enumerate(step_records) if r.get("kind") == "action"]
    first, last = (actions[0], actions[-1]) if actions else (len(step_records), -1)
    return ["current" if i < first else "action" if i <= last else "desired" for i in range(len(step_records))]


def called_endpoints(records: Sequence[Mapping[str, Any]], endpoints: Mapping[str, Any]) -> dict[Endpoint, FirstCall]:
    """Each endpoint the procedure's ten steps called in a journal, with the step and phase that first called it."""
    bases = {
        urlsplit(str(url)).netloc: (service, int(name.removeprefix("region")))
        for name, urls in endpoints.items()
        if name.startswith("region") and isinstance(urls, Mapping)
        for service, url in urls.items()
        if service in SERVICES
    }
    first: dict[Endpoint, FirstCall] = {}
    for step in procedure_steps():
        own = [r for r in records if r.get("step") == step.id]
        for record, phase in zip(own, _phases(own), strict=True):
            url = urlsplit(str(record.get("url", "")))
            if record.get("kind") != "http" or url.netloc not in bases:
                continue
            service, region = bases[url.netloc]
            endpoint = Endpoint(service, region, str(record.get("method")), _pattern(url.path))
            first.setdefault(endpoint, FirstCall(step.id, phase))
    return first


def _arm_fault(spec: dict[str, Any], what: str, before: str) -> Arm:
    return Arm(before, what, lambda armory: armory.control("POST", "/faults", spec))


def endpoint_cases(called: Mapping[Endpoint, FirstCall], params: DrillParams) -> list[Case]:
    """A persistent 503 and a hang on each endpoint, each caught where the endpoint is first called."""
    order = [s.id for s in procedure_steps()]
    cases = []
    for endpoint, at in sorted(called.items(), key=lambda item: (order.index(item[1].step), item[0])):
        spec = {
            "service": endpoint.service,
            "region": endpoint.region,
            "method": endpoint.method,
            "path": endpoint.path,
        }
        label = endpoint.label(params)
        for name, fault, title in (
            ("503", {"kind": "status", "status": 503}, "answers 503 to every call"),
            ("hang", {"kind": "hang"}, "never answers"),
        ):
            cases.append(
                Case(
                    f"{name} {endpoint.service}{endpoint.region} {endpoint.method} {endpoint.path}",
                    FAULT,
                    f"{label} {title} from {at.step} on",
                    caught(at.step, at.phase),
                    arms=(_arm_fault({**spec, **fault}, f"{name} on {label}", at.step),),
                    why="retried where that is safe, within its bound; then the step stops and names the call",
                )
            )
    return cases


# -- faults of the deployment's state ---------------------------------------------------------------------------


class CreateIndexFirst(Action):
    """Injected into failback-4: an index appears in the recreated Elasticsearch between the snapshot and the
    restore (a schema manager or an Operate that started meanwhile), so the restore conflicts."""

    def __init__(self, inner: Action) -> None:
        self.inner = inner

    def describe(self) -> str:
        return f"[fault] index {CONFLICTING_INDEX} appears in the recreated region, then: {self.inner.describe()}"

    def shell(self, params: DrillParams) -> list[str]:
        return self.inner.shell(params)

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        ctx.recreated.es.http.put(f"/{CONFLICTING_INDEX}")
        return self.inner.run(ctx)


def _conflict_mid_restore(params: DrillParams) -> list[Action]:
    actions = procedure_step("failback-4", params.variant).actions(params)
    return [CreateIndexFirst(a) if isinstance(a, RestoreSnapshot) else a for a in actions]


def _index_in_recreated(armory: Armory) -> None:
    armory.es_put(armory.params.lost_region, f"/{CONFLICTING_INDEX}")


def _zombie(armory: Armory) -> None:
    armory.control("POST", f"/regions/{armory.params.lost_region}/return")


def _surviving_red(armory: Armory) -> None:
    armory.control("POST", "/faults", {"kind": "health", "region": armory.params.surviving_region, "status": "red"})


def _snapshot(state: str) -> Arm:
    def arm(armory: Armory) -> None:
        armory.control(
            "POST", "/faults", {"kind": "snapshot", "region": armory.params.surviving_region, "state": state}
        )

    return Arm("failback-4", f"the next snapshot in the surviving region ends {state}", arm)


def _change_fails(step: str) -> Arm:
    return Arm(
        step,
        "the next cluster change ends FAILED",
        lambda armory: armory.control("POST", "/faults", {"kind": "change"}),
    )


def state_cases() -> list[Case]:
    cases = [
        Case(
            f"change-failed {step}",
            FAULT,
            f"the cluster change made by {step} ends FAILED",
            caught(step, "action"),
            arms=(_change_fails(step),),
            why="the change is awaited to its end and a FAILED end stops the step",
        )
        for step in ("failover-1", "failover-2", "failback-6", "failback-8")
    ]
    cases += [
        Case(
            f"snapshot-{state.lower()}",
            FAULT,
            f"the snapshot of the surviving Elasticsearch ends {state}",
            caught("failback-4", "action"),
            arms=(_snapshot(state),),
            why="the snapshot is awaited and must end SUCCESS with no failed shard before anything is restored",
        )
        for state in ("PARTIAL", "FAILED")
    ]
    cases += [
        Case(
            "restore-conflict before",
            FAULT,
            "the recreated Elasticsearch already holds a Camunda index when failback-4 starts",
            caught("failback-4", "current"),
            arms=(
                Arm("failback-4", f"index {CONFLICTING_INDEX} created in the recreated region", _index_in_recreated),
            ),
            why="the restore would fail with snapshot_restore_exception; the Given refuses first",
        ),
        Case(
            "restore-conflict during",
            FAULT,
            "a Camunda index appears in the recreated Elasticsearch between the snapshot and the restore",
            caught("failback-4", "action"),
            actions={"failback-4": _conflict_mid_restore},
            why="the restore's error is reported with Elasticsearch's reason",
        ),
        Case(
            "es-red surviving",
            FAULT,
            "the surviving region's Elasticsearch turns red in the middle of the failback",
            caught("failback-4", "current"),
            arms=(Arm("failback-3", "surviving Elasticsearch health forced red", _surviving_red),),
            why="no backup is taken of a red cluster",
        ),
        Case(
            "zombie before fence",
            FAULT,
            "the lost region comes back before it is fenced",
            caught("fence-lost-region", "current"),
            arms=(Arm("fence-lost-region", "the lost region returns as it was", _zombie),),
            why="its brokers answer again: fencing, rerouting or force-removing them now would split the brain",
        ),
        # Once fenced (fence-lost-region), a region that returns stays cut off: these two used to be caught at
        # failover-1 and failover-2; now the drill goes on, and region-recreate wipes the region before the lift.
        Case(
            "zombie before failover-1",
            FAULT,
            "the lost region comes back, fenced, before its brokers are removed",
            Expect(HARMLESS),
            arms=(Arm("failover-1", "the lost region returns as it was", _zombie),),
            why="the fence keeps its brokers and gateway cut off; region-recreate wipes it before lifting the fence",
        ),
        Case(
            "zombie during failover",
            FAULT,
            "the lost region comes back, fenced, after its brokers were removed, before its exporter is disabled",
            Expect(HARMLESS),
            arms=(Arm("failover-2", "the lost region returns as it was", _zombie),),
            why="the fence keeps it from exporting or rejoining; region-recreate wipes it before lifting the fence",
        ),
    ]
    return cases


def transient_cases() -> list[Case]:
    """Blips that a bounded retry must absorb: the drill passes, and the journal shows the retries."""
    blips = (
        ("failover-1", {"service": "management", "method": "PATCH", "path": "/actuator/cluster"}, "the broker removal"),
        ("failover-1", {"service": "gateway", "method": "GET", "path": "/v2/topology"}, "the topology read"),
        ("failback-3", {"service": "management", "method": "POST", "path": "/actuator/exporting/pause"}, "the pause"),
        ("failback-4", {"service": "elasticsearch", "method": "GET", "path": "/_cluster/health"}, "the health read"),
    )
    cases = []
    for step, spec, what in blips:

        def arm(armory: Armory, spec: dict[str, Any] = spec) -> None:
            region = armory.params.surviving_region
            armory.control("POST", "/faults", {**spec, "region": region, "kind": "status", "status": 503, "times": 2})

        cases.append(
            Case(
                f"blip {spec['method']} {spec['path']}",
                FAULT,
                f"{what} answers 503 twice, then recovers ({step})",
                Expect(TOLERATED),
                arms=(Arm(step, f"503 twice on {spec['method']} {spec['path']}", arm),),
                why="a transient error is retried with backoff; a write only after seeing it did not land",
            )
        )
    return cases
