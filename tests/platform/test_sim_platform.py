"""SimPlatform against a real simulator over HTTP: what the procedure will see of a simulated region."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.sim_fixtures import CLIENT_TIMEOUT, ODD_BROKERS

from drill.platform import HelmRequest, NamespaceState, PlatformError, PodInfo, RegionUnreachable, ServiceUrls
from drill.platform.helm_values import env_set_strings
from drill.platform.sim import SimPlatform
from drill.sim.runtime import SimRuntime

SCHEMA_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"
UNIFIED = "camunda-zeebe-configuration-unified"
THREE_PROFILES = (
    "io.camunda.application.StandaloneCamunda - The following 3 profiles are active: "
    '"broker", "identity", "consolidated-auth"'
)
OFF = ("orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false")
VOLUMES = (
    "data-camunda-elasticsearch-master-0",
    "data-camunda-zeebe-0",
    "data-camunda-zeebe-1",
    "data-camunda-zeebe-2",
    "data-camunda-zeebe-3",
)
LOST = "sim region 1 (camunda-region1)"


@pytest.fixture
def region1(runtime: SimRuntime) -> Iterator[SimPlatform]:
    platform = SimPlatform(1, runtime.endpoints())
    yield platform
    platform.close()


def force_remove_region1_brokers(runtime: SimRuntime) -> None:
    """Failover step 1 (so that region 1's brokers are no longer members), waited for with a bound."""
    with httpx.Client(base_url=runtime.endpoints()["region0"]["management"], timeout=CLIENT_TIMEOUT) as management:
        response = management.patch(
            "/actuator/cluster", params={"force": "true"}, json={"brokers": {"remove": ODD_BROKERS}}
        )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 3.0
        while "pendingChange" in management.get("/actuator/cluster").json():
            assert time.monotonic() < deadline, "the force-remove did not complete in 3 s"
            time.sleep(0.01)


def recovery_request(platform: SimPlatform) -> HelmRequest:
    """Failback step 1's request: Operate/Tasklist off, schema creation off appended to the original env."""
    return HelmRequest(sets=OFF, set_strings=env_set_strings(platform.values(), {SCHEMA_ENV: "false"}))


def test_a_region_is_described_by_its_namespace_release_and_service_urls(runtime, region1) -> None:
    urls = runtime.endpoints()["region1"]

    assert region1.region == 1
    assert region1.description == LOST
    assert region1.namespace == "camunda-region1"
    assert region1.release_name == "camunda"
    assert region1.chart_version == "13.12.7"
    assert region1.service_urls() == ServiceUrls(urls["gateway"], urls["management"], urls["elasticsearch"])


def test_endpoints_without_the_region_are_refused(runtime) -> None:
    endpoints = {"control": runtime.endpoints()["control"]}

    with pytest.raises(PlatformError) as raised:
        SimPlatform(1, endpoints)

    assert str(raised.value) == "sim region 1: read endpoints: expected 'region1' and 'control', got keys ['control']"


def test_a_healthy_region_is_installed_and_not_clean(region1) -> None:
    state = region1.namespace_state()

    assert state == NamespaceState(reachable=True, release="camunda", release_status="deployed", volumes=VOLUMES)
    assert state.clean is False


def test_a_lost_region_is_unreachable_and_answers_nothing(region1) -> None:
    region1.lose_region()

    assert region1.namespace_state() == NamespaceState(reachable=False, release=None, release_status=None, volumes=())
    assert region1.namespace_state().clean is False
    with pytest.raises(RegionUnreachable) as raised:
        region1.pods()
    assert str(raised.value) == (
        f"{LOST}: list pods (GET /regions/1/pods): expected HTTP 200, "
        "got HTTP 503 Kubernetes cluster of region 1 is unreachable (region lost)"
    )
    with pytest.raises(RegionUnreachable):
        region1.helm_upgrade(HelmRequest())


def test_a_recreated_region_is_clean(region1) -> None:
    region1.lose_region()

    region1.recreate_region()

    assert region1.namespace_state() == NamespaceState(reachable=True, release=None, release_status=None, volumes=())
    assert region1.namespace_state().clean is True
    assert region1.pods() == ()
    assert region1.configmap(UNIFIED) is None


def test_recreating_a_live_region_is_refused_with_the_sims_reason(region1) -> None:
    with pytest.raises(PlatformError) as raised:
        region1.recreate_region()

    assert not isinstance(raised.value, RegionUnreachable)
    assert str(raised.value) == (
        f"{LOST}: recreate region (POST /regions/1/recreate): expected HTTP 200, got HTTP 409 region 1 is not lost; "
        "recreating it would destroy a live region (lose it first)"
    )


def test_the_recovery_install_runs_three_profiles_and_its_brokers_stay_not_ready(runtime, region1) -> None:
    force_remove_region1_brokers(runtime)
    region1.lose_region()
    region1.recreate_region()
    request = recovery_request(region1)

    result = region1.helm_install(request)

    assert request.set_strings == (
        f"orchestration.env[6].name={SCHEMA_ENV}",
        "orchestration.env[6].value=false",
    )
    assert (result.release, result.revision, result.status) == ("camunda", 1, "deployed")
    assert result.command[:8] == (
        "curl", "-sS", "-X", "POST", f"{runtime.endpoints()['control']}/regions/1/helm/install",
        "-H", "Content-Type: application/json", "-d",
    )  # fmt: skip
    assert result.command[8] == (
        '{"set":["orchestration.profiles.operate=false","orchestration.profiles.tasklist=false"],'
        f'"setString":["orchestration.env[6].name={SCHEMA_ENV}","orchestration.env[6].value=false"]}}'
    )
    assert region1.pods() == (
        PodInfo("camunda-elasticsearch-master-0", "elasticsearch", ready=True, phase="Running", broker_id=None),
        PodInfo("camunda-zeebe-0", "zeebe", ready=False, phase="Running", broker_id=1),
        PodInfo("camunda-zeebe-1", "zeebe", ready=False, phase="Running", broker_id=3),
        PodInfo("camunda-zeebe-2", "zeebe", ready=False, phase="Running", broker_id=5),
        PodInfo("camunda-zeebe-3", "zeebe", ready=False, phase="Running", broker_id=7),
    )
    assert THREE_PROFILES in region1.pod_logs("camunda-zeebe-0").splitlines()
    assert region1.configmap(UNIFIED) == {
        "application.yaml": 'spring:\n  profiles:\n    active: "broker,identity,consolidated-auth"\n'
        "camunda:\n  cluster:\n    size: 8\n"
    }
    assert region1.namespace_state() == NamespaceState(True, "camunda", "deployed", VOLUMES)


def test_an_upgrade_of_the_surviving_region_turns_operate_and_tasklist_off(runtime) -> None:
    region0 = SimPlatform(0, runtime.endpoints())

    result = region0.helm_upgrade(HelmRequest(sets=OFF))

    assert (result.release, result.revision, result.status) == ("camunda", 2, "deployed")
    assert region0.pod_logs("camunda-zeebe-0").splitlines()[-1] == THREE_PROFILES
    assert 'active: "broker,identity,consolidated-auth"' in region0.configmap(UNIFIED)["application.yaml"]
    region0.close()


def test_upgrade_with_install_installs_into_an_empty_namespace_but_a_plain_upgrade_does_not(region1) -> None:
    region1.lose_region()
    region1.recreate_region()

    with pytest.raises(PlatformError) as raised:
        region1.helm_upgrade(HelmRequest())
    installed = region1.helm_upgrade(HelmRequest(), install=True)

    assert str(raised.value) == (
        f"{LOST}: helm upgrade (POST /regions/1/helm/upgrade): expected HTTP 200, "
        'got HTTP 404 UPGRADE FAILED: "camunda" has no deployed releases'
    )
    assert (installed.release, installed.revision, installed.status) == ("camunda", 1, "deployed")


def test_values_files_overlay_the_regions_original_values(region1, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("orchestration:\n  profiles:\n    operate: false\n  env: []\n")
    request = HelmRequest(values_files=(overlay,), sets=("orchestration.profiles.tasklist=false",))

    values = region1.values(request)
    region1.helm_upgrade(request)

    assert values["orchestration"]["env"] == []
    assert values["orchestration"]["profiles"] == {"operate": False, "tasklist": True}
    assert values["orchestration"]["clusterSize"] == "8"
    assert values["global"]["multiregion"]["regionId"] == 1
    assert THREE_PROFILES in region1.pod_logs("camunda-zeebe-0")


def test_another_regions_values_are_refused_by_the_sim(region1, tmp_path: Path) -> None:
    wrong = tmp_path / "region0.yaml"
    wrong.write_text("global:\n  multiregion:\n    regionId: 0\n")

    with pytest.raises(
        PlatformError, match=r"expected HTTP 200, got HTTP 400 values set global\.multiregion\.regionId=0"
    ):
        region1.helm_upgrade(HelmRequest(values_files=(wrong,)))


def test_an_unreadable_values_file_is_named(region1, tmp_path: Path) -> None:
    with pytest.raises(PlatformError) as raised:
        region1.values(HelmRequest(values_files=(tmp_path / "missing.yaml",)))

    assert str(raised.value) == (
        f"{LOST}: read values files: expected readable YAML mappings, "
        f"got values file {tmp_path / 'missing.yaml'}: No such file or directory"
    )


def test_volumes_are_deleted_only_after_uninstall(region1) -> None:
    with pytest.raises(PlatformError) as raised:
        region1.delete_volumes()
    region1.helm_uninstall()
    uninstalled = region1.namespace_state()

    deleted = region1.delete_volumes()

    assert str(raised.value) == (
        f"{LOST}: delete volumes (DELETE /regions/1/volumes): expected HTTP 200, got HTTP 409 the volumes of region 1 "
        "are in use by release camunda; uninstall it first"
    )
    assert uninstalled == NamespaceState(True, None, None, VOLUMES)
    assert deleted == VOLUMES
    assert region1.namespace_state().clean is True


def test_uninstalling_twice_names_the_missing_release(region1) -> None:
    region1.helm_uninstall()

    with pytest.raises(PlatformError) as raised:
        region1.helm_uninstall()

    assert str(raised.value) == (
        f"{LOST}: helm uninstall (POST /regions/1/helm/uninstall): expected HTTP 200, "
        "got HTTP 404 uninstall: Release not loaded: camunda: release: not found"
    )


def test_a_missing_pod_is_an_error_and_a_missing_configmap_is_none(region1) -> None:
    with pytest.raises(PlatformError) as raised:
        region1.pod_logs("camunda-zeebe-9")

    assert str(raised.value) == (
        f"{LOST}: read logs of pod camunda-zeebe-9 (GET /regions/1/pods/camunda-zeebe-9/logs): expected HTTP 200, "
        'got HTTP 404 pods "camunda-zeebe-9" not found in namespace camunda-region1'
    )
    assert region1.configmap("nope") is None


def test_a_control_api_that_does_not_answer_makes_the_region_unreachable(runtime) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(RegionUnreachable) as raised:
        SimPlatform(1, runtime.endpoints(), transport=httpx.MockTransport(refuse))

    assert str(raised.value) == (
        "sim region 1: read region (GET /regions/1): expected HTTP 200, got no answer: ConnectError connection refused"
    )


def test_the_transport_seam_sees_every_control_call(runtime) -> None:
    seen: list[str] = []
    real = httpx.HTTPTransport()

    class Recording(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(f"{request.method} {request.url.path}")
            return real.handle_request(request)

    platform = SimPlatform(0, runtime.endpoints(), transport=Recording())
    platform.namespace_state()
    platform.pods()
    platform.close()
    real.close()

    assert seen == ["GET /regions/0", "GET /regions/0/namespace", "GET /regions/0/pods"]
