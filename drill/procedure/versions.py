"""Which Camunda setup a drill faces when the operator leaves it to the drill (`--camunda-version auto`).

The procedure is written for 8.8, but an 8.8 migrated from 8.7 may still run the legacy `elasticsearchregion0/1`
exporters (e.g. for Optimize). Left enabled, they stall exporting after a loss exactly as the new ones do, so every
exporter step must act on them too; disabled in both regions, the document says to ignore them. Guessing wrong
either way fails the drill half-way (a stalled export, or a disable of an exporter that is not there), so the
surviving region is read once, before the first stage, and the journal keeps what was read and what it meant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from drill.api.errors import ApiError
from drill.platform.base import PlatformError
from drill.procedure.context import DrillContext
from drill.procedure.params import LEGACY_EXPORTER_PREFIX, REGIONS, DrillParams

DETECTED = "camunda_version_detected"  # ctx.memory key: the Detection that session.begin journals
LEGACY_EXPORTERS = tuple(f"{LEGACY_EXPORTER_PREFIX}{region}" for region in range(REGIONS))


class DetectionError(Exception):
    """The surviving region does not show one clear Camunda setup; the drill must not guess which steps apply."""


@dataclass(frozen=True)
class Detection:
    version: str
    reason: str
    broker_versions: tuple[str, ...]
    gateway_version: str | None
    legacy_exporters: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "camunda_version": self.version,
            "reason": self.reason,
            "broker_versions": list(self.broker_versions),
            "gateway_version": self.gateway_version,
            "legacy_exporters": dict(self.legacy_exporters),
        }


def _on_8_7(version: str) -> bool:
    return version == "8.7" or version.startswith("8.7.")


def classify(
    broker_versions: Iterable[str], exporters: Mapping[str, str], gateway_version: str | None = None
) -> Detection:
    """8.7 when a broker runs 8.7.x or the legacy exporters are listed and all enabled; 8.8 when they are absent
    or all disabled (the document: ignore them). Any other mix is refused, naming what was seen."""
    brokers = tuple(sorted(set(broker_versions)))
    legacy = {e: s for e, s in sorted(exporters.items()) if e.startswith(LEGACY_EXPORTER_PREFIX)}
    statuses = set(legacy.values())
    all_enabled = statuses == {"ENABLED"} and set(legacy) == set(LEGACY_EXPORTERS)
    if legacy and statuses != {"DISABLED"} and not all_enabled:
        raise DetectionError(
            f"Expected the legacy exporters {' and '.join(LEGACY_EXPORTERS)} either all ENABLED (an 8.8 migrated "
            f"from 8.7: the drill applies every exporter step to them) or all DISABLED (ignored), got {legacy}; "
            "settle them, or name the setup with --camunda-version 8.8 or 8.7"
        )

    def found(version: str, reason: str) -> Detection:
        return Detection(version, reason, brokers, gateway_version, legacy)

    old = [v for v in brokers if _on_8_7(v)]
    if old:
        return found("8.7", f"brokers report version {', '.join(old)}")
    if all_enabled:
        return found("8.7", f"legacy exporters listed and enabled: {legacy}")
    if legacy:
        return found("8.8", f"legacy exporters listed but all disabled (ignored, as the document says): {legacy}")
    return found("8.8", f"brokers report version {', '.join(brokers) or 'none'} and no legacy exporter is listed")


def detect(ctx: DrillContext) -> Detection:
    """Read the surviving region's topology and exporters (journaled like every request) and classify them."""
    handle = ctx.surviving
    try:
        topology = handle.gateway.topology()
        exporters = {e.exporter_id: e.status for e in handle.management.exporters()}
    except (ApiError, PlatformError) as exc:
        raise DetectionError(
            f"Expected to read region {handle.region}'s topology and exporters to detect the Camunda version, "
            f"got: {exc}; name the setup with --camunda-version 8.8 or 8.7"
        ) from exc
    return classify((b.version for b in topology.brokers), exporters, topology.gateway_version)


def resolve(ctx: DrillContext) -> DrillParams:
    """The params the drill runs with: a named version as given; "auto" replaced by the detected one, whose
    evidence stays in `ctx.memory` for the drill's start record."""
    if ctx.params.camunda_version != "auto":
        return ctx.params
    detection = detect(ctx)
    ctx.memory[DETECTED] = detection
    return replace(ctx.params, camunda_version=detection.version)
