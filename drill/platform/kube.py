"""A region on a real Kubernetes cluster (kind or an existing context): the official client, helm and kubectl.

Reads (pods, logs, configmaps, volumes) go through the kubernetes client, one ApiClient per context so two
regions never share global configuration; helm runs as a CLI through a `CommandRunner`, so the exact command is
evidence and Helm 3 and 4 both work; the region's services are reached through supervised `kubectl
port-forward`s. Nothing here waits for readiness (no `helm --wait` by default): a recreated region's brokers stay
NotReady until they join the cluster, so the procedure does its own bounded waits.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import pydantic
import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from drill.api.errors import excerpt
from drill.platform import fence as fencing
from drill.platform.base import (
    HelmRequest,
    HelmResult,
    NamespaceState,
    PlatformError,
    PodInfo,
    RegionUnreachable,
    ServiceUrls,
)
from drill.platform.commands import CommandResult, CommandRunner, detect_helm_major
from drill.platform.helm_values import (
    ValuesFileError,
    duration_seconds,
    helm_argv,
    helm_status_argv,
    load_values_files,
)
from drill.platform.kube_portforward import Launcher, PortForward

T = TypeVar("T")
GATEWAY_PORTS = (8080, 9600)
ELASTICSEARCH_PORT = 9200
HELM_GRACE_SECONDS = 60.0
STATUS_TIMEOUT_SECONDS = 60.0
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
UNREACHABLE_OUTPUT = (
    "kubernetes cluster unreachable",
    "connection refused",
    "no such host",
    "i/o timeout",
    "unable to connect to the server",  # kubectl's words for the same
    "the connection to the server",  # kubectl: "The connection to the server HOST:PORT was refused"
)
KUBECTL_TIMEOUT_SECONDS = 60.0


class CoreApi(Protocol):
    """The CoreV1Api calls this platform makes (tests stand in a fake with the same methods)."""

    def list_namespaced_pod(
        self, namespace: str, *, label_selector: str | None = None, _request_timeout: float | None = None
    ) -> Any: ...

    def read_namespaced_pod_log(self, name: str, namespace: str, *, _request_timeout: float | None = None) -> Any: ...

    def read_namespaced_config_map(
        self, name: str, namespace: str, *, _request_timeout: float | None = None
    ) -> Any: ...

    def list_namespaced_persistent_volume_claim(
        self, namespace: str, *, _request_timeout: float | None = None
    ) -> Any: ...

    def delete_namespaced_persistent_volume_claim(
        self, name: str, namespace: str, *, _request_timeout: float | None = None
    ) -> Any: ...

    def read_namespace(self, name: str, *, _request_timeout: float | None = None) -> Any: ...

    def create_namespace(self, body: Any, *, _request_timeout: float | None = None) -> Any: ...


ApiFactory = Callable[[str], CoreApi]


def core_api_for(context: str) -> CoreApi:
    """A CoreV1Api on its own ApiClient for `context`; never the global default configuration."""
    api: CoreApi = k8s.CoreV1Api(k8s_config.new_client_from_config(context=context))
    return api


class _Missing(PlatformError):
    """404 from the API server or `release: not found` from helm: callers that accept absence catch this."""


class KubePlatform:
    def __init__(
        self,
        region: int,
        *,
        context: str,
        namespace: str,
        release_name: str = "camunda",
        chart: str = "camunda/camunda-platform",
        chart_version: str | None,
        values_files: Sequence[Path] = (),
        runner: CommandRunner | None = None,
        api_client_factory: ApiFactory | None = None,
        helm_major: int | None = None,
        launcher: Launcher | None = None,
        helm_timeout: str = "10m",
        helm_wait: bool = False,
        helm: str = "helm",
        kubectl: str = "kubectl",
        api_timeout: float = 30.0,
        forward_ready_timeout: float = 15.0,
    ) -> None:
        self.region = region
        self.context = context
        self.namespace = namespace
        self.release_name = release_name
        self.chart = chart
        self.chart_version = chart_version
        self.values_files = tuple(Path(p) for p in values_files)
        self.description = f"kube context {context}, namespace {namespace}"
        self.runner = runner or CommandRunner()
        self.helm_major = helm_major
        self.helm_timeout = helm_timeout
        self.helm_wait = helm_wait
        self.helm = helm
        self.kubectl = kubectl
        self.api_timeout = api_timeout
        self._factory = api_client_factory or core_api_for
        self._core: CoreApi | None = None

        def forward(service: str, ports: tuple[int, ...]) -> PortForward:
            return PortForward(
                self.description,
                f"{release_name}-{service}",
                ports,
                context=context,
                namespace=namespace,
                kubectl=kubectl,
                launcher=launcher,
                ready_timeout=forward_ready_timeout,
            )

        self._forwards = {
            "gateway": forward("zeebe-gateway", GATEWAY_PORTS),
            "elasticsearch": forward("elasticsearch", (ELASTICSEARCH_PORT,)),
        }
        self._forward_lock = threading.Lock()

    # -- services -------------------------------------------------------------------------------------------------

    def service_urls(self) -> ServiceUrls:
        """Local URLs through port-forwards, (re)started here when not running: a forward dies with its pod."""
        with self._forward_lock:
            gateway = self._forwards["gateway"].ensure()
            elasticsearch = self._forwards["elasticsearch"].ensure()
        return ServiceUrls(
            gateway=f"http://127.0.0.1:{gateway[8080]}",
            management=f"http://127.0.0.1:{gateway[9600]}",
            elasticsearch=f"http://127.0.0.1:{elasticsearch[ELASTICSEARCH_PORT]}",
        )

    # -- helm -----------------------------------------------------------------------------------------------------

    def values(self, request: HelmRequest | None = None) -> dict[str, Any]:
        files = self.values_files + (request.values_files if request else ())
        try:
            return load_values_files(files)
        except ValuesFileError as exc:
            raise PlatformError(self.description, "read values files", "readable YAML mappings", str(exc)) from exc

    def helm_install(self, request: HelmRequest) -> HelmResult:
        return self._deploy("install", request, install=False)

    def helm_upgrade(self, request: HelmRequest, *, install: bool = False) -> HelmResult:
        return self._deploy("upgrade", request, install=install)

    def _deploy(self, verb: Literal["install", "upgrade"], request: HelmRequest, *, install: bool) -> HelmResult:
        full = HelmRequest(self.values_files + request.values_files, request.sets, request.set_strings)
        argv = helm_argv(
            verb,
            self.release_name,
            self.chart,
            version=self.chart_version,
            kube_context=self.context,
            namespace=self.namespace,
            request=full,
            install=install,
            helm_major=self._helm_major(),
            wait=self.helm_wait,
            timeout=self.helm_timeout,
            output="json",
            binary=self.helm,
        )
        operation = f"helm {verb}" + (" --install" if install else "")
        result = self._command(operation, argv, duration_seconds(self.helm_timeout) + HELM_GRACE_SECONDS)
        release = self._release_json(operation, result)
        try:
            return HelmResult(
                str(release["name"]), int(release["version"]), str(release["info"]["status"]), tuple(argv)
            )
        except (KeyError, TypeError, ValueError) as exc:
            seen = f"no {exc} in {excerpt(result.stdout)}"
            expected = "a release with name, version and info.status"
            raise PlatformError(self.description, operation, expected, seen) from exc

    def helm_uninstall(self) -> None:
        argv = helm_argv(
            "uninstall",
            self.release_name,
            None,
            version=None,
            kube_context=self.context,
            namespace=self.namespace,
            helm_major=self._helm_major(),
            wait=True,
            timeout=self.helm_timeout,
            binary=self.helm,
        )
        self._command("helm uninstall", argv, duration_seconds(self.helm_timeout) + HELM_GRACE_SECONDS)

    def _release(self) -> tuple[str, str] | None:
        """(name, status) from `helm status`, or None when helm knows no such release in the namespace."""
        argv = helm_status_argv(
            self.release_name, kube_context=self.context, namespace=self.namespace, binary=self.helm
        )
        try:
            result = self._command("helm status", argv, STATUS_TIMEOUT_SECONDS)
        except _Missing:
            return None
        release = self._release_json("helm status", result)
        info = release.get("info")
        status = info.get("status") if isinstance(info, dict) else None
        return str(release.get("name", self.release_name)), str(status or "unknown")

    def _command(
        self, operation: str, argv: Sequence[str], timeout: float, *, input: str | None = None
    ) -> CommandResult:
        """Run a helm (or kubectl) command; its failure said as this region's PlatformError, unreachable when the
        output says the API did not answer."""
        try:
            result = self.runner.run(argv, timeout=timeout, input=input)
        except PlatformError as exc:
            raise exc.retarget(self.description) from exc
        if result.ok:
            return result
        output = (result.stderr or result.stdout).strip()
        seen = f"exit code {result.exit_code}: {excerpt(output)}" if output else f"exit code {result.exit_code}"
        lowered = output.lower()
        if any(marker in lowered for marker in UNREACHABLE_OUTPUT):
            raise RegionUnreachable(self.description, operation, "exit code 0", seen)
        if "release: not found" in lowered:
            raise _Missing(self.description, operation, "exit code 0", seen)
        raise PlatformError(self.description, operation, "exit code 0", seen)

    def _release_json(self, operation: str, result: CommandResult) -> dict[str, Any]:
        try:
            release = json.loads(result.stdout)
        except json.JSONDecodeError:
            release = None
        if not isinstance(release, dict):
            raise PlatformError(self.description, operation, "helm's release JSON", repr(excerpt(result.stdout)))
        return release

    def _helm_major(self) -> int:
        if self.helm_major is None:
            try:
                self.helm_major = detect_helm_major(self.runner, binary=self.helm)
            except PlatformError as exc:
                raise exc.retarget(self.description) from exc
        return self.helm_major

    # -- namespace and volumes ------------------------------------------------------------------------------------

    def namespace_state(self) -> NamespaceState:
        try:
            volumes = self._volumes()
            release = self._release()
        except RegionUnreachable:
            return NamespaceState(reachable=False, release=None, release_status=None, volumes=())
        name, status = release if release is not None else (None, None)
        return NamespaceState(reachable=True, release=name, release_status=status, volumes=volumes)

    def _volumes(self) -> tuple[str, ...]:
        """Every PVC in the namespace: it is Camunda's own, and the procedure wants it without any volumes."""
        claims = self._api(
            "list persistent volume claims",
            "the namespace's PVCs",
            lambda: self.core.list_namespaced_persistent_volume_claim(
                self.namespace, _request_timeout=self.api_timeout
            ),
        )
        return tuple(sorted(str(claim.metadata.name) for claim in claims.items or ()))

    def delete_volumes(self) -> tuple[str, ...]:
        """Delete every PVC, refusing while the release still runs, as deleting volumes under live pods would."""
        release = self._release()
        if release is not None:
            raise PlatformError(
                self.description,
                "delete volumes",
                "no release using them (uninstall it first)",
                f"release {release[0]} {release[1]}",
            )
        deleted = []
        for name in self._volumes():
            with contextlib.suppress(_Missing):  # deleted meanwhile: the outcome wanted
                self._delete_claim(name)
            deleted.append(name)
        return tuple(deleted)

    def _delete_claim(self, name: str) -> None:
        self._api(
            f"delete persistent volume claim {name}",
            "the claim deleted",
            lambda: self.core.delete_namespaced_persistent_volume_claim(
                name, self.namespace, _request_timeout=self.api_timeout
            ),
        )

    def lose_region(self) -> None:
        """Camunda CI's "uninstall" mode of losing a region: the release and all its volumes are gone."""
        state = self.namespace_state()
        if not state.reachable:
            raise RegionUnreachable(self.description, "lose region", "a reachable cluster", "no answer")
        if state.release is not None:
            self.helm_uninstall()
        self.delete_volumes()

    def recreate_region(self) -> None:
        """The namespace exists and is empty; the cluster itself is not rebuilt here (kind does that, if asked)."""
        try:
            self._api(
                "read namespace",
                "the namespace",
                lambda: self.core.read_namespace(self.namespace, _request_timeout=self.api_timeout),
            )
        except _Missing:
            body = k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=self.namespace))
            self._api(
                "create namespace",
                "the namespace created",
                lambda: self.core.create_namespace(body, _request_timeout=self.api_timeout),
            )
        state = self.namespace_state()
        if not state.clean:
            release = f"release {state.release} {state.release_status}" if state.release else "no release"
            seen = f"{release}, volumes {list(state.volumes)}" if state.reachable else "no answer"
            raise PlatformError(
                self.description, "recreate region", "an empty namespace (no release, no volumes)", seen
            )

    # -- the fence ------------------------------------------------------------------------------------------------

    def fence(self) -> str:
        """`kubectl apply` of the deny-all policy (idempotent: fencing twice leaves one fence)."""
        text = fencing.manifest(self.namespace)
        argv = fencing.apply_argv(self.context, self.namespace, kubectl=self.kubectl)
        self._command("apply the fence", argv, KUBECTL_TIMEOUT_SECONDS, input=text)
        return text

    def lift_fence(self) -> None:
        argv = fencing.lift_argv(self.context, self.namespace, kubectl=self.kubectl)
        self._command("lift the fence", argv, KUBECTL_TIMEOUT_SECONDS)

    def fenced(self) -> bool:
        argv = fencing.read_argv(self.context, self.namespace, kubectl=self.kubectl)
        result = self._command("read the fence", argv, KUBECTL_TIMEOUT_SECONDS)
        if not result.stdout.strip():
            return False
        try:
            policy = json.loads(result.stdout)
        except json.JSONDecodeError:
            policy = None
        if not isinstance(policy, dict):
            seen = repr(excerpt(result.stdout))
            raise PlatformError(self.description, "read the fence", f"NetworkPolicy {fencing.FENCE_NAME} as JSON", seen)
        problem = fencing.deny_all_problem(policy)
        if problem is not None:
            expected = f"NetworkPolicy {fencing.FENCE_NAME} denying all ingress and egress"
            raise PlatformError(self.description, "read the fence", expected, problem)
        return True

    # -- pods and configuration -----------------------------------------------------------------------------------

    def pods(self) -> tuple[PodInfo, ...]:
        selector = f"app.kubernetes.io/instance={self.release_name}"
        pods = self._api(
            "list pods",
            f"pods with {selector}",
            lambda: self.core.list_namespaced_pod(
                self.namespace, label_selector=selector, _request_timeout=self.api_timeout
            ),
        )
        infos = (pod_info(pod, self.release_name, self.region) for pod in pods.items or ())
        return tuple(sorted(infos, key=lambda p: p.name))

    def pod_logs(self, pod: str) -> str:
        logs = self._api(
            f"read logs of pod {pod}",
            "the pod's log",
            lambda: self.core.read_namespaced_pod_log(pod, self.namespace, _request_timeout=self.api_timeout),
        )
        return str(logs or "")

    def configmap(self, name: str) -> dict[str, str] | None:
        try:
            found = self._api(
                f"read configmap {name}",
                "the configmap",
                lambda: self.core.read_namespaced_config_map(name, self.namespace, _request_timeout=self.api_timeout),
            )
        except _Missing:
            return None
        return {str(k): str(v) for k, v in (found.data or {}).items()}

    # -- plumbing -------------------------------------------------------------------------------------------------

    @property
    def core(self) -> CoreApi:
        if self._core is None:
            try:
                self._core = self._factory(self.context)
            except (ConfigException, OSError) as exc:
                raise PlatformError(
                    self.description, "load kubeconfig", f"a kubeconfig context named {self.context}", str(exc)
                ) from exc
        return self._core

    def _api(self, operation: str, expected: str, call: Callable[[], T]) -> T:
        """One API server call with its failures said in one line: 404 as `_Missing`, no answer as unreachable."""
        try:
            return call()
        except ApiException as exc:
            seen = f"HTTP {exc.status} {exc.reason or ''}".rstrip() + (
                f": {excerpt(str(exc.body))}" if exc.body else ""
            )
            if exc.status == 404:
                raise _Missing(self.description, operation, expected, seen) from exc
            if exc.status in UNAVAILABLE_STATUSES:
                raise RegionUnreachable(self.description, operation, expected, seen) from exc
            raise PlatformError(self.description, operation, expected, seen) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RegionUnreachable(self.description, operation, expected, f"no answer: {excerpt(str(exc))}") from exc
        except pydantic.ValidationError as exc:
            seen = f"an invalid object: {excerpt(str(exc))}"
            raise PlatformError(self.description, operation, expected, seen) from exc

    def close(self) -> None:
        for forward in self._forwards.values():
            forward.stop()
        api_client = getattr(self._core, "api_client", None)
        if api_client is not None and hasattr(api_client, "close"):
            api_client.close()
        self._core = None


_BROKER_POD = "{release}-zeebe-(?P<index>\\d+)"


def pod_info(pod: Any, release: str, region: int) -> PodInfo:
    """A pod as the procedure sees it: Zeebe brokers by the StatefulSet name (node id = 2 * index + region, the
    chart's rule), Elasticsearch by its chart's name label, anything else by its component label."""
    meta, status = pod.metadata, pod.status
    name = str(meta.name)
    labels = meta.labels or {}
    conditions = (status.conditions if status is not None else None) or ()
    ready = any(c.type == "Ready" and c.status == "True" for c in conditions)
    phase = str(status.phase) if status is not None and status.phase else "Unknown"
    broker = re.fullmatch(_BROKER_POD.format(release=re.escape(release)), name)
    if broker is not None:
        return PodInfo(name, "zeebe", ready, phase, 2 * int(broker.group("index")) + region)
    if labels.get("app.kubernetes.io/name") == "elasticsearch" or name.startswith(f"{release}-elasticsearch-"):
        return PodInfo(name, "elasticsearch", ready, phase, None)
    return PodInfo(name, str(labels.get("app.kubernetes.io/component") or "other"), ready, phase, None)
