"""Faults injected into simulated endpoints: delays, error statuses and hangs, matched per request.

Kept in the model (as data) so that `/state` shows what is armed and tests can assert that a fault was used;
the HTTP middleware only asks `FaultBook.take` whether a request is hit.
"""

from __future__ import annotations

import fnmatch
import itertools
from dataclasses import asdict, dataclass
from typing import Any

from drill.sim.model.errors import BadRequest

SERVICES = ("gateway", "management", "elasticsearch", "*")
KINDS = ("delay", "status", "hang")
MAX_SECONDS = 3600.0


@dataclass
class EndpointFault:
    id: int
    kind: str
    service: str = "*"
    region: int | None = None
    method: str = "*"
    path: str = "*"
    seconds: float = 0.0
    status: int = 503
    times: int | None = None
    hits: int = 0

    def matches(self, service: str, region: int | None, method: str, path: str) -> bool:
        return (
            self.service in ("*", service)
            and (self.region is None or self.region == region)
            and (self.method == "*" or self.method.upper() == method.upper())
            and fnmatch.fnmatchcase(path, self.path)
            and (self.times is None or self.hits < self.times)
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    def __init__(self) -> None:
        self._faults: dict[int, EndpointFault] = {}
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> EndpointFault:
        """Arm a fault from its JSON description; a malformed one is refused with what was wrong."""
        if not isinstance(spec, dict):
            raise BadRequest(f"Expected a fault object, got {spec!r}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise BadRequest(f"Expected fault kind one of {', '.join(KINDS)}, got {kind!r}")
        service = spec.get("service", "*")
        if service not in SERVICES:
            raise BadRequest(f"Expected fault service one of {', '.join(SERVICES)}, got {service!r}")
        region = spec.get("region")
        if region is not None and (isinstance(region, bool) or region not in (0, 1)):
            raise BadRequest(f"Expected fault region 0, 1 or null, got {region!r}")
        seconds = spec.get("seconds", MAX_SECONDS if kind == "hang" else 0.0)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= MAX_SECONDS:
            raise BadRequest(f"Expected fault seconds between 0 and {MAX_SECONDS}, got {seconds!r}")
        status = spec.get("status", 503)
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise BadRequest(f"Expected fault status between 400 and 599, got {status!r}")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise BadRequest(f"Expected fault times to be a positive integer or null, got {times!r}")
        fault = EndpointFault(
            next(self._ids),
            kind,
            service=service,
            region=region,
            method=str(spec.get("method", "*")),
            path=str(spec.get("path", "*")),
            seconds=float(seconds),
            status=status,
            times=times,
        )
        self._faults[fault.id] = fault
        return fault

    def take(self, service: str, region: int | None, method: str, path: str) -> EndpointFault | None:
        for fault in self._faults.values():
            if fault.matches(service, region, method, path):
                fault.hits += 1
                return fault
        return None

    def remove(self, fault_id: int) -> None:
        self._faults.pop(fault_id, None)

    def clear(self) -> None:
        self._faults.clear()

    def all(self) -> list[EndpointFault]:
        return list(self._faults.values())
