"""The fence on kube and kind: the exact kubectl commands and manifest, how its state is read, and an API that is
gone said as an unreachable region (which the fence stage may accept), not as a broken harness."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drill.kind.loss import KindPlatform
from drill.platform.base import PlatformError, RegionUnreachable
from drill.platform.kube import KubePlatform

WHERE = ["kubectl", "--context", "kind-c8-region1", "-n", "camunda-region1", "--request-timeout", "30s"]
MANIFEST = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: c8-drill-fence
  namespace: camunda-region1
  labels:
    app.kubernetes.io/managed-by: c8-drill
    c8-drill/purpose: fence
  annotations:
    c8-drill/why: the region was lost; it must not rejoin until it is recreated
spec:
  podSelector: {}
  policyTypes:
  - Ingress
  - Egress
"""
REFUSED = "The connection to the server 127.0.0.1:39999 was refused - did you specify the right host or port?\n"


def platform(runner: Any, **kwargs: Any) -> KubePlatform:
    return KubePlatform(
        1, context="kind-c8-region1", namespace="camunda-region1", chart_version="13.12.7", runner=runner, **kwargs
    )


def policy(**spec: Any) -> str:
    return json.dumps({"kind": "NetworkPolicy", "metadata": {"name": "c8-drill-fence"}, "spec": spec})


def test_the_fence_is_a_deny_all_policy_applied_from_stdin(fake_runner) -> None:
    runner = fake_runner({("kubectl",): fake_runner.result("networkpolicy.networking.k8s.io/c8-drill-fence created\n")})

    applied = platform(runner).fence()

    assert runner.argvs == [[*WHERE, "apply", "-f", "-"]]
    assert runner.inputs == [MANIFEST]
    assert applied == MANIFEST  # what the journal's action output shows


def test_lifting_deletes_it_and_a_missing_one_is_no_error(fake_runner) -> None:
    runner = fake_runner({("kubectl",): fake_runner.result("")})

    platform(runner).lift_fence()

    assert runner.argvs == [[*WHERE, "delete", "networkpolicy", "c8-drill-fence", "--ignore-not-found"]]


@pytest.mark.parametrize(
    ("stdout", "fenced"),
    [("", False), (policy(podSelector={}, policyTypes=["Egress", "Ingress"]), True)],
    ids=["absent", "deny-all"],
)
def test_the_fence_is_read_by_name(fake_runner, stdout: str, fenced: bool) -> None:
    runner = fake_runner({("kubectl",): fake_runner.result(stdout)})

    assert platform(runner).fenced() is fenced
    assert runner.argvs == [[*WHERE, "get", "networkpolicy", "c8-drill-fence", "-o", "json", "--ignore-not-found"]]


def test_a_fence_with_a_hole_is_not_taken_for_one(fake_runner) -> None:
    opened = policy(podSelector={}, policyTypes=["Ingress", "Egress"], ingress=[{"from": [{"podSelector": {}}]}])
    runner = fake_runner({("kubectl",): fake_runner.result(opened)})

    with pytest.raises(PlatformError, match=r"read the fence: expected NetworkPolicy c8-drill-fence denying all "
                       r'ingress and egress, got spec .*"ingress": \[\{"from"'):  # fmt: skip
        platform(runner).fenced()


@pytest.mark.parametrize("operation", ["fence", "lift_fence", "fenced"])
def test_an_api_server_that_is_gone_makes_the_region_unreachable(fake_runner, operation: str) -> None:
    runner = fake_runner({("kubectl",): fake_runner.result(exit_code=1, stderr=REFUSED)})

    with pytest.raises(RegionUnreachable) as raised:
        getattr(platform(runner), operation)()

    assert str(raised.value).startswith("kube context kind-c8-region1, namespace camunda-region1: ")
    assert str(raised.value).endswith(f"expected exit code 0, got exit code 1: {REFUSED.strip()}")


def test_a_refused_apply_is_a_platform_error_naming_kubectls_words(fake_runner) -> None:
    stderr = 'Error from server (Forbidden): networkpolicies.networking.k8s.io is forbidden: User "drill" cannot create'
    runner = fake_runner({("kubectl",): fake_runner.result(exit_code=1, stderr=stderr)})

    with pytest.raises(PlatformError) as raised:
        platform(runner).fence()

    assert not isinstance(raised.value, RegionUnreachable)
    assert "apply the fence: expected exit code 0, got exit code 1: Error from server (Forbidden)" in str(raised.value)


def test_kind_fences_with_its_own_kubectl(fake_runner) -> None:
    runner = fake_runner({("/opt/kubectl",): fake_runner.result("")})
    kind = KindPlatform(
        1,
        loss_mode="stop-nodes",
        nodes=("c8-region1-control-plane",),
        context="kind-c8-region1",
        namespace="camunda-region1",
        chart_version="13.12.7",
        runner=runner,
        kubectl="/opt/kubectl",
    )

    kind.fence()

    assert runner.argvs == [["/opt/kubectl", *WHERE[1:], "apply", "-f", "-"]]
