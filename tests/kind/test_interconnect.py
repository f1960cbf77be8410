"""Connecting the kind clusters: exact argv of the routes and CoreDNS commands, the Corefile's forward block as
CoreDNS would read it, and checks that only pass when forwarding and both routes work."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

import pytest
import yaml

from drill.kind.commands import render
from drill.kind.interconnect import (
    CHECK_IMAGE,
    DEFAULT_COREFILE,
    coredns_commands,
    coredns_corefile,
    coredns_manifest,
    node_ip_capture,
    probe_cleanup_commands,
    probe_commands,
    probe_manifest,
    route_commands,
    verify_commands,
)
from drill.kind.topology import REGIONS, KindRegion

R0, R1 = REGIONS
BY_REGION = pytest.mark.parametrize("here", REGIONS, ids=lambda r: f"region{r.region}")


# -- a Corefile reader (server blocks, directives, nested blocks), enough to check what CoreDNS would see --------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] = field(default_factory=list)


def parse_corefile(text: str) -> dict[str, list[Directive]]:
    """Server blocks by their zone key; tokens are split on whitespace, braces are their own tokens."""
    tokens = [
        (token, number) for number, line in enumerate(text.splitlines()) for token in re.findall(r"[{}]|[^\s{}]+", line)
    ]
    position = 0

    def block() -> list[Directive]:
        nonlocal position
        directives: list[Directive] = []
        while True:
            token, number = tokens[position]
            if token == "}":
                position += 1
                return directives
            words = []
            while position < len(tokens) and tokens[position][1] == number and tokens[position][0] not in "{}":
                words.append(tokens[position][0])
                position += 1
            directive = Directive(words[0], words[1:])
            if position < len(tokens) and tokens[position][0] == "{":
                position += 1
                directive.block = block()
            directives.append(directive)

    servers: dict[str, list[Directive]] = {}
    while position < len(tokens):
        key = tokens[position][0]
        assert tokens[position + 1][0] == "{", f"expected a block after {key}"
        position += 2
        assert key not in servers, f"duplicate server block {key}"
        servers[key] = block()
    return servers


def directive(block: list[Directive], name: str) -> Directive:
    found = [d for d in block if d.name == name]
    assert len(found) == 1, f"expected one {name}, got {found}"
    return found[0]


# -- routes ------------------------------------------------------------------------------------------------------------


@BY_REGION
def test_node_ip_is_read_from_the_kind_network_into_a_named_variable(here: KindRegion) -> None:
    command = node_ip_capture(here)
    assert list(command.argv) == [
        "docker",
        "inspect",
        "-f",
        '{{(index .NetworkSettings.Networks "kind").IPAddress}}',
        f"c8-region{here.region}-control-plane",
    ]
    assert command.capture == f"REGION{here.region}_NODE_IP"


def test_region0_routes_both_region1_subnets_through_region1s_node() -> None:
    on_node = ["docker", "exec", "c8-region0-control-plane", "ip", "route", "replace"]
    assert [list(c.argv) for c in route_commands(R0)] == [
        [*on_node, "10.20.0.0/16", "via", "${REGION1_NODE_IP}"],
        [*on_node, "10.21.0.0/16", "via", "${REGION1_NODE_IP}"],
    ]


def test_region1_routes_both_region0_subnets_through_region0s_node() -> None:
    on_node = ["docker", "exec", "c8-region1-control-plane", "ip", "route", "replace"]
    assert [list(c.argv) for c in route_commands(R1)] == [
        [*on_node, "10.10.0.0/16", "via", "${REGION0_NODE_IP}"],
        [*on_node, "10.11.0.0/16", "via", "${REGION0_NODE_IP}"],
    ]


def test_routes_resolve_to_the_captured_address_and_print_as_a_shell_variable() -> None:
    routes = route_commands(R0)
    assert routes[0].resolved({"REGION1_NODE_IP": "172.18.0.3"})[-1] == "172.18.0.3"
    assert 'ip route replace 10.20.0.0/16 via "${REGION1_NODE_IP}"' in render(routes)


# -- CoreDNS -----------------------------------------------------------------------------------------------------------


@BY_REGION
def test_the_corefile_forwards_the_other_namespace_to_the_other_kube_dns_over_tcp(here: KindRegion) -> None:
    far = REGIONS[1 - here.region]
    servers = parse_corefile(coredns_corefile(here))
    assert set(servers) == {".:53", f"camunda-region{far.region}.svc.cluster.local:53"}
    block = servers[f"camunda-region{far.region}.svc.cluster.local:53"]
    forward = directive(block, "forward")
    assert forward.args == [".", far.kube_dns_ip]
    assert [d.name for d in forward.block] == ["force_tcp"]
    assert directive(block, "cache").args == ["30"]
    assert ipaddress.IPv4Address(far.kube_dns_ip) in ipaddress.IPv4Network(far.service_subnet)


@BY_REGION
def test_the_default_server_block_is_kubeadms_unchanged(here: KindRegion) -> None:
    assert coredns_corefile(here).startswith(DEFAULT_COREFILE)
    default = parse_corefile(coredns_corefile(here))[".:53"]
    assert directive(default, "kubernetes").args == ["cluster.local", "in-addr.arpa", "ip6.arpa"]
    assert directive(default, "forward").args == [".", "/etc/resolv.conf"]  # kind's node DNS (S3 container name)
    assert [d.name for d in default] == [
        *("errors", "health", "ready", "kubernetes", "prometheus", "forward", "cache", "loop", "reload", "loadbalance"),
    ]


@BY_REGION
def test_the_configmap_manifest_is_valid_yaml_carrying_the_corefile(here: KindRegion) -> None:
    manifest = yaml.safe_load(coredns_manifest(here))
    assert manifest["apiVersion"] == "v1" and manifest["kind"] == "ConfigMap"
    assert manifest["metadata"] == {"name": "coredns", "namespace": "kube-system"}
    assert manifest["data"] == {"Corefile": coredns_corefile(here)}


def test_coredns_is_applied_then_restarted_then_awaited() -> None:
    commands = coredns_commands(R0)
    kube = ["kubectl", "--context", "kind-c8-region0", "--namespace", "kube-system"]
    assert [list(c.argv) for c in commands] == [
        [*kube, "apply", "-f", "-"],
        [*kube, "rollout", "restart", "deployment/coredns"],
        [*kube, "rollout", "status", "deployment/coredns", "--timeout=180s"],
    ]
    assert commands[0].stdin == coredns_manifest(R0)
    assert commands[2].timeout > 180


# -- verification ------------------------------------------------------------------------------------------------------


@BY_REGION
def test_the_probe_is_a_pod_behind_a_headless_service_serving_its_region_name(here: KindRegion) -> None:
    pod, service = yaml.safe_load_all(probe_manifest(here))
    assert (pod["kind"], service["kind"]) == ("Pod", "Service")
    assert pod["metadata"]["namespace"] == service["metadata"]["namespace"] == here.namespace
    assert service["spec"]["clusterIP"] == "None"  # the name resolves to the pod IP: the pod route is exercised
    assert service["spec"]["selector"] == pod["metadata"]["labels"]
    (container,) = pod["spec"]["containers"]
    assert container["image"] == CHECK_IMAGE
    assert f"echo dr-probe-region{here.region} > /tmp/index.html" in container["command"][2]
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["containerPort"] == 8080


def test_the_probe_is_applied_awaited_and_removed_in_its_namespace() -> None:
    kube = ["kubectl", "--context", "kind-c8-region1", "--namespace", "camunda-region1"]
    start, wait = probe_commands(R1)
    assert list(start.argv) == [*kube, "apply", "-f", "-"] and start.stdin == probe_manifest(R1)
    assert list(wait.argv) == [*kube, "wait", "--for=condition=Ready", "pod/dr-probe", "--timeout=180s"]
    (cleanup,) = probe_cleanup_commands(R1)
    assert list(cleanup.argv) == [
        *kube, "delete", "pod/dr-probe", "service/dr-probe", "--ignore-not-found", "--wait=false",
    ]  # fmt: skip


def test_region0_checks_region1s_dns_directly_then_a_region1_name_through_its_own_coredns() -> None:
    run = [
        *("kubectl", "--context", "kind-c8-region0", "--namespace", "default", "run"),
        *("--rm", "-i", "--quiet", "--restart=Never", "--image=busybox:1.36", "--image-pull-policy=IfNotPresent"),
        *("--pod-running-timeout=3m", "--command", "--"),
    ]
    dns, name = verify_commands(R0)
    lookup = ["nslookup", "kube-dns.kube-system.svc.cluster.local", "10.21.0.10"]
    assert list(dns.argv) == [*run[:6], "dr-check-dns-to-region1", *run[6:], *lookup]
    assert list(name.argv) == [
        *run[:6],
        "dr-check-to-region1",
        *run[6:],
        "sh",
        "-c",
        "wget -q -O - -T 5 http://dr-probe.camunda-region1.svc.cluster.local:8080/ | grep -x dr-probe-region1",
    ]


@BY_REGION
def test_the_name_check_asks_for_a_name_only_the_forward_can_answer(here: KindRegion) -> None:
    far = REGIONS[1 - here.region]
    script = verify_commands(here)[1].argv[-1]
    assert f".{far.namespace}.svc.cluster.local" in script and here.namespace not in script
    assert script.endswith(f"grep -x dr-probe-region{far.region}")  # the page names the far region
    assert verify_commands(here)[1].argv[2] == here.context  # asked in this cluster, so of its CoreDNS
