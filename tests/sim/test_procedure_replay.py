"""The procedure's own request sequence, replayed by plain httpx against the simulator, for each lost region.

No harness code is involved: this proves the simulator supports the documented procedure (with the contract's
corrections: no `force` when re-adding brokers, a 204 or a wrapped 200 from pause/resume) and that a correct run
ends in the original topology with every process instance visible in both regions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from support.procedure_http import BPMN, Region, exporting, install_recreated, lost_brokers, poll

from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime


@pytest.fixture(params=[1, 0], ids=["region-1-lost", "region-0-lost"])
def lost(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture(params=["no-content", "wrapped"])
def runtime(request: pytest.FixtureRequest) -> Iterator[SimRuntime]:
    with SimRuntime(SimSettings(exporting_response=request.param)) as rt:
        yield rt


def test_the_documented_procedure_restores_dual_region_with_no_data_lost(runtime: SimRuntime, lost: int) -> None:
    survived = 1 - lost
    urls = runtime.endpoints()
    control = httpx.Client(base_url=urls["control"], timeout=10)
    regions = {r: Region(urls[f"region{r}"]) for r in (0, 1)}
    s, rec = regions[survived], regions[lost]
    removed_ids = lost_brokers(lost)
    try:
        # Steady state: a process and instances visible in both regions.
        deployed = s.gateway.post("/v2/deployments", files={"resources": ("drill-marker.bpmn", BPMN.read_bytes())})
        assert deployed.status_code == 200, deployed.text
        before = s.create_instances(6, "before")
        poll(lambda: before <= s.instance_keys() and before <= rec.instance_keys(), "instances in both regions")
        original = s.topology()

        assert control.post(f"/regions/{lost}/lose").status_code == 200
        with pytest.raises(httpx.ConnectError):
            rec.gateway.get("/v2/topology")

        # Failover 1: remove the lost brokers (force lowers the replication factor).
        assert len(s.topology()["brokers"]) == 4
        removed = s.management.patch("/actuator/cluster?force=true", json={"brokers": {"remove": removed_ids}})
        assert removed.status_code == 202, removed.text
        assert "PARTITION_FORCE_RECONFIGURE" in removed.text and "plannedChanges" in removed.text
        assert s.wait_for_change(removed.json()["changeId"])["status"] == "COMPLETED"
        topology = s.topology()
        assert (topology["clusterSize"], topology["replicationFactor"]) == (4, 2)
        assert all(p["health"] == "healthy" for b in topology["brokers"] for p in b["partitions"])

        # Failover 2: disable the exporter to the lost region; export to the surviving region resumes.
        assert "camundaregion" in s.management.get("/actuator/exporters").text
        disabled = s.management.post(f"/actuator/exporters/camundaregion{lost}/disable")
        assert disabled.status_code == 202 and "PARTITION_DISABLE_EXPORTER" in disabled.text
        s.wait_for_change(disabled.json()["changeId"])
        assert (
            f'{{"exporterId":"camundaregion{lost}","status":"DISABLED"}}'
            in s.management.get("/actuator/exporters").text
        )
        during = s.create_instances(6, "failover")
        poll(lambda: during <= s.instance_keys(), "failover instances in the surviving region")

        # Failback 1: the recreated region, Operate/Tasklist off, schema manager off.
        assert control.post(f"/regions/{lost}/recreate").status_code == 200
        install = install_recreated(control, lost)
        assert install.status_code == 200, install.text
        pods = control.get(f"/regions/{lost}/pods").json()
        assert [p["ready"] for p in pods if p["component"] == "zeebe"] == [False] * 4
        brokers = s.topology()["brokers"]
        assert len(brokers) == 8 and all(b["partitions"] == [] for b in brokers if b["nodeId"] in removed_ids)

        # Failback 2: Operate/Tasklist off in the surviving region.
        upgrade = control.post(
            f"/regions/{survived}/helm/upgrade",
            json={"set": ["orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"]},
        )
        assert upgrade.status_code == 200, upgrade.text
        logs = control.get(f"/regions/{survived}/pods/camunda-zeebe-0/logs").text
        assert (
            logs.strip().splitlines()[-1].endswith('3 profiles are active: "broker", "identity", "consolidated-auth"')
        )

        # Failback 3: pause exporting; a new instance is processed but does not reach Elasticsearch.
        exporting(s, "pause")
        paused = s.create_instances(1, "paused")
        time.sleep(0.05)
        assert not paused & s.instance_keys()

        # Failback 4: snapshot in the surviving region, restore in the recreated one (same bucket).
        repo = {"type": "s3", "settings": {"bucket": "drill-bucket", "client": "camunda", "base_path": "backups"}}
        assert "acknowledged" in s.es.put("/_snapshot/camunda_backup", json=repo).text
        snap = s.es.put(
            "/_snapshot/camunda_backup/failback?wait_for_completion=true", json={"include_global_state": True}
        )
        assert snap.status_code == 200 and '"failed":0' in snap.text.replace(" ", ""), snap.text
        assert s.es.get("/_snapshot/camunda_backup/_all").json()["snapshots"][0]["state"] == "SUCCESS"
        assert "acknowledged" in rec.es.put("/_snapshot/camunda_backup", json=repo).text
        assert "failback" in rec.es.get("/_snapshot/camunda_backup/_all").text
        restored = rec.es.post(
            "/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true", json={"include_global_state": True}
        )
        assert restored.status_code == 200 and restored.json()["snapshot"]["shards"]["failed"] == 0, restored.text
        status = rec.es.get("/_snapshot/camunda_backup/failback/_status").json()["snapshots"][0]
        assert status["state"] == "SUCCESS" and status["shards_stats"]["done"] == status["shards_stats"]["total"]

        # Failback 5 (the seed's order): Operate and Tasklist back on in both regions.
        for region in (survived, lost):
            assert control.post(f"/regions/{region}/helm/upgrade", json={}).status_code == 200
            cm = control.get(f"/regions/{region}/configmaps/camunda-zeebe-configuration-unified").json()
            assert 'active: "broker,operate,tasklist,identity,consolidated-auth"' in cm["data"]["application.yaml"]

        # Failback 6: initialize the recreated region's exporter from the surviving one.
        enabled = s.management.post(
            f"/actuator/exporters/camundaregion{lost}/enable", json={"initializeFrom": f"camundaregion{survived}"}
        )
        assert enabled.status_code == 202 and "PARTITION_ENABLE_EXPORTER" in enabled.text, enabled.text
        assert s.wait_for_change(enabled.json()["changeId"])["status"] == "COMPLETED"
        assert s.management.get("/actuator/exporters").json() == [
            {"exporterId": "camundaregion0", "status": "ENABLED"},
            {"exporterId": "camundaregion1", "status": "ENABLED"},
        ]

        # Failback 7: resume exporting.
        exporting(s, "resume")

        # Failback 8: re-add the brokers WITHOUT force (the document's force=true is refused by the real API).
        forced = s.management.patch(
            "/actuator/cluster?force=true",
            json={"brokers": {"add": removed_ids}, "partitions": {"replicationFactor": 4}},
        )
        assert forced.status_code == 400 and forced.json() == {"message": "Cannot force add brokers"}
        added = s.management.patch(
            "/actuator/cluster", json={"brokers": {"add": removed_ids}, "partitions": {"replicationFactor": 4}}
        )
        assert added.status_code == 202, added.text
        assert s.wait_for_change(added.json()["changeId"])["status"] == "COMPLETED"

        final = s.topology()
        assert (final["clusterSize"], final["partitionsCount"], final["replicationFactor"]) == (8, 8, 4)
        layout = {b["nodeId"]: sorted(p["partitionId"] for p in b["partitions"]) for b in final["brokers"]}
        assert layout == {b["nodeId"]: sorted(p["partitionId"] for p in b["partitions"]) for b in original["brokers"]}
        assert all(p["health"] == "healthy" for b in final["brokers"] for p in b["partitions"])
        assert all(p["ready"] for p in control.get(f"/regions/{lost}/pods").json())

        everything = before | during | paused
        poll(lambda: everything <= s.instance_keys(), "all instances in the surviving region")
        poll(lambda: everything <= rec.instance_keys(), "all instances in the recreated region")
        after = s.create_instances(2, "after")
        poll(lambda: after <= s.instance_keys() and after <= rec.instance_keys(), "new instances in both regions")
    finally:
        control.close()
        for region in regions.values():
            region.close()
