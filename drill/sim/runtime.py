"""The running simulator: the model behind a gate, one HTTP server per service and region, plus control.

Region services are up exactly when the model says the region has a reachable release (`services_up`); after
every control call the runtime reconciles, so a lost region refuses connections and a recreated one answers on
the same addresses once Camunda is installed again. With auth "oidc" an identity provider (`identity`) issues the
tokens the gateways accept; like control, it belongs to no region and survives region loss. So does `public`,
the deployment's public endpoint, which hands requests to the gateway of the region it routes to.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drill.sim.clock import Clock
from drill.sim.http.common import Gate
from drill.sim.http.control import create_control_app
from drill.sim.http.elasticsearch import create_elasticsearch_app
from drill.sim.http.gateway import create_gateway_app
from drill.sim.http.identity import create_identity_app
from drill.sim.http.management import create_management_app
from drill.sim.http.public import create_public_app
from drill.sim.http.server import ServiceHost
from drill.sim.model.deployment import SimSettings, Simulation
from drill.sim.model.identity import TokenRegistry
from drill.sim.model.topology import REGIONS

SERVICES = ("gateway", "management", "elasticsearch")
STANDARD_PORTS = {
    "gateway": 8080,
    "management": 9600,
    "elasticsearch": 9200,
    "control": 8000,
    "identity": 18080,
    "public": 8080,  # on the control address: the public name's gateway port
}


@dataclass(frozen=True)
class Layout:
    """Where services listen. `standard`: each region on its own loopback address with the real ports, so
    the procedure's commands read as written; `ephemeral`: free ports on 127.0.0.1 (tests, parallel runs)."""

    kind: str = "ephemeral"
    base_octet: int = 10

    def address(self, service: str, region: int | None) -> tuple[str, int]:
        if self.kind == "ephemeral":
            return "127.0.0.1", 0
        if self.kind != "standard":
            raise ValueError(f"layout must be 'standard' or 'ephemeral', got {self.kind!r}")
        octet = self.base_octet + (REGIONS if region is None else region)
        return f"127.0.0.{octet}", STANDARD_PORTS[service]


class SimRuntime:
    def __init__(
        self, settings: SimSettings | None = None, *, layout: Layout | None = None, clock: Clock | None = None
    ) -> None:
        self.sim = Simulation(settings, clock=clock)
        self.gate = Gate(self.sim)
        settings = self.sim.settings
        self.tokens = TokenRegistry(
            self.sim.clock,
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            lifetime_seconds=settings.oidc_token_seconds,
        )
        self.host = ServiceHost()
        layout = layout or Layout()
        try:
            gateways: dict[int, Any] = {}
            for region in range(REGIONS):
                apps = {
                    "gateway": create_gateway_app(self.gate, region, self.tokens),
                    "management": create_management_app(self.gate, region),
                    "elasticsearch": create_elasticsearch_app(self.gate, region),
                }
                gateways[region] = apps["gateway"]
                for service, app in apps.items():
                    host, port = layout.address(service, region)
                    self.host.add(self.name(service, region), app, host, port, start=False)
            host, port = layout.address("control", None)
            control = create_control_app(self.gate, self.reconcile, self.endpoints)
            self.host.add("control", control, host, port, start=False)
            host, port = layout.address("public", None)
            self.host.add("public", create_public_app(self.gate, gateways), host, port, start=False)
            if settings.auth == "oidc":  # only an OIDC deployment has an identity provider to talk to
                host, port = layout.address("identity", None)
                self.host.add("identity", create_identity_app(self.gate, self.tokens), host, port, start=False)
            self.host.start(*self.host.bindings)
        except BaseException:
            self.host.close()
            raise

    @staticmethod
    def name(service: str, region: int) -> str:
        return f"region{region}/{service}"

    async def reconcile(self) -> None:
        """Start or stop region services to match the model, all at once (each stop takes ~0.1 s)."""
        work = []
        for region in range(REGIONS):
            up = self.gate.call(lambda r=region: self.sim.services_up(r))  # type: ignore[misc]
            for service in SERVICES:
                name = self.name(service, region)
                if up and not self.host.is_running(name):
                    work.append(self.host.start_async(name))
                elif not up and self.host.is_running(name):
                    work.append(self.host.stop_async(name))
        await asyncio.gather(*work)

    def endpoints(self) -> dict[str, Any]:
        """The endpoints file: `{"region0": {"gateway": URL, ...}, "region1": {...}, "control": URL, "public": URL}`
        (the public endpoint users reach, routed to one region's gateway), plus `"identity": URL` (the token
        endpoint's base) when the gateways use OIDC."""
        result: dict[str, Any] = {}
        for region in range(REGIONS):
            result[f"region{region}"] = {s: self.host.bindings[self.name(s, region)].url for s in SERVICES}
        result["control"] = self.host.bindings["control"].url
        result["public"] = self.host.bindings["public"].url
        if "identity" in self.host.bindings:
            result["identity"] = self.host.bindings["identity"].url
        return result

    def write_endpoints(self, path: Path) -> None:
        path.write_text(json.dumps(self.endpoints(), indent=2) + "\n")

    def close(self) -> None:
        self.host.close()

    def __enter__(self) -> SimRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
