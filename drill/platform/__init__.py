"""How one region is reached: the `Platform` protocol and its simulator and Kubernetes implementations.

`drill.procedure` codes against `Platform` only; which implementation it gets is decided by the target.
`KubePlatform` is not imported here so that using the simulator never loads the kubernetes client.
"""

from __future__ import annotations

from drill.platform.base import (
    HelmRequest,
    HelmResult,
    NamespaceState,
    Platform,
    PlatformError,
    PodInfo,
    RegionUnreachable,
    ServiceUrls,
)
from drill.platform.sim import SimPlatform

__all__ = [
    "HelmRequest",
    "HelmResult",
    "NamespaceState",
    "Platform",
    "PlatformError",
    "PodInfo",
    "RegionUnreachable",
    "ServiceUrls",
    "SimPlatform",
]
