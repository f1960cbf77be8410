"""Data continuity: uniquely tagged marker instances written before and during the loss, looked up afterwards.

The markers are the drill's measure of RPO (a marker acknowledged by Zeebe but missing from a region's
Elasticsearch after the failback is lost data) and of the failover RTO (the first marker written after the loss
that becomes visible in the surviving region ends the outage). Every write and lookup is a journal record, so
both figures are computed from evidence, never from memory.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from drill.api.errors import ApiError
from drill.procedure import observe, shell
from drill.procedure.actions import Action, OutcomeError
from drill.procedure.checks import Check, holds
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.params import DrillParams

MARKER_VARIABLE = "drillMarker"
ROLES = ("surviving", "lost")
MISSING_PATIENCE_S = 0.05


@dataclass(frozen=True)
class Marker:
    tag: str
    key: str
    stage: str


def _all(ctx: DrillContext) -> list[Marker]:
    markers: list[Marker] = ctx.memory.setdefault("markers", [])
    return markers


def written(ctx: DrillContext, stage: str | None = None) -> list[Marker]:
    return [m for m in _all(ctx) if stage is None or m.stage == stage]


def _drill_tag(ctx: DrillContext) -> str:
    tag: str = ctx.memory.setdefault("drill_tag", secrets.token_hex(4))
    return tag


def handle_for(ctx: DrillContext, role: str) -> RegionHandle:
    if role not in ROLES:
        raise ValueError(f"Expected a region role {' or '.join(ROLES)}, got {role!r}")
    return ctx.surviving if role == "surviving" else ctx.recreated


@dataclass(frozen=True)
class WriteMarkers(Action):
    """Start `count` marker instances through one region's gateway, each tagged drill-stage-number."""

    count: int
    stage: str
    via: str = "surviving"
    destructive = False

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise ValueError(f"Expected a marker count of at least 1, got {self.count!r}")
        if self.via not in ROLES:
            raise ValueError(f"Expected markers written through the {' or '.join(ROLES)} region, got {self.via!r}")

    def describe(self) -> str:
        return f"write {self.count} marker instance(s) ({self.stage}) through the {self.via} region's gateway"

    def shell(self, params: DrillParams) -> list[str]:
        body = {"processDefinitionId": params.probe_process_id, "variables": {MARKER_VARIABLE: f"<tag>-{self.stage}-N"}}
        return [
            shell.port_forward("recreated" if self.via == "lost" else "surviving", 8080),
            shell.curl("POST", "http://localhost:8080/v2/process-instances", body),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        handle = handle_for(ctx, self.via)
        observe.ensure_probe_process(ctx, handle)
        markers = _all(ctx)
        made: list[dict[str, Any]] = []
        first = len(written(ctx, self.stage)) + 1
        for number in range(first, first + self.count):
            tag = f"{_drill_tag(ctx)}-{self.stage}-{number}"
            instance = handle.gateway.create_instance(ctx.params.probe_process_id, {MARKER_VARIABLE: tag})
            key = instance.process_instance_key
            if not key:
                raise OutcomeError(f"marker {tag}", "a process instance key", repr(key))
            markers.append(Marker(tag, key, self.stage))
            ctx.journal.append("marker", event="written", tag=tag, key=key, stage=self.stage, region=handle.region)
            made.append({"tag": tag, "key": key})
        return {"markers": made}


def look_up(ctx: DrillContext, handle: RegionHandle, markers: list[Marker], *, lookup: str) -> list[Check]:
    """Wait (bounded) for each marker in the region's Elasticsearch; each result is journaled.

    Once one marker has been waited for in vain, the others are looked at once each: a region that lost one
    marker must not make the lookup of a hundred take a hundred timeouts.
    """
    checks: list[Check] = []
    patience = ctx.timeouts.export_visible
    for marker in markers:
        name = f"marker {marker.tag} in region {handle.region}'s Elasticsearch"
        expected = f"instance {marker.key} visible"

        def visible(key: str = marker.key) -> bool | None:
            return True if observe.exported_to(handle, key) else None

        try:
            awaits = {"kind": "export", "key": marker.key, "region": handle.region}
            waited = observe.journaled_wait(ctx, visible, what=name, awaits=awaits, timeout=patience)
            found, actual, detail = True, "visible", f"seen after {waited.elapsed:.2f} s"
        except ApiError as exc:
            found, actual, detail = False, f"not found: {exc}", None
            patience = MISSING_PATIENCE_S
        ctx.journal.append(
            "marker", event="seen", tag=marker.tag, key=marker.key, region=handle.region, found=found, lookup=lookup
        )
        checks.append(holds(name, expected, actual, found, detail))
    return checks


def markers_written(ctx: DrillContext, stage: str, at_least: int = 1) -> Check:
    count = len(written(ctx, stage))
    return holds(f"{stage} markers written", f"at least {at_least}", count, count >= at_least)
