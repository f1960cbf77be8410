"""A JSON picture of the whole simulated deployment, for `GET /state`, debugging and test assertions."""

from __future__ import annotations

from typing import Any

from drill.sim.clock import iso
from drill.sim.model import views
from drill.sim.model.deployment import Simulation


def snapshot(sim: Simulation) -> dict[str, Any]:
    zeebe = sim.zeebe
    regions: dict[str, Any] = {}
    for region_id, region in sim.regions.items():
        release = region.release
        regions[str(region_id)] = {
            "namespace": region.namespace,
            "lost": region.lost,
            "fenced": region.fenced,
            "servicesUp": sim.services_up(region_id),
            "release": None
            if release is None
            else {
                "name": release.name,
                "chartVersion": release.chart_version,
                "revision": release.revision,
                "status": release.status,
                "updatedAt": iso(release.updated_at),
                "values": release.values,
            },
            "volumes": sorted(region.volumes),
            "pods": sim.pods(region_id) if not region.lost else [],
            "elasticsearch": None
            if region.es is None
            else {
                "indices": {name: len(region.es.documents(name)) for name in region.es.index_names()},
                "health": region.es.health_status(),
            },
        }
    return {
        "settings": {
            "clusterSize": sim.settings.cluster_size,
            "partitions": sim.settings.partitions,
            "replicationFactor": sim.settings.replication_factor,
            "timeScale": sim.settings.time_scale,
            "exportingResponse": sim.exporting_response,
            "legacyExporters": sim.settings.legacy_exporters,
        },
        "regions": regions,
        "public": {"routesTo": sim.public_region},
        "zeebe": {
            "running": sorted(zeebe.running),
            "members": sorted(zeebe.config.members),
            "leaders": {str(p): leader for p, leader in zeebe.leaders().items()},
            "replicationFactor": zeebe.config.replication_factor(),
            "exportingPaused": zeebe.exporting_paused,
            "exportingSoftPaused": zeebe.exporting_soft_paused,
            "exporters": views.exporters(zeebe),
            "positions": {e: {str(p): pos for p, pos in ps.items()} for e, ps in zeebe.positions.items()},
            "stalled": {str(p): reason for p, reason in zeebe.stalled.items() if reason},
            "processInstances": zeebe.instance_count(),
            "cluster": views.cluster(zeebe),
        },
        "faults": [f.to_json() for f in sim.faults.all()],
    }
