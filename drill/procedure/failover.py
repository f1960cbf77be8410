"""Failover: remove the lost brokers, then stop exporting to the lost region's Elasticsearch."""

from __future__ import annotations

from typing import Any

from drill.api.errors import ApiError
from drill.api.models import Topology
from drill.platform.base import PlatformError
from drill.procedure import observe, shell
from drill.procedure.actions import Action, DisableExporter, ForceRemoveBrokers, one_change_at_a_time
from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext
from drill.procedure.params import DrillParams
from drill.procedure.step import (
    Step,
    exporters,
    healthy_partitions,
    led_partitions,
    members,
    no_pending_change,
    topology_shape,
)


def _reachable(topology: Topology, brokers: tuple[int, ...]) -> list[int]:
    return sorted(b.node_id for b in topology.brokers if b.node_id in brokers)


class RemoveLostBrokers(Step):
    id = "failover-1"
    title = "Remove lost brokers from Zeebe cluster in the surviving region"
    phase = "failover"
    when = "the lost brokers are force-removed from the Zeebe cluster"
    current_state = (
        "One of the regions is fully lost: its brokers are unreachable.",
        "Zeebe is unable to process new requests due to losing the quorum.",
        "No data has been lost thanks to Zeebe data replication.",
    )
    desired_state = (
        "The lost brokers have been removed from the Zeebe cluster.",
        "Continued processing is enabled; new brokers will only join the cluster in the failback.",
    )
    notes = (
        "Refuses to force-remove brokers that the gateway still reaches: that would split the brain.",
        "After the removal clusterSize and replicationFactor are half the original (RF drops with force).",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [ForceRemoveBrokers(params.lost_brokers)]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        lost, surviving = p.lost_brokers, p.surviving_brokers

        def topology_checks() -> list[Check]:
            topology = ctx.surviving.gateway.topology()
            led = led_partitions(topology)
            return [
                equal("lost brokers unreachable (no split brain)", [], _reachable(topology, lost)),
                equal("surviving brokers reachable", sorted(surviving), _reachable(topology, surviving)),
                holds("quorum lost: no partition has a leader", [], led, not led),
            ]

        try:
            checks = topology_checks()
        except (ApiError, PlatformError) as exc:
            checks = [holds("surviving gateway topology", "readable", f"could not observe: {exc}", False)]
        name = "lost brokers still cluster members"
        checks.append(
            observed(
                name,
                sorted(lost),
                lambda: equal(name, sorted(lost), sorted(ctx.surviving.management.cluster().members() & set(lost))),
            )
        )
        checks.append(no_pending_change(ctx))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        shape = p.shape
        checks = [
            members(ctx, p.surviving_brokers),
            no_pending_change(ctx),
            topology_shape(ctx, shape.cluster_size // 2, shape.replicas_per_region, shape.partitions),
            healthy_partitions(ctx, replicas=shape.replicas_per_region),
        ]
        name = "processing resumed: a new process instance is accepted"

        def accepted() -> Check:
            key = ctx.memory["failover_probe"] = observe.create_probe(ctx, "failover-1")
            return holds(name, "instance created", f"instance {key} created", True)

        checks.append(observed(name, "instance created", accepted))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return [
            shell.port_forward("surviving", 8080),
            "curl -L -X GET 'http://localhost:8080/v2/topology' -H 'Accept: application/json'",
            "curl -XGET 'http://localhost:9600/actuator/cluster' | jq .lastChange",
        ]


class DisableLostExporter(Step):
    id = "failover-2"
    title = "Configure Zeebe to disable the Elastic exporter to the lost region"
    phase = "failover"
    when = "the exporter to the lost region's Elasticsearch is disabled"
    current_state = (
        "Zeebe brokers in the surviving region still point to the lost region's Elasticsearch.",
        "Zeebe cannot continue exporting data; regular interaction with Camunda 8 is not restored.",
    )
    desired_state = (
        "The exporter to the failed region is disabled; Zeebe exports to Elasticsearch again.",
        "Regular interaction with Camunda 8 is restored: the temporary recovery is concluded.",
    )
    notes = ("Proves the export stall before and its end after, with a probe process instance.",)

    def actions(self, params: DrillParams) -> list[Action]:
        # One change at a time: each DisableExporter waits for its change to complete, so the next request never
        # meets a pending change (409). On an 8.7-migrated setup the legacy exporter stalls exporting just the same.
        return one_change_at_a_time([DisableExporter(exporter) for exporter in params.lost_exporters])

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="ENABLED"))
        checks.append(no_pending_change(ctx))
        name = "exporting stalled: a new instance does not reach Elasticsearch"
        key = ctx.memory.get("failover_probe")
        if key is None:
            checks.append(observed(name, "not exported", lambda: self._stall(ctx, name)))
        else:
            checks.append(observe.stays_unexported(ctx, ctx.surviving, key, name))
        return checks

    @staticmethod
    def _stall(ctx: DrillContext, name: str) -> Check:
        key = ctx.memory["failover_probe"] = observe.create_probe(ctx, "failover-2")
        return observe.stays_unexported(ctx, ctx.surviving, key, name)

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="DISABLED"))
        checks.append(no_pending_change(ctx))
        key: Any = ctx.memory.get("failover_probe")
        name = "exporting resumed: the stalled instance reaches the surviving Elasticsearch"
        if key is None:
            checks.append(holds(name, "a probe instance from the current-state check", "none", False))
        else:
            checks.append(observe.reaches(ctx, ctx.surviving, key, name))
        checks.append(healthy_partitions(ctx, replicas=p.shape.replicas_per_region))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return [
            "curl -XGET 'http://localhost:9600/actuator/exporters'",
            "curl -XGET 'http://localhost:9600/actuator/cluster' | jq .lastChange",
        ]
