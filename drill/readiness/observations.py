"""How the readiness concerns observe: several checks from one read, values that must agree across regions, and
values that must catch up within a bounded wait.

A live deployment is never still: documents keep arriving, partitions keep processing. So "both regions hold the
same documents" cannot mean equal at one instant; it means the region behind reaches, within a bounded wait, what
the region ahead had when first looked at (`catch_up`). A region that stays behind is the finding.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from drill.api.errors import ApiError, WaitTimeout
from drill.api.waits import wait_until
from drill.platform.base import PlatformError
from drill.procedure.checks import Check, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.versions import LEGACY_EXPORTERS

K = TypeVar("K", bound=Hashable)


def regions(ctx: DrillContext) -> tuple[RegionHandle, ...]:
    """Both regions in id order: a readiness check has no lost or surviving region, each is looked at alike."""
    return tuple(ctx.regions[r] for r in sorted(ctx.regions))


def observed_all(expected: Mapping[str, Any], observe: Callable[[], list[Check]]) -> list[Check]:
    """Several checks made from one read (`expected`: name -> expected value); when the read fails, every one of
    them fails saying what was seen, as `observed` does for one check."""
    try:
        return observe()
    except (ApiError, PlatformError) as exc:
        return [Check(name, value, f"could not observe: {exc}", False) for name, value in expected.items()]


def same_everywhere(ctx: DrillContext, name: str, read: Callable[[RegionHandle], Any]) -> Check:
    """One value (a version) read in each region; both must be equal."""
    expected = "the same in region 0 and region 1"

    def compare() -> Check:
        seen = {f"region {handle.region}": read(handle) for handle in regions(ctx)}
        return holds(name, expected, seen, len(set(seen.values())) == 1)

    return observed(name, expected, compare)


def lagging(targets: Mapping[K, int], current: Mapping[K, int | None]) -> dict[K, tuple[int | None, int]]:
    """Keys whose current value (None: not seen) is below its target, as (current, target)."""
    behind: dict[K, tuple[int | None, int]] = {}
    for key, target in targets.items():
        value = current.get(key)
        if value is None or value < target:
            behind[key] = (value, target)
    return behind


def catch_up(
    targets: Mapping[K, int], read: Callable[[], Mapping[K, int | None]], *, what: str, timeout: float
) -> dict[K, tuple[int | None, int]]:
    """Read until every value reached its target, within `timeout` seconds; what is still behind (empty: none).

    A transient read error counts as "not yet"; any other propagates, for `observed` to report."""
    behind: dict[K, tuple[int | None, int]] = {}

    def probe() -> bool | None:
        behind.clear()
        behind.update(lagging(targets, read()))
        return None if behind else True

    with contextlib.suppress(WaitTimeout):  # what is still behind is the answer, not an error
        wait_until(probe, what=what, timeout=timeout)
    return behind


def legacy_pair(statuses: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """The legacy 8.7 exporters as listed, and whether they are a pair the procedure can handle: not listed, all
    DISABLED (the document says to ignore them) or both ENABLED (every exporter step then acts on them too).
    One enabled alone would keep exporting to one region only, and the failover steps would not know it."""
    legacy = {exporter: statuses[exporter] for exporter in LEGACY_EXPORTERS if exporter in statuses}
    states = set(legacy.values())
    both_enabled = states == {"ENABLED"} and len(legacy) == len(LEGACY_EXPORTERS)
    return legacy, not legacy or states == {"DISABLED"} or both_enabled
