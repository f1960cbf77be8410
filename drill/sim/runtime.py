"""The running simulator: the model behind a gate, one HTTP server per service and region, plus control.

Region services are up exactly when the model says the region has a reachable release (`services_up`); after
every control call the runtime reconciles, so a lost region refuses connections and a recreated one answers on
the same addresses once Camunda is installed again.
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
from drill.sim.http.management import create_management_app
from drill.sim.http.server import ServiceHost
from drill.sim.model.deployment import SimSettings, Simulation
from drill.sim.model.topology import REGIONS

SERVICES = ("gateway", "management", "elasticsearch")
STANDARD_PORTS = {"gateway": 8080, "management": 9600, "elasticsearch": 9200, "control": 8000}


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
        self.host = ServiceHost()
        layout = layout or Layout()
        try:
            for region in range(REGIONS):
                factories = {
                    "gateway": create_gateway_app,
                    "management": create_management_app,
                    "elasticsearch": create_elasticsearch_app,
                }
                for service, factory in factories.items():
                    host, port = layout.address(service, region)
                    self.host.add(self.name(service, region), factory(self.gate, region), host, port)
            host, port = layout.address("control", None)
            self.host.add("control", create_control_app(self.gate, self.reconcile, self.endpoints), host, port)
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
        """The endpoints file: `{"region0": {"gateway": URL, ...}, "region1": {...}, "control": URL}`."""
        result: dict[str, Any] = {}
        for region in range(REGIONS):
            result[f"region{region}"] = {s: self.host.bindings[self.name(s, region)].url for s in SERVICES}
        result["control"] = self.host.bindings["control"].url
        return result

    def write_endpoints(self, path: Path) -> None:
        path.write_text(json.dumps(self.endpoints(), indent=2) + "\n")

    def close(self) -> None:
        self.host.close()

    def __enter__(self) -> SimRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
