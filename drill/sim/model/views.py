"""The model as the real APIs show it: exact JSON shapes of the contract, key order included.

Harnesses match substrings of these bodies (`{"exporterId":"camundaregion1","status":"DISABLED"}`, no
`pendingChange` key once a change completed), so the shapes live here, once, and are tested as such.
"""

from __future__ import annotations

from typing import Any

from drill.sim.clock import iso
from drill.sim.model.changes import Change
from drill.sim.model.config import ClusterConfig, MemberState
from drill.sim.model.deployment import Simulation
from drill.sim.model.topology import pod_index, region_of
from drill.sim.model.zeebe import ChangeRequest, ZeebeCluster

MIN_INSTANT = "0000-01-01T00:00:00Z"


def broker_state(member: MemberState) -> dict[str, Any]:
    return {
        "id": member.id,
        "state": member.state,
        "version": member.version,
        "lastUpdatedAt": iso(member.last_updated_at) if member.last_updated_at else MIN_INSTANT,
        "partitions": [
            {
                "id": p.id,
                "state": p.state,
                "priority": p.priority,
                "config": {
                    "exporting": {
                        "exporters": [{"id": eid, "state": e.state} for eid, e in sorted(p.exporters.items())]
                    }
                },
            }
            for p in sorted(member.partitions.values(), key=lambda p: p.id)
        ],
    }


def brokers(config: ClusterConfig) -> list[dict[str, Any]]:
    return [broker_state(config.members[b]) for b in sorted(config.members)]


def completed_change(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "status": change.status,
        "startedAt": iso(change.started_at),
        "completedAt": iso(change.completed_at) if change.completed_at else None,
    }


def pending_change(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "status": change.status,
        "completed": [{**op.to_json(), "completedAt": iso(at)} for op, at in change.completed],
        "pending": [op.to_json() for op in change.pending],
    }


def cluster(zeebe: ZeebeCluster) -> dict[str, Any]:
    """`GET /actuator/cluster`: `lastChange` only once a change ended, `pendingChange` only while one runs."""
    body: dict[str, Any] = {"version": zeebe.config.version, "brokers": brokers(zeebe.config)}
    if zeebe.last_change is not None:
        body["lastChange"] = completed_change(zeebe.last_change)
    if zeebe.pending is not None:
        body["pendingChange"] = pending_change(zeebe.pending)
    return body


def planned(request: ChangeRequest) -> dict[str, Any]:
    return {
        "changeId": request.change_id,
        "currentTopology": brokers(request.current),
        "plannedChanges": [op.to_json() for op in request.operations],
        "expectedTopology": brokers(request.expected),
    }


def exporters(zeebe: ZeebeCluster) -> list[dict[str, str]]:
    return [{"exporterId": exporter_id, "status": status} for exporter_id, status in zeebe.exporter_status()]


def broker_host(sim: Simulation, broker: int) -> str:
    name = sim.settings.release_name
    return f"{name}-zeebe-{pod_index(broker)}.{name}-zeebe.{sim.settings.namespaces[region_of(broker)]}"


def v2_topology(sim: Simulation) -> dict[str, Any]:
    """`GET /v2/topology`: every broker the gateway can reach, members or not (non-members hold no partitions)."""
    zeebe = sim.zeebe
    config = zeebe.config
    leaders = zeebe.leaders()
    result = []
    for broker in sorted(zeebe.running):
        partitions = []
        member = config.members.get(broker)
        if member is not None:
            for p in sorted(member.partitions):
                leader = leaders.get(p)
                partitions.append(
                    {
                        "partitionId": p,
                        "role": "leader" if leader == broker else "follower",
                        "health": "healthy" if leader is not None else "unhealthy",
                    }
                )
        result.append(
            {
                "nodeId": broker,
                "host": broker_host(sim, broker),
                "port": 26501,
                "partitions": partitions,
                "version": zeebe.broker_versions.get(broker, zeebe.version),
            }
        )
    last_completed = zeebe.last_change.id if zeebe.last_change and zeebe.last_change.status == "COMPLETED" else -1
    return {
        "brokers": result,
        "clusterSize": len(config.members),
        "partitionsCount": config.partition_count,
        "replicationFactor": config.replication_factor(),
        "gatewayVersion": zeebe.version,
        "lastCompletedChangeId": str(last_completed),
    }


def partitions(sim: Simulation, broker: int) -> dict[str, Any]:
    """`GET /actuator/partitions` of one broker: its replicas with positions and phases."""
    zeebe = sim.zeebe
    member = zeebe.config.members.get(broker)
    if member is None:
        return {}
    body: dict[str, Any] = {}
    for p in sorted(member.partitions):
        leader = zeebe.leader(p)
        log = zeebe.logs[p]
        exported = min((positions.get(p, 0) for positions in zeebe.positions.values()), default=0)
        if zeebe.exporting_paused:
            phase = "PAUSED"
        elif zeebe.exporting_soft_paused:
            phase = "SOFT_PAUSED"
        else:
            phase = "EXPORTING"
        body[str(p)] = {
            "role": "LEADER" if leader == broker else ("FOLLOWER" if leader is not None else "CANDIDATE"),
            "processedPosition": len(log),
            "snapshotId": None,
            "processedPositionInSnapshot": None,
            "streamProcessorPhase": "PROCESSING" if leader == broker else None,
            "exporterPhase": phase if leader == broker else None,
            "exportedPosition": exported,
        }
    return body


def health(sim: Simulation) -> dict[str, Any]:
    """`GET /actuator/health` of a gateway: UP while it can reach any partition leader."""
    return {"status": "UP" if sim.zeebe.has_any_leader() else "DOWN"}
