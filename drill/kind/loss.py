"""The three ways a drill on kind loses a region, as planned commands, and the platform that carries them out.

- `uninstall` (Camunda CI's mode): the release and its volumes are deleted through helm and the Kubernetes API;
  the cluster stays up. `KindPlatform` delegates it to `KubePlatform`; `uninstall_commands` is its printable
  equivalent for a dry run (helm uninstall, then every PVC deleted).
- `stop-nodes`: `docker stop` on the region's node containers. The API server, brokers and Elasticsearch vanish
  at once, as in a real data-centre loss, but the data stays on disk: `docker start` would bring the old region
  back, which is not what failback starts from. Recreating it means a new kind cluster from the same config
  (`needs_new_cluster`), which the kind plan makes (`recreate_cluster_plan(region, options)` in `drill/kind/plan.py`).
- `partition`: the region's nodes are cut off the `kind` network. Nothing is deleted and the region keeps
  running on its own, so the recreation reconnects it and then cleans the namespace (uninstall, volumes).

Every command is a `PlannedCommand` first, so `--dry-run` prints exactly what a real run executes, and every run
goes through the platform's `CommandRunner`, which journals argv, exit code and output.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from typing import Any

from drill.api.errors import excerpt
from drill.kind.commands import CommandFailed, PlannedCommand, execute
from drill.kind.docker import (
    DOCKER,
    connect_argv,
    container_ip,
    disconnect_argv,
    inspect_container,
    stop_argv,
)
from drill.kind.modes import LOSS_MODES
from drill.platform.base import PlatformError, RegionUnreachable
from drill.platform.helm_values import duration_seconds, helm_argv
from drill.platform.kube import HELM_GRACE_SECONDS, UNREACHABLE_OUTPUT, KubePlatform

NETWORK = "kind"
STOP_GRACE_SECONDS = 10
DOCKER_TIMEOUT_SECONDS = 60.0
KUBECTL_DELETE_TIMEOUT_SECONDS = 300.0
KUBECTL_APPLY_TIMEOUT_SECONDS = 60.0


def check_mode(mode: str) -> str:
    if mode not in LOSS_MODES:
        raise ValueError(f"Expected a region-loss mode, one of {', '.join(LOSS_MODES)}; got {mode!r}")
    return mode


def needs_new_cluster(mode: str) -> bool:
    """Whether recreating the region needs a new kind cluster first (the kind plan's `recreate_cluster_plan`).

    Only `stop-nodes`: its stopped nodes still hold the old data, so restarting them is a return, not a
    recreation. After the new cluster exists, `recreate_commands(mode, ...)` gives the rest (the namespace).
    """
    return check_mode(mode) == "stop-nodes"


def lose_commands(
    mode: str, region_nodes: Sequence[str], *, network: str = NETWORK, docker: str = DOCKER
) -> list[PlannedCommand]:
    """The Docker commands that lose the region; none for `uninstall`, which goes through helm and the API
    (print `uninstall_commands` for it in a dry run)."""
    nodes = _nodes(check_mode(mode), region_nodes)
    if mode == "stop-nodes":
        why = "Lose the region: stop its kind node containers (API server, brokers and Elasticsearch go at once)"
        argv = stop_argv(nodes, grace_seconds=STOP_GRACE_SECONDS, docker=docker)
        return [PlannedCommand(argv, why, timeout=DOCKER_TIMEOUT_SECONDS)]
    if mode == "partition":
        return [
            PlannedCommand(
                disconnect_argv(network, node, docker=docker),
                f"Lose the region: cut node {node} off the {network} network (it keeps running, unreachable)",
                timeout=DOCKER_TIMEOUT_SECONDS,
            )
            for node in nodes
        ]
    return []


def reconnect_commands(
    region_nodes: Sequence[str], *, network: str = NETWORK, docker: str = DOCKER
) -> list[PlannedCommand]:
    """Undo a partition: each node back on the network (the first step of recreating a partitioned region)."""
    return [
        PlannedCommand(
            connect_argv(network, node, docker=docker),
            f"Recreate the region: reconnect node {node} to the {network} network",
            timeout=DOCKER_TIMEOUT_SECONDS,
        )
        for node in _nodes("partition", region_nodes)
    ]


def uninstall_commands(
    context: str,
    namespace: str,
    release: str,
    *,
    helm_major: int = 3,
    helm_timeout: str = "10m",
    helm: str = "helm",
    kubectl: str = "kubectl",
) -> list[PlannedCommand]:
    """Delete the release and every volume in the namespace: what failback step 1 needs of a recreated region.

    The helm argv is `KubePlatform.helm_uninstall`'s (same order, same Helm 3/4 `--wait`) plus
    `--ignore-not-found`, so a repeated recreation does not fail on a release that is already gone.
    """
    uninstall = helm_argv(
        "uninstall",
        release,
        None,
        version=None,
        kube_context=context,
        namespace=namespace,
        helm_major=helm_major,
        wait=True,
        timeout=helm_timeout,
        binary=helm,
    )
    return [
        PlannedCommand(
            (*uninstall, "--ignore-not-found"),
            f"Clean the namespace: uninstall release {release} and wait for its pods to go",
            timeout=duration_seconds(helm_timeout) + HELM_GRACE_SECONDS,
        ),
        PlannedCommand(
            (kubectl, "--context", context, "-n", namespace, "delete", "pvc", "--all", "--wait=true"),
            "Clean the namespace: delete every volume claim (brokers' and Elasticsearch's data)",
            timeout=KUBECTL_DELETE_TIMEOUT_SECONDS,
        ),
    ]


def namespace_command(context: str, namespace: str, *, kubectl: str = "kubectl") -> PlannedCommand:
    """The namespace exists afterwards, whether or not it did before: `apply` of a manifest, argv only."""
    manifest = f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"
    return PlannedCommand(
        (kubectl, "--context", context, "apply", "-f", "-"),
        f"Recreate the region: namespace {namespace} exists",
        stdin=manifest,
        timeout=KUBECTL_APPLY_TIMEOUT_SECONDS,
    )


def recreate_commands(
    mode: str,
    region_nodes: Sequence[str],
    *,
    context: str,
    namespace: str,
    release: str,
    network: str = NETWORK,
    helm_major: int = 3,
    helm_timeout: str = "10m",
    docker: str = DOCKER,
    helm: str = "helm",
    kubectl: str = "kubectl",
) -> list[PlannedCommand]:
    """What gives back an empty region after a loss in `mode`.

    `partition`: reconnect, then uninstall and delete the volumes (the region kept its data), then the namespace.
    `stop-nodes`: only the namespace, to run after the kind plan's new cluster (see `needs_new_cluster`).
    `uninstall`: only the namespace; the loss deleted everything else already.
    """
    ensure_namespace = namespace_command(context, namespace, kubectl=kubectl)
    if check_mode(mode) != "partition":
        return [ensure_namespace]
    clean = uninstall_commands(
        context, namespace, release, helm_major=helm_major, helm_timeout=helm_timeout, helm=helm, kubectl=kubectl
    )
    return [*reconnect_commands(region_nodes, network=network, docker=docker), *clean, ensure_namespace]


def _nodes(mode: str, region_nodes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(region_nodes, str):  # one name passed where a list was meant: not a list of characters
        raise TypeError(f"Expected a sequence of node container names, got the string {region_nodes!r}")
    nodes = tuple(region_nodes)
    if mode != "uninstall" and (not nodes or not all(nodes)):
        raise ValueError(f"Loss mode {mode} needs the region's node container names, got {list(nodes)}")
    return nodes


class KindPlatform(KubePlatform):
    """A kind region that can be lost in any of `LOSS_MODES` and given back empty.

    The Docker modes first inspect every node, so a wrong name fails before any node is touched (never half a
    region lost). A partition records each node's address on the network and the recreation refuses a node that
    comes back at another one: kind's `kind` network has no user-set IPv4 subnet, so Docker cannot be told to
    reuse it, and the cluster's advertised address and the other region's routes would still name the old one.
    Recorded addresses live in this object only: a recreation from another process does not check them.
    """

    def __init__(
        self,
        region: int,
        *,
        loss_mode: str,
        nodes: Sequence[str] = (),
        network: str = NETWORK,
        recreate_cluster: Callable[[], None] | None = None,
        docker: str = DOCKER,
        **kube: Any,
    ) -> None:
        self.loss_mode = check_mode(loss_mode)
        self.nodes = _nodes(self.loss_mode, nodes)
        super().__init__(region, **kube)
        self.network = network
        self.recreate_cluster = recreate_cluster
        self.docker = docker
        self.kubectl = str(kube.get("kubectl", "kubectl"))
        self._node_ips: dict[str, str] = {}

    def lose_region(self) -> None:
        if self.loss_mode == "uninstall":
            super().lose_region()
            return
        operation = f"lose region ({self.loss_mode})"
        if self.loss_mode == "partition":
            self._node_ips = {node: self._ip(operation, node) for node in self.nodes}
        else:
            for node in self.nodes:
                self._inspect(operation, node)
        self._run(operation, lose_commands(self.loss_mode, self.nodes, network=self.network, docker=self.docker))
        self.close()  # API connections and port-forwards into the lost region are dead now

    def recreate_region(self) -> None:
        if self.loss_mode == "uninstall":
            super().recreate_region()
            return
        operation = f"recreate region ({self.loss_mode})"
        if self.loss_mode == "partition":
            commands = self._recreate_commands(helm_major=self._helm_major())
            reconnect, rest = commands[: len(self.nodes)], commands[len(self.nodes) :]
            self._run(operation, reconnect)
            self._check_node_ips(operation)
        else:
            self._new_cluster(operation)
            rest = self._recreate_commands(helm_major=3)  # the namespace only: no helm command to spell
        self.close()  # a fresh API connection (a new cluster has new certificates and a new port)
        self._run(operation, rest)
        super().recreate_region()  # the same check as every target: reachable, no release, no volumes

    def _new_cluster(self, operation: str) -> None:
        if self.recreate_cluster is None:
            raise PlatformError(
                self.description,
                operation,
                "a recreate_cluster hook that makes a new kind cluster from the same config",
                "none given (`docker start` would bring the stopped nodes back with their old data)",
            )
        try:
            self.recreate_cluster()
        except CommandFailed as exc:
            raise self._failed(operation, exc) from exc

    def _recreate_commands(self, *, helm_major: int) -> list[PlannedCommand]:
        return recreate_commands(
            self.loss_mode,
            self.nodes,
            context=self.context,
            namespace=self.namespace,
            release=self.release_name,
            network=self.network,
            helm_major=helm_major,
            helm_timeout=self.helm_timeout,
            docker=self.docker,
            helm=self.helm,
            kubectl=self.kubectl,
        )

    def _check_node_ips(self, operation: str) -> None:
        recorded, self._node_ips = self._node_ips, {}
        for node, before in recorded.items():
            after = self._ip(operation, node)
            if after != before:
                raise PlatformError(
                    self.description,
                    operation,
                    f"node {node} back on {self.network} at {before}",
                    f"{after} (the cluster's advertised address and the other region's routes still name {before})",
                )

    def _ip(self, operation: str, node: str) -> str:
        try:
            return container_ip(self.runner, node, self.network, docker=self.docker)
        except PlatformError as exc:
            raise self._retold(operation, exc) from exc

    def _inspect(self, operation: str, node: str) -> None:
        try:
            inspect_container(self.runner, node, docker=self.docker)
        except PlatformError as exc:
            raise self._retold(operation, exc) from exc

    def _run(self, operation: str, commands: Sequence[PlannedCommand]) -> None:
        try:
            execute(commands, self.runner)
        except CommandFailed as exc:
            raise self._failed(operation, exc) from exc
        except PlatformError as exc:  # the runner could not start it, or it did not finish in time
            raise self._retold(operation, exc) from exc

    def _retold(self, operation: str, exc: PlatformError) -> PlatformError:
        """A docker or runner error told by this region, keeping its type (e.g. `ContainerNotFound`)."""
        return type(exc)(self.description, f"{operation}: {exc.operation}", exc.expected, exc.seen)

    def _failed(self, operation: str, exc: CommandFailed) -> PlatformError:
        """One line naming the command, its exit code and output; unreachable when the API did not answer."""
        output = (exc.result.stderr or exc.result.stdout).strip()
        seen = f"exit code {exc.result.exit_code}" + (f": {excerpt(output)}" if output else "")
        expected = f"exit code 0 from {shlex.join(exc.command.argv)}"
        error = RegionUnreachable if any(m in output.lower() for m in UNREACHABLE_OUTPUT) else PlatformError
        return error(self.description, operation, expected, seen)
