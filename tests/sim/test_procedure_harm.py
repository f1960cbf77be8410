"""Skipping or misordering a step of the procedure visibly hurts the simulated deployment, as it would a real one.

Each test runs the documented steps by plain httpx with one mistake and asserts the concrete damage: a failed
restore, a stalled export, data missing in one region, a change that cannot complete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from support.procedure_http import Procedure, poll

from drill.sim.runtime import SimRuntime


@pytest.fixture
def proc() -> Iterator[Procedure]:
    with SimRuntime() as runtime:
        procedure = Procedure(runtime.endpoints(), lost=1)
        try:
            yield procedure
        finally:
            procedure.close()


def through_failover(proc: Procedure) -> set[str]:
    keys = proc.steady_state()
    proc.lose()
    proc.failover_1()
    proc.failover_2()
    return keys


def settle() -> None:
    """Give an export that is NOT expected to happen every chance to happen (time scale 0: next observation)."""
    time.sleep(0.05)


def test_restore_fails_when_the_schema_manager_created_indices_in_the_recreated_region(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1(schema_manager=True)
    proc.failback_2()
    proc.failback_3()
    proc.snapshot()
    response = proc.restore()
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["type"] == "snapshot_restore_exception"
    assert "because an open index with same name already exists in the cluster" in error["reason"]
    # The documented remedy: delete the indices the schema manager created (by name: ES 8 refuses wildcards
    # for deletion by default), then restore again.
    assert proc.rec.es.delete("/_all").status_code == 400
    names = [row["index"] for row in proc.rec.es.get("/_cat/indices?format=json").json()]
    assert names, "the schema manager created indices"
    assert proc.rec.es.delete("/" + ",".join(names)).status_code == 200
    assert proc.restore().status_code == 200


def test_export_stays_stalled_in_the_surviving_region_until_the_lost_exporter_is_disabled(proc: Procedure) -> None:
    proc.steady_state()
    proc.lose()
    proc.failover_1()
    stuck = proc.s.create_instances(2, "stuck")
    settle()
    assert not stuck & proc.s.instance_keys(), "nothing may reach Elasticsearch while camundaregion1 cannot export"
    partitions = proc.s.management.get("/actuator/partitions").json()
    assert partitions, "the surviving broker reports its partitions"
    proc.failover_2()
    poll(lambda: stuck <= proc.s.instance_keys(), "the stalled instances after disabling the lost exporter")


def test_force_on_broker_add_is_refused(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1()
    response = proc.s.management.patch(
        "/actuator/cluster?force=true", json={"brokers": {"add": proc.ids}, "partitions": {"replicationFactor": 4}}
    )
    assert response.status_code == 400
    assert response.json() == {"message": "Cannot force add brokers"}


def test_readding_brokers_before_the_region_is_recreated_is_refused(proc: Procedure) -> None:
    through_failover(proc)
    response = proc.failback_8()
    assert response.status_code == 400
    assert "[1, 3, 5, 7]" in response.json()["message"]


def test_disabling_the_exporter_before_removing_the_brokers_blocks_every_later_change(proc: Procedure) -> None:
    proc.steady_state()
    proc.lose()
    response = proc.s.management.post("/actuator/exporters/camundaregion1/disable")
    assert response.status_code == 202
    settle()
    cluster = proc.s.management.get("/actuator/cluster").json()
    assert cluster["pendingChange"]["status"] == "IN_PROGRESS", "the lost brokers can never apply their part"
    blocked = proc.s.management.patch("/actuator/cluster?force=true", json={"brokers": {"remove": proc.ids}})
    assert blocked.status_code == 409
    assert "is in progress" in blocked.json()["message"]


def test_removing_the_surviving_regions_brokers_leaves_no_partition_able_to_process(proc: Procedure) -> None:
    proc.steady_state()
    proc.lose()
    wrong = [b for b in range(8) if b % 2 == proc.survived]
    response = proc.s.management.patch("/actuator/cluster?force=true", json={"brokers": {"remove": wrong}})
    assert response.status_code == 202
    settle()
    assert "pendingChange" in proc.s.management.get("/actuator/cluster").json()
    created = proc.s.gateway.post("/v2/process-instances", json={"processDefinitionId": "drillMarker"})
    assert created.status_code == 503


def test_skipping_the_pause_loses_what_is_exported_between_snapshot_and_exporter_init(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1()
    proc.failback_2()
    proc.snapshot()  # failback-3 skipped: export continues after the snapshot
    gap = proc.s.create_instances(2, "gap")
    poll(lambda: gap <= proc.s.instance_keys(), "the gap instances in the surviving region")
    assert proc.restore().status_code == 200
    proc.failback_6()
    proc.failback_8()
    settle()
    assert gap <= proc.s.instance_keys()
    assert not gap & proc.rec.instance_keys(), "the recreated region never gets what was exported after the snapshot"


def test_resuming_before_enabling_the_exporter_loses_data_in_the_recreated_region(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1()
    proc.failback_2()
    proc.failback_3()
    proc.failback_4()
    proc.failback_5()
    proc.failback_7()  # swapped with failback-6
    gap = proc.s.create_instances(2, "gap")
    poll(lambda: gap <= proc.s.instance_keys(), "the gap instances in the surviving region")
    proc.failback_6()
    proc.failback_8()
    after = proc.s.create_instances(1, "after")
    poll(lambda: after <= proc.rec.instance_keys(), "later instances in the recreated region")
    assert not gap & proc.rec.instance_keys()


def test_users_acting_in_tasklist_during_the_backup_window_lose_their_work_in_the_other_region(
    proc: Procedure,
) -> None:
    through_failover(proc)
    proc.failback_1()  # failback-2 skipped: Operate/Tasklist stay on in the surviving region
    proc.failback_3()
    proc.snapshot()
    action = proc.control.post(f"/regions/{proc.survived}/user-actions", json={"app": "tasklist", "target": "task-1"})
    assert action.status_code == 200, action.text
    assert proc.restore().status_code == 200
    index = action.json()["index"]
    query = {"query": {"term": {"id": action.json()["id"]}}}
    assert proc.s.es.post(f"/{index}/_count", json=query).json()["count"] == 1
    assert proc.rec.es.post(f"/{index}/_count", json=query).json()["count"] == 0


def test_with_operate_and_tasklist_off_users_cannot_act_during_the_backup_window(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1()
    proc.failback_2()
    refused = proc.control.post(f"/regions/{proc.survived}/user-actions", json={"app": "tasklist"})
    assert refused.status_code == 503
    assert proc.s.gateway.get("/tasklist").status_code == 404


def test_a_repository_registered_before_the_snapshot_does_not_see_it_until_registered_again(proc: Procedure) -> None:
    through_failover(proc)
    proc.failback_1()
    proc.failback_2()
    proc.failback_3()
    repo = {"type": "s3", "settings": {"bucket": "drill-bucket", "client": "camunda", "base_path": "backups"}}
    assert proc.rec.es.put("/_snapshot/camunda_backup", json=repo).status_code == 200  # too early
    proc.snapshot()
    early = proc.rec.es.get("/_snapshot/camunda_backup/_all").json()
    assert "failback" not in [s["snapshot"] for s in early["snapshots"]]
    missing = proc.rec.es.post("/_snapshot/camunda_backup/failback/_restore?wait_for_completion=true")
    assert missing.status_code == 500
    assert "snapshot does not exist" in missing.json()["error"]["reason"]
    assert proc.restore().status_code == 200  # registering again refreshes the view


def test_a_lost_region_refuses_connections_and_a_recreated_one_is_empty(proc: Procedure) -> None:
    through_failover(proc)
    for client in (proc.rec.gateway, proc.rec.management, proc.rec.es):
        with pytest.raises(httpx.ConnectError):
            client.get("/")
    assert proc.control.post(f"/regions/{proc.lost}/recreate").status_code == 200
    region = proc.control.get("/state").json()["regions"][str(proc.lost)]
    assert (region["release"], region["volumes"], region["elasticsearch"]) == (None, [], None)
