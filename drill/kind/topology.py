"""The two kind clusters as data: names, contexts, node containers, subnets and the namespace each region hosts.

Routing between the clusters only works if no pod or service subnet overlaps (the other's, kind's defaults
10.244/10.96, or Docker's 172.x pools), and CoreDNS forwarding needs the other cluster's kube-dns address before
that cluster answers any query, so all of it is fixed here rather than discovered.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# kubeadm gives kube-dns the tenth address of the service subnet (kind keeps that default).
_KUBE_DNS_OFFSET = 10


@dataclass(frozen=True)
class KindRegion:
    region: int
    pod_subnet: str
    service_subnet: str

    def __post_init__(self) -> None:
        if self.region not in (0, 1):
            raise ValueError(f"Expected region 0 or 1, got {self.region!r}")
        for subnet in (self.pod_subnet, self.service_subnet):
            ipaddress.IPv4Network(subnet)  # strict: a host address with a prefix is a typo, not a subnet

    @property
    def cluster(self) -> str:
        return f"c8-region{self.region}"

    @property
    def context(self) -> str:
        """kind names the kubeconfig context `kind-<cluster>`; drill.targets expects exactly these."""
        return f"kind-{self.cluster}"

    @property
    def node(self) -> str:
        """The Docker container of the single control-plane node (kind's `<cluster>-control-plane`)."""
        return f"{self.cluster}-control-plane"

    @property
    def namespace(self) -> str:
        return f"camunda-region{self.region}"

    @property
    def kube_dns_ip(self) -> str:
        return str(ipaddress.IPv4Network(self.service_subnet)[_KUBE_DNS_OFFSET])

    @property
    def node_ip_variable(self) -> str:
        """The `${NAME}` the node's address on the `kind` network is captured into at run time."""
        return f"REGION{self.region}_NODE_IP"


REGIONS = (
    KindRegion(0, pod_subnet="10.10.0.0/16", service_subnet="10.11.0.0/16"),
    KindRegion(1, pod_subnet="10.20.0.0/16", service_subnet="10.21.0.0/16"),
)


def region(number: int) -> KindRegion:
    if number not in (0, 1):
        raise ValueError(f"Expected region 0 or 1, got {number!r}")
    return REGIONS[number]


def other(kind_region: KindRegion | int) -> KindRegion:
    """The region on the far side of the routes and the DNS forward."""
    this = region(kind_region) if isinstance(kind_region, int) else kind_region
    return REGIONS[1 - this.region]
