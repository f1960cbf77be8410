"""Each step refuses to act when its current state does not hold and says why; each failure it guards against is caught.

Every case arranges one mistake or fault on the simulator, runs one step and asserts three things: the exception
(type, step, the failing checks by name with expected and seen, or the failed call and its status); that nothing
was done (the simulated deployment's footprint is unchanged, the journal has no action of the step, or none after
the failed one); and that the journal is still a valid chain that ends the step as failed, with the error.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from support.drill_harness import FAST, MakeDrill, SimDrill, run_until

from drill.evidence import verify_chain
from drill.procedure import catalog, loss
from drill.procedure.checks import ActionFailed, Check, StepError, StepFailed, StepRefused
from drill.procedure.runner import run_step

# The harness's FAST bounds with shorter observation windows: at time scale 0 the simulator exports at the next
# observation, so a probe that is going to be exported is seen at the first look, and every case runs in ~1 s.
QUICK = replace(FAST, export_visible=1, quiet_window=0.1)
REPOSITORY = "camunda_backup"
SNAPSHOT = "failback"
ALL_BROKERS = [0, 1, 2, 3, 4, 5, 6, 7]
ALL_PARTITIONS = [1, 2, 3, 4, 5, 6, 7, 8]
VOLUMES = [
    "data-camunda-elasticsearch-master-0",
    "data-camunda-zeebe-0",
    "data-camunda-zeebe-1",
    "data-camunda-zeebe-2",
    "data-camunda-zeebe-3",
]
LIST_VIEW_INDEX = "operate-list-view-8.3.0_"
SAME_INDICES = "both regions hold the same indices and document counts"
EXPORTER_STATES = "exporter states"


# -- arranging --------------------------------------------------------------------------------------------------


def control(drill: SimDrill, path: str, body: dict[str, Any] | None = None) -> Any:
    response = drill.control.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def es_url(drill: SimDrill, region: int) -> str:
    return str(drill.runtime.endpoints()[f"region{region}"]["elasticsearch"])


def crash_broker_pod(drill: SimDrill, region: int, pod: str) -> None:
    """A broker pod gone (the control API has no call for a single crash): its broker stops running."""
    sim = drill.runtime.sim
    drill.runtime.gate.call(lambda: sim.regions[region].pods.pop(pod))


# -- observing --------------------------------------------------------------------------------------------------


def snapshots(drill: SimDrill, region: int) -> dict[str, list[tuple[str, str]]]:
    """Each repository of the region's Elasticsearch with its snapshots and their states (plain httpx, unjournaled)."""
    with httpx.Client(base_url=es_url(drill, region), timeout=10) as es:
        repositories = es.get("/_snapshot")
        assert repositories.status_code == 200, repositories.text
        found = {}
        for repository in sorted(repositories.json()):
            listed = es.get(f"/_snapshot/{repository}/_all")
            assert listed.status_code == 200, listed.text
            found[repository] = [(s["snapshot"], s["state"]) for s in listed.json()["snapshots"]]
        return found


def footprint(drill: SimDrill) -> dict[str, Any]:
    """Everything a step could change: membership, cluster changes, exporters, the pause, releases, volumes,
    indices and snapshots. Not process instances nor document counts: the checks' probe instances add those."""
    state = drill.state()
    zeebe = state["zeebe"]
    regions = {}
    for name, region in state["regions"].items():
        release, es = region["release"], region["elasticsearch"]
        regions[name] = {
            "lost": region["lost"],
            "release": None if release is None else {"revision": release["revision"], "values": release["values"]},
            "volumes": region["volumes"],
            "indices": None if es is None else sorted(es["indices"]),
            "snapshots": snapshots(drill, int(name)) if region["servicesUp"] else None,
        }
    return {
        "members": zeebe["members"],
        "configVersion": zeebe["cluster"]["version"],
        "lastChange": zeebe["cluster"].get("lastChange"),
        "pendingChange": zeebe["cluster"].get("pendingChange"),
        "exporters": zeebe["exporters"],
        "exportingPaused": zeebe["exportingPaused"],
        "regions": regions,
    }


def exporter_states(drill: SimDrill) -> dict[str, str]:
    return {e["exporterId"]: e["status"] for e in drill.state()["zeebe"]["exporters"]}


def last_run(drill: SimDrill, step_id: str) -> list[dict[str, Any]]:
    """The journal records of the step's last run, from its step_start to its step_end."""
    records = drill.records()
    starts = [i for i, r in enumerate(records) if r["kind"] == "step_start" and r["step_id"] == step_id]
    assert starts, f"no step_start for {step_id}"
    run = records[starts[-1] :]
    ends = [i for i, r in enumerate(run) if r["kind"] == "step_end" and r["step_id"] == step_id]
    assert ends, f"no step_end for {step_id}"
    return run[: ends[0] + 1]


def failing(exc: StepError) -> dict[str, Any]:
    return {c.name: c.actual for c in exc.checks}


# -- the shared assertions --------------------------------------------------------------------------------------


def assert_journaled_failure(drill: SimDrill, exc: StepError) -> list[dict[str, Any]]:
    """The journal is still a valid chain and ends the step as refused (current state) or failed, with the error;
    returns the step's records."""
    report = verify_chain(drill.ctx.journal.path)
    assert report.records == len(drill.records())
    run = last_run(drill, exc.step_id)
    end = run[-1]
    status = "refused" if isinstance(exc, StepRefused) else "failed"
    assert (end["kind"], end["status"]) == ("step_end", status)
    assert end["error"] == f"{type(exc).__name__}: {exc}"
    return run


def refused(drill: SimDrill, step_id: str) -> StepRefused:
    """Run the step, which must refuse: it did nothing, says which checks failed, and journaled them."""
    before = footprint(drill)
    with pytest.raises(StepRefused) as info:
        run_step(drill.ctx, catalog.step(step_id, drill.ctx.params.variant))
    exc = info.value
    assert exc.step_id == step_id
    assert exc.checks, "a refusal names the checks that failed"
    message = str(exc)
    assert message.startswith(f"{step_id}: refused to act, current state does not hold: ")
    for check in exc.checks:  # each names what was expected next to what was seen
        assert check.line() in message
    assert footprint(drill) == before
    run = assert_journaled_failure(drill, exc)
    assert [r for r in run if r["kind"] == "action"] == []
    checks = [r for r in run if r["kind"] == "check"]
    assert {c["phase"] for c in checks} == {"current"}
    assert [(c["name"], c["verdict"]) for c in checks if c["verdict"] == "fail"] == [
        (c.name, "fail") for c in exc.checks
    ]
    return exc


def action_failed(drill: SimDrill, step_id: str, completed: tuple[str, ...] = ()) -> ActionFailed:
    """Run the step, which must stop at the action after the `completed` ones; nothing ran after it."""
    with pytest.raises(ActionFailed) as info:
        run_step(drill.ctx, catalog.step(step_id, drill.ctx.params.variant))
    exc = info.value
    assert exc.step_id == step_id
    assert exc.checks == ()
    assert str(exc) == f"{step_id}: {exc.action} failed: {exc.error}"
    run = assert_journaled_failure(drill, exc)
    actions = [(r["name"], r["status"]) for r in run if r["kind"] == "action"]
    assert actions == [
        *((name, status) for name in completed for status in ("started", "completed")),
        (exc.action, "started"),
        (exc.action, "failed"),
    ]
    # The failed action is the step's last record before step_end: no request, no action, no check after it.
    failed = run[-2]
    assert (failed["kind"], failed["status"], failed["error"]) == ("action", "failed", str(exc.error))
    assert all(r["phase"] == "current" for r in run if r["kind"] == "check")
    return exc


# -- failover ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lost", "zombie"),
    [pytest.param(1, False, id="before-the-loss-region-1"), pytest.param(0, True, id="zombie-region-0")],
)
def test_failover_1_refuses_to_force_remove_brokers_the_gateway_still_reaches(
    make_drill: MakeDrill, lost: int, zombie: bool
) -> None:
    drill = make_drill(lost, timeouts=QUICK)
    if zombie:  # the lost region comes back as it was: force-removing its brokers now would split the brain
        loss.lose_region(drill.ctx)
        control(drill, f"/regions/{lost}/return")
    lost_brokers = [b for b in ALL_BROKERS if b % 2 == lost]

    exc = refused(drill, "failover-1")

    assert failing(exc) == {
        "lost brokers unreachable (no split brain)": lost_brokers,
        "quorum lost: no partition has a leader": ALL_PARTITIONS,
    }
    assert f"lost brokers unreachable (no split brain): expected [], got {lost_brokers}" in str(exc)
    assert drill.state()["zeebe"]["members"] == ALL_BROKERS


def test_failover_1_refuses_a_second_run_once_the_lost_brokers_are_removed(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    loss.lose_region(drill.ctx)
    run_step(drill.ctx, catalog.step("failover-1"))
    change = drill.state()["zeebe"]["cluster"]["lastChange"]

    exc = refused(drill, "failover-1")

    # Processing resumed after the first run, so the quorum check fails too.
    assert failing(exc) == {
        "quorum lost: no partition has a leader": ALL_PARTITIONS,
        "lost brokers still cluster members": [],
    }
    assert "lost brokers still cluster members: expected [1, 3, 5, 7], got []" in str(exc)
    state = drill.state()["zeebe"]
    assert state["members"] == [0, 2, 4, 6]
    assert state["cluster"]["lastChange"] == change


def test_failover_2_refuses_before_failover_1_because_no_probe_can_be_created_without_quorum(
    make_drill: MakeDrill,
) -> None:
    drill = make_drill(timeouts=QUICK)
    loss.lose_region(drill.ctx)

    exc = refused(drill, "failover-2")

    name = "exporting stalled: a new instance does not reach Elasticsearch"
    assert list(failing(exc)) == [name]
    seen = failing(exc)[name]
    assert seen.startswith("could not observe: POST ")
    assert "/v2/deployments: expected HTTP 200, got HTTP 503" in seen
    assert "partition 1 has no leader" in seen
    assert f"{name}: expected not exported, got could not observe: " in str(exc)
    assert exporter_states(drill) == {"camundaregion0": "ENABLED", "camundaregion1": "ENABLED"}
    assert drill.state()["zeebe"]["members"] == ALL_BROKERS


# -- failback: refusals -----------------------------------------------------------------------------------------

NAMESPACE_CLEAN = "region 1's namespace is clean (no release, no volumes)"


def test_failback_1_refuses_while_the_lost_region_is_not_recreated(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-1")  # returns before recreating the region

    exc = refused(drill, "failback-1")

    assert failing(exc) == {NAMESPACE_CLEAN: {"reachable": False, "release": None, "volumes": []}}
    assert '"reachable": false' in str(exc)
    region = drill.state()["regions"]["1"]
    assert (region["lost"], region["pods"]) == (True, [])


def test_failback_1_refuses_a_namespace_that_still_holds_volumes(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-1")
    control(drill, "/regions/1/recreate")
    control(drill, "/regions/1/helm/install", {})
    control(drill, "/regions/1/helm/uninstall")  # helm uninstall keeps the persistent volumes

    exc = refused(drill, "failback-1")

    assert failing(exc) == {NAMESPACE_CLEAN: {"reachable": True, "release": None, "volumes": VOLUMES}}
    for volume in VOLUMES:
        assert volume in str(exc)
    region = drill.state()["regions"]["1"]
    assert (region["release"], region["volumes"], region["pods"]) == (None, VOLUMES, [])


def test_failback_3_refuses_while_operate_and_tasklist_run_in_the_surviving_region(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-2")  # failback-2 skipped

    exc = refused(drill, "failback-3")

    profiles = {"profiles": ["broker", "operate", "tasklist", "identity", "consolidated-auth"]}
    assert failing(exc) == {
        "Operate/Tasklist off in region 0 (pod log)": profiles,
        "Operate/Tasklist off in region 0 (configmap)": profiles,
    }
    state = drill.state()
    assert state["zeebe"]["exportingPaused"] is False
    assert state["regions"]["0"]["release"]["revision"] == 1


def test_failback_4_refuses_without_the_pause(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-3")  # failback-2 done, failback-3 skipped

    exc = refused(drill, "failback-4")

    name = "exporting paused (probe instance still not exported)"
    assert list(failing(exc)) == [name]
    assert failing(exc)[name].startswith("exported after ")
    assert drill.state()["zeebe"]["exportingPaused"] is False
    assert snapshots(drill, 0) == {}  # no repository, no snapshot


def test_failback_4_refuses_when_the_recreated_elasticsearch_holds_a_camunda_index(make_drill: MakeDrill) -> None:
    """The schema manager left on (or anyone) creating an index in the recreated region would fail the restore."""
    drill = make_drill(0, timeouts=QUICK)
    run_until(drill.ctx, "failback-4")
    created = httpx.put(f"{es_url(drill, 0)}/{LIST_VIEW_INDEX}")
    assert created.status_code == 200, created.text

    exc = refused(drill, "failback-4")

    assert failing(exc) == {
        "region 0's Elasticsearch holds no Camunda indices (the restore would conflict)": {LIST_VIEW_INDEX: 0}
    }
    missing = httpx.get(f"{es_url(drill, 1)}/_snapshot/{REPOSITORY}/_all")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "repository_missing_exception"
    assert snapshots(drill, 0) == {}
    assert drill.state()["regions"]["0"]["elasticsearch"]["indices"] == {LIST_VIEW_INDEX: 0}


def test_failback_4_refuses_while_the_surviving_elasticsearch_is_red(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-4")
    control(drill, "/faults", {"kind": "health", "region": 0, "status": "red"})

    exc = refused(drill, "failback-4")

    assert failing(exc) == {"surviving Elasticsearch healthy": "red"}
    assert snapshots(drill, 0) == {}


def test_failback_6_refuses_before_the_restore(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-4")  # paused, but no backup and no restore

    exc = refused(drill, "failback-6")

    assert list(failing(exc)) == [SAME_INDICES]
    surviving = drill.state()["regions"]["0"]["elasticsearch"]["indices"]
    assert failing(exc)[SAME_INDICES] == {
        index: {"surviving": docs, "recreated": None} for index, docs in sorted(surviving.items())
    }
    assert exporter_states(drill) == {"camundaregion0": "ENABLED", "camundaregion1": "DISABLED"}
    assert drill.state()["zeebe"]["exportingPaused"] is True


def test_failback_7_refuses_before_the_exporter_is_enabled(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-6")

    exc = refused(drill, "failback-7")

    assert failing(exc) == {EXPORTER_STATES: {"camundaregion0": "ENABLED", "camundaregion1": "DISABLED"}}
    assert 'expected {"camundaregion0": "ENABLED", "camundaregion1": "ENABLED"}' in str(exc)
    assert drill.state()["zeebe"]["exportingPaused"] is True


def test_failback_8_refuses_before_exporting_resumed(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-7")

    exc = refused(drill, "failback-8")

    name = "exporting running: a new instance reaches the surviving Elasticsearch"
    assert list(failing(exc)) == [name]
    assert failing(exc)[name].startswith("not exported: ")
    assert "expected success within 1 s, got no result yet" in failing(exc)[name]
    state = drill.state()["zeebe"]
    assert (state["members"], state["exportingPaused"]) == ([0, 2, 4, 6], True)


def test_failback_2_refuses_before_the_recreated_region_is_deployed(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-1")  # the region is still lost: nothing deployed there

    exc = refused(drill, "failback-2")

    assert failing(exc) == {
        "Operate/Tasklist off in region 1": "could not observe: sim region 1 (camunda-region1): read logs of pod "
        "camunda-zeebe-0 (GET /regions/1/pods/camunda-zeebe-0/logs): expected HTTP 200, got HTTP 503 Kubernetes "
        "cluster of region 1 is unreachable (region lost)"
    }
    assert drill.state()["regions"]["0"]["release"]["revision"] == 1


def test_failback_5_refuses_before_the_restore(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-4")

    exc = refused(drill, "failback-5")

    surviving = drill.state()["regions"]["0"]["elasticsearch"]["indices"]
    assert failing(exc) == {
        SAME_INDICES: {index: {"surviving": docs, "recreated": None} for index, docs in sorted(surviving.items())}
    }
    assert [drill.state()["regions"][r]["release"]["revision"] for r in ("0", "1")] == [2, 1]


# -- failures of actions ----------------------------------------------------------------------------------------


def test_failover_1_retries_a_503_from_the_cluster_patch_by_observation_then_stops(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    loss.lose_region(drill.ctx)
    control(
        drill,
        "/faults",
        {"kind": "status", "service": "management", "method": "PATCH", "path": "/actuator/cluster", "status": 503},
    )

    exc = action_failed(drill, "failover-1")

    assert exc.action == "force-remove the lost brokers [1, 3, 5, 7] from the Zeebe cluster"
    assert "/actuator/cluster?force=true: expected HTTP 202, got HTTP 503" in str(exc)
    assert "; the cluster showed no change newer than 0; gave up after 4 attempts in " in str(exc)
    run = last_run(drill, "failover-1")
    started = next(i for i, r in enumerate(run) if r["kind"] == "action")
    patches = [i for i, r in enumerate(run) if r["kind"] == "http" and r["method"] == "PATCH"]
    retries = [i for i, r in enumerate(run) if r["kind"] == "retry"]
    assert (len(patches), len(retries)) == (4, 3)
    assert {run[i]["status"] for i in patches} == {503}
    # each retry comes after the cluster showed the PATCH did not land, and before the next PATCH
    assert started < patches[0] < retries[0] < patches[1] < retries[1] < patches[2] < retries[2] < patches[3]
    assert patches[3] < len(run) - 2
    assert [(run[i]["attempt"], run[i]["delay_s"], run[i]["adopted"]) for i in retries] == [
        (1, 0.2, False),
        (2, 0.4, False),
        (3, 0.8, False),
    ]
    assert run[-2]["status"] == "failed"
    state = drill.state()
    assert state["zeebe"]["members"] == ALL_BROKERS
    assert "lastChange" not in state["zeebe"]["cluster"]
    assert [f["hits"] for f in state["faults"]] == [4]  # sent again only while the cluster showed no new change


def test_failover_2_stops_when_the_cluster_change_ends_failed(make_drill: MakeDrill) -> None:
    drill = make_drill(0, timeouts=QUICK)
    loss.lose_region(drill.ctx)
    run_step(drill.ctx, catalog.step("failover-1"))
    control(drill, "/faults", {"kind": "change"})

    exc = action_failed(drill, "failover-2")

    assert exc.action == "disable the exporter camundaregion0"
    assert str(exc).endswith("expected status COMPLETED, got status FAILED")
    state = drill.state()["zeebe"]
    assert state["cluster"]["lastChange"]["status"] == "FAILED"
    assert "pendingChange" not in state["cluster"]
    assert exporter_states(drill) == {"camundaregion0": "ENABLED", "camundaregion1": "ENABLED"}
    assert state["members"] == [1, 3, 5, 7]


def test_failback_4_stops_at_a_partial_snapshot_before_registering_or_restoring_anything(
    make_drill: MakeDrill,
) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-4")
    control(drill, "/faults", {"kind": "snapshot", "region": 0, "state": "PARTIAL"})

    exc = action_failed(
        drill, "failback-4", completed=("register the snapshot repository in the surviving region's Elasticsearch",)
    )

    assert exc.action == "snapshot the surviving region's Elasticsearch (wait for completion)"
    assert str(exc).endswith(
        f"snapshot {REPOSITORY}/{SNAPSHOT}: expected state SUCCESS with 0 failed shards, got state PARTIAL, "
        "1 failed shard(s)"
    )
    assert snapshots(drill, 0) == {REPOSITORY: [(SNAPSHOT, "PARTIAL")]}
    assert snapshots(drill, 1) == {}  # the repository was never registered in the recreated region
    assert drill.state()["regions"]["1"]["elasticsearch"]["indices"] == {}


def test_failback_3_stops_when_the_pause_answers_500(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-3")
    spec = {"kind": "status", "service": "management", "path": "/actuator/exporting/pause", "status": 500}
    control(drill, "/faults", spec)

    exc = action_failed(drill, "failback-3")

    assert exc.action == "pause exporting on all partitions"
    assert "POST http://" in str(exc)
    assert (
        "/actuator/exporting/pause: expected HTTP 200 or 204, got HTTP 500 injected fault 1: status on management "
        "POST /actuator/exporting/pause"
    ) in str(exc)
    assert drill.state()["zeebe"]["exportingPaused"] is False


def test_failback_3_refuses_while_a_surviving_broker_is_down(make_drill: MakeDrill) -> None:
    """The pause needs the whole topology (it would answer a 500, wrapped in a 200 on newer patches): the step
    sees the unhealthy partitions first and does not send it."""
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-3")
    control(drill, "/settings", {"exportingResponse": "wrapped"})
    crash_broker_pod(drill, 0, "camunda-zeebe-1")

    exc = refused(drill, "failback-3")

    assert [c.name for c in exc.checks] == ["every partition led, healthy, 2 replicas"]
    assert drill.state()["zeebe"]["exportingPaused"] is False


# -- the desired state not reached ------------------------------------------------------------------------------


def test_failback_4_fails_when_the_restored_elasticsearch_does_not_turn_green(make_drill: MakeDrill) -> None:
    drill = make_drill(timeouts=replace(QUICK, health=0.3))
    run_until(drill.ctx, "failback-4")
    control(drill, "/faults", {"kind": "health", "region": 1, "status": "red"})

    with pytest.raises(StepFailed) as info:
        run_step(drill.ctx, catalog.step("failback-4"))

    exc = info.value
    assert exc.step_id == "failback-4"
    assert [(c.name, c.passed) for c in exc.checks] == [("recreated Elasticsearch green", False)]
    check: Check = exc.checks[0]
    assert check.actual.startswith("could not observe: recreated Elasticsearch green: expected success within 0.3 s")
    run = assert_journaled_failure(drill, exc)
    assert [r["status"] for r in run if r["kind"] == "action"] == ["started", "completed"] * 4
    desired = [(c["name"], c["verdict"]) for c in run if c["kind"] == "check" and c["phase"] == "desired"]
    assert ("recreated Elasticsearch green", "fail") in desired
    assert ("both regions hold the same indices and document counts", "pass") in desired


# -- a retry after a failure ----------------------------------------------------------------------------------


def test_failback_4_retried_after_a_partial_snapshot_refuses_naming_the_leftover_snapshot(
    make_drill: MakeDrill,
) -> None:
    drill = make_drill(timeouts=QUICK)
    run_until(drill.ctx, "failback-4")
    control(drill, "/faults", {"kind": "snapshot", "region": 0, "state": "PARTIAL"})
    with pytest.raises(ActionFailed):
        run_step(drill.ctx, catalog.step("failback-4"))

    exc = refused(drill, "failback-4")

    assert SNAPSHOT in str(exc)
    assert "PARTIAL" in str(exc)
