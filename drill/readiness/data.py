"""Readiness of the data path: both exporters exporting, both Elasticsearch clusters alike, and the snapshot
repository the failback copies one region's indices into the other through.

The exporter list is cluster-wide and read from region 0's management API; partitions, indices and repositories
are read in each region.
"""

from __future__ import annotations

from typing import Any

from drill.procedure import observe
from drill.procedure.checks import Check, holds, observed, show
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.steady import _es_healthy as es_green
from drill.procedure.step import exporters
from drill.readiness.base import Concern
from drill.readiness.observations import catch_up, legacy_pair, observed_all, regions, same_everywhere

EXPORTING = "EXPORTING"
SETTLED = ("ENABLED", "DISABLED")


# -- exporters --------------------------------------------------------------------------------------------------


def _listed_exporters(ctx: DrillContext) -> list[Check]:
    settled_name = "every listed exporter settled (ENABLED or DISABLED)"
    legacy_name = "legacy 8.7 exporters elasticsearchregion0/1 not listed, both DISABLED or both ENABLED"
    expected = {settled_name: " or ".join(SETTLED), legacy_name: "a pair, or none"}

    def judge() -> list[Check]:
        statuses = {e.exporter_id: e.status for e in ctx.regions[0].management.exporters()}
        unsettled = {exporter: status for exporter, status in statuses.items() if status not in SETTLED}
        legacy, paired = legacy_pair(statuses)
        return [
            holds(settled_name, expected[settled_name], unsettled or statuses, not unsettled),
            holds(legacy_name, expected[legacy_name], legacy or "not listed", paired),
        ]

    return observed_all(expected, judge)


def _exporting(ctx: DrillContext, handle: RegionHandle) -> Check:
    """Whether the region's broker exports, read from `GET /actuator/partitions` (contract §6).

    Why this signal: `GET /actuator/exporters` only says an exporter is enabled in the configuration, and there is
    no other API that shows exporting paused (a pause left behind by an earlier failback is invisible there) or
    stalled (one exporter that cannot reach its Elasticsearch holds every partition's export). The partitions
    endpoint shows both, without writing anything: a partition's `exporterPhase` is `PAUSED` or `SOFT_PAUSED`, or
    its `exportedPosition` stays behind the `processedPosition` processing had reached when first read; it must
    catch up within the export visibility bound. The endpoint is broker-local: it shows the partitions of the pod
    the region's management service routed to, and only a partition that pod leads has positions and a phase, so
    a pod that leads none leaves nothing to judge (said so, not failed: leaders may all be in the other region).
    """
    name = f"region {handle.region}'s broker exports (phase {EXPORTING}, exported position catches up)"
    bound = ctx.timeouts.export_visible
    expected = f"phase {EXPORTING}; exported position reaches the processed one within {bound:g} s"

    def judge() -> Check:
        first = handle.management.partitions()
        if not first:
            return holds(name, expected, "the broker this region's management API reached holds no partition", False)
        stopped = {str(p): s.exporter_phase for p, s in first.items() if s.exporter_phase not in (None, EXPORTING)}
        if stopped:
            return holds(name, expected, {"exporterPhase": stopped}, False)
        targets = {p: s.processed_position for p, s in first.items() if s.processed_position is not None}
        if not targets:
            return holds(name, expected, f"nothing to judge: none of the {len(first)} partitions here is led", True)

        def exported() -> dict[int, int | None]:
            return {p: s.exported_position for p, s in handle.management.partitions().items()}

        behind = catch_up(targets, exported, what=name, timeout=bound)
        actual: Any = {f"partition {p}": {"exported": e, "processed": t} for p, (e, t) in behind.items()}
        return holds(name, expected, actual or f"{len(targets)} partitions exported up to processing", not behind)

    return observed(name, expected, judge)


class ExportersReady(Concern):
    id = "ready-exporters"
    title = "Both regions' exporters are enabled and exporting"
    desired_state = (
        "camundaregion0 and camundaregion1 are ENABLED; no exporter is in a transition or CONFIG_NOT_FOUND.",
        "Legacy 8.7 exporters, if listed, are both DISABLED (ignored) or both ENABLED.",
        "Each region's broker exports: its exporter phase is EXPORTING and the exported position catches up.",
    )

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, {p.exporter(0): "ENABLED", p.exporter(1): "ENABLED"})
        checks += _listed_exporters(ctx)
        return checks + [_exporting(ctx, handle) for handle in regions(ctx)]


# -- Elasticsearch ----------------------------------------------------------------------------------------------


def _same_indices(ctx: DrillContext) -> list[Check]:
    """Index names must agree at once; document counts may differ while exporting is under way, so the region
    behind must reach the larger count of the first read within the export visibility bound."""
    names_name = "both regions hold the same Camunda indices"
    counts_name = "both regions' Camunda indices hold the same documents (the region behind catches up)"
    handles = regions(ctx)
    bound = ctx.timeouts.export_visible
    expected = {names_name: "the same index names in both regions", counts_name: f"equal within {bound:g} s"}

    def judge() -> list[Check]:
        first = {handle.region: observe.camunda_indices(handle) for handle in handles}
        only = {
            f"only in region {r}": sorted(set(first[r]) - set(first[other]))
            for r, other in ((0, 1), (1, 0))
            if set(first[r]) - set(first[other])
        }
        common = sorted(set(first[0]) & set(first[1]))
        names_seen: Any = only or (f"{len(common)} indices in both" if common else "no Camunda index in either region")
        targets = {
            (handle.region, index): max((first[r][index] or 0) for r in first) for handle in handles for index in common
        }

        def counts() -> dict[tuple[int, str], int | None]:
            return {
                (handle.region, index): count
                for handle in handles
                for index, count in observe.camunda_indices(handle).items()
                if index in common
            }

        behind = catch_up(targets, counts, what=counts_name, timeout=bound)
        counts_seen: Any = {
            f"{index} (region {r})": {"documents": n, "expected": t} for (r, index), (n, t) in behind.items()
        }
        return [
            holds(names_name, expected[names_name], names_seen, not only and bool(common)),
            holds(counts_name, expected[counts_name], counts_seen or "equal", not behind),
        ]

    return observed_all(expected, judge)


class ElasticsearchReady(Concern):
    id = "ready-elasticsearch"
    title = "Both regions' Elasticsearch are green and hold the same Camunda indices"
    desired_state = (
        "Each region's Elasticsearch cluster health is green.",
        "Both hold the same Camunda indices; document counts are equal or converge within the export bound.",
    )

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [*(es_green(handle) for handle in regions(ctx)), *_same_indices(ctx)]


# -- snapshot repository ----------------------------------------------------------------------------------------


def _repository_readable(handle: RegionHandle, repository: str) -> list[Check]:
    registered = f"region {handle.region} has the snapshot repository {repository} registered"
    listed = f"region {handle.region} lists the snapshots in {repository}"

    def judge() -> list[Check]:
        kind = handle.es.get_repository(repository).type
        return [holds(registered, "registered", f"registered ({kind})", True), _listing(handle, repository, listed)]

    return observed_all({registered: "registered", listed: "a listing"}, judge)


def _listing(handle: RegionHandle, repository: str, name: str) -> Check:
    def read() -> Check:
        return holds(name, "a listing", f"{len(handle.es.snapshots(repository))} snapshot(s)", True)

    return observed(name, "a listing", read)


class RepositoryReady(Concern):
    id = "ready-repository"
    title = "The snapshot repository the failback needs is registered and readable in both regions"
    desired_state = (
        "Each region's Elasticsearch has the repository registered and can list its snapshots.",
        "Both regions' repository definitions are the same (the same storage).",
    )

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        repository = ctx.params.repository.name
        checks = [c for handle in regions(ctx) for c in _repository_readable(handle, repository)]

        def definition(handle: RegionHandle) -> str:
            repo = handle.es.get_repository(repository)
            return show({"type": repo.type, "settings": dict(repo.settings)})

        name = f"both regions' {repository} point to the same storage"
        return [*checks, same_everywhere(ctx, name, definition)]
