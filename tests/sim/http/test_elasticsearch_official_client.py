"""The official `elasticsearch` Python client drives failback step 4 against the simulator, region to region.

The client checks `X-Elastic-Product`, negotiates the compatible-with=8 media type and parses error bodies into
typed exceptions, so this is the proof that code written for a real cluster works unchanged on the simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from drill.sim.clock import SystemClock
from drill.sim.http.common import Gate
from drill.sim.http.elasticsearch import create_elasticsearch_app
from drill.sim.http.server import ServiceHost
from drill.sim.model.elasticsearch import ElasticsearchCluster, SnapshotStore
from drill.sim.model.faults import FaultBook

FS_REPO = {"type": "fs", "settings": {"location": "/usr/share/elasticsearch/snapshots/camunda"}}
INDICES = ("operate-list-view-8.3.0_", "tasklist-task-8.8.0_")


class FakeSim:
    def __init__(self) -> None:
        self.store = SnapshotStore()
        self.es = {
            r: ElasticsearchCluster(region=r, clock=SystemClock(), store=self.store, time_scale=0.01) for r in (0, 1)
        }
        self.faults = FaultBook()  # the fault middleware every simulated service runs behind

    def tick(self) -> None:
        pass

    def elasticsearch(self, region: int) -> ElasticsearchCluster:
        return self.es[region]


@pytest.fixture(scope="module")
def regions() -> Iterator[tuple[FakeSim, Elasticsearch, Elasticsearch]]:
    sim = FakeSim()
    gate = Gate(sim)
    with ServiceHost() as host:
        urls = [host.add(f"es-client-region{r}", create_elasticsearch_app(gate, r)).url for r in (0, 1)]
        clients = [Elasticsearch(url, request_timeout=10) for url in urls]
        yield sim, clients[0], clients[1]
        for client in clients:
            client.close()


def test_failback_snapshot_and_restore_with_the_official_client(
    regions: tuple[FakeSim, Elasticsearch, Elasticsearch],
) -> None:
    sim, surviving, recreated = regions
    for index in INDICES:
        for i in range(4):
            sim.es[0].index_document(index, f"{index}-{i}", {"key": i, "bpmnProcessId": "bigVarProcess"})

    assert surviving.info()["tagline"] == "You Know, for Search"
    assert surviving.snapshot.create_repository(name="camunda_backup", repository=FS_REPO)["acknowledged"] is True
    created = surviving.snapshot.create(
        repository="camunda_backup", snapshot="failback", wait_for_completion=True, include_global_state=True
    )
    assert created["snapshot"]["state"] == "SUCCESS"
    assert created["snapshot"]["shards"] == {"total": 2, "failed": 0, "successful": 2}
    listed = surviving.snapshot.get(repository="camunda_backup", snapshot="_all")
    assert [s["snapshot"] for s in listed["snapshots"]] == ["failback"]
    assert sorted(listed["snapshots"][0]["indices"]) == sorted(INDICES)

    recreated.snapshot.create_repository(name="camunda_backup", repository=FS_REPO)
    assert recreated.snapshot.get(repository="camunda_backup", snapshot="_all")["total"] == 1
    restored = recreated.snapshot.restore(
        repository="camunda_backup", snapshot="failback", wait_for_completion=True, include_global_state=True
    )
    assert restored["snapshot"]["shards"]["failed"] == 0
    status = recreated.snapshot.status(repository="camunda_backup", snapshot="failback")["snapshots"][0]
    assert status["state"] == "SUCCESS"
    assert status["shards_stats"]["done"] == status["shards_stats"]["total"] == 2

    health = recreated.cluster.health(wait_for_status="green", timeout="5s")
    assert (health["status"], health["timed_out"]) == ("green", False)
    assert recreated.count(index="operate-*")["count"] == 4
    assert recreated.count(index=",".join(INDICES), query={"term": {"key": 2}})["count"] == 2
    cat: Any = recreated.cat.indices(format="json")
    assert sorted(row["index"] for row in cat) == sorted(INDICES)
    assert "operate-list-view-8.3.0_" in str(recreated.cat.indices(v=True))

    with pytest.raises(ApiError) as conflict:
        recreated.snapshot.restore(repository="camunda_backup", snapshot="failback", wait_for_completion=True)
    assert conflict.value.meta.status == 500
    assert conflict.value.error == "snapshot_restore_exception"
    assert "an open index with same name already exists" in str(conflict.value.body)

    with pytest.raises(NotFoundError) as missing:
        recreated.snapshot.get(repository="nope", snapshot="_all")
    assert missing.value.error == "repository_missing_exception"
