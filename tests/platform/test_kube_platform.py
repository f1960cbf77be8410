"""KubePlatform with fakes for helm, kubectl and the API server: exact commands, mapping and clear errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from drill.platform.base import HelmRequest, NamespaceState, PlatformError, PodInfo, RegionUnreachable, ServiceUrls
from drill.platform.kube import KubePlatform

DESCRIPTION = "kube context kind-c8-region1, namespace camunda-region1"
WHERE = ["--kube-context", "kind-c8-region1", "--namespace", "camunda-region1"]
STATUS = ["helm", "status", "camunda", *WHERE, "--output", "json"]
VOLUMES = ["data-camunda-elasticsearch-master-0", "data-camunda-zeebe-0", "data-camunda-zeebe-1"]
REQUEST = HelmRequest(
    values_files=(Path("overlay.yaml"),),
    sets=("orchestration.profiles.operate=false",),
    set_strings=("orchestration.env[6].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",),
)
REQUEST_FLAGS = [
    "-f", "base.yaml", "-f", "region1.yaml", "-f", "overlay.yaml", "--set", "orchestration.profiles.operate=false",
    "--set-string", "orchestration.env[6].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",
]  # fmt: skip
NOT_FOUND = "Error: release: not found\n"


def release_json(status: str, revision: int = 1) -> str:
    return json.dumps({"name": "camunda", "namespace": "camunda-region1", "version": revision,
                       "info": {"status": status, "description": "Install complete"}, "config": {}})  # fmt: skip


def platform(runner: Any, core: Any = None, **kwargs: Any) -> KubePlatform:
    settings: dict[str, Any] = {
        "context": "kind-c8-region1",
        "namespace": "camunda-region1",
        "chart_version": "13.12.7",
        "values_files": (Path("base.yaml"), Path("region1.yaml")),
        "runner": runner,
        "api_client_factory": lambda context: core,
        **kwargs,
    }
    return KubePlatform(1, **settings)


# -- helm commands ---------------------------------------------------------------------------------------------


def test_helm3_install_detects_the_major_and_runs_the_exact_command(fake_runner) -> None:
    runner = fake_runner({
        ("helm", "version"): fake_runner.result("v3.21.4+g1234567\n"),
        ("helm", "install"): fake_runner.result(release_json("deployed")),
    })  # fmt: skip

    result = platform(runner).helm_install(REQUEST)

    install = [
        "helm", "install", "camunda", "camunda/camunda-platform", *WHERE, "--version", "13.12.7",
        "--create-namespace", *REQUEST_FLAGS, "--timeout", "10m", "--output", "json",
    ]  # fmt: skip
    assert runner.argvs == [["helm", "version", "--short"], install]
    assert runner.calls[1][1] == 660.0
    assert (result.release, result.revision, result.status) == ("camunda", 1, "deployed")
    assert result.command == tuple(install)


def test_helm4_upgrade_install_with_wait_uses_the_watcher_strategy(fake_runner) -> None:
    runner = fake_runner({("helm", "upgrade"): fake_runner.result(release_json("deployed", 4))})

    result = platform(runner, helm_major=4, helm_wait=True, helm_timeout="15m").helm_upgrade(REQUEST, install=True)

    assert runner.argvs == [[
        "helm", "upgrade", "camunda", "camunda/camunda-platform", "--install", *WHERE, "--version", "13.12.7",
        "--create-namespace", *REQUEST_FLAGS, "--wait=watcher", "--timeout", "15m", "--output", "json",
    ]]  # fmt: skip
    assert runner.calls[0][1] == 960.0
    assert (result.revision, result.status) == (4, "deployed")


@pytest.mark.parametrize(("major", "wait"), [(3, "--wait"), (4, "--wait=watcher")])
def test_uninstall_waits_for_the_release_to_be_gone(fake_runner, major: int, wait: str) -> None:
    runner = fake_runner({("helm", "uninstall"): fake_runner.result('release "camunda" uninstalled\n')})

    platform(runner, helm_major=major).helm_uninstall()

    assert runner.argvs == [["helm", "uninstall", "camunda", *WHERE, wait, "--timeout", "10m"]]


def test_a_failed_helm_command_names_the_operation_and_its_output(fake_runner) -> None:
    stderr = "Error: INSTALLATION FAILED: cannot re-use a name that is still in use\n"
    runner = fake_runner({("helm", "install"): fake_runner.result(exit_code=1, stderr=stderr)})

    with pytest.raises(PlatformError) as raised:
        platform(runner, helm_major=3).helm_install(HelmRequest())

    assert not isinstance(raised.value, RegionUnreachable)
    assert str(raised.value) == (
        f"{DESCRIPTION}: helm install: expected exit code 0, "
        "got exit code 1: Error: INSTALLATION FAILED: cannot re-use a name that is still in use"
    )


def test_a_helm_that_cannot_reach_the_cluster_makes_the_region_unreachable(fake_runner) -> None:
    stderr = 'Error: UPGRADE FAILED: Kubernetes cluster unreachable: Get "https://127.0.0.1:39999/version": dial tcp '
    runner = fake_runner({("helm", "upgrade"): fake_runner.result(exit_code=1, stderr=stderr + "connection refused")})

    with pytest.raises(RegionUnreachable, match=r"^kube context .*: helm upgrade: expected exit code 0, got exit"):
        platform(runner, helm_major=3).helm_upgrade(HelmRequest())


def test_a_helm_that_times_out_is_reported_by_the_region(fake_runner) -> None:
    timeout = PlatformError("local command", "helm upgrade camunda ...", "it to finish within 660 s", "still running")
    runner = fake_runner({("helm", "upgrade"): timeout})

    with pytest.raises(PlatformError) as raised:
        platform(runner, helm_major=3).helm_upgrade(HelmRequest())

    assert str(raised.value) == (
        f"{DESCRIPTION}: helm upgrade camunda ...: expected it to finish within 660 s, got still running"
    )


def test_helm_output_that_is_not_a_release_is_refused(fake_runner) -> None:
    runner = fake_runner({("helm", "install"): fake_runner.result("NAME: camunda\n")})

    with pytest.raises(PlatformError) as raised:
        platform(runner, helm_major=3).helm_install(HelmRequest())

    assert str(raised.value) == f"{DESCRIPTION}: helm install: expected helm's release JSON, got 'NAME: camunda'"


def test_values_are_the_configured_files_then_the_requests_merged_in_order(fake_runner, tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("orchestration:\n  clusterSize: '8'\n  env:\n    - name: A\n      value: '1'\n")
    (tmp_path / "region1.yaml").write_text("global:\n  multiregion:\n    regionId: 1\n")
    (tmp_path / "overlay.yaml").write_text("orchestration:\n  env: []\n")
    kube = platform(fake_runner(), values_files=(tmp_path / "base.yaml", tmp_path / "region1.yaml"))

    assert kube.values()["orchestration"]["env"] == [{"name": "A", "value": "1"}]
    assert kube.values(HelmRequest(values_files=(tmp_path / "overlay.yaml",))) == {
        "orchestration": {"clusterSize": "8", "env": []},
        "global": {"multiregion": {"regionId": 1}},
    }


# -- namespace state and volumes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, NamespaceState(True, None, None, tuple(VOLUMES))),
        ("deployed", NamespaceState(True, "camunda", "deployed", tuple(VOLUMES))),
        ("pending-upgrade", NamespaceState(True, "camunda", "pending-upgrade", tuple(VOLUMES))),
    ],
)
def test_namespace_state_reports_the_release_status_and_every_volume(
    fake_runner, fake_core, status: str | None, expected: NamespaceState
) -> None:
    missing = fake_runner.result(exit_code=1, stderr=NOT_FOUND)
    runner = fake_runner({("helm", "status"): missing if status is None else fake_runner.result(release_json(status))})
    core = fake_core(claims=list(reversed(VOLUMES)))

    assert platform(runner, core).namespace_state() == expected
    assert runner.argvs == [STATUS]
    assert core.calls == [("list_namespaced_persistent_volume_claim", ("camunda-region1",), {"_request_timeout": 30.0})]


def test_an_empty_namespace_without_release_is_clean(fake_runner, fake_core) -> None:
    runner = fake_runner({("helm", "status"): fake_runner.result(exit_code=1, stderr=NOT_FOUND)})

    state = platform(runner, fake_core()).namespace_state()

    assert state == NamespaceState(True, None, None, ())
    assert state.clean is True


def test_a_cluster_that_does_not_answer_is_unreachable(fake_runner, fake_core) -> None:
    pool = urllib3.HTTPSConnectionPool("127.0.0.1", 39999)
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")
    core = fake_core(failure=urllib3.exceptions.MaxRetryError(pool, "/api/v1/namespaces/camunda-region1/pods", reason))
    kube = platform(fake_runner(), core)

    assert kube.namespace_state() == NamespaceState(False, None, None, ())
    with pytest.raises(RegionUnreachable) as raised:
        kube.pods()
    assert str(raised.value) == (
        f"{DESCRIPTION}: list pods: expected pods with app.kubernetes.io/instance=camunda, got no answer: "
        "HTTPSConnectionPool(host='127.0.0.1', port=39999): Max retries exceeded with url: "
        "/api/v1/namespaces/camunda-region1/pods (Caused by NewConnectionError('None: Failed to establish a new "
        "connection: [Errno 111] refused'))"
    )


def test_volumes_are_deleted_one_by_one_once_the_release_is_gone(fake_runner, fake_core) -> None:
    runner = fake_runner({("helm", "status"): fake_runner.result(exit_code=1, stderr=NOT_FOUND)})
    core = fake_core(claims=list(VOLUMES))

    deleted = platform(runner, core).delete_volumes()

    assert deleted == tuple(VOLUMES)
    assert core.claims == []
    assert [(m, a) for m, a, _ in core.calls if m.startswith("delete")] == [
        ("delete_namespaced_persistent_volume_claim", (name, "camunda-region1")) for name in VOLUMES
    ]


def test_volumes_of_a_running_release_are_not_deleted(fake_runner, fake_core) -> None:
    runner = fake_runner({("helm", "status"): fake_runner.result(release_json("deployed"))})
    core = fake_core(claims=list(VOLUMES))

    with pytest.raises(PlatformError) as raised:
        platform(runner, core).delete_volumes()

    assert str(raised.value) == (
        f"{DESCRIPTION}: delete volumes: expected no release using them (uninstall it first), "
        "got release camunda deployed"
    )
    assert core.claims == VOLUMES


def test_losing_a_region_uninstalls_the_release_and_deletes_every_volume(fake_runner, fake_core) -> None:
    statuses = iter([fake_runner.result(release_json("deployed")), fake_runner.result(exit_code=1, stderr=NOT_FOUND)])

    class Runner(fake_runner):
        def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> Any:
            if list(argv[:2]) == ["helm", "status"]:
                self.calls.append((list(argv), timeout))
                return next(statuses)
            return super().run(argv, timeout=timeout, input=input)

    runner = Runner({("helm", "uninstall"): fake_runner.result('release "camunda" uninstalled\n')})
    core = fake_core(claims=list(VOLUMES))

    platform(runner, core, helm_major=3).lose_region()

    assert runner.argvs == [STATUS, ["helm", "uninstall", "camunda", *WHERE, "--wait", "--timeout", "10m"], STATUS]
    assert core.claims == []


def test_recreating_creates_a_missing_namespace_and_checks_it_is_empty(fake_runner, fake_core) -> None:
    runner = fake_runner({("helm", "status"): fake_runner.result(exit_code=1, stderr=NOT_FOUND)})
    core = fake_core(namespaces=set())

    platform(runner, core).recreate_region()

    assert core.namespaces == {"camunda-region1"}
    assert core.methods() == ["read_namespace", "create_namespace", "list_namespaced_persistent_volume_claim"]


def test_recreating_a_namespace_that_still_holds_camunda_is_refused(fake_runner, fake_core) -> None:
    runner = fake_runner({("helm", "status"): fake_runner.result(release_json("pending-install"))})

    with pytest.raises(PlatformError) as raised:
        platform(runner, fake_core(claims=["data-camunda-zeebe-0"])).recreate_region()

    assert str(raised.value) == (
        f"{DESCRIPTION}: recreate region: expected an empty namespace (no release, no volumes), "
        "got release camunda pending-install, volumes ['data-camunda-zeebe-0']"
    )


# -- pods, logs, configmaps ------------------------------------------------------------------------------------


def test_pods_are_mapped_to_components_readiness_and_region_1_broker_ids(fake_runner, fake_core) -> None:
    pod = fake_core.pod
    core = fake_core(pods=[
        pod("camunda-zeebe-2", ready=False),
        pod("camunda-zeebe-0", ready=True),
        pod("camunda-elasticsearch-master-0", ready=True, labels={"app.kubernetes.io/name": "elasticsearch"}),
        pod("camunda-connectors-5d8f-x2x", ready=False, phase="Pending",
            labels={"app.kubernetes.io/component": "connectors"}),
    ])  # fmt: skip

    pods = platform(fake_runner(), core).pods()

    assert pods == (
        PodInfo("camunda-connectors-5d8f-x2x", "connectors", ready=False, phase="Pending", broker_id=None),
        PodInfo("camunda-elasticsearch-master-0", "elasticsearch", ready=True, phase="Running", broker_id=None),
        PodInfo("camunda-zeebe-0", "zeebe", ready=True, phase="Running", broker_id=1),
        PodInfo("camunda-zeebe-2", "zeebe", ready=False, phase="Running", broker_id=5),
    )
    assert core.calls == [
        ("list_namespaced_pod", ("camunda-region1",),
         {"label_selector": "app.kubernetes.io/instance=camunda", "_request_timeout": 30.0}),
    ]  # fmt: skip


def test_logs_and_configmaps_are_read_and_a_missing_configmap_is_none(fake_runner, fake_core) -> None:
    unified = {"application.yaml": 'spring:\n  profiles:\n    active: "broker,identity,consolidated-auth"\n'}
    core = fake_core(
        logs={"camunda-zeebe-0": "The following 3 profiles are active\n"},
        configmaps={"camunda-zeebe-configuration-unified": unified},
    )
    kube = platform(fake_runner(), core)

    assert kube.pod_logs("camunda-zeebe-0") == "The following 3 profiles are active\n"
    assert kube.configmap("camunda-zeebe-configuration-unified") == unified
    assert kube.configmap("other") is None
    with pytest.raises(PlatformError) as raised:
        kube.pod_logs("camunda-zeebe-9")
    assert str(raised.value) == (
        f"{DESCRIPTION}: read logs of pod camunda-zeebe-9: expected the pod's log, got HTTP 404 Not Found: "
        '{"message":"pods \\"camunda-zeebe-9\\" not found"}'
    )


def test_a_forbidden_call_is_an_error_and_not_unreachable(fake_runner, fake_core) -> None:
    core = fake_core(failure=ApiException(status=403, reason="Forbidden", body='{"reason":"Forbidden"}'))

    with pytest.raises(PlatformError) as raised:
        platform(fake_runner(), core).configmap("camunda-zeebe-configuration-unified")

    assert not isinstance(raised.value, RegionUnreachable)
    assert str(raised.value) == (
        f"{DESCRIPTION}: read configmap camunda-zeebe-configuration-unified: expected the configmap, "
        'got HTTP 403 Forbidden: {"reason":"Forbidden"}'
    )


def test_an_unknown_kube_context_is_named(fake_runner) -> None:
    def factory(context: str) -> Any:
        raise ConfigException(f"Expected key {context} in kube-config contexts")

    kube = KubePlatform(1, context="kind-c8-region1", namespace="camunda-region1", chart_version=None,
                        runner=fake_runner(), api_client_factory=factory)  # fmt: skip

    with pytest.raises(PlatformError) as raised:
        kube.pods()

    assert str(raised.value) == (
        f"{DESCRIPTION}: load kubeconfig: expected a kubeconfig context named kind-c8-region1, "
        "got Expected key kind-c8-region1 in kube-config contexts"
    )


# -- services --------------------------------------------------------------------------------------------------


def test_service_urls_come_from_supervised_port_forwards(fake_runner, fake_core, fake_kubectl) -> None:
    def script(argv: Sequence[str], start: int) -> tuple[list[str], int | None]:
        if "svc/camunda-elasticsearch" in argv:
            return fake_kubectl.forwarding((42000 + start, 9200)), None
        return fake_kubectl.forwarding((41000 + start, 8080), (41100 + start, 9600)), None

    class Closable:
        closed = False

        def close(self) -> None:
            self.closed = True

    core = fake_core()
    core.api_client = Closable()
    launcher = fake_kubectl(script)
    kube = platform(fake_runner(), core, launcher=launcher)
    kube.pods()

    first = kube.service_urls()
    launcher.started[0].exit(1)
    second = kube.service_urls()
    kube.close()

    assert first == ServiceUrls("http://127.0.0.1:41000", "http://127.0.0.1:41100", "http://127.0.0.1:42000")
    assert second == ServiceUrls("http://127.0.0.1:41001", "http://127.0.0.1:41101", "http://127.0.0.1:42000")
    assert [p.argv[6] for p in launcher.started] == [
        "svc/camunda-zeebe-gateway", "svc/camunda-elasticsearch", "svc/camunda-zeebe-gateway",
    ]  # fmt: skip
    assert launcher.started[1].argv == [
        "kubectl", "--context", "kind-c8-region1", "-n", "camunda-region1", "port-forward",
        "svc/camunda-elasticsearch", ":9200", "--address", "127.0.0.1",
    ]  # fmt: skip
    assert [p.signals for p in launcher.started] == [[], ["TERM"], ["TERM"]]
    assert core.api_client.closed is True
