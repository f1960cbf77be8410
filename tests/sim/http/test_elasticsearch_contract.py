"""The simulated Elasticsearch REST API over real HTTP: status codes, exact shapes, headers (contract §8)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from drill.sim.clock import SystemClock
from drill.sim.http.common import Gate
from drill.sim.http.elasticsearch import create_elasticsearch_app, human_bytes
from drill.sim.http.server import ServiceHost
from drill.sim.model.elasticsearch import GIB, ElasticsearchCluster, SnapshotStore
from drill.sim.model.errors import Unavailable
from drill.sim.model.faults import FaultBook

S3_REPO = {"type": "s3", "settings": {"bucket": "dr-bucket", "client": "camunda", "base_path": "backups"}}
SNAPSHOT_KEYS = [
    "snapshot",
    "uuid",
    "repository",
    "version_id",
    "version",
    "indices",
    "data_streams",
    "include_global_state",
    "state",
    "start_time",
    "start_time_in_millis",
    "end_time",
    "end_time_in_millis",
    "duration_in_millis",
    "failures",
    "shards",
    "feature_states",
]
COMPATIBLE = "application/vnd.elasticsearch+json; compatible-with=8"


class FakeSim:
    def __init__(self, **kwargs: Any) -> None:
        self.store = SnapshotStore()
        self.es = {r: ElasticsearchCluster(region=r, clock=SystemClock(), store=self.store, **kwargs) for r in (0, 1)}
        self.down: set[int] = set()
        self.faults = FaultBook()  # the fault middleware every simulated service runs behind

    def tick(self) -> None:
        pass

    def elasticsearch(self, region: int) -> ElasticsearchCluster:
        if region in self.down:
            raise Unavailable(f"the Elasticsearch of region {region} is not running")
        return self.es[region]


@dataclass
class Served:
    sim: FakeSim
    region0: httpx.Client
    region1: httpx.Client


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[Gate, httpx.Client, httpx.Client]]:
    """One pair of services for the module; each test puts a fresh simulation behind the gate."""
    gate = Gate(FakeSim())
    with ServiceHost() as host:
        urls = [host.add(f"es-region{r}", create_elasticsearch_app(gate, r)).url for r in (0, 1)]
        with httpx.Client(base_url=urls[0], timeout=10) as c0, httpx.Client(base_url=urls[1], timeout=10) as c1:
            yield gate, c0, c1


@pytest.fixture
def serve(apps: tuple[Gate, httpx.Client, httpx.Client]) -> Callable[..., Served]:
    gate, region0, region1 = apps

    def start(**kwargs: Any) -> Served:
        gate.sim = FakeSim(**kwargs)
        return Served(gate.sim, region0, region1)

    return start


@pytest.fixture
def es(serve: Callable[..., Served]) -> Served:
    return serve()


def seed(served: Served, index: str = "operate-list-view-8.3.0_", n: int = 3) -> None:
    for i in range(n):
        served.sim.es[0].index_document(index, str(i), {"key": i, "bpmnProcessId": "bigVarProcess"})


def error_body(status: int, kind: str, reason: str) -> dict[str, Any]:
    return {
        "error": {"root_cause": [{"type": kind, "reason": reason}], "type": kind, "reason": reason},
        "status": status,
    }


# -- headers and media types ---------------------------------------------------------------------------------


def test_every_response_says_it_is_elasticsearch(es: Served) -> None:
    responses = [
        es.region0.get("/"),
        es.region0.get("/_cluster/health"),
        es.region0.get("/_cat/indices"),
        es.region0.get("/_snapshot/missing"),
        es.region0.put("/_snapshot/bad", json={"settings": {}}),
        es.region0.get("/no/such/endpoint"),
        es.region0.patch("/_cluster/health"),
        es.region0.head("/missing-index"),
        es.region0.post("/_count", content=b"{not json"),
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 404, 400, 400, 405, 404, 400]
    assert all(r.headers["x-elastic-product"] == "Elasticsearch" for r in responses)


def test_json_media_type_follows_the_accept_header(es: Served) -> None:
    assert es.region0.get("/").headers["content-type"] == "application/json"
    compatible = es.region0.get("/", headers={"Accept": COMPATIBLE})
    assert compatible.headers["content-type"] == "application/vnd.elasticsearch+json;compatible-with=8"
    missing = es.region0.get("/_snapshot/missing", headers={"Accept": COMPATIBLE})
    assert missing.headers["content-type"] == "application/vnd.elasticsearch+json;compatible-with=8"


def test_unknown_endpoint_and_wrong_method_answer_like_elasticsearch(es: Served) -> None:
    unknown = es.region0.get("/no/such/endpoint")
    assert unknown.json() == {"error": "no handler found for uri [/no/such/endpoint] and method [GET]"}
    wrong = es.region0.patch("/_cluster/health")
    assert wrong.json()["status"] == 405
    assert wrong.json()["error"].startswith("Incorrect HTTP method for uri [/_cluster/health] and method [PATCH]")


def test_a_region_whose_elasticsearch_is_down_answers_503_in_elasticsearch_shape(es: Served) -> None:
    es.sim.down.add(1)
    response = es.region1.get("/_cluster/health")
    assert response.status_code == 503
    assert response.headers["x-elastic-product"] == "Elasticsearch"
    assert response.json() == error_body(503, "status_exception", "the Elasticsearch of region 1 is not running")


def test_root_info(es: Served) -> None:
    body = es.region0.get("/").json()
    assert list(body) == ["name", "cluster_name", "cluster_uuid", "version", "tagline"]
    assert body["tagline"] == "You Know, for Search"
    assert body["version"]["number"] == "8.18.0"
    assert body["version"]["build_flavor"] == "default"
    assert {"lucene_version", "minimum_wire_compatibility_version"} <= set(body["version"])


# -- repositories ----------------------------------------------------------------------------------------------


def test_repository_register_get_delete(es: Served) -> None:
    put = es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    assert (put.status_code, put.text) == (200, '{"acknowledged":true}')
    assert es.region0.post(
        "/_snapshot/fs_backup", json={"type": "fs", "settings": {"location": "/snapshots"}}
    ).json() == {"acknowledged": True}
    assert es.region0.get("/_snapshot/camunda_backup").json() == {"camunda_backup": S3_REPO}
    assert set(es.region0.get("/_snapshot").json()) == {"camunda_backup", "fs_backup"}
    assert set(es.region0.get("/_snapshot/_all").json()) == {"camunda_backup", "fs_backup"}
    deleted = es.region0.delete("/_snapshot/camunda_backup")
    assert (deleted.status_code, deleted.json()) == (200, {"acknowledged": True})
    missing = es.region0.get("/_snapshot/camunda_backup")
    assert missing.status_code == 404
    assert missing.json() == error_body(404, "repository_missing_exception", "[camunda_backup] missing")
    assert es.region0.post("/_snapshot/fs_backup/_verify").json()["nodes"]


def test_repository_validation_errors(es: Served) -> None:
    no_type = es.region0.put("/_snapshot/r", json={"settings": {"location": "/snapshots"}})
    assert no_type.status_code == 400
    assert no_type.json() == error_body(
        400, "action_request_validation_exception", "Validation Failed: 1: type is missing;"
    )
    no_body = es.region0.put("/_snapshot/r")
    assert (no_body.status_code, no_body.json()["error"]["type"]) == (400, "parse_exception")
    outside = es.region0.put("/_snapshot/r", json={"type": "fs", "settings": {"location": "/var/tmp"}})
    assert outside.status_code == 500
    assert outside.json()["error"]["reason"] == "[r] failed to create repository"
    assert outside.json()["error"]["root_cause"][0]["reason"] == (
        "[r] location [/var/tmp] doesn't match any of the locations specified by path.repo"
    )


# -- snapshots ---------------------------------------------------------------------------------------------------


def test_snapshot_with_wait_for_completion(es: Served) -> None:
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    response = es.region0.put(
        "/_snapshot/camunda_backup/failback?wait_for_completion=true", json={"include_global_state": True}
    )
    assert response.status_code == 200
    assert '"failed":0' in response.text  # what camunda/c8-multi-region's test looks for
    snapshot = response.json()["snapshot"]
    assert list(snapshot) == SNAPSHOT_KEYS
    assert snapshot["snapshot"] == "failback"
    assert snapshot["repository"] == "camunda_backup"
    assert snapshot["state"] == "SUCCESS"
    assert snapshot["indices"] == ["operate-list-view-8.3.0_"]
    assert snapshot["include_global_state"] is True
    assert snapshot["shards"] == {"total": 1, "failed": 0, "successful": 1}
    assert snapshot["start_time"].endswith("Z")
    assert len(snapshot["uuid"]) == 22

    listed = es.region0.get("/_snapshot/camunda_backup/_all").json()
    assert list(listed) == ["snapshots", "total", "remaining"]
    assert (listed["total"], listed["remaining"]) == (1, 0)
    assert listed["snapshots"][0] == snapshot
    assert es.region0.get("/_snapshot/camunda_backup/failback").json()["snapshots"] == [snapshot]

    duplicate = es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
    assert duplicate.status_code == 400
    assert duplicate.json()["error"]["type"] == "invalid_snapshot_name_exception"


def test_snapshot_status_shape(es: Served) -> None:
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
    body = es.region0.get("/_snapshot/camunda_backup/failback/_status").json()
    status = body["snapshots"][0]
    assert list(status) == [
        "snapshot",
        "repository",
        "uuid",
        "state",
        "include_global_state",
        "shards_stats",
        "stats",
        "indices",
    ]
    assert status["state"] == "SUCCESS"
    assert status["shards_stats"] == {
        "initializing": 0,
        "started": 0,
        "finalizing": 0,
        "done": 1,
        "failed": 0,
        "total": 1,
    }
    assert list(status["stats"]) == ["incremental", "total", "start_time_in_millis", "time_in_millis"]
    assert set(status["indices"]) == {"operate-list-view-8.3.0_"}


def test_missing_snapshot_is_404(es: Served) -> None:
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    response = es.region0.get("/_snapshot/camunda_backup/nope")
    assert response.status_code == 404
    assert response.json() == error_body(404, "snapshot_missing_exception", "[camunda_backup:nope] is missing")
    assert es.region0.get("/_snapshot/camunda_backup/nope?ignore_unavailable=true").json()["total"] == 0
    bad_flag = es.region0.put("/_snapshot/camunda_backup/x?wait_for_completion=yes")
    assert bad_flag.status_code == 400
    assert bad_flag.json()["error"]["type"] == "illegal_argument_exception"


def test_snapshot_without_wait_is_accepted_and_runs_in_the_background(serve: Callable[..., Served]) -> None:
    es = serve(time_scale=0.03, extra_data_bytes=GIB)  # (1 s + 8 s/GiB) * 0.03 = 0.27 s
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    accepted = es.region0.put("/_snapshot/camunda_backup/failback")
    assert (accepted.status_code, accepted.text) == (200, '{"accepted":true}')
    running = es.region0.get("/_snapshot/camunda_backup/_all").json()["snapshots"][0]
    assert running["state"] == "IN_PROGRESS"
    assert "end_time" not in running
    assert es.region0.get("/_snapshot/camunda_backup/failback/_status").json()["snapshots"][0]["state"] == "STARTED"
    deadline = time.monotonic() + 5
    while es.region0.get("/_snapshot/camunda_backup/failback").json()["snapshots"][0]["state"] != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_wait_for_completion_does_not_block_other_requests(serve: Callable[..., Served]) -> None:
    es = serve(time_scale=0.03, extra_data_bytes=GIB)
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    result: dict[str, Any] = {}

    def create() -> None:
        started = time.monotonic()
        response = es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
        result.update(response=response, seconds=time.monotonic() - started)

    thread = threading.Thread(target=create)
    thread.start()
    time.sleep(0.08)
    started = time.monotonic()
    during = es.region0.get("/_snapshot/camunda_backup/_all").json()
    assert time.monotonic() - started < 0.1
    assert during["snapshots"][0]["state"] == "IN_PROGRESS"
    thread.join(timeout=5)
    assert result["response"].json()["snapshot"]["state"] == "SUCCESS"
    assert result["seconds"] >= 0.25


# -- restore -------------------------------------------------------------------------------------------------------


def test_recreated_region_sees_the_snapshot_only_after_registering_again(es: Served) -> None:
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    es.region1.put("/_snapshot/camunda_backup", json=S3_REPO)  # too early
    es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true", json={"include_global_state": True})
    assert "failback" not in es.region1.get("/_snapshot/camunda_backup/_all").text
    stale = es.region1.post("/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true")
    assert stale.status_code == 500
    assert stale.json() == error_body(
        500, "snapshot_restore_exception", "[camunda_backup:failback] snapshot does not exist"
    )
    es.region1.put("/_snapshot/camunda_backup", json=S3_REPO)
    assert "failback" in es.region1.get("/_snapshot/camunda_backup/_all").text
    restored = es.region1.post(
        "/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true", json={"include_global_state": True}
    )
    assert restored.status_code == 200
    assert restored.json() == {
        "snapshot": {
            "snapshot": "failback",
            "indices": ["operate-list-view-8.3.0_"],
            "shards": {"total": 1, "failed": 0, "successful": 1},
        }
    }
    assert es.region1.get("/operate-*/_count").json()["count"] == 3


def test_restore_over_an_open_index_is_a_500_with_elasticsearch_reason(es: Served) -> None:
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    created = es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true").json()
    uuid = created["snapshot"]["uuid"]
    assert es.region1.put("/operate-list-view-8.3.0_").json() == {
        "acknowledged": True,
        "shards_acknowledged": True,
        "index": "operate-list-view-8.3.0_",
    }
    es.region1.put("/_snapshot/camunda_backup", json=S3_REPO)
    response = es.region1.post("/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true")
    assert response.status_code == 500
    reason = (
        f"[camunda_backup:failback/{uuid}] cannot restore index [operate-list-view-8.3.0_] because an open index "
        "with same name already exists in the cluster. Either close or delete the existing index or restore the "
        "index under a different name by providing a rename pattern and replacement name"
    )
    assert response.json() == error_body(500, "snapshot_restore_exception", reason)
    assert es.region1.delete("/operate-list-view-8.3.0_").json() == {"acknowledged": True}
    accepted = es.region1.post("/_snapshot/camunda_backup/failback/_restore")
    assert (accepted.status_code, accepted.json()) == (200, {"accepted": True})


def test_closing_the_conflicting_index_also_allows_restore(es: Served) -> None:
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
    es.region1.put("/operate-list-view-8.3.0_")
    closed = es.region1.post("/operate-list-view-8.3.0_/_close")
    assert closed.json() == {
        "acknowledged": True,
        "shards_acknowledged": True,
        "indices": {"operate-list-view-8.3.0_": {"closed": True}},
    }
    es.region1.put("/_snapshot/camunda_backup", json=S3_REPO)
    restored = es.region1.post("/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true")
    assert restored.json()["snapshot"]["shards"]["failed"] == 0


# -- health ----------------------------------------------------------------------------------------------------


def test_cluster_health_shape(es: Served) -> None:
    body = es.region0.get("/_cluster/health").json()
    assert body["status"] == "green"
    assert body["timed_out"] is False
    assert body["cluster_name"] == "elasticsearch"
    assert {"number_of_nodes", "active_primary_shards", "active_shards", "unassigned_shards"} <= set(body)


def test_wait_for_status_times_out_with_408(es: Served) -> None:
    es.sim.es[0].force_health("red")
    response = es.region0.get("/_cluster/health?wait_for_status=green&timeout=50ms")
    assert response.status_code == 408
    assert response.headers["x-elastic-product"] == "Elasticsearch"
    assert (response.json()["status"], response.json()["timed_out"]) == ("red", True)
    es.sim.es[0].force_health("yellow")
    reached = es.region0.get("/_cluster/health?wait_for_status=yellow&timeout=1s")
    assert (reached.status_code, reached.json()["timed_out"]) == (200, False)
    bad = es.region0.get("/_cluster/health?wait_for_status=green&timeout=soon")
    assert bad.status_code == 400


def test_health_turns_green_when_the_restore_finishes(serve: Callable[..., Served]) -> None:
    es = serve(time_scale=0.02, extra_data_bytes=GIB)  # restore: (0.5 s + 11 s/GiB) * 0.02 = 0.23 s
    seed(es)
    es.region0.put("/_snapshot/camunda_backup", json=S3_REPO)
    es.region0.put("/_snapshot/camunda_backup/failback?wait_for_completion=true")
    es.region1.put("/_snapshot/camunda_backup", json=S3_REPO)
    es.region1.post("/_snapshot/camunda_backup/failback/_restore")
    assert es.region1.get("/_cluster/health").json()["status"] == "red"
    waited = es.region1.get("/_cluster/health?wait_for_status=green&timeout=5s")
    assert (waited.status_code, waited.json()["status"], waited.json()["timed_out"]) == (200, "green", False)
    assert es.region1.get("/_count").json()["count"] == 3


# -- indices, documents, counts ------------------------------------------------------------------------------------


def test_cat_indices_text_and_json(es: Served) -> None:
    seed(es, "operate-a", 2)
    es.sim.es[0].create_index("tasklist-b")
    rows = es.region0.get("/_cat/indices?format=json&s=index").json()
    assert [r["index"] for r in rows] == ["operate-a", "tasklist-b"]
    assert list(rows[0]) == [
        "health",
        "status",
        "index",
        "uuid",
        "pri",
        "rep",
        "docs.count",
        "docs.deleted",
        "store.size",
        "pri.store.size",
        "dataset.size",
    ]
    assert {k: rows[0][k] for k in ("health", "status", "pri", "rep", "docs.count")} == {
        "health": "green",
        "status": "open",
        "pri": "1",
        "rep": "0",
        "docs.count": "2",
    }
    text = es.region0.get("/_cat/indices?v&s=index&h=health,index,docs.count")
    assert text.headers["content-type"].startswith("text/plain")
    assert text.text == ("health index      docs.count\ngreen  operate-a           2\ngreen  tasklist-b          0\n")
    raw = es.region0.get("/_cat/indices/operate-a?format=json&bytes=b&h=store.size").json()
    assert raw == [{"store.size": str(249 + 2 * 1024)}]


def test_human_bytes_truncate_to_one_decimal() -> None:
    assert [human_bytes(n) for n in (249, 1024, 5369, 1536 * 1024, 3 * GIB)] == ["249b", "1kb", "5.2kb", "1.5mb", "3gb"]


def test_count_and_search(es: Served) -> None:
    seed(es, "operate-a", 3)
    assert es.region0.get("/_count").json() == {
        "count": 3,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    }
    term = {"query": {"term": {"key": 1}}}
    assert es.region0.post("/operate-a/_count", json=term).json()["count"] == 1
    assert es.region0.request("GET", "/operate-a/_count", json={"query": {"match_all": {}}}).json()["count"] == 3
    hits = es.region0.post("/operate-a/_search", json=term).json()["hits"]
    assert hits["total"] == {"value": 1, "relation": "eq"}
    assert hits["hits"][0]["_source"] == {"key": 1, "bpmnProcessId": "bigVarProcess"}
    missing = es.region0.get("/nothing/_count")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "index_not_found_exception"


def test_documents_and_indices(es: Served) -> None:
    created = es.region0.put("/idx/_doc/1", json={"a": 1})
    assert (created.status_code, created.json()["result"], created.json()["_version"]) == (201, "created", 1)
    updated = es.region0.put("/idx/_doc/1", json={"a": 2})
    assert (updated.status_code, updated.json()["result"], updated.json()["_version"]) == (200, "updated", 2)
    assert es.region0.get("/idx/_doc/1").json()["_source"] == {"a": 2}
    assert es.region0.head("/idx").status_code == 200
    again = es.region0.put("/idx")
    assert (again.status_code, again.json()["error"]["type"]) == (400, "resource_already_exists_exception")
    wildcard = es.region0.delete("/id*")
    assert (wildcard.status_code, wildcard.json()["error"]["type"]) == (400, "illegal_argument_exception")
    assert es.region0.delete("/idx").json() == {"acknowledged": True}
    assert es.region0.head("/idx").status_code == 404
