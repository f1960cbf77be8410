"""Connecting the two kind clusters: static routes on the shared `kind` network, CoreDNS forwarding, and a check.

Camunda's dual-region setup expects brokers to reach the other region's pods by name in the other region's
namespace (`camunda-region1.svc.cluster.local`). On EKS Camunda chains CoreDNS to the other cluster over VPC
peering (c8-multi-region `aws/dual-region/scripts/generate_core_dns_entry.sh`); here the node containers share
the Docker network `kind`, so a route per remote subnet through the remote node, plus one forwarding server block
per remote namespace pointing at the remote kube-dns ClusterIP, give the same shape. Routes use `ip route replace`
and manifests `kubectl apply`, so rerunning after a node container restart (new IP) repairs instead of failing.
"""

from __future__ import annotations

from drill.kind.commands import PlannedCommand
from drill.kind.config import Literal, dump_yaml
from drill.kind.topology import KindRegion, other
from drill.platform.helm_values import duration_seconds

CHECK_IMAGE = "busybox:1.36"
PROBE_NAME = "dr-probe"
PROBE_PORT = 8080
CHECK_NAMESPACE = "default"
COREDNS_ROLLOUT_TIMEOUT = "180s"
PROBE_READY_TIMEOUT = "180s"
CHECK_POD_TIMEOUT = "3m"
_KUBECTL_SLACK_S = 60.0
_CHECK_TIMEOUT_S = duration_seconds(CHECK_POD_TIMEOUT) + _KUBECTL_SLACK_S

# kubeadm's default Corefile for the cluster.local domain (cmd/kubeadm/app/phases/addons/dns/manifests.go), which
# kind installs unchanged; the whole ConfigMap is replaced, so this must stay what a fresh cluster has.
DEFAULT_COREFILE = """\
.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
"""


def kubectl(region: KindRegion, *args: str) -> tuple[str, ...]:
    return ("kubectl", "--context", region.context, *args)


# -- routes ------------------------------------------------------------------------------------------------------------


def node_ip_capture(region: KindRegion) -> PlannedCommand:
    """The node's address on `kind`: Docker assigns it when the container starts, so it is read, never assumed."""
    return PlannedCommand(
        ("docker", "inspect", "-f", '{{(index .NetworkSettings.Networks "kind").IPAddress}}', region.node),
        why=f"read the address of region {region.region}'s node container on the kind network",
        timeout=30.0,
        capture=region.node_ip_variable,
    )


def route_commands(region: KindRegion) -> list[PlannedCommand]:
    """Routes on `region`'s node to the other cluster's pods and services, through the other cluster's node.

    The service route works because kube-proxy (iptables) on the far node translates ClusterIP traffic arriving
    from outside its cluster too; the one node of each cluster owns its whole pod subnet (see drill.kind.config).
    """
    far = other(region)
    via = "${" + far.node_ip_variable + "}"
    return [
        PlannedCommand(
            ("docker", "exec", region.node, "ip", "route", "replace", subnet, "via", via),
            why=f"route region {region.region}'s node to region {far.region}'s {what} ({subnet})",
            timeout=30.0,
        )
        for what, subnet in (("pods", far.pod_subnet), ("services", far.service_subnet))
    ]


# -- DNS ---------------------------------------------------------------------------------------------------------------


def forward_block(far: KindRegion) -> str:
    """Camunda's block for one remote namespace (generate_core_dns_entry.sh), pointed at the routed kube-dns IP."""
    return (
        f"{far.namespace}.svc.cluster.local:53 {{\n"
        "    errors\n"
        "    cache 30\n"
        f"    forward . {far.kube_dns_ip} {{\n"
        "        force_tcp\n"
        "    }\n"
        "}\n"
    )


def coredns_corefile(region: KindRegion) -> str:
    return DEFAULT_COREFILE + forward_block(other(region))


def coredns_manifest(region: KindRegion) -> str:
    return dump_yaml(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": Literal(coredns_corefile(region))},
        }
    )


def coredns_commands(region: KindRegion) -> list[PlannedCommand]:
    """Replace the Corefile, then restart CoreDNS so the forward is live now rather than at the next `reload`."""
    far = other(region)
    system = ("--namespace", "kube-system")
    return [
        PlannedCommand(
            kubectl(region, *system, "apply", "-f", "-"),
            why=f"make region {region.region}'s CoreDNS forward {far.namespace}.svc.cluster.local to region "
            f"{far.region}'s kube-dns ({far.kube_dns_ip})",
            stdin=coredns_manifest(region),
            timeout=60.0,
        ),
        PlannedCommand(
            kubectl(region, *system, "rollout", "restart", "deployment/coredns"),
            why=f"restart region {region.region}'s CoreDNS to load the new Corefile",
            timeout=60.0,
        ),
        PlannedCommand(
            kubectl(region, *system, "rollout", "status", "deployment/coredns", f"--timeout={COREDNS_ROLLOUT_TIMEOUT}"),
            why=f"wait for region {region.region}'s CoreDNS to serve with the new Corefile",
            timeout=duration_seconds(COREDNS_ROLLOUT_TIMEOUT) + _KUBECTL_SLACK_S,
        ),
    ]


# -- verification ------------------------------------------------------------------------------------------------------


def probe_marker(region: KindRegion) -> str:
    return f"{PROBE_NAME}-region{region.region}"


def probe_manifest(region: KindRegion) -> str:
    """A tiny HTTP server behind a headless Service in the region's Camunda namespace.

    Headless, so its name resolves to the pod's own IP (the pod subnet), and the page names the region, so an
    answer cannot come from anything local.
    """
    labels = {"app.kubernetes.io/name": PROBE_NAME}
    serve = f"echo {probe_marker(region)} > /tmp/index.html && exec httpd -f -p {PROBE_PORT} -h /tmp"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": PROBE_NAME, "namespace": region.namespace, "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "httpd",
                    "image": CHECK_IMAGE,
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["sh", "-c", serve],
                    "ports": [{"name": "http", "containerPort": PROBE_PORT}],
                    "readinessProbe": {"tcpSocket": {"port": PROBE_PORT}},
                }
            ]
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": PROBE_NAME, "namespace": region.namespace, "labels": labels},
        "spec": {
            "clusterIP": "None",
            "selector": labels,
            "ports": [{"name": "http", "port": PROBE_PORT, "targetPort": PROBE_PORT}],
        },
    }
    return dump_yaml(pod, service)


def probe_commands(region: KindRegion) -> list[PlannedCommand]:
    """Something to find in `region`'s namespace before Camunda exists there; the namespace must exist."""
    namespace = ("--namespace", region.namespace)
    return [
        PlannedCommand(
            kubectl(region, *namespace, "apply", "-f", "-"),
            why=f"start a probe in {region.namespace} for the other region to find",
            stdin=probe_manifest(region),
            timeout=60.0,
        ),
        PlannedCommand(
            kubectl(
                region,
                *namespace,
                "wait",
                "--for=condition=Ready",
                f"pod/{PROBE_NAME}",
                f"--timeout={PROBE_READY_TIMEOUT}",
            ),
            why=f"wait for the probe in {region.namespace} to serve",
            timeout=duration_seconds(PROBE_READY_TIMEOUT) + _KUBECTL_SLACK_S,
        ),
    ]


def probe_cleanup_commands(region: KindRegion) -> list[PlannedCommand]:
    return [
        PlannedCommand(
            kubectl(
                region,
                "--namespace",
                region.namespace,
                "delete",
                f"pod/{PROBE_NAME}",
                f"service/{PROBE_NAME}",
                "--ignore-not-found",
                "--wait=false",
            ),
            why=f"remove the probe from {region.namespace}",
            timeout=60.0,
        )
    ]


def _check_pod(region: KindRegion, name: str, *command: str) -> tuple[str, ...]:
    """A one-shot pod whose exit code is the command's (`--restart=Never` with `-i` waits for it and returns it)."""
    return kubectl(
        region,
        "--namespace",
        CHECK_NAMESPACE,
        "run",
        name,
        "--rm",
        "-i",
        "--quiet",
        "--restart=Never",
        f"--image={CHECK_IMAGE}",
        "--image-pull-policy=IfNotPresent",
        f"--pod-running-timeout={CHECK_POD_TIMEOUT}",
        "--command",
        "--",
        *command,
    )


def verify_commands(region: KindRegion) -> list[PlannedCommand]:
    """Prove, from `region`, that the other region is reachable the way Camunda will reach it.

    1. The other cluster's kube-dns answers at its ClusterIP: the service route works (the name exists in every
       cluster, so this needs nothing installed).
    2. A name in the other region's namespace, asked of the local CoreDNS, resolves and serves the other region's
       probe page: the forward block is live, it reaches the remote kube-dns over the service route, and the
       answer (the probe pod's IP, as the Service is headless) is reachable over the pod route. Without the forward
       the name does not exist locally; without either route the lookup or the download times out.
    Needs `probe_commands(other(region))` first.
    """
    far = other(region)
    url = f"http://{PROBE_NAME}.{far.namespace}.svc.cluster.local:{PROBE_PORT}/"
    fetch = f"wget -q -O - -T 5 {url} | grep -x {probe_marker(far)}"
    return [
        PlannedCommand(
            _check_pod(
                region,
                f"dr-check-dns-to-region{far.region}",
                "nslookup",
                "kube-dns.kube-system.svc.cluster.local",
                far.kube_dns_ip,
            ),
            why=f"check that region {region.region} reaches region {far.region}'s kube-dns ({far.kube_dns_ip}) "
            "over the service route",
            timeout=_CHECK_TIMEOUT_S,
        ),
        PlannedCommand(
            _check_pod(region, f"dr-check-to-region{far.region}", "sh", "-c", fetch),
            why=f"check that region {region.region} resolves {far.namespace} names through its CoreDNS and reaches "
            f"region {far.region}'s pods",
            timeout=_CHECK_TIMEOUT_S,
        ),
    ]
