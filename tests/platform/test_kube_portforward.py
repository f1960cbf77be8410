"""kubectl port-forward supervision with a fake kubectl: argv, parsing, bounded waits, restarts and stops."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from drill.platform.base import PlatformError
from drill.platform.kube_portforward import PortForward, port_forward_argv

TARGET = "kube context kind-c8-region1, namespace camunda-region1"
GATEWAY_ARGV = [
    "kubectl", "--context", "kind-c8-region1", "-n", "camunda-region1", "port-forward", "svc/camunda-zeebe-gateway",
    ":8080", ":9600", "--address", "127.0.0.1",
]  # fmt: skip


def gateway_forward(launcher: Any, *, ready_timeout: float = 2.0) -> PortForward:
    return PortForward(
        TARGET, "camunda-zeebe-gateway", (8080, 9600), context="kind-c8-region1", namespace="camunda-region1",
        launcher=launcher, ready_timeout=ready_timeout,
    )  # fmt: skip


def test_the_argv_lets_kubectl_pick_free_local_ports_on_loopback() -> None:
    assert port_forward_argv("camunda-zeebe-gateway", (8080, 9600), context="kind-c8-region1",
                             namespace="camunda-region1") == GATEWAY_ARGV  # fmt: skip


def test_local_ports_are_read_from_kubectls_forwarding_lines(fake_kubectl) -> None:
    def script(argv: Sequence[str], start: int) -> tuple[list[str], int | None]:
        return ["Handling connection for 8080", *fake_kubectl.forwarding((41001, 8080), (41002, 9600))], None

    launcher = fake_kubectl(script)
    forward = gateway_forward(launcher)

    ports = forward.ensure()

    assert ports == {8080: 41001, 9600: 41002}
    assert launcher.started[0].argv == GATEWAY_ARGV
    assert forward.alive()
    forward.stop()
    assert launcher.started[0].signals == ["TERM"]
    assert not forward.alive()


def test_a_running_forward_is_reused_and_a_dead_one_restarted_on_new_ports(fake_kubectl) -> None:
    def script(argv: Sequence[str], start: int) -> tuple[list[str], int | None]:
        base = 41000 + 10 * start
        return fake_kubectl.forwarding((base + 1, 8080), (base + 2, 9600)), None

    launcher = fake_kubectl(script)
    forward = gateway_forward(launcher)
    first = forward.ensure()
    again = forward.ensure()

    launcher.started[0].exit(1)  # the pod behind the forward went away
    restarted = forward.ensure()

    assert first == again == {8080: 41001, 9600: 41002}
    assert restarted == {8080: 41011, 9600: 41012}
    assert (len(launcher.started), forward.starts) == (2, 2)
    forward.stop()


def test_a_forward_that_dies_before_forwarding_says_what_kubectl_said(fake_kubectl) -> None:
    def script(argv: Sequence[str], start: int) -> tuple[list[str], int | None]:
        return ['error: services "camunda-zeebe-gateway" not found'], 1

    forward = gateway_forward(fake_kubectl(script))

    with pytest.raises(PlatformError) as raised:
        forward.ensure()

    assert str(raised.value) == (
        f"{TARGET}: port-forward svc/camunda-zeebe-gateway ({' '.join(GATEWAY_ARGV)}): expected "
        "'Forwarding from 127.0.0.1:N -> 8080' and 'Forwarding from 127.0.0.1:N -> 9600' within 2 s, "
        'got exit code 1; output: error: services "camunda-zeebe-gateway" not found'
    )
    assert not forward.alive()


def test_a_forward_that_never_forwards_every_port_is_stopped_after_a_bounded_wait(fake_kubectl) -> None:
    def script(argv: Sequence[str], start: int) -> tuple[list[str], int | None]:
        return fake_kubectl.forwarding((41001, 8080)), None

    launcher = fake_kubectl(script)
    forward = gateway_forward(launcher, ready_timeout=0.2)

    with pytest.raises(PlatformError, match=re.escape("got no such line; output: Forwarding from 127.0.0.1:41001")):
        forward.ensure()

    assert launcher.started[0].signals == ["TERM"]
    assert not forward.alive()


def test_kubectl_missing_is_named() -> None:
    def missing(argv: Sequence[str]) -> None:
        raise FileNotFoundError(2, "No such file or directory", "kubectl")

    forward = PortForward(TARGET, "camunda-elasticsearch", (9200,), context="c", namespace="n", launcher=missing)

    with pytest.raises(PlatformError) as raised:
        forward.ensure()

    assert str(raised.value) == (
        f"{TARGET}: port-forward svc/camunda-elasticsearch (kubectl --context c -n n port-forward "
        "svc/camunda-elasticsearch :9200 --address 127.0.0.1): expected kubectl to start, got No such file or directory"
    )


def test_a_real_process_is_read_through_its_pipe_and_terminated_on_stop(tmp_path: Path) -> None:
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(
        f"#!{sys.executable}\n"
        "import sys, time\n"
        "print('Forwarding from 127.0.0.1:43001 -> 8080', flush=True)\n"
        "print('Forwarding from 127.0.0.1:43002 -> 9600', flush=True)\n"
        "print('args', *sys.argv[1:], flush=True)\n"
        "time.sleep(30)\n"
    )
    kubectl.chmod(0o755)
    forward = PortForward(
        TARGET, "camunda-zeebe-gateway", (8080, 9600), context="kind-c8-region1", namespace="camunda-region1",
        kubectl=str(kubectl),
    )  # fmt: skip

    ports = forward.ensure()
    process = forward.process
    forward.stop()

    assert ports == {8080: 43001, 9600: 43002}
    assert process is not None and process.poll() == -15
    assert not forward.alive()
