"""Failback: redeploy the lost region, move the surviving region's data over, and let the brokers rejoin."""

from __future__ import annotations

from drill.api.errors import ApiError, HttpStatusError
from drill.api.models import Topology
from drill.platform.base import PlatformError
from drill.procedure import observe, shell
from drill.procedure.actions import (
    Action,
    AddBrokers,
    CreateSnapshot,
    EnableExporter,
    Exporting,
    HelmDeploy,
    RegisterRepository,
    RestoreSnapshot,
    one_change_at_a_time,
)
from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.params import OPERATE_TASKLIST_OFF, SCHEMA_MANAGER_ENV, DrillParams
from drill.procedure.step import (
    Step,
    converged,
    exporters,
    exporting_paused,
    full_dual_region_topology,
    healthy_partitions,
    members,
    namespace_clean,
    no_camunda_indices,
    no_pending_change,
    operate_tasklist,
    same_indices,
)


def _recreated_brokers_known(ctx: DrillContext) -> Check:
    """The surviving gateway sees the recreated brokers, which hold no partitions (not yet members)."""
    lost = ctx.params.lost_brokers
    name = "recreated brokers known to the gateway, without partitions"
    expected = {str(b): "no partitions" for b in lost}

    def seen(topology: Topology) -> dict[str, str]:
        held = {b.node_id: len(b.partitions) for b in topology.brokers}
        return {
            str(b): "absent" if b not in held else "no partitions" if held[b] == 0 else f"{held[b]} partitions"
            for b in lost
        }

    started = {"kind": "started", "region": ctx.params.lost_region, "component": "zeebe"}
    topology, error = converged(ctx, name, lambda t: seen(t) == expected, awaits=started)
    if topology is None:
        return holds(name, expected, f"could not observe: {error}", False)
    return equal(name, expected, seen(topology))


def _pods(ctx: DrillContext, handle: RegionHandle, *, brokers_ready: bool | None) -> list[Check]:
    """Zeebe pods exist (Ready or not, as wanted) and Elasticsearch is Ready, waiting within the bound."""
    half = ctx.params.shape.cluster_size // 2
    want_es = "Elasticsearch pod Ready"
    want_zeebe = f"{half} Zeebe pods" + ("" if brokers_ready is None else " Ready" if brokers_ready else " not Ready")

    def summary() -> dict[str, object]:
        pods = handle.platform.pods()
        zeebe = [p for p in pods if p.component == "zeebe"]
        return {
            "zeebe": len(zeebe),
            "zeebeReady": sum(p.ready for p in zeebe),
            "elasticsearchReady": any(p.ready for p in pods if p.component == "elasticsearch"),
        }

    def good(s: dict[str, object]) -> bool:
        if s["zeebe"] != half or not s["elasticsearchReady"]:
            return False
        return brokers_ready is None or s["zeebeReady"] == (half if brokers_ready else 0)

    last: list[dict[str, object]] = []

    def probe() -> dict[str, object] | None:
        last.append(summary())
        return last[-1] if good(last[-1]) else None

    name = f"region {handle.region} pods: {want_zeebe}, {want_es}"
    # Not-Ready brokers need no start; Ready ones need it (and membership, a change awaited before).
    components = ("zeebe", "elasticsearch") if brokers_ready else ("elasticsearch",)
    awaits = [{"kind": "started", "region": handle.region, "component": c} for c in components]
    try:
        found = observe.journaled_wait(ctx, probe, what=name, awaits=awaits, timeout=ctx.timeouts.readiness).value
    except (ApiError, PlatformError) as exc:
        return [holds(name, "pods as wanted", last[-1] if last else f"could not observe: {exc}", False)]
    return [holds(name, "pods as wanted", found, True)]


class DeployRecreatedRegion(Step):
    id = "failback-1"
    title = "Deploy Camunda 8 in the newly created region"
    phase = "failback"
    when = "Camunda is installed in the recreated region with Operate and Tasklist disabled"
    current_state = (
        "A standalone region with a fully functional Camunda 8 setup, Operate and Tasklist included.",
        "The recreated region holds no Camunda deployment and no persistent volumes.",
    )
    desired_state = (
        "Camunda 8 deployed in the recreated region, Orchestration Cluster and Elasticsearch only.",
        "Operate and Tasklist disabled there; the schema manager disabled so Elasticsearch stays empty.",
        "The new brokers are known to the cluster but not members, so their pods are not Ready (expected).",
    )
    notes = (
        "Refuses to install while the recreated namespace still holds a release or volumes.",
        "Adds CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA=false as --set-string instead of editing values files.",
        "Never waits for the recreated brokers to become Ready: they only can after failback-8.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [HelmDeploy("recreated", "install", OPERATE_TASKLIST_OFF, {SCHEMA_MANAGER_ENV: "false"})]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = [namespace_clean(ctx.recreated), members(ctx, p.surviving_brokers, "standalone cluster members")]
        checks += exporters(ctx, p.exporter_states(surviving="ENABLED", lost="DISABLED"))
        checks += operate_tasklist(ctx, on=True, regions=(ctx.surviving,))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = _pods(ctx, ctx.recreated, brokers_ready=False)
        checks.append(_recreated_brokers_known(ctx))
        checks += operate_tasklist(ctx, on=False, regions=(ctx.recreated,))
        checks.append(no_camunda_indices(ctx.recreated))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return ["kubectl --context $CLUSTER_RECREATED get pods -n $CAMUNDA_NAMESPACE_RECREATED"]


class DeactivateOperateTasklist(Step):
    id = "failback-2"
    title = "Deactivate Operate / Tasklist in active region by re-deploying"
    phase = "failback"
    when = "the surviving region is re-deployed with Operate and Tasklist disabled"
    current_state = (
        "The recovered region is deployed with Operate and Tasklist disabled.",
        "Users can still reach Operate / Tasklist in the surviving region.",
    )
    desired_state = ("Operate and Tasklist turned off in the surviving region to avoid data loss during the backup.",)

    def actions(self, params: DrillParams) -> list[Action]:
        return [HelmDeploy("surviving", "upgrade", OPERATE_TASKLIST_OFF, install=True)]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        checks = operate_tasklist(ctx, on=False, regions=(ctx.recreated,))
        checks += operate_tasklist(ctx, on=True, regions=(ctx.surviving,))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = operate_tasklist(ctx, on=False, regions=(ctx.surviving,))
        checks.append(healthy_partitions(ctx, replicas=ctx.params.shape.replicas_per_region))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return [
            'kubectl --context $CLUSTER_SURVIVING logs camunda-zeebe-0 | grep "profiles are active"',
            "kubectl --context $CLUSTER_SURVIVING get cm camunda-zeebe-configuration-unified -oyaml | grep spring -A2",
        ]


class PauseExporting(Step):
    id = "failback-3"
    title = "Pause Camunda exporters to Elasticsearch"
    phase = "failback"
    when = "exporting is paused in the surviving region"
    current_state = (
        "A functioning Orchestration Cluster in the surviving region, exporting to its Elasticsearch.",
        "Non-participating brokers in the recreated region; Operate and Tasklist off in both regions.",
    )
    desired_state = ("Exporting paused: no new data reaches Elasticsearch, so the backup loses nothing.",)
    notes = (
        "Accepts HTTP 204 and HTTP 200 with the real status in the body; a wrapped 500 fails the step.",
        "The document has no way to confirm the pause; the drill proves it with a probe instance that must not "
        "reach Elasticsearch.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [Exporting("pause")]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = operate_tasklist(ctx, on=False, regions=ctx.both())
        checks += exporters(ctx, p.exporter_states(surviving="ENABLED", lost="DISABLED"))
        checks.append(no_pending_change(ctx))
        checks.append(members(ctx, p.surviving_brokers))
        checks.append(healthy_partitions(ctx, replicas=p.shape.replicas_per_region))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        name = "exporting paused: a new instance does not reach Elasticsearch"

        def prove() -> Check:
            key = ctx.memory["paused_probe"] = observe.create_probe(ctx, "failback-3")
            return observe.stays_unexported(ctx, ctx.surviving, key, name)

        return [observed(name, "not exported", prove)]


def _no_backup_yet(ctx: DrillContext) -> Check:
    """ "No backup is in progress": and none of this name exists, or the snapshot call would fail half-way."""
    repo, snapshot = ctx.params.repository.name, ctx.params.snapshot_name
    name = f"no snapshot {snapshot} in {repo} yet, none in progress"

    def observe_snapshots() -> Check:
        try:
            found = {s.snapshot: s.state for s in ctx.surviving.es.snapshots(repo)}
        except HttpStatusError as exc:
            if exc.status != 404:  # an unregistered repository holds nothing yet
                raise
            found = {}
        clashing = {k: v for k, v in found.items() if k == snapshot or v == "IN_PROGRESS"}
        return holds(name, {}, clashing, not clashing)

    return observed(name, {}, observe_snapshots)


class BackupAndRestore(Step):
    id = "failback-4"
    title = "Create and restore Elasticsearch backup"
    phase = "failback"
    when = "a snapshot of the surviving Elasticsearch is taken and restored in the recreated region"
    current_state = (
        "Reachable by end users but not processing new instances nor reflecting user changes.",
        "No backup is in progress.",
    )
    desired_state = ("A backup of the surviving region's Elasticsearch is taken and restored in the recreated region.",)
    notes = (
        "Refuses to start while the recreated Elasticsearch already holds Camunda indices (the restore would fail "
        "with snapshot_restore_exception) or while Operate/Tasklist could still write.",
        "Registers the repository in the recreated region only after the snapshot exists, as the document says.",
        "After the restore, proves that both regions hold the same indices and document counts.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [
            RegisterRepository("surviving"),
            CreateSnapshot(),
            RegisterRepository("recreated"),
            RestoreSnapshot(),
        ]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        checks = [exporting_paused(ctx)]
        checks += operate_tasklist(ctx, on=False, regions=ctx.both())
        checks.append(no_camunda_indices(ctx.recreated))
        name = "surviving Elasticsearch healthy"

        def healthy() -> Check:
            status = ctx.surviving.es.health().status
            return holds(name, "green or yellow", status, status in ("green", "yellow"))

        checks.append(observed(name, "green or yellow", healthy))
        checks.append(_no_backup_yet(ctx))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        repo, name = ctx.params.repository.name, ctx.params.snapshot_name
        checks = []
        for handle in ctx.both():
            label = f"snapshot {name} listed with state SUCCESS in region {handle.region}"

            def listed(h: RegionHandle = handle, label: str = label) -> Check:
                states = {s.snapshot: s.state for s in h.es.snapshots(repo)}
                return equal(label, "SUCCESS", states.get(name, "absent"))

            checks.append(observed(label, "SUCCESS", listed))
        status_name = "restore status: SUCCESS, all shards done"

        def status() -> Check:
            s = ctx.recreated.es.snapshot_status(repo, name)
            actual = {"state": s.state, "done": s.done, "total": s.total, "failed": s.failed}
            return holds(
                status_name,
                "SUCCESS, done == total, 0 failed",
                actual,
                s.state == "SUCCESS" and s.done == s.total and s.failed == 0,
            )

        checks.append(observed(status_name, "SUCCESS", status))
        health_name = "recreated Elasticsearch green"

        def green() -> Check:
            waited = observe.journaled_wait(
                ctx,
                lambda: True if ctx.recreated.es.health().status == "green" else None,
                what=health_name,
                awaits={"kind": "restore", "snapshot": name, "region": ctx.recreated.region, "until": "green"},
                timeout=ctx.timeouts.health,
            )
            return holds(health_name, "green", "green", True, f"after {waited.elapsed:.2f} s")

        checks.append(observed(health_name, "green", green))
        checks.append(same_indices(ctx))
        return checks


class StartOperateTasklist(Step):
    id = "failback-5"
    title = "Start Operate and Tasklist again"
    phase = "failback"
    when = "the surviving region is re-deployed with Operate and Tasklist enabled"
    current_state = (
        "Camunda 8 remains unreachable by end users while functionality is restored.",
        "The backup has been created and restored to the recreated region.",
    )
    desired_state = ("Operate and Tasklist enabled in both regions, users can interact with Camunda 8 again.",)
    notes = (
        "Seed order (default): runs before the brokers rejoin and never waits for the recreated brokers' readiness.",
        "Variant operate-last (newer document revisions, Camunda's CI): runs after failback-8, because a rollout in "
        "the recreated region blocks until its brokers have joined.",
        "Upgrading with the original values also drops the temporary schema-manager env.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [HelmDeploy("surviving", "upgrade"), HelmDeploy("recreated", "upgrade")]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = operate_tasklist(ctx, on=False, regions=ctx.both())
        if p.variant == "operate-last":
            checks.append(members(ctx, p.shape.brokers_of(0) + p.shape.brokers_of(1)))
            checks += exporters(ctx, p.exporter_states(surviving="ENABLED", lost="ENABLED"))
        else:
            checks.append(same_indices(ctx))
            checks.append(exporting_paused(ctx))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return operate_tasklist(ctx, on=True, regions=ctx.both())

    def verification(self, params: DrillParams) -> list[str]:
        return [
            f"kubectl --context $CLUSTER_{r} -n $CAMUNDA_NAMESPACE_{r} logs camunda-zeebe-0 "
            '| grep "profiles are active"'
            for r in ("SURVIVING", "RECREATED")
        ]


class InitializeExporter(Step):
    id = "failback-6"
    title = "Initialize new Camunda exporter to the recreated region"
    phase = "failback"
    when = "the exporter to the recreated region's Elasticsearch is enabled"
    current_state = ("Reachable to end users, but not exporting any data.",)
    desired_state = (
        "A new exporter to the recreated region, initialised from the surviving region's exporter.",
        "The initialisation (asynchronous) is confirmed complete before exporting resumes.",
    )
    notes = ("Refuses to enable the exporter before the restore is complete or while exporting runs.",)

    def actions(self, params: DrillParams) -> list[Action]:
        # Each family's recreated exporter starts from the surviving exporter of the same family, one change at a time.
        return one_change_at_a_time([EnableExporter(lost, surviving) for lost, surviving in params.exporter_pairs])

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="DISABLED"))
        checks.append(no_pending_change(ctx))
        checks.append(exporting_paused(ctx))
        checks.append(same_indices(ctx))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="ENABLED"))
        checks.append(no_pending_change(ctx))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return [
            "curl -XGET 'http://localhost:9600/actuator/exporters'",
            "curl -XGET 'http://localhost:9600/actuator/cluster' | jq .lastChange",
        ]


class ResumeExporting(Step):
    id = "failback-7"
    title = "Reactivate Camunda exporter"
    phase = "failback"
    when = "exporting is resumed in the surviving region"
    current_state = (
        "Reachable to end users, but not exporting any data.",
        "Exporters are enabled for both regions, with the operation confirmed to be completed.",
    )
    desired_state = ("Exporting resumed: Zeebe exports to both regions' Elasticsearch again.",)
    notes = (
        "Accepts HTTP 204 and HTTP 200 with the real status in the body; a wrapped 500 fails the step.",
        "Proves the resume: the instance created while paused and a new one reach both regions.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [Exporting("resume")]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = exporters(ctx, p.exporter_states(surviving="ENABLED", lost="ENABLED"))
        checks.append(no_pending_change(ctx))
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = []
        paused = ctx.memory.get("paused_probe")
        if paused is not None:
            for handle in ctx.both():
                checks.append(
                    observe.reaches(ctx, handle, paused, f"instance from the pause reaches region {handle.region}")
                )
        name = "a new instance reaches both regions"

        def fresh() -> list[Check]:
            key = ctx.memory["resumed_probe"] = observe.create_probe(ctx, "failback-7")
            return [observe.reaches(ctx, h, key, f"new instance reaches region {h.region}") for h in ctx.both()]

        try:
            checks += fresh()
        except (ApiError, PlatformError) as exc:
            checks.append(holds(name, "instance created", f"could not create: {exc}", False))
        return checks


class AddBrokersBack(Step):
    id = "failback-8"
    title = "Add new brokers to the Zeebe cluster"
    phase = "failback"
    when = "the recreated brokers are added to the Zeebe cluster with the original replication factor"
    current_state = (
        "Running in two regions, but not yet utilising all Zeebe brokers.",
        "Elasticsearch exporters enabled.",
    )
    desired_state = ("Fully functional Camunda 8 setup utilising both regions, recovering all dual-region benefits.",)
    notes = (
        "No force: the document's ?force=true is rejected by the API (400 'Cannot force add brokers').",
        "clusterSize, replicationFactor and partition count must equal the original values (the document's sample "
        "output wrongly shows 4 and 2); every partition has RF healthy replicas in both regions.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [AddBrokers(params.lost_brokers, params.shape.replication_factor)]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        p = ctx.params
        checks = [members(ctx, p.surviving_brokers), _recreated_brokers_known(ctx), no_pending_change(ctx)]
        checks += exporters(ctx, p.exporter_states(surviving="ENABLED", lost="ENABLED"))
        resumed = ctx.memory.get("resumed_probe")
        name = "exporting running: a new instance reaches the surviving Elasticsearch"
        if resumed is None:

            def probe() -> Check:
                key = ctx.memory["resumed_probe"] = observe.create_probe(ctx, "failback-8")
                return observe.reaches(ctx, ctx.surviving, key, name)

            checks.append(observed(name, "exported", probe))
        else:
            checks.append(observe.reaches(ctx, ctx.surviving, resumed, name))
        on = p.variant == "seed"
        checks += operate_tasklist(ctx, on=on, regions=ctx.both())
        return checks

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        checks = full_dual_region_topology(ctx)
        checks += _pods(ctx, ctx.recreated, brokers_ready=True)
        name = "a new instance reaches both regions"
        try:
            key = observe.create_probe(ctx, "failback-8")
            checks += [observe.reaches(ctx, h, key, f"new instance reaches region {h.region}") for h in ctx.both()]
        except (ApiError, PlatformError) as exc:
            checks.append(holds(name, "instance created", f"could not create: {exc}", False))
        return checks

    def verification(self, params: DrillParams) -> list[str]:
        return [
            "curl -XGET 'http://localhost:9600/actuator/cluster' | jq .lastChange",
            shell.port_forward("surviving", 8080),
            "curl -L -X GET 'http://localhost:8080/v2/topology' -H 'Accept: application/json'",
        ]
