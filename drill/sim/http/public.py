"""The deployment's public endpoint: the one name users and workers reach, routed to one region's gateway.

In a real deployment this is a DNS name (or a global load balancer) that the operator switches in failover step 1,
"Traffic rerouting". Here it is one more service that hands each request to the gateway app of the region the
model routes to (`Simulation.public_region`, switched by the control API's `POST /public/route`). While that region
is cut off (lost or fenced) it answers 502 with a problem detail naming the region, as a load balancer in front of a
dead backend does, so a drill whose rerouting did nothing sees users still sent to the lost region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drill.sim.http.common import Gate, problem_detail
from drill.sim.model.deployment import Simulation

Scope = dict[str, Any]


def create_public_app(gate: Gate[Simulation], gateways: Mapping[int, Any]) -> Any:
    """`gateways`: each region's gateway app (its fault middleware included, so a fault on it shows here too)."""

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":  # no lifespan (the host runs with lifespan off), no websockets
            return

        def route() -> tuple[int, bool]:
            region = gate.sim.public_region
            return region, gate.sim.services_up(region)

        region, up = gate.call(route)
        if up:
            await gateways[region](scope, receive, send)
            return
        detail = f"the public endpoint routes to region {region}, whose gateway does not answer"
        await problem_detail(502, "Bad Gateway", detail, scope.get("path", ""))(scope, receive, send)

    return app
