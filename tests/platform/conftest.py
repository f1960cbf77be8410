"""Stand-ins for what this machine lacks: kubectl port-forward processes, helm, and a Kubernetes API server.

The Kubernetes objects are the real `kubernetes.client` models (keyword-only in 37.x), so a field the platform
reads that the real client does not have fails here too. Tests reach these classes through fixtures: this
directory cannot be imported by name (`platform` is a standard library module).
"""

from __future__ import annotations

import queue
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from drill.platform.commands import CommandResult, CommandRunner


class FakeStdout:
    """A pipe whose lines arrive when the test says, and which ends when the process ends."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.closed = False

    def readline(self) -> str:
        try:
            return self.lines.get(timeout=10)
        except queue.Empty:  # a test that forgot to end its process: end the drain instead of hanging
            return ""

    def close(self) -> None:
        self.closed = True


class FakeForwardProcess:
    def __init__(self, argv: Sequence[str], lines: Sequence[str] = (), exit_code: int | None = None) -> None:
        self.argv = list(argv)
        self.stdout = FakeStdout()
        self.returncode: int | None = None
        self.signals: list[str] = []
        for line in lines:
            self.stdout.lines.put(line + "\n")
        if exit_code is not None:
            self.exit(exit_code)

    def exit(self, code: int) -> None:
        """The process dies (its pod went away): its output ends."""
        if self.returncode is None:
            self.returncode = code
            self.stdout.lines.put("")

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.signals.append("TERM")
        self.exit(-15)

    def kill(self) -> None:
        self.signals.append("KILL")
        self.exit(-9)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.argv, timeout or 0)
        return self.returncode


class FakeLauncher:
    """Starts fake kubectls; `script(argv, start)` gives the lines and exit code of each start (0-based)."""

    @staticmethod
    def forwarding(*pairs: tuple[int, int]) -> list[str]:
        return [f"Forwarding from 127.0.0.1:{local} -> {remote}" for local, remote in pairs]

    def __init__(self, script: Callable[[Sequence[str], int], tuple[list[str], int | None]]) -> None:
        self.script = script
        self.started: list[FakeForwardProcess] = []

    def __call__(self, argv: Sequence[str]) -> FakeForwardProcess:
        starts = sum(1 for p in self.started if p.argv == list(argv))
        lines, code = self.script(argv, starts)
        process = FakeForwardProcess(argv, lines, code)
        self.started.append(process)
        return process


class FakeRunner(CommandRunner):
    """Records every argv and answers from `responses`: the first whose key is a prefix of the argv wins."""

    def __init__(self, responses: dict[tuple[str, ...], CommandResult | Exception] | None = None) -> None:
        super().__init__()
        self.responses = responses or {}
        self.calls: list[tuple[list[str], float]] = []
        self.inputs: list[str | None] = []  # what each command got on stdin (a manifest for `kubectl apply -f -`)

    def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> CommandResult:
        self.calls.append((list(argv), timeout))
        self.inputs.append(input)
        for prefix, response in self.responses.items():
            if tuple(argv[: len(prefix)]) == prefix:
                if isinstance(response, Exception):
                    raise response
                return CommandResult(tuple(argv), response.exit_code, response.stdout, response.stderr, 0.1)
        raise AssertionError(f"unexpected command {list(argv)}")

    @property
    def argvs(self) -> list[list[str]]:
        return [argv for argv, _ in self.calls]

    @staticmethod
    def result(stdout: str = "", *, exit_code: int = 0, stderr: str = "") -> CommandResult:
        return CommandResult((), exit_code, stdout, stderr, 0.1)


class FakeCoreV1Api:
    """The CoreV1Api methods the platform calls, over an in-memory namespace; records every call."""

    @staticmethod
    def pod(name: str, *, ready: bool, phase: str = "Running", labels: dict[str, str] | None = None) -> k8s.V1Pod:
        conditions = [
            k8s.V1PodCondition(type="PodScheduled", status="True"),
            k8s.V1PodCondition(type="Ready", status="True" if ready else "False"),
        ]
        return k8s.V1Pod(
            metadata=k8s.V1ObjectMeta(name=name, labels={"app.kubernetes.io/instance": "camunda", **(labels or {})}),
            status=k8s.V1PodStatus(phase=phase, conditions=conditions),
        )

    def __init__(
        self,
        *,
        pods: list[k8s.V1Pod] | None = None,
        claims: list[str] | None = None,
        configmaps: dict[str, dict[str, str]] | None = None,
        logs: dict[str, str] | None = None,
        namespaces: set[str] | None = None,
        failure: Exception | None = None,
    ) -> None:
        self._pods = pods or []
        self.claims = list(claims or [])
        self.configmaps = configmaps or {}
        self.logs = logs or {}
        self.namespaces = namespaces if namespaces is not None else {"camunda-region1"}
        self.failure = failure
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _record(self, method: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((method, args, kwargs))
        if self.failure is not None:
            raise self.failure

    def list_namespaced_pod(self, namespace: str, **kwargs: Any) -> k8s.V1PodList:
        self._record("list_namespaced_pod", namespace, **kwargs)
        return k8s.V1PodList(items=self._pods)

    def read_namespaced_pod_log(self, name: str, namespace: str, **kwargs: Any) -> str:
        self._record("read_namespaced_pod_log", name, namespace, **kwargs)
        if name not in self.logs:
            raise ApiException(status=404, reason="Not Found", body=f'{{"message":"pods \\"{name}\\" not found"}}')
        return self.logs[name]

    def read_namespaced_config_map(self, name: str, namespace: str, **kwargs: Any) -> k8s.V1ConfigMap:
        self._record("read_namespaced_config_map", name, namespace, **kwargs)
        if name not in self.configmaps:
            raise ApiException(status=404, reason="Not Found")
        return k8s.V1ConfigMap(metadata=k8s.V1ObjectMeta(name=name), data=self.configmaps[name])

    def list_namespaced_persistent_volume_claim(self, namespace: str, **kwargs: Any) -> Any:
        self._record("list_namespaced_persistent_volume_claim", namespace, **kwargs)
        items = [k8s.V1PersistentVolumeClaim(metadata=k8s.V1ObjectMeta(name=name)) for name in self.claims]
        return k8s.V1PersistentVolumeClaimList(items=items)

    def delete_namespaced_persistent_volume_claim(self, name: str, namespace: str, **kwargs: Any) -> dict[str, Any]:
        self._record("delete_namespaced_persistent_volume_claim", name, namespace, **kwargs)
        if name not in self.claims:
            raise ApiException(status=404, reason="Not Found")
        self.claims.remove(name)
        return {"kind": "PersistentVolumeClaim", "metadata": {"name": name}}  # 37.x deletes may answer dicts

    def read_namespace(self, name: str, **kwargs: Any) -> k8s.V1Namespace:
        self._record("read_namespace", name, **kwargs)
        if name not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        return k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name))

    def create_namespace(self, body: k8s.V1Namespace, **kwargs: Any) -> k8s.V1Namespace:
        self._record("create_namespace", body.metadata.name, **kwargs)
        self.namespaces.add(str(body.metadata.name))
        return body

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.calls]


@pytest.fixture
def fake_kubectl() -> type[FakeLauncher]:
    return FakeLauncher


@pytest.fixture
def fake_runner() -> type[FakeRunner]:
    return FakeRunner


@pytest.fixture
def fake_core() -> type[FakeCoreV1Api]:
    return FakeCoreV1Api
