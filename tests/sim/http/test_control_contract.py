"""The simulator's control API over real HTTP: what kubectl, helm and the cloud would do, and fault injection."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from drill.sim.runtime import SimRuntime

ODD = [1, 3, 5, 7]
REGION1_VOLUMES = [
    "data-camunda-elasticsearch-master-0",
    "data-camunda-zeebe-0",
    "data-camunda-zeebe-1",
    "data-camunda-zeebe-2",
    "data-camunda-zeebe-3",
]
THREE_PROFILES = 'The following 3 profiles are active: "broker", "identity", "consolidated-auth"'
SCHEMA_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"
FS_REPOSITORY = {"type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots"}}


def region_urls(runtime: SimRuntime, region: int) -> dict[str, str]:
    return dict(runtime.endpoints()[f"region{region}"])


def probe(url: str) -> httpx.Response:
    """One request on a fresh connection (no pooled keep-alive), as a new client would make."""
    return httpx.get(url, auth=("demo", "demo"), timeout=2.0)


def service_probes(runtime: SimRuntime, region: int) -> dict[str, str]:
    urls = region_urls(runtime, region)
    return {
        "gateway": f"{urls['gateway']}/v2/topology",
        "management": f"{urls['management']}/actuator/cluster",
        "elasticsearch": f"{urls['elasticsearch']}/",
    }


def assert_refused(runtime: SimRuntime, region: int) -> None:
    for url in service_probes(runtime, region).values():
        with pytest.raises(httpx.ConnectError):
            probe(url)


def assert_answering(runtime: SimRuntime, region: int) -> None:
    for service, url in service_probes(runtime, region).items():
        assert probe(url).status_code == 200, service


def recovery_install(control: httpx.Client, *, schema_manager: bool = False) -> httpx.Response:
    """Failback step 1: the original values, Operate/Tasklist off, schema creation off (appended to the env)."""
    env = control.get("/regions/1/helm/default-values").json()["orchestration"]["env"]
    n = len(env)
    body: dict[str, Any] = {"set": ["orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"]}
    if not schema_manager:
        body["setString"] = [f"orchestration.env[{n}].name={SCHEMA_ENV}", f"orchestration.env[{n}].value=false"]
    return control.post("/regions/1/helm/install", json=body)


def region_state(control: httpx.Client, region: int) -> dict[str, Any]:
    return dict(control.get("/state").json()["regions"][str(region)])


def index_names(runtime: SimRuntime, region: int) -> list[str]:
    response = httpx.get(f"{region_urls(runtime, region)['elasticsearch']}/_cat/indices", params={"format": "json"})
    assert response.status_code == 200
    return [row["index"] for row in response.json()]


# -- GET /state and /endpoints ---------------------------------------------------------------------------------


def test_state_describes_settings_both_regions_and_the_zeebe_cluster(control) -> None:
    response = control.get("/state")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"settings", "regions", "public", "zeebe", "faults"}
    assert body["public"] == {"routesTo": 0}
    assert body["settings"] == {
        "clusterSize": 8,
        "partitions": 8,
        "replicationFactor": 4,
        "timeScale": 0.0,
        "exportingResponse": "no-content",
        "legacyExporters": False,
    }
    assert sorted(body["regions"]) == ["0", "1"]
    for region_id, region in body["regions"].items():
        assert set(region) == {
            "namespace", "lost", "fenced", "servicesUp", "release", "volumes", "pods", "elasticsearch"
        }  # fmt: skip
        assert region["namespace"] == f"camunda-region{region_id}"
        assert region["lost"] is region["fenced"] is False
        assert region["servicesUp"] is True
        assert region["release"]["name"] == "camunda"
        assert region["release"]["revision"] == 1
        assert region["release"]["status"] == "deployed"
        assert region["release"]["values"]["global"]["multiregion"]["regionId"] == int(region_id)
        assert len(region["volumes"]) == 5
        assert len(region["pods"]) == 5
        assert set(region["elasticsearch"]) == {"indices", "health"}
    zeebe = body["zeebe"]
    assert zeebe["members"] == list(range(8))
    assert zeebe["running"] == list(range(8))
    assert sorted(zeebe["leaders"], key=int) == [str(p) for p in range(1, 9)]
    assert all(leader is not None for leader in zeebe["leaders"].values())
    assert zeebe["replicationFactor"] == 4
    assert zeebe["exportingPaused"] is False
    assert zeebe["exporters"] == [
        {"exporterId": "camundaregion0", "status": "ENABLED"},
        {"exporterId": "camundaregion1", "status": "ENABLED"},
    ]
    assert set(zeebe["cluster"]) == {"version", "brokers"}
    assert body["faults"] == []


def test_endpoints_are_the_runtimes_own_urls(runtime, control) -> None:
    response = control.get("/endpoints")

    assert response.status_code == 200
    assert response.json() == runtime.endpoints()


def test_an_unknown_region_is_404(control) -> None:
    response = control.post("/regions/2/lose")

    assert response.status_code == 404
    assert response.json() == {"error": "Expected region 0 or 1, got '2'"}


# -- losing and recreating a region ----------------------------------------------------------------------------


def test_a_lost_region_refuses_connections_while_the_other_keeps_answering(runtime, control) -> None:
    response = control.post("/regions/1/lose")

    assert response.status_code == 200
    assert response.json() == {"region": 1, "lost": True}
    assert_refused(runtime, 1)
    assert_answering(runtime, 0)
    state = region_state(control, 1)
    assert state["lost"] is True
    assert state["servicesUp"] is False


def test_losing_a_region_twice_is_a_conflict(control) -> None:
    control.post("/regions/1/lose")

    response = control.post("/regions/1/lose")

    assert response.status_code == 409
    assert "already lost" in response.json()["error"]


def test_recreating_a_region_that_is_not_lost_is_a_conflict(runtime, control) -> None:
    response = control.post("/regions/1/recreate")

    assert response.status_code == 409
    assert "not lost" in response.json()["error"]
    assert region_state(control, 1)["release"] is not None
    assert_answering(runtime, 1)


def test_a_recreated_region_is_empty_and_still_refuses_connections(runtime, control) -> None:
    control.post("/regions/1/lose")

    response = control.post("/regions/1/recreate")

    assert response.status_code == 200
    assert response.json() == {"region": 1, "recreated": True, "release": None, "volumes": []}
    state = region_state(control, 1)
    assert state["release"] is None
    assert state["volumes"] == []
    assert state["pods"] == []
    assert state["elasticsearch"] is None
    assert_refused(runtime, 1)


def test_installing_camunda_in_a_recreated_region_serves_it_again_on_the_same_urls(runtime, control) -> None:
    before = runtime.endpoints()
    control.post("/regions/1/lose")
    control.post("/regions/1/recreate")

    response = control.post("/regions/1/helm/install", json={})

    assert response.status_code == 200
    assert response.json() == {"name": "camunda", "revision": 1, "status": "deployed"}
    assert runtime.endpoints() == before
    assert control.get("/endpoints").json() == before
    assert_answering(runtime, 1)
    values = region_state(control, 1)["release"]["values"]
    assert values == control.get("/regions/1/helm/default-values").json()


def test_installing_into_a_lost_region_is_refused_as_unreachable(control) -> None:
    control.post("/regions/1/lose")

    response = control.post("/regions/1/helm/install", json={})

    assert response.status_code == 503
    assert "unreachable" in response.json()["error"]


def test_the_recovery_install_leaves_brokers_not_ready_and_turns_operate_tasklist_and_schema_off(
    runtime, control, fail_over
) -> None:
    fail_over()
    control.post("/regions/1/recreate")

    response = recovery_install(control)

    assert response.status_code == 200
    pods = {pod["name"]: pod for pod in control.get("/regions/1/pods").json()}
    assert sorted(pods) == [
        "camunda-elasticsearch-master-0",
        "camunda-zeebe-0",
        "camunda-zeebe-1",
        "camunda-zeebe-2",
        "camunda-zeebe-3",
    ]
    zeebe_pods = [pod for pod in pods.values() if pod["component"] == "zeebe"]
    assert sorted(pod["brokerId"] for pod in zeebe_pods) == ODD
    assert all(pod["phase"] == "Running" and pod["ready"] is False for pod in zeebe_pods)
    assert pods["camunda-elasticsearch-master-0"]["ready"] is True
    logs = control.get("/regions/1/pods/camunda-zeebe-0/logs")
    assert logs.status_code == 200
    assert logs.headers["content-type"].startswith("text/plain")
    assert THREE_PROFILES in logs.text
    configmap = control.get("/regions/1/configmaps/camunda-zeebe-configuration-unified")
    assert configmap.status_code == 200
    assert 'active: "broker,identity,consolidated-auth"' in configmap.json()["data"]["application.yaml"]
    assert index_names(runtime, 1) == []
    readiness = httpx.get(f"{region_urls(runtime, 1)['management']}/actuator/health/readiness")
    assert readiness.status_code == 503


def test_a_recreated_region_installed_with_the_schema_manager_on_has_camundas_indices(
    runtime, control, fail_over
) -> None:
    fail_over()
    control.post("/regions/1/recreate")

    recovery_install(control, schema_manager=True)

    names = index_names(runtime, 1)
    assert "operate-list-view-8.3.0_" in names
    assert "tasklist-task-8.8.0_" in names


def test_installing_twice_is_a_conflict(control) -> None:
    response = control.post("/regions/1/helm/install", json={})

    assert response.status_code == 409
    assert "cannot re-use a name that is still in use" in response.json()["error"]


def test_installing_values_of_the_other_region_is_refused_naming_the_mismatch(control) -> None:
    control.post("/regions/1/lose")
    control.post("/regions/1/recreate")
    region0_values = control.get("/regions/0/helm/default-values").json()

    by_set = control.post("/regions/1/helm/install", json={"set": ["global.multiregion.regionId=0"]})
    by_values = control.post("/regions/1/helm/install", json={"values": region0_values})

    for response in (by_set, by_values):
        assert response.status_code == 400
        message = response.json()["error"]
        assert "global.multiregion.regionId=0" in message
        assert "region 1" in message
    assert region_state(control, 1)["release"] is None


def test_malformed_helm_requests_are_refused_naming_the_problem(control) -> None:
    control.post("/regions/1/lose")
    control.post("/regions/1/recreate")

    not_a_list = control.post("/regions/1/helm/install", json={"set": "orchestration.profiles.operate=false"})
    no_equals = control.post("/regions/1/helm/install", json={"set": ["orchestration.profiles.operate"]})

    assert not_a_list.status_code == 400
    assert "'set'" in not_a_list.json()["error"]
    assert no_equals.status_code == 400
    assert "key=value" in no_equals.json()["error"]


def test_upgrading_without_a_release_is_not_found(control) -> None:
    control.post("/regions/1/lose")
    control.post("/regions/1/recreate")

    response = control.post("/regions/1/helm/upgrade", json={})

    assert response.status_code == 404
    assert "has no deployed releases" in response.json()["error"]


def test_uninstalling_keeps_the_volumes_and_stops_the_services(runtime, control) -> None:
    response = control.post("/regions/1/helm/uninstall")

    assert response.status_code == 200
    assert response.json() == {"region": 1, "uninstalled": True}
    state = region_state(control, 1)
    assert state["release"] is None
    assert state["pods"] == []
    assert state["volumes"] == REGION1_VOLUMES
    assert_refused(runtime, 1)


def test_volumes_can_only_be_deleted_once_the_release_is_gone(control) -> None:
    refused = control.delete("/regions/1/volumes")
    control.post("/regions/1/helm/uninstall")
    deleted = control.delete("/regions/1/volumes")

    assert refused.status_code == 409
    assert "uninstall it first" in refused.json()["error"]
    assert deleted.status_code == 200
    assert deleted.json() == {"deleted": REGION1_VOLUMES}
    assert region_state(control, 1)["volumes"] == []


def test_an_unknown_pod_or_configmap_is_404(control) -> None:
    pod = control.get("/regions/0/pods/camunda-zeebe-9/logs")
    configmap = control.get("/regions/0/configmaps/nope")

    assert pod.status_code == 404
    assert "camunda-zeebe-9" in pod.json()["error"]
    assert configmap.status_code == 404
    assert "nope" in configmap.json()["error"]


# -- what the cloud and `helm status` / `kubectl get pvc` know of a region --------------------------------------


def test_a_region_names_its_namespace_release_and_chart_even_while_lost(control) -> None:
    control.post("/regions/1/lose")

    response = control.get("/regions/1")

    assert response.status_code == 200
    assert response.json() == {
        "region": 1,
        "namespace": "camunda-region1",
        "releaseName": "camunda",
        "chartVersion": "13.12.7",
    }


def test_the_namespace_shows_the_release_and_its_volumes(control) -> None:
    response = control.get("/regions/1/namespace")

    assert response.status_code == 200
    assert response.json() == {
        "namespace": "camunda-region1",
        "release": "camunda",
        "releaseStatus": "deployed",
        "revision": 1,
        "volumes": REGION1_VOLUMES,
        "fenced": False,
    }


def test_an_uninstalled_release_leaves_its_volumes_in_the_namespace(control) -> None:
    control.post("/regions/1/helm/uninstall")

    response = control.get("/regions/1/namespace")

    assert response.json() == {
        "namespace": "camunda-region1",
        "release": None,
        "releaseStatus": None,
        "revision": None,
        "volumes": REGION1_VOLUMES,
        "fenced": False,
    }


def test_a_lost_regions_namespace_cannot_be_read_and_a_recreated_one_is_empty(control) -> None:
    control.post("/regions/1/lose")
    lost = control.get("/regions/1/namespace")
    control.post("/regions/1/recreate")

    recreated = control.get("/regions/1/namespace")

    assert lost.status_code == 503
    assert lost.json() == {"error": "Kubernetes cluster of region 1 is unreachable (region lost)"}
    assert recreated.status_code == 200
    assert recreated.json() == {
        "namespace": "camunda-region1",
        "release": None,
        "releaseStatus": None,
        "revision": None,
        "volumes": [],
        "fenced": False,
    }


def test_an_unknown_regions_namespace_is_404(control) -> None:
    response = control.get("/regions/2/namespace")

    assert response.status_code == 404
    assert response.json() == {"error": "Expected region 0 or 1, got '2'"}


# -- user actions ----------------------------------------------------------------------------------------------


def test_a_tasklist_user_writes_to_the_regions_elasticsearch_until_tasklist_is_turned_off(runtime, control) -> None:
    written = control.post("/regions/0/user-actions", json={"app": "tasklist"})
    document = httpx.get(
        f"{region_urls(runtime, 0)['elasticsearch']}/{written.json()['index']}/_doc/{written.json()['id']}"
    )
    control.post("/regions/0/helm/upgrade", json={"set": ["orchestration.profiles.tasklist=false"]})
    refused = control.post("/regions/0/user-actions", json={"app": "tasklist"})

    assert written.status_code == 200
    assert written.json()["index"] == "tasklist-task-8.8.0_"
    assert written.json()["app"] == "tasklist"
    assert document.status_code == 200
    assert document.json()["found"] is True
    assert document.json()["_source"]["id"] == written.json()["id"]
    assert refused.status_code == 503
    assert "tasklist" in refused.json()["error"]


def test_a_user_action_of_an_unknown_app_is_refused(control) -> None:
    response = control.post("/regions/0/user-actions", json={"app": "optimize"})

    assert response.status_code == 400
    assert "optimize" in response.json()["error"]


def test_turning_profiles_off_restarts_brokers_and_logs_the_active_profiles(control) -> None:
    control.post(
        "/regions/0/helm/upgrade",
        json={"set": ["orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"]},
    )

    pods = [pod for pod in control.get("/regions/0/pods").json() if pod["component"] == "zeebe"]
    logs = control.get("/regions/0/pods/camunda-zeebe-0/logs").text
    configmap = control.get("/regions/0/configmaps/camunda-zeebe-configuration-unified").json()

    assert all(pod["restarts"] == 1 for pod in pods)
    assert logs.strip().splitlines()[-1].endswith(THREE_PROFILES)
    assert 'active: "broker,identity,consolidated-auth"' in configmap["data"]["application.yaml"]


# -- faults ----------------------------------------------------------------------------------------------------


def test_a_status_fault_answers_its_status_the_given_number_of_times(runtime, control) -> None:
    url = f"{region_urls(runtime, 0)['management']}/actuator/exporters"
    armed = control.post(
        "/faults",
        json={"kind": "status", "service": "management", "path": "/actuator/exporters", "status": 503, "times": 1},
    )

    first = httpx.get(url)
    second = httpx.get(url)

    assert armed.status_code == 200
    assert armed.json()["id"] == 1
    assert first.status_code == 503
    assert "injected fault 1" in first.json()["message"]
    assert second.status_code == 200
    assert second.json()[0]["exporterId"] == "camundaregion0"
    assert control.get("/faults").json()[0]["hits"] == 1


def test_a_status_fault_only_hits_the_service_and_path_it_names(runtime, control) -> None:
    control.post("/faults", json={"kind": "status", "service": "management", "path": "/actuator/exporters"})

    cluster = httpx.get(f"{region_urls(runtime, 0)['management']}/actuator/cluster")
    topology = probe(f"{region_urls(runtime, 0)['gateway']}/v2/topology")

    assert cluster.status_code == 200
    assert topology.status_code == 200


def test_a_delay_fault_delays_the_answer(runtime, control) -> None:
    url = f"{region_urls(runtime, 0)['management']}/actuator/exporters"
    control.post("/faults", json={"kind": "delay", "seconds": 0.3, "service": "management", "times": 1})

    started = time.monotonic()
    response = httpx.get(url)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_a_hang_fault_times_the_client_out_and_closing_the_simulator_does_not_wait_for_it() -> None:
    runtime = SimRuntime()
    try:
        endpoints = runtime.endpoints()
        url = f"{endpoints['region0']['management']}/actuator/exporters"
        with httpx.Client(base_url=endpoints["control"], timeout=5.0) as control:
            control.post("/faults", json={"kind": "hang", "service": "management", "path": "/actuator/exporters"})
            with pytest.raises(httpx.ReadTimeout):
                httpx.get(url, timeout=0.5)
            assert control.delete("/faults").json() == {"cleared": True}
        after_clearing = httpx.get(url, timeout=2.0)
    finally:
        started = time.monotonic()
        runtime.close()  # the hung request still sleeps server side (a 3600 s hang)
        closing = time.monotonic() - started

    assert after_clearing.status_code == 200
    assert closing < 5.0  # bounded by the servers' graceful-shutdown timeout, not by the hang


MALFORMED_FAULTS = [
    pytest.param({"kind": "boom"}, "fault kind", id="unknown-kind"),
    pytest.param({"kind": "status", "service": "zeebe"}, "fault service", id="unknown-service"),
    pytest.param({"kind": "status", "region": 2}, "fault region", id="unknown-region"),
    pytest.param({"kind": "delay", "seconds": -1}, "fault seconds", id="negative-seconds"),
    pytest.param({"kind": "delay", "seconds": "soon"}, "fault seconds", id="seconds-not-a-number"),
    pytest.param({"kind": "status", "status": 200}, "fault status", id="status-not-an-error"),
    pytest.param({"kind": "status", "times": 0}, "fault times", id="zero-times"),
    pytest.param([], "fault object", id="not-an-object"),
    pytest.param({"kind": "snapshot", "region": 0, "state": "SUCCESS"}, "snapshot state", id="snapshot-success"),
    pytest.param({"kind": "snapshot", "region": 3}, "region", id="snapshot-region"),
    pytest.param({"kind": "health", "region": 0, "status": "blue"}, "health", id="health-colour"),
    # JSON booleans are not numbers, even though Python's bool is an int.
    pytest.param({"kind": "status", "region": True}, "fault region", id="region-true"),
    pytest.param({"kind": "status", "times": True}, "fault times", id="times-true"),
    pytest.param({"kind": "snapshot", "region": True}, "region", id="snapshot-region-true"),
]


@pytest.mark.parametrize(("spec", "named"), MALFORMED_FAULTS)
def test_a_malformed_fault_is_refused_naming_the_problem(control, spec, named) -> None:
    response = control.post("/faults", json=spec)

    assert response.status_code == 400
    assert named in response.json()["error"]
    assert control.get("/faults").json() == []


def test_a_fault_body_that_is_not_json_is_refused(control) -> None:
    response = control.post("/faults", content=b"{kind: status", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


def test_faults_can_be_removed_one_by_one(runtime, control) -> None:
    fault_id = control.post("/faults", json={"kind": "status", "service": "management"}).json()["id"]

    removed = control.delete(f"/faults/{fault_id}")
    response = httpx.get(f"{region_urls(runtime, 0)['management']}/actuator/exporters")

    assert removed.json() == {"removed": fault_id}
    assert response.status_code == 200
    assert control.get("/faults").json() == []


def test_an_elasticsearch_status_fault_hits_elasticsearch(runtime, control) -> None:
    armed = control.post("/faults", json={"kind": "status", "service": "elasticsearch", "status": 503, "times": 1})

    response = httpx.get(f"{region_urls(runtime, 0)['elasticsearch']}/_cluster/health")

    assert armed.status_code == 200
    assert response.status_code == 503
    assert response.headers["x-elastic-product"] == "Elasticsearch"


def test_a_change_fault_makes_the_next_change_end_failed(control, management, await_change) -> None:
    armed = control.post("/faults", json={"kind": "change"})
    accepted = management.post("/actuator/exporters/camundaregion1/disable")

    last = await_change(management, accepted.json()["changeId"])

    assert armed.status_code == 200
    assert armed.json()["kind"] == "change"
    assert accepted.status_code == 202
    assert last["id"] == accepted.json()["changeId"]
    assert last["status"] == "FAILED"
    assert "camundaregion1" in management.get("/actuator/exporters").text


def test_a_snapshot_fault_makes_the_next_snapshot_end_partial(runtime, control) -> None:
    elasticsearch = region_urls(runtime, 0)["elasticsearch"]
    armed = control.post("/faults", json={"kind": "snapshot", "region": 0, "state": "PARTIAL"})
    httpx.put(f"{elasticsearch}/_snapshot/camunda_backup", json=FS_REPOSITORY)

    faulty = httpx.put(
        f"{elasticsearch}/_snapshot/camunda_backup/failback",
        params={"wait_for_completion": "true"},
        json={"include_global_state": True},
        timeout=5.0,
    )
    next_one = httpx.put(
        f"{elasticsearch}/_snapshot/camunda_backup/failback-2",
        params={"wait_for_completion": "true"},
        json={"include_global_state": True},
        timeout=5.0,
    )

    assert armed.json() == {"kind": "snapshot", "region": 0, "armed": "next snapshot ends PARTIAL"}
    assert faulty.status_code == 200
    assert faulty.json()["snapshot"]["state"] == "PARTIAL"
    assert next_one.json()["snapshot"]["state"] == "SUCCESS"
