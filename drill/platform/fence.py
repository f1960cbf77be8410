"""The fence of a lost region on Kubernetes: a deny-all NetworkPolicy in its Camunda namespace.

A region that was lost and comes back as it was (a "zombie": a partition heals, stopped nodes restart) still runs
brokers with the old cluster configuration and a gateway clients may still reach. Fencing it before traffic is
redirected (and keeping the fence until the region has been wiped and is about to be redeployed) means such a
return cannot rejoin the cluster or take writes. The policy selects every pod of the namespace and allows neither
ingress nor egress, so it needs no knowledge of Camunda's labels and holds for whatever the chart deploys.

The manifest and the kubectl command lines are built here once, for both the platform that runs them and the
runbook that prints them (with the procedure's shell variables in place of context and namespace).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

FENCE_NAME = "c8-drill-fence"
MANAGED_BY = {"app.kubernetes.io/managed-by": "c8-drill", "c8-drill/purpose": "fence"}
DENY_ALL_SPEC: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def manifest(namespace: str) -> str:
    """The policy as `kubectl apply -f -` reads it: every pod selected, no ingress and no egress allowed."""
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": FENCE_NAME,
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
            "annotations": {"c8-drill/why": "the region was lost; it must not rejoin until it is recreated"},
        },
        "spec": DENY_ALL_SPEC,
    }
    return yaml.safe_dump(policy, sort_keys=False)


REQUEST_TIMEOUT = "30s"


def _kubectl(context: str, namespace: str, *args: str, kubectl: str = "kubectl") -> list[str]:
    """A bounded request: an API server that is gone (a lost region) then says "Unable to connect to the server"
    in time, which the platform reads as unreachable, instead of hanging until the runner kills it."""
    return [kubectl, "--context", context, "-n", namespace, "--request-timeout", REQUEST_TIMEOUT, *args]


def apply_argv(context: str, namespace: str, *, kubectl: str = "kubectl") -> list[str]:
    return _kubectl(context, namespace, "apply", "-f", "-", kubectl=kubectl)


def lift_argv(context: str, namespace: str, *, kubectl: str = "kubectl") -> list[str]:
    """`--ignore-not-found`: a region recreated as a new cluster, or never fenced, has nothing to lift."""
    return _kubectl(context, namespace, "delete", "networkpolicy", FENCE_NAME, "--ignore-not-found", kubectl=kubectl)


def read_argv(context: str, namespace: str, *, kubectl: str = "kubectl", output: str = "json") -> list[str]:
    """`--ignore-not-found` prints nothing for a missing policy, so absence is an answer, not an error."""
    return _kubectl(
        context, namespace, "get", "networkpolicy", FENCE_NAME, "-o", output, "--ignore-not-found", kubectl=kubectl
    )


def deny_all_problem(policy: Mapping[str, Any]) -> str | None:
    """Why `policy` (a NetworkPolicy as the API returns it) is not the drill's fence, or None when it is.

    Someone may have edited the policy by hand (an allow rule added to debug); a fence with a hole is no fence.
    """
    spec = policy.get("spec")
    if not isinstance(spec, Mapping):
        return f"no spec in {json.dumps(policy, sort_keys=True, default=str)[:200]}"
    seen = {
        "podSelector": spec.get("podSelector"),
        "policyTypes": sorted(spec.get("policyTypes") or []),
        "ingress": spec.get("ingress") or [],
        "egress": spec.get("egress") or [],
    }
    wanted = {"podSelector": {}, "policyTypes": ["Egress", "Ingress"], "ingress": [], "egress": []}
    if seen != wanted:
        return f"spec {json.dumps(seen, sort_keys=True)} instead of {json.dumps(wanted, sort_keys=True)}"
    return None
