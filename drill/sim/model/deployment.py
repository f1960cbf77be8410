"""A whole dual-region Camunda 8.8 deployment: two regions, each a Kubernetes namespace with a Helm release,
broker pods and an Elasticsearch, around one Zeebe cluster that spans both.

The deployment decides which brokers run (a region that is lost, uninstalled or still starting has none) and
which Elasticsearch an exporter can reach; the Zeebe cluster does the rest. Region loss keeps the lost region's
state aside (it might come back as a zombie); recreation replaces it with an empty namespace, as the procedure
assumes ("no Camunda 8 deployments or related persistent volumes").
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drill.sim.clock import Clock, SystemClock, iso
from drill.sim.model import camunda_schema, helm
from drill.sim.model.elasticsearch import ElasticsearchCluster, SnapshotStore
from drill.sim.model.errors import BadRequest, Conflict, NotFound, Unavailable
from drill.sim.model.faults import FaultBook
from drill.sim.model.timeline import Timeline
from drill.sim.model.topology import REGIONS, broker_id_for, brokers_of_region
from drill.sim.model.zeebe import Sink, ZeebeCluster

BROKER_STARTUP_SECONDS = 20.0
ES_STARTUP_SECONDS = 15.0
EXPORTING_RESPONSES = ("no-content", "wrapped")
EXPORTER_FAMILIES = {"camundaregion": "io.camunda.exporter.CamundaExporter"}
LEGACY_EXPORTER_FAMILY = ("elasticsearchregion", "io.camunda.zeebe.exporter.ElasticsearchExporter")


@dataclass(frozen=True)
class SimSettings:
    cluster_size: int = 8
    partitions: int = 8
    replication_factor: int = 4
    time_scale: float = 0.0
    exporting_response: str = "no-content"
    release_name: str = "camunda"
    namespaces: tuple[str, str] = ("camunda-region0", "camunda-region1")
    chart_version: str = "13.12.7"
    camunda_version: str = "8.8.0"
    es_extra_data_bytes: int = 0
    # Seconds per GiB of Elasticsearch snapshot and restore (the ES model's own defaults: restore as published).
    es_restore_seconds_per_gib: float = 11.0
    es_snapshot_seconds_per_gib: float = 8.0
    username: str = "demo"
    password: str = "demo"
    auth: str = "basic"
    oidc_client_id: str = "drill"
    oidc_client_secret: str = "drill-secret"
    oidc_token_seconds: int = 300
    # An 8.8 migrated from 8.7: the legacy exporters elasticsearchregion0/1 are configured and enabled too.
    legacy_exporters: bool = False

    def __post_init__(self) -> None:
        if self.exporting_response not in EXPORTING_RESPONSES:
            raise ValueError(
                f"exporting response must be one of {', '.join(EXPORTING_RESPONSES)}, got {self.exporting_response!r}"
            )
        if self.auth not in ("basic", "none", "oidc"):
            raise ValueError(f"auth must be 'basic', 'none' or 'oidc', got {self.auth!r}")
        if isinstance(self.oidc_token_seconds, bool) or not isinstance(self.oidc_token_seconds, int):
            raise ValueError(f"oidc_token_seconds must be an integer, got {self.oidc_token_seconds!r}")
        if self.oidc_token_seconds <= 0:
            raise ValueError(f"oidc_token_seconds must be positive, got {self.oidc_token_seconds}")


def exporter_families(settings: SimSettings) -> dict[str, str]:
    """Exporter id prefix -> class name of every exporter family the deployment configures in both regions."""
    if not settings.legacy_exporters:
        return dict(EXPORTER_FAMILIES)
    return {**EXPORTER_FAMILIES, LEGACY_EXPORTER_FAMILY[0]: LEGACY_EXPORTER_FAMILY[1]}


def default_values(settings: SimSettings, region: int) -> dict[str, Any]:
    """The dual-region values an operator installed with (c8-multi-region's camunda-values.yml, in essence)."""
    namespaces = settings.namespaces
    contact_points = ",".join(
        f"{settings.release_name}-zeebe-{i}.{settings.release_name}-zeebe.{namespaces[r]}.svc.cluster.local:26502"
        for i in range(settings.cluster_size // REGIONS)
        for r in range(REGIONS)
    )
    env = [{"name": "ZEEBE_BROKER_CLUSTER_INITIALCONTACTPOINTS", "value": contact_points}]
    for family, class_name in exporter_families(settings).items():
        for r in range(REGIONS):
            prefix = f"ZEEBE_BROKER_EXPORTERS_{family.upper()}{r}"
            url = f"http://{settings.release_name}-elasticsearch-master-hl.{namespaces[r]}.svc.cluster.local:9200"
            env.append({"name": f"{prefix}_CLASSNAME", "value": class_name})
            # The legacy exporter reads its URL from args.url, the Camunda exporter from args.connect.url.
            url_arg = "ARGS_CONNECT_URL" if family in EXPORTER_FAMILIES else "ARGS_URL"
            env.append({"name": f"{prefix}_{url_arg}", "value": url})
    env.append({"name": "CAMUNDA_DATA_BACKUP_REPOSITORYNAME", "value": "camunda_backup"})
    return {
        "global": {"multiregion": {"regions": REGIONS, "regionId": region}},
        "orchestration": {
            "clusterSize": str(settings.cluster_size),
            "partitionCount": str(settings.partitions),
            "replicationFactor": str(settings.replication_factor),
            "profiles": {"operate": True, "tasklist": True},
            "exporters": {"camunda": {"enabled": False}, "zeebe": {"enabled": False}},
            "env": env,
        },
        "elasticsearch": {"enabled": True},
    }


@dataclass(frozen=True)
class LegacyRecordSink:
    """The legacy exporter writes the same records to its own `zeebe-record_*` indices of the same Elasticsearch,
    so its data is snapshotted, restored and compared like Camunda's, and never mistaken for it."""

    es: ElasticsearchCluster

    def index_document(self, index: str, doc_id: str, source: dict[str, Any]) -> None:
        self.es.index_document(camunda_schema.legacy_index(index), doc_id, source)


@dataclass
class Release:
    name: str
    chart_version: str
    revision: int
    values: dict[str, Any]
    installed_at: datetime
    updated_at: datetime
    status: str = "deployed"


@dataclass
class Pod:
    name: str
    component: str
    started_at: float
    broker_id: int | None = None
    restarts: int = 0
    logs: list[str] = field(default_factory=list)


@dataclass
class Region:
    id: int
    namespace: str
    lost: bool = False
    release: Release | None = None
    volumes: set[str] = field(default_factory=set)
    pods: dict[str, Pod] = field(default_factory=dict)
    es: ElasticsearchCluster | None = None
    # A deny-all network policy in the namespace (the drill's fence): nothing gets in or out, so a region that
    # returns cannot rejoin. It belongs to the namespace, so it outlives a return and a recreation alike.
    fenced: bool = False

    @property
    def cut_off(self) -> bool:
        """Whether the rest of the deployment and its clients can reach the region's pods."""
        return self.lost or self.fenced


class Simulation:
    """The model behind every simulated endpoint. Not thread-safe: the HTTP layer serialises access."""

    def __init__(self, settings: SimSettings | None = None, *, clock: Clock | None = None) -> None:
        self.settings = settings or SimSettings()
        self.clock = clock or SystemClock()
        self.store = SnapshotStore()
        self.regions = {r: Region(r, self.settings.namespaces[r]) for r in range(REGIONS)}
        self.exporter_regions = {
            f"{family}{r}": r for family in exporter_families(self.settings) for r in range(REGIONS)
        }
        # What completed when (GET /timeline); an export counts once per region, by the Camunda exporter.
        camunda = next(iter(EXPORTER_FAMILIES))
        exporters = {f"{camunda}{r}": r for r in range(REGIONS)}
        self.timeline = Timeline(self.clock, export_regions=exporters, arrival_index=camunda_schema.LIST_VIEW)
        self._starting: dict[tuple[int, str], float] = {}  # (region, component) -> when its pods start
        self.zeebe = ZeebeCluster(
            clock=self.clock,
            cluster_size=self.settings.cluster_size,
            partitions=self.settings.partitions,
            replication_factor=self.settings.replication_factor,
            exporters=tuple(self.exporter_regions),
            time_scale=self.settings.time_scale,
            sink=self._sink,
            version=self.settings.camunda_version,
            timeline=self.timeline,
        )
        self._action_ids = itertools.count(1)
        self.faults = FaultBook()
        self.exporting_response = self.settings.exporting_response
        self.public_region = 0  # where the deployment's public endpoint sends users: the active region
        for region in self.regions.values():
            self._install(region, default_values(self.settings, region.id), started_at=self.clock.now())
        self.tick()

    # -- time and liveness ----------------------------------------------------------------------------------

    def tick(self) -> None:
        now = self.clock.now()
        self.zeebe.running = {
            pod.broker_id
            for region in self.regions.values()
            if not region.cut_off
            for pod in region.pods.values()
            if pod.broker_id is not None and pod.started_at <= now
        }
        if self._starting:
            self._note_started(now)
        self.zeebe.tick()

    def _note_started(self, now: float) -> None:
        """Put a region's brokers or Elasticsearch on the timeline once their pods have started (if still there)."""
        for (region, component), at in list(self._starting.items()):
            if at <= now:
                del self._starting[(region, component)]
                pods = self.regions[region].pods.values()
                if any(p.component == component and p.started_at == at for p in pods):
                    self.timeline.started(region, component, at)

    def _scaled(self, seconds: float) -> float:
        return seconds * self.settings.time_scale

    def services_up(self, region: int) -> bool:
        """Whether the region's services (gateway, management, Elasticsearch) answer at all."""
        r = self.regions[region]
        return not r.cut_off and r.release is not None

    def _es_available(self, region: Region) -> bool:
        if region.cut_off or region.release is None or region.es is None:
            return False
        pod = region.pods.get(f"{self.settings.release_name}-elasticsearch-master-0")
        return pod is not None and pod.started_at <= self.clock.now()

    def _sink(self, exporter_id: str) -> Sink | None:
        region_id = self.exporter_regions.get(exporter_id)
        if region_id is None:
            return None
        region = self.regions[region_id]
        if not self._es_available(region):
            return None  # an enabled exporter without its Elasticsearch stalls the export of every partition
        assert region.es is not None
        if exporter_id.startswith(LEGACY_EXPORTER_FAMILY[0]):
            return LegacyRecordSink(region.es)
        return region.es

    def elasticsearch(self, region: int) -> ElasticsearchCluster:
        r = self._region(region)
        if not self._es_available(r):
            raise Unavailable(f"the Elasticsearch of region {region} is not running")
        assert r.es is not None
        return r.es

    def _region(self, region: int) -> Region:
        if region not in self.regions:
            raise NotFound(f"Expected region 0 or 1, got {region}")
        return self.regions[region]

    # -- region loss ----------------------------------------------------------------------------------------

    def lose_region(self, region: int) -> None:
        r = self._region(region)
        if r.lost:
            raise Conflict(f"region {region} is already lost")
        r.lost = True
        self.timeline.lost(region, self.clock.now())

    def return_region(self, region: int) -> None:
        """The lost region comes back as it was (a zombie): the case fencing has to prevent."""
        r = self._region(region)
        if not r.lost:
            raise Conflict(f"region {region} is not lost")
        r.lost = False

    def recreate_region(self, region: int) -> None:
        """Replace a lost (or fenced) region with an empty namespace: no release, no volumes, no indices.

        A fenced region that came back is wiped like a lost one: that is how a zombie is dealt with. The fence stays
        (it is the namespace's), so the empty region cannot join until the fence is lifted."""
        r = self._region(region)
        if not r.cut_off:
            raise Conflict(f"region {region} is not lost; recreating it would destroy a live region (lose it first)")
        self.regions[region] = Region(region, r.namespace, fenced=r.fenced)

    # -- fence and public endpoint --------------------------------------------------------------------------

    def fence_region(self, region: int) -> bool:
        """Apply the deny-all policy; True when it was not there yet. A lost region can be fenced: the simulator's
        fence stands for the cloud's (its control API answers while the region is lost), so that what the fence
        prevents, a return rejoining, can be shown."""
        r = self._region(region)
        applied, r.fenced = not r.fenced, True
        return applied

    def lift_fence(self, region: int) -> bool:
        """Remove the policy; True when there was one (lifting twice is no error, as `--ignore-not-found`)."""
        r = self._region(region)
        lifted, r.fenced = r.fenced, False
        return lifted

    def route_public(self, region: int) -> None:
        """Point the public endpoint at a region: what a DNS change does. Any region may be chosen, even a lost one,
        as a mistaken DNS change may: the drill's probe is what notices."""
        self._region(region)
        self.public_region = region
        self.timeline.routed(region, self.clock.now())

    # -- helm -----------------------------------------------------------------------------------------------

    def helm_install(
        self,
        region: int,
        values: dict[str, Any],
        sets: Sequence[str] = (),
        set_strings: Sequence[str] = (),
    ) -> Release:
        r = self._reachable(region)
        if r.release is not None:
            raise Conflict("INSTALLATION FAILED: cannot re-use a name that is still in use")
        return self._install(r, helm.merged(values, list(sets), list(set_strings)), started_at=None)

    def helm_upgrade(
        self,
        region: int,
        values: dict[str, Any],
        sets: Sequence[str] = (),
        set_strings: Sequence[str] = (),
        *,
        install: bool = False,
    ) -> Release:
        r = self._reachable(region)
        merged = helm.merged(values, list(sets), list(set_strings))
        if r.release is None:
            if install:
                return self._install(r, merged, started_at=None)
            raise NotFound(f'UPGRADE FAILED: "{self.settings.release_name}" has no deployed releases')
        self._validate_values(r, merged)
        release = r.release
        changed = release.values != merged
        release.values = merged
        release.revision += 1
        release.updated_at = self.clock.wall()
        if changed:
            profiles = helm.active_profiles(merged)
            for pod in r.pods.values():
                if pod.component == "zeebe":
                    pod.restarts += 1
                    pod.logs.append(helm.profiles_log_line(profiles))
        self._run_schema_manager(r)
        return release

    def helm_uninstall(self, region: int) -> None:
        r = self._reachable(region)
        if r.release is None:
            raise NotFound(f"uninstall: Release not loaded: {self.settings.release_name}: release: not found")
        r.release = None
        r.pods = {}

    def delete_volumes(self, region: int) -> list[str]:
        r = self._reachable(region)
        if r.release is not None:
            raise Conflict(f"the volumes of region {region} are in use by release {r.release.name}; uninstall it first")
        deleted = sorted(r.volumes)
        r.volumes = set()
        r.es = None
        return deleted

    def _reachable(self, region: int) -> Region:
        r = self._region(region)
        if r.lost:
            raise Unavailable(f"Kubernetes cluster of region {region} is unreachable (region lost)")
        return r

    def _validate_values(self, region: Region, values: dict[str, Any]) -> None:
        region_id = helm.lookup(values, "global.multiregion.regionId")
        if region_id is not None and str(region_id) != str(region.id):
            raise BadRequest(
                f"values set global.multiregion.regionId={region_id}, but this is region {region.id}: "
                "installing another region's values would give brokers the wrong node ids"
            )
        for key, actual in (
            ("clusterSize", self.settings.cluster_size),
            ("partitionCount", self.settings.partitions),
            ("replicationFactor", self.settings.replication_factor),
        ):
            value = helm.lookup(values, f"orchestration.{key}")
            if value is not None and str(value) != str(actual):
                raise BadRequest(
                    f"values set orchestration.{key}={value}, but the deployment was created with {actual}; "
                    "a recreated region must use the original values"
                )

    def _install(self, region: Region, values: dict[str, Any], *, started_at: float | None) -> Release:
        self._validate_values(region, values)
        now = self.clock.now()
        wall = self.clock.wall()
        name = self.settings.release_name
        release = Release(name, self.settings.chart_version, 1, values, wall, wall)
        region.release = release
        profiles = helm.active_profiles(values)
        broker_start = started_at if started_at is not None else now + self._scaled(BROKER_STARTUP_SECONDS)
        es_start = started_at if started_at is not None else now + self._scaled(ES_STARTUP_SECONDS)
        region.pods = {}
        for index in range(self.settings.cluster_size // REGIONS):
            broker = broker_id_for(region.id, index)
            pod = Pod(f"{name}-zeebe-{index}", "zeebe", broker_start, broker_id=broker)
            pod.logs = [
                f"io.camunda.application.StandaloneCamunda - Starting StandaloneCamunda using Java 21 on {pod.name}",
                helm.profiles_log_line(profiles),
                f"io.camunda.zeebe.broker.Broker - Broker {broker} started (node id {broker}, region {region.id})",
            ]
            region.pods[pod.name] = pod
            region.volumes.add(f"data-{pod.name}")
        es_pod = Pod(f"{name}-elasticsearch-master-0", "elasticsearch", es_start)
        self._starting.update({(region.id, "zeebe"): broker_start, (region.id, "elasticsearch"): es_start})
        region.pods[es_pod.name] = es_pod
        region.volumes.add(f"data-{es_pod.name}")
        if region.es is None:
            region.es = ElasticsearchCluster(
                region=region.id,
                clock=self.clock,
                store=self.store,
                time_scale=self.settings.time_scale,
                cluster_name=f"{name}-elasticsearch",
                extra_data_bytes=self.settings.es_extra_data_bytes,
                restore_seconds_per_gib=self.settings.es_restore_seconds_per_gib,
                snapshot_seconds_per_gib=self.settings.es_snapshot_seconds_per_gib,
                timeline=self.timeline,
            )
        self._run_schema_manager(region)
        return release

    def _run_schema_manager(self, region: Region) -> None:
        """Creates Camunda's indices at startup unless the operator disabled it for the restore."""
        if region.release is None or region.es is None:
            return
        if helm.schema_manager_enabled(region.release.values):
            for index in camunda_schema.SCHEMA_INDICES:
                region.es.create_index(index)

    # -- kubernetes views -----------------------------------------------------------------------------------

    def profiles(self, region: int) -> list[str]:
        r = self._reachable(region)
        if r.release is None:
            return []
        return helm.active_profiles(r.release.values)

    def pod_ready(self, region: Region, pod: Pod) -> bool:
        """Brokers that are not cluster members fail their readiness probe, as the procedure warns."""
        if region.cut_off or pod.started_at > self.clock.now():
            return False
        if pod.component == "zeebe":
            assert pod.broker_id is not None
            return pod.broker_id in self.zeebe.config.members
        return True

    def pods(self, region: int) -> list[dict[str, Any]]:
        r = self._reachable(region)
        now = self.clock.now()
        return [
            {
                "name": pod.name,
                "component": pod.component,
                "brokerId": pod.broker_id,
                "phase": "Running" if pod.started_at <= now else "Pending",
                "ready": self.pod_ready(r, pod),
                "restarts": pod.restarts,
            }
            for pod in sorted(r.pods.values(), key=lambda p: p.name)
        ]

    def pod_logs(self, region: int, name: str) -> list[str]:
        r = self._reachable(region)
        if name not in r.pods:
            raise NotFound(f'pods "{name}" not found in namespace {r.namespace}')
        return list(r.pods[name].logs)

    def configmaps(self, region: int) -> dict[str, dict[str, str]]:
        r = self._reachable(region)
        if r.release is None:
            return {}
        profiles = helm.active_profiles(r.release.values)
        return {
            f"{self.settings.release_name}-zeebe-configuration-unified": helm.unified_configmap(
                profiles, r.release.values
            )
        }

    # -- users of Operate and Tasklist ----------------------------------------------------------------------

    def user_action(self, region: int, app: str, action: str = "assign", target: str = "") -> dict[str, Any]:
        """Operate/Tasklist write region-local data straight to their own Elasticsearch (V1 functionality).

        This is why the procedure turns them off for the backup window: what users do in one region during it
        is missing from the other region after the restore.
        """
        if app not in ("operate", "tasklist"):
            raise BadRequest(f"Expected app 'operate' or 'tasklist', got {app!r}")
        r = self._reachable(region)
        if r.release is None or app not in helm.active_profiles(r.release.values):
            raise Unavailable(f"{app} is not running in region {region} (its profile is off)")
        es = self.elasticsearch(region)
        action_id = f"{app}-{next(self._action_ids)}"
        index = camunda_schema.TASK if app == "tasklist" else camunda_schema.OPERATION
        source = {"id": action_id, "app": app, "action": action, "target": target, "at": iso(self.clock.wall())}
        es.index_document(index, action_id, source)
        return {"index": index, **source}

    # -- introspection --------------------------------------------------------------------------------------

    def set_exporting_response(self, variant: str) -> None:
        if variant not in EXPORTING_RESPONSES:
            raise BadRequest(f"Expected exporting response one of {', '.join(EXPORTING_RESPONSES)}, got {variant!r}")
        self.exporting_response = variant

    def brokers_of(self, region: int) -> list[int]:
        return brokers_of_region(self.settings.cluster_size, region)
