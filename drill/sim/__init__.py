"""The embedded simulator of a Camunda 8.8 dual-region deployment.

`drill.sim.model` holds the pure state machine (no sockets, injectable clock);
`drill.sim.http` serves it over real HTTP on loopback, one set of services per region.
"""

from __future__ import annotations
