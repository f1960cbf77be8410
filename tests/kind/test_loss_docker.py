"""The Docker region-loss modes against real containers: what the planned commands do to a running "region".

kind cannot run here, but its nodes are only containers on a user-defined network, so two regions of two busybox
containers each on a network of the test's own stand in for `kind`, and the very commands `lose_commands` and
`recreate_commands` plan are executed by a real `CommandRunner`. Containers are made with testcontainers-python
(no Ryuk: its image cannot be pulled here; nothing published), from an image imported from Debian's static
busybox, so no registry is needed. Traffic stays inside the test's network: `docker exec ... ping`.

Runs with `make test-docker` (`-m docker`). Without a Docker engine the tests skip, saying why, unless
C8_DRILL_REQUIRE_DOCKER=1 (CI's Docker job), where they fail instead.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from drill.api.errors import excerpt
from drill.kind.commands import execute
from drill.kind.docker import ContainerNotFound, container_ip, inspect_container, is_running, networks_of
from drill.kind.loss import KindPlatform, lose_commands, recreate_commands
from drill.platform.base import PlatformError
from drill.platform.commands import CommandResult, CommandRunner

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

pytestmark = pytest.mark.docker

IMAGE = "c8drill/busybox:local"
APPLETS = ("sh", "sleep", "ip", "ping", "nc")
SESSION_LABEL = "c8drill.test-session"
SESSION = secrets.token_hex(4)
TESTCONTAINERS_ENV = {
    "TESTCONTAINERS_RYUK_DISABLED": "true",
    "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1",
}
DOCKER_TIMEOUT = 30.0
REACH_WITHIN_SECONDS = 5.0


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when this run must have Docker (C8_DRILL_REQUIRE_DOCKER=1)."""
    if os.environ.get("C8_DRILL_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason} (C8_DRILL_REQUIRE_DOCKER=1)", pytrace=False)
    pytest.skip(reason)


def docker(runner: CommandRunner, *args: str, timeout: float = DOCKER_TIMEOUT) -> CommandResult:
    return runner.run(["docker", *args], timeout=timeout)


@pytest.fixture(scope="session")
def engine() -> Iterator[CommandRunner]:
    """A runner for a Docker engine that answers; at the end, anything of this session left behind is removed."""
    runner = CommandRunner()
    try:
        info = docker(runner, "info", "--format", "{{.ServerVersion}}", timeout=20)
    except PlatformError as exc:
        unavailable(f"no usable docker CLI: {exc}")
    if not info.ok:
        unavailable(
            f"no Docker engine answers `docker info` ({excerpt(info.stderr)}); install docker.io and start dockerd"
        )
    yield runner
    label = f"label={SESSION_LABEL}={SESSION}"
    left = docker(runner, "ps", "-aq", "--filter", label).stdout.split()
    if left:
        docker(runner, "rm", "-f", *left)
    networks = docker(runner, "network", "ls", "-q", "--filter", label).stdout.split()
    if networks:
        docker(runner, "network", "rm", *networks)


@pytest.fixture(scope="session")
def image(engine: CommandRunner) -> str:
    """`c8drill/busybox:local`, imported from the host's static busybox when missing (about a second)."""
    if docker(engine, "image", "inspect", "--format", "{{.Id}}", IMAGE).ok:
        return IMAGE
    busybox = shutil.which("busybox")
    if busybox is None:
        unavailable(f"image {IMAGE} is missing and there is no busybox to import: apt-get install busybox-static")
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        tar.addfile(_directory("bin"))
        tar.add(busybox, arcname="bin/busybox")
        for applet in APPLETS:
            link = tarfile.TarInfo(f"bin/{applet}")
            link.type, link.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(link)
    imported = subprocess.run(
        ["docker", "import", "-", IMAGE], input=archive.getvalue(), capture_output=True, timeout=60, check=False
    )
    if imported.returncode != 0:
        unavailable(f"docker import of {busybox} failed: {excerpt(imported.stderr.decode(errors='replace'))}")
    probe = docker(engine, "run", "--rm", IMAGE, "sh", "-c", "true")
    if not probe.ok:  # a dynamically linked busybox (Debian's `busybox`) cannot run in an image with no libc
        docker(engine, "image", "rm", IMAGE)
        unavailable(f"{busybox} does not run in an empty image ({excerpt(probe.stderr)}): install busybox-static")
    return IMAGE


def _directory(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


@pytest.fixture(scope="session")
def testcontainers_settings() -> Iterator[None]:
    """This machine's settings (no Ryuk, the host as the Docker host), for this session only."""
    try:
        from testcontainers.core.config import ConnectionMode, testcontainers_config
    except ImportError:
        unavailable("testcontainers is not installed (pip install -e '.[test]')")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TESTCONTAINERS_ENV.items():
            patch.setenv(name, value)
        patch.setattr(testcontainers_config, "ryuk_disabled", True)
        patch.setattr(testcontainers_config, "connection_mode_override", ConnectionMode.docker_host)
        patch.setattr(testcontainers_config, "tc_host_override", "127.0.0.1")
        yield


@dataclass
class Regions:
    """Two "regions" of two node containers on a network standing in for `kind`."""

    network: str
    nodes: dict[int, tuple[str, ...]]
    containers: dict[str, DockerContainer]
    runner: CommandRunner

    def ip(self, node: str) -> str:
        return container_ip(self.runner, node, self.network)

    def ping(self, source: str, address: str) -> bool:
        return docker(self.runner, "exec", source, "ping", "-c1", "-W1", address, timeout=10).ok

    def reaches(self, source: str, address: str) -> bool:
        """Within a few seconds (a reconnected endpoint may need a moment for ARP)."""
        deadline = time.monotonic() + REACH_WITHIN_SECONDS
        while not self.ping(source, address):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return True


@pytest.fixture
def regions(engine: CommandRunner, image: str, testcontainers_settings: None) -> Iterator[Regions]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.network import Network

    token = secrets.token_hex(4)
    labels = {SESSION_LABEL: SESSION}
    network = Network(docker_network_kw={"labels": labels})
    network.name = f"c8drill-kind-{token}"
    nodes = {region: tuple(f"c8drill-{token}-region{region}-node{i}" for i in (0, 1)) for region in (0, 1)}
    with ExitStack() as stack:
        stack.enter_context(network)  # removed last, after every container on it
        containers = {}
        for name in (*nodes[0], *nodes[1]):
            container = (
                DockerContainer(image)
                .with_name(name)
                .with_command("sleep 3600")
                .with_network(network)
                # --init: sleep as PID 1 would ignore SIGTERM and make every `docker stop --time 10` take 10 s
                .with_kwargs(init=True, labels=labels)
            )
            containers[name] = stack.enter_context(container)
        yield Regions(network.name, nodes, containers, engine)


# -- the planned commands, executed ----------------------------------------------------------------------------


def test_stop_nodes_stops_the_lost_regions_nodes_and_nothing_else(regions: Regions) -> None:
    lost, surviving = regions.nodes[1], regions.nodes[0]
    started = time.monotonic()

    execute(lose_commands("stop-nodes", lost, network=regions.network), regions.runner)

    assert time.monotonic() - started < 10, "stopped by SIGTERM, not by the 10 s kill"
    assert [is_running(regions.runner, node) for node in lost] == [False, False]
    assert [is_running(regions.runner, node) for node in surviving] == [True, True]
    assert regions.reaches(surviving[0], regions.ip(surviving[1]))
    assert regions.reaches(surviving[1], regions.ip(surviving[0]))


def test_a_partition_cuts_the_region_off_and_its_recreation_reconnects_it(regions: Regions) -> None:
    lost, surviving = regions.nodes[1], regions.nodes[0]
    before = {node: regions.ip(node) for node in lost}
    assert regions.reaches(surviving[0], before[lost[0]])

    execute(lose_commands("partition", lost, network=regions.network), regions.runner)

    assert [networks_of(regions.runner, node) for node in lost] == [set(), set()]
    assert [is_running(regions.runner, node) for node in lost] == [True, True]  # running, only unreachable
    assert not regions.ping(surviving[0], before[lost[0]])
    assert not regions.ping(surviving[1], before[lost[1]])
    assert regions.reaches(surviving[0], regions.ip(surviving[1]))
    assert [networks_of(regions.runner, node) for node in surviving] == [{regions.network}] * 2

    plan = recreate_commands(
        "partition", lost, network=regions.network, context="kind-c8-region1", namespace="ns", release="camunda"
    )
    reconnect = [command for command in plan if command.argv[0] == "docker"]
    assert reconnect == plan[: len(lost)]
    execute(reconnect, regions.runner)

    assert {node: regions.ip(node) for node in lost} == before
    assert regions.reaches(surviving[0], before[lost[0]])
    assert regions.reaches(lost[1], regions.ip(surviving[1]))
    assert regions.reaches(lost[0], before[lost[1]])


def test_the_helpers_read_real_containers(regions: Regions) -> None:
    node = regions.nodes[0][0]
    wrapped = regions.containers[node].get_wrapped_container()
    wrapped.reload()
    address = wrapped.attrs["NetworkSettings"]["Networks"][regions.network]["IPAddress"]

    assert container_ip(regions.runner, node, regions.network) == address
    assert inspect_container(regions.runner, node)["Id"] == wrapped.id
    assert networks_of(regions.runner, node) == {regions.network}
    assert is_running(regions.runner, node)
    with pytest.raises(ContainerNotFound, match=r"expected a container named c8drill-no-such-node, got exit code 1"):
        inspect_container(regions.runner, "c8drill-no-such-node")


# -- KindPlatform on real containers (helm, kubectl and the API server stood in) ------------------------------


class DockerForReal(CommandRunner):
    """Docker commands run for real; helm and kubectl answer as on a cluster whose release is already gone.

    Every run, real or not, reaches `on_result` as it would reach the journal.
    """

    def __init__(self, journal: list[CommandResult]) -> None:
        super().__init__(on_result=journal.append)

    def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> CommandResult:
        if argv[0] == "docker":
            return super().run(argv, timeout=timeout, input=input)
        missing = list(argv[:2]) == ["helm", "status"]
        result = CommandResult(tuple(argv), 1 if missing else 0, "", "Error: release: not found" if missing else "", 0)
        self._report(result)
        return result


class EmptyNamespace:
    """The API server of a region whose namespace exists and holds no volumes."""

    def read_namespace(self, name: str, **_: Any) -> k8s.V1Namespace:
        return k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))

    def list_namespaced_persistent_volume_claim(self, namespace: str, **_: Any) -> Any:
        return k8s.V1PersistentVolumeClaimList(items=[])

    def create_namespace(self, body: Any, **_: Any) -> Any:
        raise ApiException(status=409, reason="Conflict")


def platform_for(regions: Regions, mode: str, journal: list[CommandResult], **kwargs: Any) -> KindPlatform:
    settings: dict[str, Any] = {
        "loss_mode": mode,
        "nodes": regions.nodes[1],
        "network": regions.network,
        "context": "kind-c8-region1",
        "namespace": "camunda-region1",
        "chart_version": None,
        "helm_major": 3,
        "runner": DockerForReal(journal),
        "api_client_factory": lambda context: EmptyNamespace(),
        **kwargs,
    }
    return KindPlatform(1, **settings)


def test_kind_platform_partitions_and_recreates_a_region_of_real_containers(regions: Regions) -> None:
    journal: list[CommandResult] = []
    platform = platform_for(regions, "partition", journal)
    lost, surviving = regions.nodes[1], regions.nodes[0]
    address = regions.ip(lost[0])

    platform.lose_region()
    assert not regions.ping(surviving[0], address)
    platform.recreate_region()

    assert regions.reaches(surviving[0], address)
    docker_runs = [result for result in journal if result.argv[0] == "docker"]
    assert [result.argv[1:3] for result in docker_runs] == [
        *[("container", "inspect")] * 2, *[("network", "disconnect")] * 2,
        *[("network", "connect")] * 2, *[("container", "inspect")] * 2,
    ]  # fmt: skip
    assert all(result.exit_code == 0 and result.duration_s > 0 for result in docker_runs)
    assert [result.argv[0] for result in journal[len(docker_runs) :]] == ["helm", "kubectl", "kubectl", "helm"]


def test_kind_platform_stops_no_node_when_one_name_is_wrong(regions: Regions) -> None:
    journal: list[CommandResult] = []
    nodes = (regions.nodes[1][0], "c8drill-no-such-node")
    platform = platform_for(regions, "stop-nodes", journal, nodes=nodes)

    with pytest.raises(ContainerNotFound, match=r"lose region \(stop-nodes\): docker container inspect c8drill-no-"):
        platform.lose_region()

    assert is_running(regions.runner, regions.nodes[1][0])
    assert [result.argv[1] for result in journal] == ["container", "container"]


def test_kind_platform_stop_nodes_then_a_new_cluster_hook(regions: Regions) -> None:
    journal: list[CommandResult] = []
    made: list[str] = []
    platform = platform_for(regions, "stop-nodes", journal, recreate_cluster=lambda: made.append("cluster"))

    platform.lose_region()
    assert [is_running(regions.runner, node) for node in regions.nodes[1]] == [False, False]
    platform.recreate_region()

    assert made == ["cluster"]
    assert [result.argv[:2] for result in journal][-3:] == [("docker", "stop"), ("kubectl", "--context"),
                                                            ("helm", "status")]  # fmt: skip
