"""The actions of the procedure, each runnable against a live target and printable as the runbook's commands.

One object serves both, so the runbook an operator reads (`c8-drill plan`) and the requests the drill sends are
built from the same values and cannot drift apart.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from drill.api.errors import ChangeFailed, WaitTimeout
from drill.api.management import cluster_patch_body, cluster_patch_query, enable_exporter_body
from drill.api.models import ClusterState, PlannedChange
from drill.platform.base import HelmRequest
from drill.platform.helm_values import env_set_strings, helm_argv
from drill.procedure import shell
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.observe import journal_wait
from drill.procedure.params import DrillParams

MANAGEMENT = "http://localhost:9600"
CHART = "camunda/camunda-platform"


def _handle(ctx: DrillContext, role: str) -> RegionHandle:
    return ctx.surviving if role == "surviving" else ctx.recreated


def await_change(ctx: DrillContext, plan: PlannedChange, what: str) -> dict[str, Any]:
    """Wait for an accepted cluster change to end; a FAILED/CANCELLED end or the time bound raises."""
    started = time.monotonic()
    polls: list[ClusterState] = []
    awaits = {"kind": "change", "id": plan.change_id}

    def journal(outcome: str) -> None:
        elapsed = time.monotonic() - started
        journal_wait(
            ctx,
            what=f"{what}: change {plan.change_id}",
            awaits=awaits,
            attempts=len(polls),
            elapsed_s=elapsed,
            outcome=outcome,
        )

    try:
        outcome = ctx.surviving.management.wait_for_change(
            plan.change_id, timeout=ctx.timeouts.change, on_poll=polls.append
        )
    except (ChangeFailed, WaitTimeout) as exc:
        journal(exc.status if isinstance(exc, ChangeFailed) else "timed out")
        raise
    journal(outcome.status)
    return {"changeId": plan.change_id, "plannedOperations": len(plan.planned), "outcome": outcome.status}


class OutcomeError(Exception):
    """An action's call succeeded but its result is not what the procedure needs to go on."""

    def __init__(self, what: str, expected: str, seen: str) -> None:
        super().__init__(f"{what}: expected {expected}, got {seen}")


class Action(ABC):
    """One thing the procedure does. `destructive` actions change the system; the guard and dry run use it."""

    destructive = True

    @abstractmethod
    def describe(self) -> str: ...

    @abstractmethod
    def shell(self, params: DrillParams) -> list[str]: ...

    @abstractmethod
    def run(self, ctx: DrillContext) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ForceRemoveBrokers(Action):
    brokers: tuple[int, ...]

    def describe(self) -> str:
        return f"force-remove the lost brokers {list(self.brokers)} from the Zeebe cluster"

    def shell(self, params: DrillParams) -> list[str]:
        query = "&".join(f"{k}={v}" for k, v in cluster_patch_query(force=True, dry_run=False).items())
        body = cluster_patch_body(add=(), remove=self.brokers, replication_factor=None)
        return [
            shell.port_forward("surviving", 9600),
            shell.curl("PATCH", f"{MANAGEMENT}/actuator/cluster?{query}", body),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        # A force removal of a live broker splits the brain (principle 7): look right before the write, whatever
        # ids the operator typed, so even a wrong list never reaches the API.
        alive = sorted(b.node_id for b in ctx.surviving.gateway.topology().brokers if b.node_id in self.brokers)
        if alive:
            raise OutcomeError(
                self.describe(),
                "only brokers the surviving gateway no longer reaches",
                f"brokers {alive} are still reachable; refusing to force-remove them",
            )
        plan = ctx.surviving.management.patch_cluster(remove=self.brokers, force=True)
        return await_change(ctx, plan, self.describe())


@dataclass(frozen=True)
class AddBrokers(Action):
    brokers: tuple[int, ...]
    replication_factor: int

    def describe(self) -> str:
        return f"add brokers {list(self.brokers)} with replicationFactor {self.replication_factor} (no force)"

    def shell(self, params: DrillParams) -> list[str]:
        body = cluster_patch_body(add=self.brokers, remove=(), replication_factor=self.replication_factor)
        return [
            "# The official document sends ?force=true here; the API rejects force with add "
            '(400 "Cannot force add brokers"), so no force.',
            shell.port_forward("surviving", 9600),
            shell.curl("PATCH", f"{MANAGEMENT}/actuator/cluster", body),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        plan = ctx.surviving.management.patch_cluster(add=self.brokers, replication_factor=self.replication_factor)
        return await_change(ctx, plan, self.describe())


def _wait_for_change() -> list[str]:
    return [
        "# wait until lastChange is COMPLETED and there is no pendingChange: a change sent earlier gets 409",
        f"curl -XGET '{MANAGEMENT}/actuator/cluster' | jq '{{lastChange, pendingChange}}'",
    ]


@dataclass(frozen=True)
class DisableExporter(Action):
    exporter_id: str
    # The runbook tells the operator to wait before the next exporter change; the drill waits in `run` anyway.
    wait_before_next: bool = False

    def describe(self) -> str:
        return f"disable the exporter {self.exporter_id}"

    def shell(self, params: DrillParams) -> list[str]:
        return [
            shell.port_forward("surviving", 9600),
            shell.curl("POST", f"{MANAGEMENT}/actuator/exporters/{self.exporter_id}/disable"),
            *(_wait_for_change() if self.wait_before_next else []),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        plan = ctx.surviving.management.disable_exporter(self.exporter_id)
        return await_change(ctx, plan, self.describe())


@dataclass(frozen=True)
class EnableExporter(Action):
    exporter_id: str
    initialize_from: str
    wait_before_next: bool = False

    def describe(self) -> str:
        return f"enable the exporter {self.exporter_id}, initialised from {self.initialize_from}"

    def shell(self, params: DrillParams) -> list[str]:
        return [
            shell.port_forward("surviving", 9600),
            shell.curl(
                "POST",
                f"{MANAGEMENT}/actuator/exporters/{self.exporter_id}/enable",
                enable_exporter_body(self.initialize_from),
            ),
            *(_wait_for_change() if self.wait_before_next else []),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        plan = ctx.surviving.management.enable_exporter(self.exporter_id, initialize_from=self.initialize_from)
        return await_change(ctx, plan, self.describe())


ExporterChange = DisableExporter | EnableExporter


def one_change_at_a_time(changes: list[ExporterChange]) -> list[Action]:
    """Exporter changes of several families in order; each but the last tells the runbook's reader to wait for it,
    as Camunda's migration test does between the legacy exporters (concurrent changes are refused with 409)."""
    ordered: list[Action] = [replace(change, wait_before_next=True) for change in changes[:-1]]
    return ordered + list(changes[-1:])


@dataclass(frozen=True)
class Exporting(Action):
    """Pause or resume exporting on every partition: synchronous, and 204 or 200 with the status in the body."""

    verb: str  # "pause" or "resume"

    def describe(self) -> str:
        return f"{self.verb} exporting on all partitions"

    def shell(self, params: DrillParams) -> list[str]:
        return [
            shell.port_forward("surviving", 9600),
            shell.curl("POST", f"localhost:9600/actuator/exporting/{self.verb}", include_status=True),
            '# Success is HTTP 204, or on newer 8.8 patches HTTP 200 with {"status":204} in the body: '
            "read the body, a wrapped 500 is a failure.",
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        management = ctx.surviving.management
        result = management.pause_exporting() if self.verb == "pause" else management.resume_exporting()
        return {"variant": result.variant, "status": result.status}


@dataclass(frozen=True)
class HelmDeploy(Action):
    """helm install/upgrade of one region with its original values files plus the step's overrides."""

    role: str
    verb: str  # "install" or "upgrade"
    sets: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    install: bool = False

    def describe(self) -> str:
        extras = [*self.sets, *(f"env {k}={v}" for k, v in self.env.items())]
        suffix = f" with {', '.join(extras)}" if extras else " with the original values"
        return f"helm {self.verb} Camunda in the {self.role} region{suffix}"

    def shell(self, params: DrillParams) -> list[str]:
        r = shell.role_var(self.role)
        lines = []
        set_strings: tuple[str, ...] = ()
        if self.env:
            lines.append(
                "# orchestration.env is a list, so the extra entries go after the ones your values files define "
                "(the official document edits camunda-values.yml instead)"
            )
            lines.append(
                f"ENV_INDEX=$(yq eval-all '. as $item ireduce ({{}}; . * $item) | .orchestration.env | length' "
                f"camunda-values.yml $REGION_{r}/camunda-values.yml)"
            )
            entries = []
            for i, (name, value) in enumerate(self.env.items()):
                index = "$ENV_INDEX"
                if i:
                    lines.append(f"ENV_INDEX_{i}=$((ENV_INDEX + {i}))")
                    index = f"$ENV_INDEX_{i}"
                entries += [f"orchestration.env[{index}].name={name}", f"orchestration.env[{index}].value={value}"]
            set_strings = tuple(entries)
        request = HelmRequest(values_files=(), sets=self.sets, set_strings=set_strings)
        argv = helm_argv(
            self.verb,
            "$CAMUNDA_RELEASE_NAME",
            CHART,
            version="$HELM_CHART_VERSION",
            kube_context=f"$CLUSTER_{r}",
            namespace=f"$CAMUNDA_NAMESPACE_{r}",
            request=request,
            install=self.install,
            create_namespace=False,
        )
        at = argv.index("--version") + 2
        files = ["-f", "camunda-values.yml", "-f", f"$REGION_{r}/camunda-values.yml"]
        lines.append(shell.command(argv[:at] + files + argv[at:], continuation_after=4))
        return lines

    def request(self, ctx: DrillContext) -> HelmRequest:
        """The platform already knows the region's values files; the step adds only its overrides."""
        platform = _handle(ctx, self.role).platform
        set_strings: tuple[str, ...] = ()
        if self.env:
            set_strings = env_set_strings(platform.values(), dict(self.env))
        return HelmRequest(sets=self.sets, set_strings=set_strings)

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        platform = _handle(ctx, self.role).platform
        request = self.request(ctx)
        if self.verb == "install":
            result = platform.helm_install(request)
        else:
            result = platform.helm_upgrade(request, install=self.install)
        return {"release": result.release, "revision": result.revision, "status": result.status}


@dataclass(frozen=True)
class RegisterRepository(Action):
    role: str

    def describe(self) -> str:
        return f"register the snapshot repository in the {self.role} region's Elasticsearch"

    def shell(self, params: DrillParams) -> list[str]:
        return [
            shell.elastic_pod(self.role),
            shell.elastic_curl(self.role, "PUT", f"/_snapshot/{params.repository.name}", params.repository.body()),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        repository = ctx.params.repository
        _handle(ctx, self.role).es.put_repository(repository.name, repository.body())
        return {"repository": repository.name, "type": repository.type}


@dataclass(frozen=True)
class CreateSnapshot(Action):
    def describe(self) -> str:
        return "snapshot the surviving region's Elasticsearch (wait for completion)"

    def shell(self, params: DrillParams) -> list[str]:
        repo, name = params.repository.name, params.snapshot_name
        return [
            shell.elastic_curl("surviving", "PUT", f"/_snapshot/{repo}/{name}?wait_for_completion=true"),
            shell.elastic_curl("surviving", "GET", f"/_snapshot/{repo}/_all"),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        repo, name = ctx.params.repository.name, ctx.params.snapshot_name
        started = time.monotonic()
        info = ctx.surviving.es.create_snapshot(repo, name, wait=True, timeout=ctx.timeouts.snapshot)
        # Elasticsearch waits (wait_for_completion): one request, journaled as a wait like any other.
        awaits = {"kind": "snapshot", "name": name, "region": ctx.surviving.region}
        journal_wait(
            ctx,
            what=f"snapshot {repo}/{name}",
            awaits=awaits,
            attempts=1,
            elapsed_s=time.monotonic() - started,
            outcome=info.state if info is not None else "no result",
        )
        if info is None or info.state != "SUCCESS" or info.shards_failed:
            seen = "no result" if info is None else f"state {info.state}, {info.shards_failed} failed shard(s)"
            raise OutcomeError(f"snapshot {repo}/{name}", "state SUCCESS with 0 failed shards", seen)
        return {
            "snapshot": info.snapshot,
            "state": info.state,
            "indices": len(info.indices),
            "shards": {"total": info.shards_total, "failed": info.shards_failed},
        }


@dataclass(frozen=True)
class RestoreSnapshot(Action):
    def describe(self) -> str:
        return "restore the snapshot into the recreated region's Elasticsearch (wait for completion)"

    def shell(self, params: DrillParams) -> list[str]:
        repo, name = params.repository.name, params.snapshot_name
        return [
            shell.elastic_curl("recreated", "GET", f"/_snapshot/{repo}/_all"),
            shell.elastic_curl("recreated", "POST", f"/_snapshot/{repo}/{name}/_restore?wait_for_completion=true"),
            shell.elastic_curl("recreated", "GET", f"/_snapshot/{repo}/{name}/_status"),
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        repo, name = ctx.params.repository.name, ctx.params.snapshot_name
        started = time.monotonic()
        result = ctx.recreated.es.restore(repo, name, wait=True, timeout=ctx.timeouts.snapshot)
        awaits = {"kind": "restore", "snapshot": name, "region": ctx.recreated.region}
        journal_wait(
            ctx,
            what=f"restore of {repo}/{name}",
            awaits=awaits,
            attempts=1,
            elapsed_s=time.monotonic() - started,
            outcome="no result" if result is None else f"{result.shards_failed} failed shard(s)",
        )
        if result is None or result.shards_failed:
            seen = "no result" if result is None else f"{result.shards_failed} failed shard(s)"
            raise OutcomeError(f"restore of {repo}/{name}", "0 failed shards", seen)
        return {
            "snapshot": result.snapshot,
            "indices": len(result.indices),
            "shards": {"total": result.shards_total, "failed": result.shards_failed},
        }
