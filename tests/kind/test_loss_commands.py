"""Region-loss modes on kind: the exact commands per mode, and KindPlatform running them against a fake region.

The fake answers docker, helm and kubectl the way the real CLIs do (exit codes and messages seen on Docker 20.10
and Helm 3), and the same object stands in for the Kubernetes API, so what one command changes the next sees.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from drill.kind.commands import CommandFailed, PlannedCommand, execute, render
from drill.kind.docker import ContainerNotFound, container_ip, inspect_container, is_running, networks_of
from drill.kind.loss import (
    LOSS_MODES,
    KindPlatform,
    lose_commands,
    needs_new_cluster,
    recreate_commands,
    uninstall_commands,
)
from drill.platform.base import PlatformError, RegionUnreachable
from drill.platform.commands import CommandResult, CommandRunner

NODES = {
    0: ("c8-region0-control-plane",),
    1: ("c8-region1-control-plane", "c8-region1-worker"),
}
CONTEXT, NAMESPACE = "kind-c8-region1", "camunda-region1"
DESCRIPTION = f"kube context {CONTEXT}, namespace {NAMESPACE}"
WHERE = ["--kube-context", CONTEXT, "--namespace", NAMESPACE]
MANIFEST = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n"
UNINSTALL = ["helm", "uninstall", "camunda", *WHERE, "--wait", "--timeout", "10m", "--ignore-not-found"]
DELETE_PVC = ["kubectl", "--context", CONTEXT, "-n", NAMESPACE, "delete", "pvc", "--all", "--wait=true"]
APPLY_NAMESPACE = ["kubectl", "--context", CONTEXT, "apply", "-f", "-"]
HELM_STATUS = ["helm", "status", "camunda", *WHERE, "--output", "json"]
VOLUMES = ["data-camunda-elasticsearch-master-0", "data-camunda-zeebe-0"]


def inspect(node: str) -> list[str]:
    return ["docker", "container", "inspect", node]


def argvs(commands: Sequence[PlannedCommand]) -> list[list[str]]:
    return [list(c.argv) for c in commands]


# -- planned commands -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("region", [0, 1])
def test_stop_nodes_stops_every_node_of_the_region_in_one_command(region: int) -> None:
    commands = lose_commands("stop-nodes", NODES[region])

    assert argvs(commands) == [["docker", "stop", "--time", "10", *NODES[region]]]
    assert commands[0].timeout == 60.0


@pytest.mark.parametrize("region", [0, 1])
def test_partition_disconnects_each_node_from_the_kind_network(region: int) -> None:
    commands = lose_commands("partition", NODES[region])

    assert argvs(commands) == [["docker", "network", "disconnect", "--force", "kind", n] for n in NODES[region]]


def test_the_network_and_the_docker_binary_can_be_named() -> None:
    commands = lose_commands("partition", NODES[0], network="c8drill-kind-1", docker="/usr/bin/docker")

    assert argvs(commands) == [["/usr/bin/docker", "network", "disconnect", "--force", "c8drill-kind-1", NODES[0][0]]]


def test_uninstall_has_no_docker_commands_and_prints_helm_and_the_volume_deletion_instead() -> None:
    assert lose_commands("uninstall", NODES[1]) == []
    assert lose_commands("uninstall", ()) == []

    commands = uninstall_commands(CONTEXT, NAMESPACE, "camunda")

    assert argvs(commands) == [UNINSTALL, DELETE_PVC]
    assert commands[0].timeout == 660.0


def test_uninstall_with_helm_4_waits_with_the_watcher_strategy() -> None:
    commands = uninstall_commands(CONTEXT, NAMESPACE, "camunda", helm_major=4, helm_timeout="15m")

    assert list(commands[0].argv) == [
        "helm", "uninstall", "camunda", *WHERE, "--wait=watcher", "--timeout", "15m", "--ignore-not-found",
    ]  # fmt: skip
    assert commands[0].timeout == 960.0


def test_recreating_a_partitioned_region_reconnects_then_cleans_the_namespace() -> None:
    commands = recreate_commands("partition", NODES[1], context=CONTEXT, namespace=NAMESPACE, release="camunda")

    assert argvs(commands) == [
        ["docker", "network", "connect", "kind", "c8-region1-control-plane"],
        ["docker", "network", "connect", "kind", "c8-region1-worker"],
        UNINSTALL,
        DELETE_PVC,
        APPLY_NAMESPACE,
    ]
    assert commands[-1].stdin == MANIFEST
    assert all(c.stdin is None for c in commands[:-1])


@pytest.mark.parametrize("mode", ["stop-nodes", "uninstall"])
def test_recreating_after_the_other_modes_only_ensures_the_namespace(mode: str) -> None:
    commands = recreate_commands(mode, NODES[1], context=CONTEXT, namespace=NAMESPACE, release="camunda")

    assert argvs(commands) == [APPLY_NAMESPACE]
    assert commands[0].stdin == MANIFEST


def test_only_stopped_nodes_need_a_new_cluster() -> None:
    assert [needs_new_cluster(mode) for mode in LOSS_MODES] == [False, True, False]


def test_the_dry_run_prints_the_namespace_manifest_as_a_heredoc() -> None:
    text = render(recreate_commands("partition", NODES[0], context=CONTEXT, namespace=NAMESPACE, release="camunda"))

    assert "docker network connect kind c8-region0-control-plane\n" in text
    assert f"kubectl --context {CONTEXT} apply -f - <<'EOF'\n{MANIFEST}EOF\n" in text


@pytest.mark.parametrize(
    "call",
    [
        lambda: lose_commands("delete", NODES[0]),
        lambda: recreate_commands("stop", NODES[0], context=CONTEXT, namespace=NAMESPACE, release="camunda"),
        lambda: needs_new_cluster("Partition"),
        lambda: KindPlatform(
            1, loss_mode="crash", nodes=NODES[1], context=CONTEXT, namespace=NAMESPACE, chart_version=None
        ),
    ],
)
def test_an_unknown_mode_is_refused_naming_the_valid_ones(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"^Expected a region-loss mode, one of uninstall, stop-nodes, partition; got"):
        call()


@pytest.mark.parametrize("mode", ["stop-nodes", "partition"])
def test_the_docker_modes_need_node_names(mode: str) -> None:
    with pytest.raises(ValueError, match=rf"^Loss mode {mode} needs the region's node container names, got \[\]"):
        lose_commands(mode, ())
    with pytest.raises(TypeError, match="got the string 'c8-region1-control-plane'"):
        lose_commands(mode, "c8-region1-control-plane")


# -- a fake region: docker, helm, kubectl and the Kubernetes API ------------------------------------------------


def ok(argv: Sequence[str], stdout: str = "") -> CommandResult:
    return CommandResult(tuple(argv), 0, stdout, "", 0.01)


def failed(argv: Sequence[str], stderr: str, exit_code: int = 1) -> CommandResult:
    return CommandResult(tuple(argv), exit_code, "", stderr, 0.01)


class FakeRegion(CommandRunner):
    """One kind region as its CLIs and API server answer: node containers on networks, a release and volumes.

    `failures` answer the first command whose argv starts with the key instead of the fake (a result or an
    exception to raise). `moved` gives a node another address when it is reconnected.
    """

    def __init__(self, nodes: Sequence[str], *, failures: dict[tuple[str, ...], Any] | None = None) -> None:
        super().__init__()
        self.networks = {node: {"kind": f"172.18.0.{i}"} for i, node in enumerate(nodes, start=2)}
        self.running = set(nodes)
        self.addresses = {node: ips["kind"] for node, ips in self.networks.items()}
        self.moved: dict[str, str] = {}
        self.release = True
        self.claims = list(VOLUMES)
        self.namespaces = {NAMESPACE}
        self.failures = failures or {}
        self.calls: list[tuple[list[str], float, str | None]] = []
        self.api_calls: list[str] = []

    @property
    def argvs(self) -> list[list[str]]:
        return [argv for argv, _, _ in self.calls]

    def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> CommandResult:
        self.calls.append((list(argv), timeout, input))
        for prefix, answer in self.failures.items():
            if tuple(argv[: len(prefix)]) == prefix:
                if isinstance(answer, Exception):
                    raise answer
                return CommandResult(tuple(argv), answer.exit_code, answer.stdout, answer.stderr, 0.01)
        if argv[0] == "docker":
            return self._docker(list(argv))
        if list(argv) == HELM_STATUS:
            if not self.release:
                return failed(argv, "Error: release: not found\n")
            return ok(argv, json.dumps({"name": "camunda", "version": 1, "info": {"status": "deployed"}}))
        if list(argv[:2]) == ["helm", "uninstall"]:
            self.release = False
            return ok(argv, 'release "camunda" uninstalled\n')
        if list(argv) == DELETE_PVC:
            self.claims.clear()
            return ok(argv)
        if list(argv) == APPLY_NAMESPACE:
            match = re.search(r"name: (\S+)", input or "")
            assert match is not None, input
            self.namespaces.add(match.group(1))
            return ok(argv, f"namespace/{match.group(1)} created\n")
        raise AssertionError(f"unexpected command {list(argv)}")

    def _docker(self, argv: list[str]) -> CommandResult:
        def missing(name: str) -> CommandResult:
            return failed(argv, f"Error response from daemon: No such container: {name}\n")

        match argv[1:]:
            case ["container", "inspect", name]:
                if name not in self.networks:
                    return failed(argv, f"Error: No such container: {name}\n")
                running = name in self.running
                networks = {n: {"IPAddress": ip if running else ""} for n, ip in self.networks[name].items()}
                return ok(argv, json.dumps([{"Name": f"/{name}", "State": {"Running": running},
                                             "NetworkSettings": {"Networks": networks}}]))  # fmt: skip
            case ["stop", "--time", _, *names]:
                for name in names:
                    if name not in self.networks:
                        return missing(name)
                    self.running.discard(name)
                return ok(argv, "\n".join(names) + "\n")
            case ["network", "disconnect", "--force", network, name]:
                if network not in self.networks.get(name, {}):
                    return failed(argv, f"Error response from daemon: container {name} is not connected to {network}")
                del self.networks[name][network]
                return ok(argv)
            case ["network", "connect", network, name]:
                if name not in self.networks:
                    return missing(name)
                self.networks[name][network] = self.moved.get(name, self.addresses[name])
                return ok(argv)
        raise AssertionError(f"unexpected docker command {argv}")

    # The CoreV1Api calls KubePlatform makes, over the same state.

    def read_namespace(self, name: str, **_: Any) -> k8s.V1Namespace:
        self.api_calls.append("read_namespace")
        if name not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        return k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))

    def create_namespace(self, body: k8s.V1Namespace, **_: Any) -> k8s.V1Namespace:
        self.api_calls.append("create_namespace")
        assert body.metadata is not None
        self.namespaces.add(str(body.metadata.name))
        return body

    def list_namespaced_persistent_volume_claim(self, namespace: str, **_: Any) -> Any:
        self.api_calls.append("list_namespaced_persistent_volume_claim")
        items = [k8s.V1PersistentVolumeClaim(metadata=k8s.V1ObjectMeta(name=name)) for name in self.claims]
        return k8s.V1PersistentVolumeClaimList(items=items)

    def delete_namespaced_persistent_volume_claim(self, name: str, namespace: str, **_: Any) -> dict[str, Any]:
        self.api_calls.append(f"delete_namespaced_persistent_volume_claim {name}")
        self.claims.remove(name)
        return {"kind": "PersistentVolumeClaim"}


def kind_platform(region: FakeRegion, mode: str, **kwargs: Any) -> tuple[KindPlatform, list[str]]:
    """The platform for region 1 and the contexts its API client factory was asked for (one per fresh client)."""
    clients: list[str] = []

    def factory(context: str) -> Any:
        clients.append(context)
        return region

    settings: dict[str, Any] = {
        "loss_mode": mode,
        "nodes": NODES[1],
        "context": CONTEXT,
        "namespace": NAMESPACE,
        "chart_version": "13.12.7",
        "runner": region,
        "api_client_factory": factory,
        "helm_major": 3,
        **kwargs,
    }
    return KindPlatform(1, **settings), clients


# -- KindPlatform ---------------------------------------------------------------------------------------------


def test_stop_nodes_checks_every_node_exists_then_stops_them_all() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "stop-nodes")

    platform.lose_region()

    assert region.argvs == [*(inspect(n) for n in NODES[1]), *argvs(lose_commands("stop-nodes", NODES[1]))]
    assert region.calls[-1][1] == 60.0
    assert region.running == set()


def test_a_partition_records_the_node_addresses_then_cuts_every_node_off() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "partition")

    platform.lose_region()

    assert region.argvs == [*(inspect(n) for n in NODES[1]), *argvs(lose_commands("partition", NODES[1]))]
    assert region.networks == {node: {} for node in NODES[1]}
    assert region.running == set(NODES[1])


def test_recreating_a_partition_reconnects_checks_addresses_cleans_and_verifies_an_empty_namespace() -> None:
    region = FakeRegion(NODES[1])
    platform, clients = kind_platform(region, "partition")
    platform.namespace_state()
    platform.lose_region()
    region.calls.clear()
    region.api_calls.clear()

    platform.recreate_region()

    planned = recreate_commands("partition", NODES[1], context=CONTEXT, namespace=NAMESPACE, release="camunda")
    assert region.argvs == [*argvs(planned[:2]), *(inspect(n) for n in NODES[1]), *argvs(planned[2:]), HELM_STATUS]
    assert region.calls[-2][2] == MANIFEST
    assert region.api_calls == ["read_namespace", "list_namespaced_persistent_volume_claim"]
    assert (region.release, region.claims) == (False, [])
    assert region.networks == {NODES[1][0]: {"kind": "172.18.0.2"}, NODES[1][1]: {"kind": "172.18.0.3"}}
    assert clients == [CONTEXT, CONTEXT]  # the verification used a fresh API client, not one from before


def test_a_node_that_comes_back_at_another_address_fails_the_recreation_before_any_cleaning() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "partition")
    platform.lose_region()
    region.moved["c8-region1-worker"] = "172.18.0.9"

    with pytest.raises(PlatformError) as raised:
        platform.recreate_region()

    assert str(raised.value) == (
        f"{DESCRIPTION}: recreate region (partition): expected node c8-region1-worker back on kind at 172.18.0.3, "
        "got 172.18.0.9 (the cluster's advertised address and the other region's routes still name 172.18.0.3)"
    )
    assert region.release and region.claims == VOLUMES
    assert not any(argv[0] in ("helm", "kubectl") for argv in region.argvs)


def test_a_failing_docker_command_names_the_command_and_its_output() -> None:
    stderr = "Error response from daemon: Cannot kill container: permission denied\n"
    region = FakeRegion(NODES[1], failures={("docker", "stop"): failed((), stderr)})
    platform, _ = kind_platform(region, "stop-nodes")

    with pytest.raises(PlatformError) as raised:
        platform.lose_region()

    assert type(raised.value) is PlatformError
    assert str(raised.value) == (
        f"{DESCRIPTION}: lose region (stop-nodes): expected exit code 0 from "
        "docker stop --time 10 c8-region1-control-plane c8-region1-worker, "
        "got exit code 1: Error response from daemon: Cannot kill container: permission denied"
    )
    assert isinstance(raised.value.__cause__, CommandFailed)


def test_a_mistyped_node_fails_before_any_node_is_touched() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "partition", nodes=("c8-region1-control-plane", "c8-region1-wroker"))

    with pytest.raises(ContainerNotFound) as raised:
        platform.lose_region()

    assert str(raised.value) == (
        f"{DESCRIPTION}: lose region (partition): docker container inspect c8-region1-wroker: expected a container "
        "named c8-region1-wroker, got exit code 1: Error: No such container: c8-region1-wroker"
    )
    assert all(argv[:3] == ["docker", "container", "inspect"] for argv in region.argvs)
    assert region.networks["c8-region1-control-plane"] == {"kind": "172.18.0.2"}


def test_a_docker_that_does_not_finish_is_reported_by_the_region() -> None:
    timeout = PlatformError("local command", "docker stop --time 10 ...", "it to finish within 60 s", "still running")
    region = FakeRegion(NODES[1], failures={("docker", "stop"): timeout})
    platform, _ = kind_platform(region, "stop-nodes")

    with pytest.raises(PlatformError) as raised:
        platform.lose_region()

    assert str(raised.value) == (
        f"{DESCRIPTION}: lose region (stop-nodes): docker stop --time 10 ...: "
        "expected it to finish within 60 s, got still running"
    )


def test_a_cleaning_command_that_cannot_reach_the_cluster_makes_the_region_unreachable() -> None:
    stderr = 'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:39999/version": connection refused'
    region = FakeRegion(NODES[1], failures={("helm", "uninstall"): failed((), stderr)})
    platform, _ = kind_platform(region, "partition")
    platform.lose_region()

    with pytest.raises(RegionUnreachable, match=r"expected exit code 0 from helm uninstall camunda --kube-context"):
        platform.recreate_region()


def test_recreating_stopped_nodes_without_a_new_cluster_hook_is_a_clear_error() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "stop-nodes")
    platform.lose_region()
    region.calls.clear()

    with pytest.raises(PlatformError) as raised:
        platform.recreate_region()

    assert str(raised.value) == (
        f"{DESCRIPTION}: recreate region (stop-nodes): expected a recreate_cluster hook that makes a new kind "
        "cluster from the same config, got none given (`docker start` would bring the stopped nodes back with "
        "their old data)"
    )
    assert region.calls == []


def test_recreating_stopped_nodes_makes_a_new_cluster_then_the_namespace_on_a_fresh_client() -> None:
    region = FakeRegion(NODES[1])
    events: list[str] = []

    def new_cluster() -> None:  # what the kind plan does: same node names, nothing of the old cluster
        events.append("new cluster")
        region.running = set(NODES[1])
        region.release, region.claims, region.namespaces = False, [], {"default", "kube-system"}

    platform, clients = kind_platform(region, "stop-nodes", recreate_cluster=new_cluster)
    platform.namespace_state()
    platform.lose_region()
    region.calls.clear()

    platform.recreate_region()

    assert events == ["new cluster"]
    assert region.argvs == [APPLY_NAMESPACE, HELM_STATUS]
    assert NAMESPACE in region.namespaces
    assert clients == [CONTEXT, CONTEXT]  # the old cluster's client was dropped; the new one reads the new kubeconfig


def test_a_failing_new_cluster_plan_is_told_by_the_region() -> None:
    region = FakeRegion(NODES[1])
    command = PlannedCommand(("kind", "create", "cluster", "--name", "c8-region1"), "Create the cluster c8-region1")

    def new_cluster() -> None:
        execute([command], region)

    region.failures[("kind",)] = failed((), "ERROR: failed to create cluster: node(s) already exist")
    platform, _ = kind_platform(region, "stop-nodes", recreate_cluster=new_cluster)

    with pytest.raises(PlatformError, match=r"expected exit code 0 from kind create cluster --name c8-region1, got "):
        platform.recreate_region()


def test_the_uninstall_mode_is_kube_platforms_own() -> None:
    region = FakeRegion(NODES[1])
    platform, _ = kind_platform(region, "uninstall", nodes=())

    platform.lose_region()
    platform.recreate_region()

    assert region.argvs == [HELM_STATUS, ["helm", "uninstall", "camunda", *WHERE, "--wait", "--timeout", "10m"],
                            HELM_STATUS, HELM_STATUS]  # fmt: skip
    assert not any(argv[0] == "docker" for argv in region.argvs)
    assert (region.release, region.claims) == (False, [])


# -- docker helpers -------------------------------------------------------------------------------------------


def test_docker_helpers_read_state_networks_and_addresses() -> None:
    region = FakeRegion(NODES[0])
    node = NODES[0][0]

    assert is_running(region, node)
    assert networks_of(region, node) == {"kind"}
    assert container_ip(region, node, "kind") == "172.18.0.2"
    assert region.argvs == [inspect(node)] * 3

    region.running.clear()
    assert not is_running(region, node)
    with pytest.raises(PlatformError, match=r"expected an IPv4 address, got none \(is the container running\?\)$"):
        container_ip(region, node, "kind")


def test_an_address_on_a_network_the_container_is_not_on_is_an_error() -> None:
    region = FakeRegion(NODES[0])

    with pytest.raises(PlatformError) as raised:
        container_ip(region, NODES[0][0], "c8drill-kind-x")

    assert str(raised.value) == (
        "docker: IP address of c8-region0-control-plane on c8drill-kind-x: "
        "expected c8-region0-control-plane attached to c8drill-kind-x, got networks ['kind']"
    )


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (failed((), "Error: No such container: ghost\n"), ContainerNotFound,
         "docker: docker container inspect ghost: expected a container named ghost, "
         "got exit code 1: Error: No such container: ghost"),
        (failed((), "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n"), PlatformError,
         "docker: docker container inspect ghost: expected exit code 0, got exit code 1: "
         "Cannot connect to the Docker daemon at unix:///var/run/docker.sock."),
        (ok((), "[]"), PlatformError,
         "docker: docker container inspect ghost: expected a JSON list of one container, got '[]'"),
    ],
)  # fmt: skip
def test_inspect_says_what_went_wrong(answer: CommandResult, error: type[PlatformError], message: str) -> None:
    region = FakeRegion((), failures={("docker", "container", "inspect"): answer})

    with pytest.raises(error) as raised:
        inspect_container(region, "ghost")

    assert type(raised.value) is error
    assert str(raised.value) == message
    assert shlex.join(region.argvs[0]) == "docker container inspect ghost"
