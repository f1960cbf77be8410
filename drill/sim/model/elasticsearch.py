"""Elasticsearch of one region as failback step 4 sees it: indices, snapshot repositories, snapshots, restore.

The procedure moves Operate/Tasklist data from the surviving region to the recreated one through a snapshot in a
bucket both regions can reach, so the parts that can go wrong there are modelled as real Elasticsearch 8.x does
them: a repository keeps the view of the bucket it read when it was registered (a snapshot written later by the
other region stays invisible until the repository is registered again); restore refuses to overwrite an open
index (the schema manager's indices in a recreated region); restored indices are red until their primaries have
been recovered; errors carry Elasticsearch's JSON error bodies and status codes. Durations follow the data size,
scaled by `time_scale` so that drills can run in real time, faster, or instantly.
"""

from __future__ import annotations

import base64
import copy
import math
import posixpath
import random
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from drill.sim.clock import Clock, iso
from drill.sim.model.errors import BadRequest, InternalError, ModelError, NotFound, Unavailable
from drill.sim.model.timeline import Timeline

GIB = 1024**3
DOC_BYTES = 1024  # notional on-disk size of one document, mappings and segment overhead included
EMPTY_SHARD_BYTES = 249  # what an empty shard reports as store.size
SNAPSHOT_OVERHEAD_SECONDS = 1.0  # cluster-state updates and repository metadata writes (the doc's sample: ~1 s)
RESTORE_OVERHEAD_SECONDS = 0.5
REPLICA_RECOVERY_SHARE = 0.25  # replicas copy from the restored primary, faster than from the repository
DEFAULT_PATH_REPO = ("/usr/share/elasticsearch/snapshots", "/snapshots")
HEALTH_RANK = {"red": 0, "yellow": 1, "green": 2}
SNAPSHOT_FAULTS = ("PARTIAL", "FAILED")
# Index version ids written into snapshots and Lucene versions, for versions whose values are known.
_VERSION_FACTS = {"8.18.0": (8525000, "9.12.1")}
_INVALID_NAME_CHARS = '[ , ", *, \\, <, |, ,, >, /, ?]'
_INVALID_NAME_CHARSET = set(' ,"*\\<|>/?')


def es_error(
    status: int,
    kind: str,
    reason: str,
    *,
    fields: dict[str, Any] | None = None,
    caused_by: dict[str, Any] | None = None,
) -> ModelError:
    """An exception carrying Elasticsearch's error body: `{"error":{"root_cause":[..],"type","reason"},"status"}`."""
    cause = {"type": kind, "reason": reason, **(fields or {})}
    error: dict[str, Any] = {"root_cause": [caused_by or cause], **cause}
    if caused_by is not None:
        error["caused_by"] = caused_by
    cls = {400: BadRequest, 404: NotFound, 500: InternalError, 503: Unavailable}.get(status, ModelError)
    return cls(reason, status=status, body={"error": error, "status": status})


def _index_not_found(name: str) -> ModelError:
    fields = {"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name}
    return es_error(404, "index_not_found_exception", f"no such index [{name}]", fields=fields)


def _repository_missing(name: str) -> ModelError:
    return es_error(404, "repository_missing_exception", f"[{name}] missing")


def _snapshot_missing(repo: str, name: str) -> ModelError:
    return es_error(404, "snapshot_missing_exception", f"[{repo}:{name}] is missing")


def _restore_error(prefix: str, message: str) -> ModelError:
    return es_error(500, "snapshot_restore_exception", f"[{prefix}] {message}")


# -- the shared bucket ---------------------------------------------------------------------------------------


@dataclass
class _ShardCopy:
    """One index (one primary shard) as a snapshot holds it."""

    index: str
    index_uuid: str
    docs: dict[str, dict[str, Any]]
    versions: dict[str, int]
    deleted: int
    size_bytes: int
    files: int
    new_files: int  # files not already in the repository: what makes snapshots incremental
    new_bytes: int
    fingerprint: tuple[str, int]
    failure: str | None = None


@dataclass
class _Snapshot:
    name: str
    uuid: str
    version: str
    version_id: int
    include_global_state: bool
    metadata: dict[str, Any] | None
    shards: dict[str, _ShardCopy]
    start_clock: float
    start_wall: datetime
    done_at: float
    node_id: str
    state: str = "IN_PROGRESS"
    end_wall: datetime | None = None
    reason: str | None = None

    @property
    def failed_shards(self) -> list[_ShardCopy]:
        return [s for s in self.shards.values() if s.failure is not None]


class SnapshotStore:
    """The S3 bucket or shared file system both regions' repositories point at, keyed by location.

    Snapshots appear here only once finalized, as in a real blob store; the generation counts writes so that a
    cluster can tell its cached view of a location is stale. Clusters finish their work lazily, when observed, so
    every read first lets the attached clusters catch up: a snapshot that is due is in the bucket even if nobody
    has looked at the region that wrote it.
    """

    def __init__(self) -> None:
        self._snapshots: dict[str, dict[str, _Snapshot]] = {}
        self._generations: dict[str, int] = {}
        self._writers: weakref.WeakSet[ElasticsearchCluster] = weakref.WeakSet()

    def attach(self, cluster: ElasticsearchCluster) -> None:
        self._writers.add(cluster)

    def settle(self) -> None:
        for cluster in list(self._writers):
            cluster.tick()

    def locations(self) -> list[str]:
        self.settle()
        return sorted(self._snapshots)

    def snapshot_names(self, location: str) -> list[str]:
        self.settle()
        return list(self._snapshots.get(location, {}))

    def generation(self, location: str) -> int:
        self.settle()
        return self._generations.get(location, 0)

    def read(self, location: str) -> dict[str, _Snapshot]:
        self.settle()
        return dict(self._snapshots.get(location, {}))

    def write(self, location: str, snapshot: _Snapshot) -> int:
        self._snapshots.setdefault(location, {})[snapshot.name] = snapshot
        return self._bump(location)

    def remove(self, location: str, name: str) -> int:
        self._snapshots.get(location, {}).pop(name, None)
        return self._bump(location)

    def _bump(self, location: str) -> int:
        self._generations[location] = self._generations.get(location, 0) + 1
        return self._generations[location]


# -- one cluster -----------------------------------------------------------------------------------------------


@dataclass
class _Restore:
    id: str
    snapshot: str
    targets: list[str]
    failed: set[str]
    primaries_done_at: float
    replicas_done_at: float


@dataclass
class _Index:
    name: str
    uuid: str
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    deleted: int = 0
    seq_no: int = 0
    generation: int = 0
    is_open: bool = True
    extra_bytes: int = 0  # carried over from a snapshot by restore
    restored: bool = False
    restore: _Restore | None = None


@dataclass
class _Repository:
    name: str
    type: str
    settings: dict[str, Any]
    location: str
    known: dict[str, _Snapshot]
    generation: int
    corrupted: bool = False


@dataclass
class _Running:
    snapshot: _Snapshot
    repository: str
    location: str
    fault: str | None
    error: ModelError | None = None


class ElasticsearchCluster:
    """One region's Elasticsearch cluster (single shard per index, as Camunda's indices are configured).

    `time_scale` turns modelled seconds into clock seconds (0: work completes at the next observation);
    `extra_data_bytes` stands for data beyond the modelled documents so that snapshot and restore take as long as
    they would on a production-sized cluster; `path_repo` is the node setting `fs` repositories must lie under.
    """

    def __init__(
        self,
        *,
        region: int,
        clock: Clock,
        store: SnapshotStore,
        time_scale: float = 0.0,
        cluster_name: str = "elasticsearch",
        version: str = "8.18.0",
        extra_data_bytes: int = 0,
        restore_seconds_per_gib: float = 11.0,
        snapshot_seconds_per_gib: float = 8.0,
        path_repo: Iterable[str] = DEFAULT_PATH_REPO,
        number_of_nodes: int = 1,
        number_of_replicas: int = 0,
        seed: int | None = None,
        timeline: Timeline | None = None,
    ) -> None:
        if time_scale < 0:
            raise ValueError(f"time_scale must not be negative, got {time_scale}")
        self.region = region
        self.clock = clock
        self.store = store
        self.time_scale = time_scale
        self.cluster_name = cluster_name
        self.version = version
        self.extra_data_bytes = extra_data_bytes
        self.restore_seconds_per_gib = restore_seconds_per_gib
        self.snapshot_seconds_per_gib = snapshot_seconds_per_gib
        self.path_repo = tuple(posixpath.normpath(p) for p in path_repo)
        self.number_of_nodes = number_of_nodes
        self.number_of_replicas = number_of_replicas
        self.node_name = "camunda-elasticsearch-master-0"
        self._random = random.Random(None if seed is None else f"{seed}:{region}")
        self.cluster_uuid = self._uuid()
        self.node_id = self._uuid()
        self._indices: dict[str, _Index] = {}
        self._repositories: dict[str, _Repository] = {}
        self._running: dict[str, _Running] = {}  # by snapshot uuid
        self._finished: dict[str, _Running] = {}
        self._restores: dict[str, _Restore] = {}
        self._forced_health: str | None = None
        self._next_snapshot_fault: str | None = None
        self._ticking = False
        self.timeline = timeline or Timeline(clock)
        self._restores_unrecorded: list[_Restore] = []  # restores whose completion the timeline has not had yet
        store.attach(self)

    # -- time ----------------------------------------------------------------------------------------------

    def tick(self) -> None:
        """Let work whose modelled duration has passed complete; every public method does this first."""
        if self._ticking:  # finalizing reads the store, which settles every cluster, this one included
            return
        self._ticking = True
        try:
            now = self.clock.now()
            for uuid, running in sorted(self._running.items(), key=lambda item: item[1].snapshot.done_at):
                if running.snapshot.done_at <= now:
                    del self._running[uuid]
                    self._finalize(running)
                    self._finished[uuid] = running
                    snapshot = running.snapshot
                    self.timeline.snapshot(self.region, snapshot.name, snapshot.state, snapshot.end_wall or now)
            for restore in [r for r in self._restores_unrecorded if r.primaries_done_at <= now]:
                self._restores_unrecorded.remove(restore)
                restored = {t: self._indices[t].docs.keys() for t in restore.targets if t in self._indices}
                done, green = restore.primaries_done_at, restore.replicas_done_at
                self.timeline.restore(self.region, restore.snapshot, restore.targets, done, green, restored)
            for index in self._indices.values():
                if index.restore is not None and index.restore.replicas_done_at <= now:
                    index.restore = None
        finally:
            self._ticking = False

    def _scaled(self, modelled_seconds: float) -> float:
        return modelled_seconds * self.time_scale

    # -- indices and documents -----------------------------------------------------------------------------

    def create_index(self, name: str) -> None:
        self.tick()
        if name not in self._indices:
            _validate_index_name(name)
            self._indices[name] = _Index(name, self._uuid())

    def create_index_response(self, name: str) -> dict[str, Any]:
        """`PUT /{index}`: unlike `create_index`, an existing index is an error, as in the real API."""
        self.tick()
        existing = self._indices.get(name)
        if existing is not None:
            fields = {"index_uuid": existing.uuid, "index": name}
            reason = f"index [{name}/{existing.uuid}] already exists"
            raise es_error(400, "resource_already_exists_exception", reason, fields=fields)
        self.create_index(name)
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def index_names(self) -> list[str]:
        self.tick()
        return sorted(self._indices)

    def index_document(self, index: str, doc_id: str, source: dict[str, Any]) -> None:
        self.write_document(index, doc_id, source)

    def write_document(self, index: str, doc_id: str, source: dict[str, Any]) -> dict[str, Any]:
        """Index one document (creating the index if needed) and answer as `PUT /{index}/_doc/{id}` does."""
        self.create_index(index)
        target = self._indices[index]
        if not target.is_open:
            raise _closed(target)
        if not self._primary_active(target):
            reason = f"[{index}][0] primary shard is not active Timeout: [1m], request: [index {{[{index}][{doc_id}]}}]"
            raise es_error(503, "unavailable_shards_exception", reason)
        created = doc_id not in target.docs
        if not created:
            target.deleted += 1
        target.docs[doc_id] = copy.deepcopy(source)
        target.versions[doc_id] = target.versions.get(doc_id, 0) + 1
        target.generation += 1
        target.seq_no += 1
        return {
            "_index": index,
            "_id": doc_id,
            "_version": target.versions[doc_id],
            "result": "created" if created else "updated",
            "_shards": {"total": 1 + self.number_of_replicas, "successful": 1, "failed": 0},
            "_seq_no": target.seq_no - 1,
            "_primary_term": 1,
        }

    def get_document(self, index: str, doc_id: str) -> dict[str, Any]:
        """`GET /{index}/_doc/{id}`: found or not (a missing document is a 404 with `found: false`)."""
        target = self._searchable([index])[0]
        self._search_shards([index])
        if doc_id not in target.docs:
            raise NotFound("not found", body={"_index": index, "_id": doc_id, "found": False})
        return {
            "_index": index,
            "_id": doc_id,
            "_version": target.versions[doc_id],
            "_seq_no": 0,
            "_primary_term": 1,
            "found": True,
            "_source": copy.deepcopy(target.docs[doc_id]),
        }

    def documents(self, index: str) -> list[dict[str, Any]]:
        """Searchable sources of an index: none while its primary is still being restored."""
        self.tick()
        target = self._indices.get(index)
        if target is None or not self._primary_active(target):
            return []
        return [copy.deepcopy(s) for s in target.docs.values()]

    def count(self, index_pattern: str | None = None, query: dict[str, Any] | None = None) -> int:
        return int(self.count_response(index_pattern, query)["count"])

    def count_response(self, index_pattern: str | None = None, query: dict[str, Any] | None = None) -> dict[str, Any]:
        _check_query(query)
        names = self._resolve(index_pattern)
        shards, ready = self._search_shards(names)
        total = sum(1 for i in ready for doc in i.docs.values() if _matches(doc, query))
        return {"count": total, "_shards": shards}

    def search(
        self, index_pattern: str | None = None, query: dict[str, Any] | None = None, *, size: int = 10, offset: int = 0
    ) -> dict[str, Any]:
        _check_query(query)
        names = self._resolve(index_pattern)
        shards, ready = self._search_shards(names)
        hits = [(i.name, doc_id, doc) for i in ready for doc_id, doc in i.docs.items() if _matches(doc, query)]
        page = [
            {"_index": name, "_id": doc_id, "_score": 1.0, "_source": copy.deepcopy(doc)}
            for name, doc_id, doc in hits[offset : offset + size]
        ]
        value, relation = (len(hits), "eq") if len(hits) <= 10000 else (10000, "gte")
        return {
            "took": 1,
            "timed_out": False,
            "_shards": shards,
            "hits": {"total": {"value": value, "relation": relation}, "max_score": 1.0 if page else None, "hits": page},
        }

    def delete_index(self, expression: str) -> dict[str, Any]:
        """`DELETE /{index}`: concrete names only (`action.destructive_requires_name` defaults to true in 8.x)."""
        self.tick()
        names = _split(expression)
        if not names or any(n in ("_all", "*") or "*" in n for n in names):
            raise es_error(400, "illegal_argument_exception", "Wildcard expressions or all indices are not allowed")
        for name in names:
            if name not in self._indices:
                raise _index_not_found(name)
        for name in names:
            index = self._indices.pop(name)
            if index.restore is not None:
                index.restore.failed.add(name)  # the restore reports the shard as failed: "index was deleted"
        return {"acknowledged": True}

    def close_index(self, expression: str) -> dict[str, Any]:
        names = self._resolve(expression, expand_closed=True)
        restoring = [self._indices[n] for n in names if not self._primary_active(self._indices[n])]
        if restoring:
            listed = ", ".join(f"[{i.name}/{i.uuid}]" for i in restoring)
            raise es_error(
                400, "illegal_argument_exception", f"Cannot close indices that are being restored: [{listed}]"
            )
        for name in names:
            self._indices[name].is_open = False
        return {
            "acknowledged": True,
            "shards_acknowledged": True,
            "indices": {name: {"closed": True} for name in names},
        }

    def open_index(self, expression: str) -> dict[str, Any]:
        for name in self._resolve(expression, expand_closed=True):
            self._indices[name].is_open = True
        return {"acknowledged": True, "shards_acknowledged": True}

    def index_exists(self, name: str) -> bool:
        self.tick()
        return name in self._indices

    def cat_indices(self, expression: str | None = None) -> list[dict[str, Any]]:
        """Rows of `_cat/indices` with raw values (sizes in bytes; None where Elasticsearch shows nothing)."""
        rows = []
        for name in self._resolve(expression, expand_closed=True):
            index = self._indices[name]
            health, counts = self._index_health(index)
            visible = index.is_open and self._primary_active(index)
            size = self._index_bytes(index)
            rows.append(
                {
                    "health": health,
                    "status": "open" if index.is_open else "close",
                    "index": name,
                    "uuid": index.uuid,
                    "pri": 1,
                    "rep": self.number_of_replicas,
                    "docs.count": len(index.docs) if visible else None,
                    "docs.deleted": index.deleted if visible else None,
                    "store.size": size * (1 + counts["active_replicas"]) if visible else None,
                    "pri.store.size": size if visible else None,
                    "dataset.size": size if visible else None,
                }
            )
        return rows

    # -- health and identity -------------------------------------------------------------------------------

    def force_health(self, status: str | None) -> None:
        if status is not None and status not in HEALTH_RANK:
            raise ValueError(f"health must be one of {sorted(HEALTH_RANK)} or None, got {status!r}")
        self._forced_health = status

    def health_status(self) -> str:
        return str(self.health()["status"])

    def health_reached(self, wanted: str) -> bool:
        return HEALTH_RANK[self.health_status()] >= HEALTH_RANK[wanted]

    def health(self, *, timed_out: bool = False) -> dict[str, Any]:
        self.tick()
        status = "green"
        totals = dict.fromkeys(("primaries", "active_replicas", "initializing", "unassigned"), 0)
        for index in self._indices.values():
            health, counts = self._index_health(index)
            status = min(status, health, key=HEALTH_RANK.__getitem__)
            for key, value in counts.items():
                totals[key] += value
        active = totals["primaries"] + totals["active_replicas"]
        all_shards = len(self._indices) * (1 + self.number_of_replicas)
        return {
            "cluster_name": self.cluster_name,
            "status": self._forced_health or status,
            "timed_out": timed_out,
            "number_of_nodes": self.number_of_nodes,
            "number_of_data_nodes": self.number_of_nodes,
            "active_primary_shards": totals["primaries"],
            "active_shards": active,
            "relocating_shards": 0,
            "initializing_shards": totals["initializing"],
            "unassigned_shards": totals["unassigned"],
            "unassigned_primary_shards": 0,
            "delayed_unassigned_shards": 0,
            "number_of_pending_tasks": 0,
            "number_of_in_flight_fetch": 0,
            "task_max_waiting_in_queue_millis": 0,
            "active_shards_percent_as_number": 100.0 if all_shards == 0 else 100.0 * active / all_shards,
        }

    def root_info(self) -> dict[str, Any]:
        _, lucene = self._version_facts()
        return {
            "name": self.node_name,
            "cluster_name": self.cluster_name,
            "cluster_uuid": self.cluster_uuid,
            "version": {
                "number": self.version,
                "build_flavor": "default",
                "build_type": "docker",
                "build_hash": "unknown",
                "build_date": "unknown",
                "build_snapshot": False,
                "lucene_version": lucene,
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }

    # -- repositories --------------------------------------------------------------------------------------

    def put_repository(self, name: str, body: Any) -> dict[str, Any]:
        """Register (or re-register) a repository; re-registering re-reads the bucket, refreshing the view."""
        self.tick()
        if body is None:
            raise es_error(400, "parse_exception", "request body is required")
        if not isinstance(body, dict) or not isinstance(body.get("settings", {}), dict):
            raise es_error(400, "parse_exception", "repository definition must be an object with object settings")
        kind = body.get("type")
        if not kind:
            raise es_error(400, "action_request_validation_exception", "Validation Failed: 1: type is missing;")
        if any(r.repository == name for r in self._running.values()):
            self._in_use(name)
        settings = {k: _setting(v) for k, v in body.get("settings", {}).items()}
        location = self._location(name, str(kind), settings)
        known = self.store.read(location)
        generation = self.store.generation(location)
        self._repositories[name] = _Repository(name, str(kind), settings, location, known, generation)
        return {"acknowledged": True}

    def repositories(self, expression: str | None = None) -> dict[str, Any]:
        self.tick()
        names = self._repository_names(expression)
        return {
            n: {"type": self._repositories[n].type, "settings": dict(self._repositories[n].settings)} for n in names
        }

    def delete_repository(self, expression: str) -> dict[str, Any]:
        names = self._repository_names(expression)
        for name in names:
            if any(r.repository == name for r in self._running.values()):
                self._in_use(name)
        for name in names:
            del self._repositories[name]
        return {"acknowledged": True}

    def verify_repository(self, name: str) -> dict[str, Any]:
        self._repository(name)
        return {"nodes": {self.node_id: {"name": self.node_name}}}

    def repository_location(self, name: str) -> str:
        """Where in the shared store a repository points (e.g. `s3:bucket/backups`)."""
        return self._repository(name).location

    # -- snapshots -----------------------------------------------------------------------------------------

    def fail_next_snapshot(self, state: str) -> None:
        if state not in SNAPSHOT_FAULTS:
            raise ValueError(f"a snapshot fault is one of {SNAPSHOT_FAULTS}, got {state!r}")
        self._next_snapshot_fault = state

    def create_snapshot(self, repository: str, name: str, body: dict[str, Any] | None = None) -> str:
        """Start a snapshot; returns its uuid. It captures the documents now and completes after its duration."""
        self.tick()
        body = body or {}
        repo = self._repository(repository)
        _validate_snapshot_name(repository, name)
        if name in repo.known:
            reason = f"[{repository}:{name}] Invalid snapshot name [{name}], snapshot with the same name already exists"
            raise es_error(400, "invalid_snapshot_name_exception", reason)
        if any(r.snapshot.name == name and r.location == repo.location for r in self._running.values()):
            reason = (
                f"[{repository}:{name}] Invalid snapshot name [{name}], "
                "snapshot with the same name is already in-progress"
            )
            raise es_error(400, "invalid_snapshot_name_exception", reason)
        uuid = self._uuid()
        names = self._resolve(
            body.get("indices"), expand_closed=True, ignore_unavailable=bool(body.get("ignore_unavailable", False))
        )
        red = [n for n in names if not self._primary_active(self._indices[n])]
        if red and not body.get("partial", False):
            reason = f"[{repository}:{name}/{uuid}] Indices don't have primary shards [{', '.join(red)}]"
            raise es_error(500, "snapshot_exception", reason)
        stored = {s.fingerprint for snap in self.store.read(repo.location).values() for s in snap.shards.values()}
        shards = {n: self._copy(self._indices[n], stored) for n in names}
        new_bytes = sum(s.new_bytes for s in shards.values())
        seconds = self._scaled(SNAPSHOT_OVERHEAD_SECONDS + new_bytes / GIB * self.snapshot_seconds_per_gib)
        version_id, _ = self._version_facts()
        now = self.clock.now()
        snapshot = _Snapshot(
            name=name,
            uuid=uuid,
            version=self.version,
            version_id=version_id,
            include_global_state=bool(body.get("include_global_state", True)),
            metadata=body.get("metadata"),
            shards=shards,
            start_clock=now,
            start_wall=self.clock.wall(),
            done_at=now + seconds,
            node_id=self.node_id,
        )
        self._running[uuid] = _Running(snapshot, repository, repo.location, self._next_snapshot_fault)
        self._next_snapshot_fault = None
        return uuid

    def snapshot_result(self, uuid: str) -> dict[str, Any] | None:
        """`{"snapshot": info}` once the snapshot started as `uuid` has finished, None while it runs."""
        self.tick()
        if uuid in self._running:
            return None
        done = self._finished.get(uuid)
        if done is None:
            raise NotFound(f"no snapshot was started as {uuid}")
        if done.error is not None:
            raise done.error
        return {"snapshot": _info(done.snapshot, done.repository)}

    def get_snapshots(
        self, repository: str, expression: str = "_all", *, ignore_unavailable: bool = False
    ) -> dict[str, Any]:
        repo = self._readable(repository)
        found = self._snapshots_of(repo, expression, ignore_unavailable=ignore_unavailable)
        found.sort(key=lambda s: (s.start_wall, s.name))
        return {"snapshots": [_info(s, repository) for s in found], "total": len(found), "remaining": 0}

    def snapshot_status(self, repository: str, expression: str) -> dict[str, Any]:
        repo = self._readable(repository)
        found = self._snapshots_of(repo, expression, ignore_unavailable=False)
        return {"snapshots": [self._status(s, repository) for s in found]}

    def delete_snapshot(self, repository: str, expression: str) -> dict[str, Any]:
        repo = self._readable(repository)
        for snapshot in self._snapshots_of(repo, expression, ignore_unavailable=False):
            if snapshot.uuid in self._running:  # deleting a running snapshot aborts it; nothing reaches the bucket
                aborted = self._running.pop(snapshot.uuid)
                snapshot.state, snapshot.reason = "FAILED", "Snapshot was aborted by deletion"
                for shard in snapshot.shards.values():
                    shard.failure = "aborted"
                snapshot.done_at = self.clock.now()
                snapshot.end_wall = snapshot.start_wall + timedelta(seconds=snapshot.done_at - snapshot.start_clock)
                self._finished[snapshot.uuid] = aborted
                continue
            self._check_generation(repo)
            repo.generation = self.store.remove(repo.location, snapshot.name)
            self._forget(repo.location, snapshot.name)
        return {"acknowledged": True}

    # -- restore -------------------------------------------------------------------------------------------

    def restore_snapshot(self, repository: str, name: str, body: dict[str, Any] | None = None) -> str:
        """Start restoring a snapshot; returns a restore id. All checks happen before anything changes."""
        self.tick()
        body = body or {}
        repo = self._readable(repository)
        snapshot = repo.known.get(name)
        if snapshot is None:
            raise _restore_error(f"{repository}:{name}", "snapshot does not exist")
        if name not in self.store.read(repo.location):
            raise es_error(404, "snapshot_missing_exception", f"[{repository}:{name}/{snapshot.uuid}] is missing")
        prefix = f"{repository}:{name}/{snapshot.uuid}"
        if snapshot.state not in ("SUCCESS", "PARTIAL"):
            raise _restore_error(prefix, f"unsupported snapshot state [{snapshot.state}]")
        partial = bool(body.get("partial", False))
        targets = self._restore_targets(repository, snapshot, body)
        for target, source in targets.items():
            copy_ = snapshot.shards[source]
            if copy_.failure is not None and not partial:
                raise _restore_error(prefix, f"index [{source}] wasn't fully snapshotted - cannot restore")
            existing = self._indices.get(target)
            if existing is None:
                _validate_index_name(target)
            elif existing.is_open:
                raise _restore_error(
                    prefix,
                    f"cannot restore index [{target}] because an open index with same name already exists in the "
                    "cluster. Either close or delete the existing index or restore the index under a different name "
                    "by providing a rename pattern and replacement name",
                )
            elif copy_.failure is not None:
                raise _restore_error(
                    prefix, f"cannot restore partial index [{target}] because such index already exists"
                )
        now = self.clock.now()
        size = sum(snapshot.shards[s].size_bytes for s in targets.values())
        seconds = self._scaled(RESTORE_OVERHEAD_SECONDS + size / GIB * self.restore_seconds_per_gib)
        replicas = seconds * REPLICA_RECOVERY_SHARE if self.number_of_replicas else 0.0
        restore = _Restore(self._uuid(), name, list(targets), set(), now + seconds, now + seconds + replicas)
        for target, source in targets.items():
            copy_ = snapshot.shards[source]
            existing = self._indices.get(target)
            index = _Index(target, existing.uuid if existing else self._uuid(), restored=True, restore=restore)
            if copy_.failure is None:
                index.docs = copy.deepcopy(copy_.docs)
                index.versions = dict(copy_.versions)
                index.deleted = copy_.deleted
                index.extra_bytes = copy_.size_bytes - _base_bytes(len(copy_.docs), copy_.deleted)
            else:
                restore.failed.add(target)  # restored as an empty shard
            index.generation = copy_.fingerprint[1]
            self._indices[target] = index
        self._restores[restore.id] = restore
        self._restores_unrecorded.append(restore)
        return restore.id

    def restore_result(self, restore_id: str) -> dict[str, Any] | None:
        """The restore response once every primary is recovered (replicas may still be copying), else None."""
        self.tick()
        restore = self._restores.get(restore_id)
        if restore is None:
            raise NotFound(f"no restore was started as {restore_id}")
        if self.clock.now() < restore.primaries_done_at and len(restore.failed) < len(restore.targets):
            return None
        total = len(restore.targets)
        failed = len(restore.failed)
        return {
            "snapshot": {
                "snapshot": restore.snapshot,
                "indices": list(restore.targets),
                "shards": {"total": total, "failed": failed, "successful": total - failed},
            }
        }

    # -- internals: indices --------------------------------------------------------------------------------

    def _uuid(self) -> str:
        return base64.urlsafe_b64encode(self._random.randbytes(16)).decode().rstrip("=")

    def _version_facts(self) -> tuple[int, str]:
        if self.version in _VERSION_FACTS:
            return _VERSION_FACTS[self.version]
        major, minor, patch = (int(p) for p in [*re.findall(r"\d+", self.version), "0", "0", "0"][:3])
        return major * 1_000_000 + minor * 10_000 + patch * 100 + 99, "9.12.1"

    def _resolve(
        self, expression: str | Iterable[str] | None, *, expand_closed: bool = False, ignore_unavailable: bool = False
    ) -> list[str]:
        """Index names an expression stands for: `_all`, wildcards, comma lists, `-exclusions` after the first."""
        self.tick()
        parts = _split(expression)
        if not parts or parts == ["_all"]:
            parts = ["*"]
        chosen: dict[str, None] = {}
        for position, part in enumerate(parts):
            if part.startswith("-") and position > 0:
                for n in [n for n in chosen if fnmatchcase(n, part[1:])]:
                    del chosen[n]
            elif "*" in part:
                for n in sorted(self._indices):
                    if fnmatchcase(n, part) and (expand_closed or self._indices[n].is_open):
                        chosen[n] = None
            elif part in self._indices:
                chosen[part] = None
            elif not ignore_unavailable:
                raise _index_not_found(part)
        return list(chosen)

    def _searchable(self, names: list[str]) -> list[_Index]:
        self.tick()
        result = []
        for name in names:
            index = self._indices.get(name)
            if index is None:
                raise _index_not_found(name)
            if not index.is_open:
                raise _closed(index)
            result.append(index)
        return result

    def _search_shards(self, names: list[str]) -> tuple[dict[str, Any], list[_Index]]:
        """Shard header of a search and the indices that can answer; all shards failing is a 503 as in ES."""
        indices = self._searchable(names)
        ready = [i for i in indices if self._primary_active(i)]
        failed = len(indices) - len(ready)
        if indices and not ready:
            failures = [
                {"shard": 0, "index": i.name, "reason": {"type": "no_shard_available_action_exception"}}
                for i in indices
            ]
            raise es_error(
                503,
                "search_phase_execution_exception",
                "all shards failed",
                fields={"phase": "query", "grouped": True, "failed_shards": failures},
            )
        shards = {"total": len(indices), "successful": len(ready), "skipped": 0, "failed": failed}
        return shards, ready

    def _primary_active(self, index: _Index) -> bool:
        restore = index.restore
        return restore is None or index.name in restore.failed or self.clock.now() >= restore.primaries_done_at

    def _index_health(self, index: _Index) -> tuple[str, dict[str, int]]:
        replicas = self.number_of_replicas
        assignable = min(replicas, max(self.number_of_nodes - 1, 0))
        counts = {"primaries": 0, "active_replicas": 0, "initializing": 0, "unassigned": replicas - assignable}
        if not self._primary_active(index):
            counts["initializing"] = 1
            counts["unassigned"] = replicas
            return "red", counts
        counts["primaries"] = 1
        if index.restore is not None and assignable:
            counts["initializing"] = assignable
        else:
            counts["active_replicas"] = assignable
        return ("green" if counts["active_replicas"] == replicas else "yellow"), counts

    def _index_bytes(self, index: _Index) -> int:
        return _base_bytes(len(index.docs), index.deleted) + index.extra_bytes + self._extra_share(index)

    def _extra_share(self, index: _Index) -> int:
        """`extra_data_bytes` weighs on the documents written here, in proportion; an empty cluster holds none.

        Restored indices carry the weight recorded in the snapshot instead, so a recreated region is as heavy as
        the data it restored, not more.
        """
        if not self.extra_data_bytes or index.restored:
            return 0
        own_docs = sum(len(i.docs) for i in self._indices.values() if not i.restored)
        return self.extra_data_bytes * len(index.docs) // own_docs if own_docs else 0

    # -- internals: repositories and snapshots -------------------------------------------------------------

    def _location(self, name: str, kind: str, settings: dict[str, Any]) -> str:
        def creation_failure(reason: str) -> ModelError:
            cause = {"type": "repository_exception", "reason": f"[{name}] {reason}"}
            return es_error(500, "repository_exception", f"[{name}] failed to create repository", caused_by=cause)

        if kind == "fs":
            location = str(settings.get("location", ""))
            if not location:
                raise creation_failure("missing location")
            resolved = _resolve_repo_path(self.path_repo, location)
            if resolved is None:
                suffix = "" if self.path_repo else " because this setting is empty"
                raise creation_failure(
                    f"location [{location}] doesn't match any of the locations specified by path.repo{suffix}"
                )
            return f"fs:{resolved}"
        if kind == "s3":
            bucket = str(settings.get("bucket", ""))
            if not bucket:
                raise creation_failure("No bucket defined for s3 repository")
            base_path = str(settings.get("base_path", "")).strip("/")
            return f"s3:{bucket}/{base_path}"
        raise es_error(500, "repository_exception", f"[{name}] repository type [{kind}] does not exist")

    def _repository_names(self, expression: str | None) -> list[str]:
        parts = _split(expression)
        if not parts or parts == ["_all"]:
            return sorted(self._repositories)
        names: dict[str, None] = {}
        for part in parts:
            if "*" in part:
                names.update(dict.fromkeys(n for n in sorted(self._repositories) if fnmatchcase(n, part)))
            elif part in self._repositories:
                names[part] = None
            else:
                raise _repository_missing(part)
        return list(names)

    def _repository(self, name: str) -> _Repository:
        self.tick()
        repo = self._repositories.get(name)
        if repo is None:
            raise _repository_missing(name)
        return repo

    def _readable(self, name: str) -> _Repository:
        repo = self._repository(name)
        if repo.corrupted:
            reason = (
                f"[{name}] Could not read repository data because the contents of the repository do not match its "
                "expected state. This is likely the result of either concurrently modifying the contents of the "
                "repository by a process other than this cluster or an issue with the repository's underlying "
                "storage. The repository has been disabled to prevent corrupting its contents. To re-enable it "
                "and continue using it please remove the repository from the cluster and add it again to make the "
                "cluster recover the known state of the repository from its physical contents."
            )
            raise es_error(500, "repository_exception", reason)
        return repo

    def _in_use(self, name: str) -> None:
        reason = f"trying to modify or unregister repository [{name}] that is currently used"
        raise es_error(500, "illegal_state_exception", reason)

    def _check_generation(self, repo: _Repository) -> None:
        """Writing over a view that another cluster has moved on from is detected and disables the repository."""
        if self.store.generation(repo.location) != repo.generation:
            repo.corrupted = True
            self._readable(repo.name)

    def _snapshots_of(self, repo: _Repository, expression: str, *, ignore_unavailable: bool) -> list[_Snapshot]:
        visible = dict(repo.known)
        running = [r.snapshot for r in self._running.values() if r.location == repo.location]
        visible.update({s.name: s for s in running})
        parts = _split(expression)
        if not parts or parts in (["_all"], ["*"]):
            return list(visible.values())
        if parts == ["_current"]:
            return running
        found: dict[str, _Snapshot] = {}
        for part in parts:
            if "*" in part:
                found.update({n: s for n, s in visible.items() if fnmatchcase(n, part)})
            elif part in visible:
                found[part] = visible[part]
            elif not ignore_unavailable:
                raise _snapshot_missing(repo.name, part)
        return list(found.values())

    def _copy(self, index: _Index, stored: set[tuple[str, int]]) -> _ShardCopy:
        size = self._index_bytes(index)
        files = _file_count(len(index.docs))
        fingerprint = (index.uuid, index.generation)
        fresh = fingerprint not in stored
        return _ShardCopy(
            index=index.name,
            index_uuid=index.uuid,
            docs=copy.deepcopy(index.docs),
            versions=dict(index.versions),
            deleted=index.deleted,
            size_bytes=size,
            files=files,
            new_files=files if fresh else 0,
            new_bytes=size if fresh else 0,
            fingerprint=fingerprint,
        )

    def _finalize(self, running: _Running) -> None:
        snapshot = running.snapshot
        snapshot.end_wall = snapshot.start_wall + timedelta(seconds=snapshot.done_at - snapshot.start_clock)
        shards = list(snapshot.shards.values())
        if running.fault == "FAILED":
            snapshot.state = "FAILED"
            snapshot.reason = "simulated failure: the repository could not be written"
            for shard in shards:
                shard.failure = "IndexShardSnapshotFailedException[simulated failure while writing shard files]"
        elif running.fault == "PARTIAL" and shards:
            snapshot.state = "PARTIAL"
            shards[0].failure = "IndexShardSnapshotFailedException[simulated failure while writing shard files]"
        else:
            snapshot.state = "SUCCESS"
        for shard in snapshot.failed_shards:  # a failed shard's data is not in the repository
            shard.docs, shard.versions, shard.new_files, shard.new_bytes = {}, {}, 0, 0
        repo = self._repositories.get(running.repository)
        if repo is None or repo.location != running.location:  # cannot happen: a repository in use is locked
            running.error = _repository_missing(running.repository)
            return
        try:
            self._check_generation(repo)
        except ModelError as exc:
            running.error = exc
            return
        repo.generation = self.store.write(repo.location, snapshot)
        for other in self._repositories.values():
            if other.location == repo.location:
                other.known[snapshot.name] = snapshot
                other.generation = repo.generation

    def _forget(self, location: str, name: str) -> None:
        for repo in self._repositories.values():
            if repo.location == location:
                repo.known.pop(name, None)
                repo.generation = self.store.generation(location)

    def _restore_targets(self, repository: str, snapshot: _Snapshot, body: dict[str, Any]) -> dict[str, str]:
        """Target name -> snapshot index, after the `indices` filter and `rename_pattern`/`rename_replacement`."""
        parts = _split(body.get("indices")) or ["*"]
        sources: dict[str, None] = {}
        for part in parts:
            if part.startswith("-"):
                for n in [n for n in sources if fnmatchcase(n, part[1:])]:
                    del sources[n]
            elif "*" in part or part == "_all":
                wildcard = "*" if part == "_all" else part
                sources.update(dict.fromkeys(n for n in snapshot.shards if fnmatchcase(n, wildcard)))
            elif part in snapshot.shards:
                sources[part] = None
            elif not body.get("ignore_unavailable", False):
                raise _index_not_found(part)
        pattern, replacement = body.get("rename_pattern"), body.get("rename_replacement")
        targets: dict[str, str] = {}
        for source in sources:
            target = source
            if pattern is not None and replacement is not None:
                target = re.sub(pattern, _java_replacement(str(replacement)), source)
            if target in targets:
                reason = f"indices [{source}] and [{targets[target]}] are renamed into the same index [{target}]"
                raise _restore_error(f"{repository}:{snapshot.name}", reason)
            targets[target] = source
        return targets

    def _status(self, snapshot: _Snapshot, repository: str) -> dict[str, Any]:
        """`_status` shape; a running snapshot reports STARTED and shards finishing in proportion to time spent."""
        now = self.clock.now()
        shards = list(snapshot.shards.values())
        running = snapshot.state == "IN_PROGRESS"
        if running:
            span = snapshot.done_at - snapshot.start_clock
            fraction = 1.0 if span <= 0 else min(1.0, (now - snapshot.start_clock) / span)
            done_count = math.floor(fraction * len(shards))
            elapsed = now - snapshot.start_clock
        else:
            done_count = len(shards)
            elapsed = snapshot.done_at - snapshot.start_clock
        stages = [
            "FAILURE" if s.failure else ("DONE" if position < done_count else "STARTED")
            for position, s in enumerate(shards)
        ]
        start_ms = _millis(snapshot.start_wall)
        indices = {}
        for shard, stage in zip(shards, stages, strict=True):
            stats = _stats(shard.new_files, shard.new_bytes, shard.files, shard.size_bytes, start_ms, elapsed)
            indices[shard.index] = {
                "shards_stats": _shard_counts([stage]),
                "stats": stats,
                "shards": {"0": {"stage": stage, "stats": stats}},
            }
        return {
            "snapshot": snapshot.name,
            "repository": repository,
            "uuid": snapshot.uuid,
            "state": "STARTED" if running else snapshot.state,
            "include_global_state": snapshot.include_global_state,
            "shards_stats": _shard_counts(stages),
            "stats": _stats(
                sum(s.new_files for s in shards),
                sum(s.new_bytes for s in shards),
                sum(s.files for s in shards),
                sum(s.size_bytes for s in shards),
                start_ms,
                elapsed,
            ),
            "indices": indices,
        }


# -- pure helpers ----------------------------------------------------------------------------------------------


def _info(snapshot: _Snapshot, repository: str) -> dict[str, Any]:
    """Snapshot info in the field order of `GET /_snapshot/{repo}/_all`; running snapshots have no end yet."""
    info: dict[str, Any] = {
        "snapshot": snapshot.name,
        "uuid": snapshot.uuid,
        "repository": repository,
        "version_id": snapshot.version_id,
        "version": snapshot.version,
        "indices": list(snapshot.shards),
        "data_streams": [],
        "include_global_state": snapshot.include_global_state,
    }
    if snapshot.metadata is not None:
        info["metadata"] = snapshot.metadata
    info["state"] = snapshot.state
    if snapshot.reason is not None:
        info["reason"] = snapshot.reason
    info["start_time"] = iso(snapshot.start_wall)
    info["start_time_in_millis"] = _millis(snapshot.start_wall)
    if snapshot.end_wall is not None:
        info["end_time"] = iso(snapshot.end_wall)
        info["end_time_in_millis"] = _millis(snapshot.end_wall)
        info["duration_in_millis"] = info["end_time_in_millis"] - info["start_time_in_millis"]
    failed = snapshot.failed_shards
    info["failures"] = [
        {
            "index": s.index,
            "index_uuid": s.index,  # sic: Elasticsearch writes the index name here too
            "shard_id": 0,
            "reason": s.failure,
            "node_id": snapshot.node_id,
            "status": "INTERNAL_SERVER_ERROR",
        }
        for s in failed
    ]
    total = 0 if snapshot.state == "IN_PROGRESS" else len(snapshot.shards)
    info["shards"] = {"total": total, "failed": len(failed), "successful": total - len(failed)}
    info["feature_states"] = []
    return info


def _shard_counts(stages: list[str]) -> dict[str, int]:
    return {
        "initializing": stages.count("INIT"),
        "started": stages.count("STARTED"),
        "finalizing": stages.count("FINALIZE"),
        "done": stages.count("DONE"),
        "failed": stages.count("FAILURE"),
        "total": len(stages),
    }


def _stats(new_files: int, new_bytes: int, files: int, size: int, start_ms: int, elapsed: float) -> dict[str, Any]:
    return {
        "incremental": {"file_count": new_files, "size_in_bytes": new_bytes},
        "total": {"file_count": files, "size_in_bytes": size},
        "start_time_in_millis": start_ms,
        "time_in_millis": round(elapsed * 1000),
    }


def _millis(ts: datetime) -> int:
    return round(ts.timestamp() * 1000)


def _base_bytes(docs: int, deleted: int) -> int:
    return EMPTY_SHARD_BYTES + (docs + deleted) * DOC_BYTES


def _file_count(docs: int) -> int:
    """A Lucene shard: a segments_N file plus a few files per segment (about one segment per 1000 documents)."""
    return 1 + 3 * math.ceil(docs / 1000)


def _closed(index: _Index) -> ModelError:
    return es_error(400, "index_closed_exception", "closed", fields={"index_uuid": index.uuid, "index": index.name})


def _split(expression: str | Iterable[str] | None) -> list[str]:
    if expression is None:
        return []
    parts = expression.split(",") if isinstance(expression, str) else list(expression)
    return [p.strip() for p in parts if p and p.strip()]


def _setting(value: Any) -> Any:
    """Repository settings come back as strings, the way Elasticsearch stores settings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _resolve_repo_path(roots: tuple[str, ...], location: str) -> str | None:
    """`path.repo` rule: a location (relative ones resolved against each root) must lie inside a root."""
    for root in roots:
        resolved = posixpath.normpath(posixpath.join(root, location))
        if resolved == root or resolved.startswith(root.rstrip("/") + "/"):
            return resolved
    return None


def _java_replacement(replacement: str) -> str:
    """Java's `replaceAll` writes groups as `$1`; Python's `re.sub` as `\\g<1>`."""
    return re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\", "\\\\"))


def _validate_index_name(name: str) -> None:
    problem = None
    if name in (".", ".."):
        problem = "must not be '.' or '..'"
    elif "#" in name:
        problem = "must not contain '#'"
    elif ":" in name:
        problem = "must not contain ':'"
    elif name[:1] in ("_", "-", "+"):
        problem = "must not start with '_', '-', or '+'"
    elif name != name.lower():
        problem = "must be lowercase"
    elif _INVALID_NAME_CHARSET & set(name):
        problem = f"must not contain the following characters {_INVALID_NAME_CHARS}"
    elif len(name.encode()) > 255:
        problem = f"index name is too long, ({len(name.encode())} > 255)"
    if problem is not None:
        reason = f"Invalid index name [{name}], {problem}"
        raise es_error(400, "invalid_index_name_exception", reason, fields={"index_uuid": "_na_", "index": name})


def _validate_snapshot_name(repository: str, name: str) -> None:
    problem = None
    if not name:
        problem = "cannot be empty"
    elif any(c.isspace() for c in name):
        problem = "must not contain whitespace"
    elif "," in name:
        problem = "must not contain ','"
    elif "#" in name:
        problem = "must not contain '#'"
    elif name.startswith("_"):
        problem = "must not start with '_'"
    elif name != name.lower():
        problem = "must be lowercase"
    elif _INVALID_NAME_CHARSET & set(name):
        problem = f"must not contain the following characters {_INVALID_NAME_CHARS}"
    if problem is not None:
        reason = f"[{repository}:{name}] Invalid snapshot name [{name}], {problem}"
        raise es_error(400, "invalid_snapshot_name_exception", reason)


# -- queries ---------------------------------------------------------------------------------------------------


_QUERY_KINDS = ("match_all", "match_none", "bool", "exists", "term", "terms", "match")


def _check_query(query: Any) -> None:
    """Refuse what the model cannot evaluate before looking at any document, as Elasticsearch parses first."""
    if not query:
        return
    if not isinstance(query, dict) or len(query) != 1:
        raise es_error(400, "parsing_exception", "[_na] query malformed, must start with start_object")
    kind, spec = next(iter(query.items()))
    if kind not in _QUERY_KINDS:
        raise es_error(400, "parsing_exception", f"unknown query [{kind}]")
    if kind == "bool":
        for key in ("must", "filter", "should", "must_not"):
            clauses = spec.get(key, []) if isinstance(spec, dict) else []
            for clause in clauses if isinstance(clauses, list) else [clauses]:
                _check_query(clause)
    elif kind in ("term", "terms", "match") and (not isinstance(spec, dict) or len(spec) != 1):
        raise es_error(400, "parsing_exception", f"[{kind}] query doesn't support multiple fields")


def _matches(source: dict[str, Any], query: dict[str, Any] | None) -> bool:
    """The query DSL subset harnesses use to count documents: match_all/none, term(s), match, exists, bool."""
    if not query:
        return True
    kind, spec = next(iter(query.items()))
    if kind == "match_all":
        return True
    if kind == "match_none":
        return False
    if kind == "bool":
        return _bool(source, spec)
    if kind == "exists":
        return _lookup(source, str(spec.get("field"))) is not None
    if kind in ("term", "terms", "match"):
        field_name, wanted = next(iter(spec.items()))
        value = _lookup(source, field_name)
        values = value if isinstance(value, list) else [value]
        if kind == "term":
            wanted = wanted.get("value") if isinstance(wanted, dict) else wanted
            return any(_term_equal(v, wanted) for v in values)
        if kind == "terms":
            return any(_term_equal(v, w) for w in wanted for v in values)
        operator = wanted.get("operator", "or").lower() if isinstance(wanted, dict) else "or"
        text = wanted.get("query") if isinstance(wanted, dict) else wanted
        have = {t for v in values for t in _tokens(v)}
        asked = _tokens(text)
        return bool(asked) and (asked <= have if operator == "and" else bool(asked & have))
    raise AssertionError(f"unchecked query kind {kind}")


def _term_equal(stored: Any, wanted: Any) -> bool:
    """Term equality as ES coerces it: a long field matches its number given as a string, a keyword its text."""
    if stored == wanted and type(stored) is type(wanted):
        return True
    if isinstance(stored, bool) or isinstance(wanted, bool):
        return stored is wanted
    if isinstance(stored, int | float) and isinstance(wanted, str):
        # Integers compare exactly: Zeebe keys exceed 2**53, where a float would confuse neighbours.
        for parse in (int, float):
            try:
                return bool(parse(wanted.strip()) == stored)
            except ValueError:
                continue
        return False
    if isinstance(stored, str) and isinstance(wanted, int | float):
        return stored == str(wanted)
    return bool(stored == wanted)


def _bool(source: dict[str, Any], spec: dict[str, Any]) -> bool:
    def clauses(key: str) -> list[dict[str, Any]]:
        value = spec.get(key, [])
        return value if isinstance(value, list) else [value]

    required = clauses("must") + clauses("filter")
    should = clauses("should")
    if not all(_matches(source, q) for q in required):
        return False
    if any(_matches(source, q) for q in clauses("must_not")):
        return False
    minimum = int(spec.get("minimum_should_match", 0 if required else 1 if should else 0))
    return sum(_matches(source, q) for q in should) >= minimum


def _lookup(source: dict[str, Any], dotted: str) -> Any:
    value: Any = source
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return source.get(dotted)
        value = value[part]
    return value


def _tokens(value: Any) -> set[str]:
    """The standard analyzer, roughly: lower-cased word tokens."""
    if value is None:
        return set()
    return set(re.findall(r"\w+", str(value).lower()))
