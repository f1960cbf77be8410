"""The management API (port 9600) over real HTTP, status code by status code, as harnesses and curl see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

ODD = [1, 3, 5, 7]
EXPORTERS_HEALTHY = (
    '[{"exporterId":"camundaregion0","status":"ENABLED"},{"exporterId":"camundaregion1","status":"ENABLED"}]'
)
PARTITION_STATUS_KEYS = {
    "role",
    "processedPosition",
    "snapshotId",
    "processedPositionInSnapshot",
    "streamProcessorPhase",
    "exporterPhase",
    "exportedPosition",
}


def force_remove(management: httpx.Client, body: Any) -> httpx.Response:
    return management.patch("/actuator/cluster", params={"force": "true"}, json=body)


def operations(planned: dict[str, Any]) -> list[str]:
    return [op["operation"] for op in planned["plannedChanges"]]


def exporter_states(topology: list[dict[str, Any]], exporter_id: str) -> set[str]:
    return {
        exporter["state"]
        for broker in topology
        for partition in broker["partitions"]
        for exporter in partition["config"]["exporting"]["exporters"]
        if exporter["id"] == exporter_id
    }


# -- GET /actuator/cluster -------------------------------------------------------------------------------------


def test_the_cluster_shows_version_and_member_brokers_and_no_change_keys_before_any_change(management) -> None:
    response = management.get("/actuator/cluster")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"version", "brokers"}
    assert "pendingChange" not in response.text
    assert "lastChange" not in response.text
    assert [b["id"] for b in body["brokers"]] == list(range(8))
    broker = body["brokers"][0]
    assert set(broker) == {"id", "state", "version", "lastUpdatedAt", "partitions"}
    assert broker["state"] == "ACTIVE"
    assert broker["lastUpdatedAt"] == "0000-01-01T00:00:00Z"
    assert [p["id"] for p in broker["partitions"]] == [1, 6, 7, 8]
    partition = broker["partitions"][0]
    assert set(partition) == {"id", "state", "priority", "config"}
    assert partition["config"] == {
        "exporting": {
            "exporters": [
                {"id": "camundaregion0", "state": "ENABLED"},
                {"id": "camundaregion1", "state": "ENABLED"},
            ]
        }
    }


def test_a_completed_change_shows_as_last_change_with_its_times_and_no_pending_change(management, await_change) -> None:
    accepted = management.post("/actuator/exporters/camundaregion1/disable")
    change_id = accepted.json()["changeId"]

    await_change(management, change_id)
    response = management.get("/actuator/cluster")

    body = response.json()
    assert "pendingChange" not in response.text
    assert set(body["lastChange"]) == {"id", "status", "startedAt", "completedAt"}
    assert body["lastChange"]["id"] == change_id
    assert body["lastChange"]["status"] == "COMPLETED"
    assert body["lastChange"]["startedAt"] <= body["lastChange"]["completedAt"]
    assert body["lastChange"]["completedAt"].endswith("Z")


# -- PATCH /actuator/cluster?force=true ------------------------------------------------------------------------


def test_force_removing_the_lost_regions_brokers_answers_202_with_the_planned_operations(control, management) -> None:
    control.post("/regions/1/lose")

    response = force_remove(management, {"brokers": {"remove": ODD}})

    assert response.status_code == 202
    body = response.json()
    assert list(body) == ["changeId", "currentTopology", "plannedChanges", "expectedTopology"]
    assert body["changeId"] == 1
    assert [b["id"] for b in body["currentTopology"]] == list(range(8))
    assert [b["id"] for b in body["expectedTopology"]] == [0, 2, 4, 6]
    ops = operations(body)
    assert "PARTITION_FORCE_RECONFIGURE" in ops
    assert "BROKER_REMOVE" in ops
    removed = sorted(b for op in body["plannedChanges"] if op["operation"] == "BROKER_REMOVE" for b in op["brokers"])
    assert removed == ODD
    for op in body["plannedChanges"]:
        if op["operation"] == "PARTITION_FORCE_RECONFIGURE":
            assert op["brokerId"] % 2 == 0
            assert all(b % 2 == 0 for b in op["brokers"])
    # What c8-multi-region's CI greps for in the raw 202 body.
    assert "plannedChanges" in response.text
    assert "PARTITION_FORCE_RECONFIGURE" in response.text


def test_after_the_forced_removal_the_cluster_body_passes_the_harness_checks(control, management, await_change) -> None:
    control.post("/regions/1/lose")
    change_id = force_remove(management, {"brokers": {"remove": ODD}}).json()["changeId"]

    await_change(management, change_id)
    response = management.get("/actuator/cluster")

    assert response.status_code == 200
    assert "COMPLETED" in response.text
    assert "pendingChange" not in response.text
    assert "PARTITION_FORCE_RECONFIGURE" not in response.text
    body = response.json()
    assert [b["id"] for b in body["brokers"]] == [0, 2, 4, 6]
    assert body["lastChange"]["id"] == change_id


FORCE_REFUSALS = [
    pytest.param({}, "Must provide a set of brokers to force remove.", id="no-brokers"),
    pytest.param({"brokers": {}}, "Must provide a set of brokers to force remove.", id="empty-brokers"),
    pytest.param({"brokers": {"remove": []}}, "Must provide a set of brokers to force remove.", id="empty-remove"),
    pytest.param({"brokers": {"count": 4}}, "Cannot force change the broker count.", id="count"),
    pytest.param({"brokers": {"add": [1]}}, "Cannot force add brokers", id="add"),
    pytest.param(
        {"brokers": {"add": [1, 3, 5, 7]}, "partitions": {"replicationFactor": 4}},
        "Cannot force add brokers",
        id="doc-failback-request-add-checked-before-rf",
    ),
    pytest.param(
        {"brokers": {"remove": [1]}, "partitions": {"count": 8}},
        "Cannot force change the partition count.",
        id="partition-count",
    ),
    pytest.param(
        {"brokers": {"remove": [1]}, "partitions": {"replicationFactor": 2}},
        "Cannot force change the replication factor.",
        id="replication-factor",
    ),
]


@pytest.mark.parametrize(("body", "message"), FORCE_REFUSALS)
def test_a_forced_request_that_is_not_a_pure_removal_is_refused_with_the_contract_message(
    management, body, message
) -> None:
    response = force_remove(management, body)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"message": message}
    assert "lastChange" not in management.get("/actuator/cluster").text


def test_changing_the_broker_count_and_adding_brokers_at_once_is_refused(management) -> None:
    response = management.patch("/actuator/cluster", json={"brokers": {"count": 10, "add": [8, 9]}})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Cannot change brokers count and add/remove brokers at the same time. Specify either the new "
        "brokers count or brokers to add and remove."
    }


def test_adding_the_brokers_of_a_lost_region_without_force_is_refused_naming_them(management, fail_over) -> None:
    fail_over()

    response = management.patch(
        "/actuator/cluster", json={"brokers": {"add": ODD}, "partitions": {"replicationFactor": 4}}
    )

    assert response.status_code == 400
    message = response.json()["message"]
    assert set(response.json()) == {"message"}
    assert "[1, 3, 5, 7]" in message
    assert "not running" in message


def test_re_adding_the_recreated_regions_brokers_without_force_answers_202_and_restores_rf_4(
    runtime, control, management, fail_over, await_change
) -> None:
    fail_over()
    control.post("/regions/1/recreate")
    control.post("/regions/1/helm/install", json={})

    response = management.patch(
        "/actuator/cluster", json={"brokers": {"add": ODD}, "partitions": {"replicationFactor": 4}}
    )

    assert response.status_code == 202
    assert '"id":8,"state":"ACTIVE"' in response.text  # what c8-multi-region's CI greps for
    body = response.json()
    assert {"BROKER_ADD", "PARTITION_JOIN"} <= set(operations(body))
    assert [b["id"] for b in body["expectedTopology"]] == list(range(8))
    assert await_change(management, body["changeId"])["status"] == "COMPLETED"
    assert [b["id"] for b in management.get("/actuator/cluster").json()["brokers"]] == list(range(8))
    with httpx.Client(base_url=runtime.endpoints()["region0"]["gateway"], auth=("demo", "demo")) as gateway:
        topology = gateway.get("/v2/topology").json()
    assert (topology["clusterSize"], topology["replicationFactor"]) == (8, 4)
    assert all(pod["ready"] for pod in control.get("/regions/1/pods").json())


def test_a_dry_run_answers_the_plan_and_changes_nothing(control, management) -> None:
    control.post("/regions/1/lose")

    response = management.patch(
        "/actuator/cluster", params={"force": "true", "dryRun": "true"}, json={"brokers": {"remove": ODD}}
    )

    assert response.status_code == 202
    body = response.json()
    assert body["changeId"] == 1
    assert "PARTITION_FORCE_RECONFIGURE" in operations(body)
    assert [b["id"] for b in body["expectedTopology"]] == [0, 2, 4, 6]
    after = management.get("/actuator/cluster")
    assert "lastChange" not in after.text
    assert "pendingChange" not in after.text
    assert [b["id"] for b in after.json()["brokers"]] == list(range(8))


def test_a_second_change_while_one_is_in_progress_is_refused_with_409(
    make_runtime: Callable[..., SimRuntime],
) -> None:
    runtime = make_runtime(SimSettings(time_scale=1.0))  # 32 exporter operations of 0.1 s: ~3 s of real time
    with httpx.Client(base_url=runtime.endpoints()["region0"]["management"], timeout=5.0) as management:
        accepted = management.post("/actuator/exporters/camundaregion1/disable")
        assert accepted.status_code == 202
        change_id = accepted.json()["changeId"]

        again = management.post("/actuator/exporters/camundaregion1/enable")
        disable_again = management.post("/actuator/exporters/camundaregion1/disable")
        patch = management.patch("/actuator/cluster", json={"partitions": {"replicationFactor": 3}})
        cluster = management.get("/actuator/cluster")
        exporters = management.get("/actuator/exporters")

    expected = f"Cannot apply configuration change. Another configuration change [{change_id}] is in progress."
    for refused in (again, disable_again, patch):
        assert refused.status_code == 409
        assert refused.json() == {"message": expected}
        assert f"[{change_id}] is in progress" in refused.text
    pending = cluster.json()["pendingChange"]
    assert set(pending) == {"id", "status", "completed", "pending"}
    assert pending["id"] == change_id
    assert pending["status"] == "IN_PROGRESS"
    assert pending["pending"][0]["operation"] == "PARTITION_DISABLE_EXPORTER"
    assert exporters.text == (
        '[{"exporterId":"camundaregion0","status":"ENABLED"},{"exporterId":"camundaregion1","status":"DISABLING"}]'
    )


# -- /actuator/exporters ---------------------------------------------------------------------------------------


def test_the_exporters_of_a_healthy_deployment_are_listed_in_compact_json(management) -> None:
    response = management.get("/actuator/exporters")

    assert response.status_code == 200
    assert response.text == EXPORTERS_HEALTHY


def test_disabling_an_exporter_answers_202_and_it_ends_disabled(management, await_change) -> None:
    response = management.post("/actuator/exporters/camundaregion1/disable")

    assert response.status_code == 202
    assert "DISABLED" in response.text
    assert "PARTITION_DISABLE_EXPORTER" in response.text
    body = response.json()
    assert set(operations(body)) == {"PARTITION_DISABLE_EXPORTER"}
    assert len(body["plannedChanges"]) == 32  # every replica: 8 partitions x RF 4
    assert {op["exporterId"] for op in body["plannedChanges"]} == {"camundaregion1"}
    assert exporter_states(body["expectedTopology"], "camundaregion1") == {"DISABLED"}
    assert exporter_states(body["expectedTopology"], "camundaregion0") == {"ENABLED"}
    await_change(management, body["changeId"])
    assert management.get("/actuator/exporters").text == (
        '[{"exporterId":"camundaregion0","status":"ENABLED"},{"exporterId":"camundaregion1","status":"DISABLED"}]'
    )


def test_enabling_an_exporter_with_initialize_from_answers_202_and_it_ends_enabled(management, await_change) -> None:
    await_change(management, management.post("/actuator/exporters/camundaregion1/disable").json()["changeId"])

    response = management.post("/actuator/exporters/camundaregion1/enable", json={"initializeFrom": "camundaregion0"})

    assert response.status_code == 202
    assert "ENABLED" in response.text
    assert "PARTITION_ENABLE_EXPORTER" in response.text
    body = response.json()
    assert set(operations(body)) == {"PARTITION_ENABLE_EXPORTER"}
    assert exporter_states(body["currentTopology"], "camundaregion1") == {"DISABLED"}
    assert exporter_states(body["expectedTopology"], "camundaregion1") == {"ENABLED"}
    assert await_change(management, body["changeId"])["status"] == "COMPLETED"
    assert management.get("/actuator/exporters").text == EXPORTERS_HEALTHY


def test_an_unknown_exporter_operation_is_refused_in_plain_text(management) -> None:
    response = management.post("/actuator/exporters/camundaregion1/restart")

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "Unknown exporter operation: restart"


EXPORTER_REFUSALS = [
    pytest.param(
        "camundaregion1/enable",
        None,
        "Expected to enable exporter, but the exporter 'camundaregion1' is already enabled",
        id="enable-already-enabled",
    ),
    pytest.param(
        "nope/disable",
        None,
        "Expected to disable exporter, but the partition '1' does not have the exporter 'nope'",
        id="disable-unknown",
    ),
]


@pytest.mark.parametrize(("path", "body", "message"), EXPORTER_REFUSALS)
def test_an_exporter_request_the_appliers_reject_is_refused_with_the_contract_text(
    management, path, body, message
) -> None:
    response = management.post(f"/actuator/exporters/{path}", json=body)

    assert response.status_code == 400
    assert response.json() == {"message": message}
    assert "lastChange" not in management.get("/actuator/cluster").text


def test_enabling_from_an_exporter_the_partitions_do_not_have_is_refused(management, await_change) -> None:
    await_change(management, management.post("/actuator/exporters/camundaregion1/disable").json()["changeId"])

    response = management.post("/actuator/exporters/camundaregion1/enable", json={"initializeFrom": "nope"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Expected to enable exporter and initialize from exporter 'nope', but the partition '1' does "
        "not have exporter 'nope'"
    }


def test_enabling_from_a_disabled_exporter_is_refused(management, await_change) -> None:
    for exporter in ("camundaregion1", "camundaregion0"):
        await_change(management, management.post(f"/actuator/exporters/{exporter}/disable").json()["changeId"])

    response = management.post("/actuator/exporters/camundaregion1/enable", json={"initializeFrom": "camundaregion0"})

    assert response.status_code == 400
    assert response.json() == {
        "message": "Expected to enable exporter and initialize from exporter 'camundaregion0', but the exporter "
        "'camundaregion0' is disabled"
    }


def test_disabling_an_already_disabled_exporter_is_accepted(management, await_change) -> None:
    await_change(management, management.post("/actuator/exporters/camundaregion1/disable").json()["changeId"])

    response = management.post("/actuator/exporters/camundaregion1/disable")

    assert response.status_code == 202
    assert await_change(management, response.json()["changeId"])["status"] == "COMPLETED"


def test_enabling_an_exporter_the_configuration_does_not_know_ends_config_not_found(management, await_change) -> None:
    response = management.post("/actuator/exporters/elasticsearchregion0/enable")

    assert response.status_code == 202
    await_change(management, response.json()["changeId"])
    assert (
        '{"exporterId":"elasticsearchregion0","status":"CONFIG_NOT_FOUND"}'
        in management.get("/actuator/exporters").text
    )


def test_a_pending_change_can_be_cancelled_and_ends_cancelled(make_runtime: Callable[..., SimRuntime]) -> None:
    runtime = make_runtime(SimSettings(time_scale=1.0))
    with httpx.Client(base_url=runtime.endpoints()["region0"]["management"], timeout=5.0) as management:
        change_id = management.post("/actuator/exporters/camundaregion1/disable").json()["changeId"]
        not_a_number = management.delete("/actuator/cluster/changes/latest")
        dry_run = management.delete(f"/actuator/cluster/changes/{change_id}", params={"dryRun": "true"})
        cancelled = management.delete(f"/actuator/cluster/changes/{change_id}")

    assert not_a_number.status_code == 400
    assert not_a_number.json() == {"message": "Change id must be a number"}
    assert dry_run.status_code == 501
    assert cancelled.status_code == 200
    assert "pendingChange" not in cancelled.text
    assert cancelled.json()["lastChange"]["id"] == change_id
    assert cancelled.json()["lastChange"]["status"] == "CANCELLED"


# -- /actuator/exporting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["pause", "pause?soft=true", "resume"])
def test_pausing_and_resuming_exporting_answer_204_with_no_body_by_default(management, action) -> None:
    response = management.post(f"/actuator/exporting/{action}")

    assert response.status_code == 204
    assert response.content == b""


def test_pausing_exporting_shows_in_the_partitions_exporter_phase(management) -> None:
    management.post("/actuator/exporting/pause")
    paused = management.get("/actuator/partitions").json()
    management.post("/actuator/exporting/resume")
    resumed = management.get("/actuator/partitions").json()

    assert paused["1"]["exporterPhase"] == "PAUSED"
    assert resumed["1"]["exporterPhase"] == "EXPORTING"


def test_the_wrapped_variant_answers_200_with_the_status_inside_the_body(control, management) -> None:
    switched = control.post("/settings", json={"exportingResponse": "wrapped"})

    response = management.post("/actuator/exporting/pause")

    assert switched.status_code == 200
    assert switched.json() == {"exportingResponse": "wrapped"}
    assert response.status_code == 200
    assert response.text == '{"body":null,"status":204,"contentType":null}'


def test_pausing_with_a_lost_region_before_failover_fails_with_500_naming_the_missing_members(
    control, management
) -> None:
    control.post("/regions/1/lose")

    response = management.post("/actuator/exporting/pause")

    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"message"}
    assert body["message"].startswith("Expected 4 members of partition 1 but found 2, ")


def test_the_wrapped_variant_hides_the_500_of_a_lost_region_inside_a_200(control, management) -> None:
    control.post("/settings", json={"exportingResponse": "wrapped"})
    control.post("/regions/1/lose")

    response = management.post("/actuator/exporting/pause")

    assert response.status_code == 200
    assert '"status":500' in response.text
    body = response.json()
    assert set(body) == {"body", "status", "contentType"}
    assert body["status"] == 500
    assert body["contentType"] is None
    assert body["body"]["message"].startswith("Expected 4 members of partition 1 but found 2, ")


def test_pausing_succeeds_again_once_the_lost_brokers_are_removed(management, fail_over) -> None:
    fail_over()

    response = management.post("/actuator/exporting/pause")

    assert response.status_code == 204


def test_an_unknown_exporting_variant_is_refused_by_the_control_api(control) -> None:
    response = control.post("/settings", json={"exportingResponse": "teapot"})

    assert response.status_code == 400
    assert "no-content" in response.json()["error"]
    assert control.get("/settings").json() == {"exportingResponse": "no-content"}


# -- /actuator/partitions and /actuator/health -----------------------------------------------------------------


def test_partitions_show_the_local_brokers_replicas_with_their_status(runtime, management) -> None:
    region0 = management.get("/actuator/partitions")
    with httpx.Client(base_url=runtime.endpoints()["region1"]["management"], timeout=5.0) as region1_management:
        region1 = region1_management.get("/actuator/partitions")

    assert region0.status_code == 200
    body = region0.json()
    assert sorted(body, key=int) == ["1", "6", "7", "8"]  # broker 0 of the round-robin layout
    for status in body.values():
        assert set(status) == PARTITION_STATUS_KEYS
    assert body["1"]["role"] == "LEADER"
    assert body["1"]["exporterPhase"] == "EXPORTING"
    assert body["1"]["streamProcessorPhase"] == "PROCESSING"
    assert body["6"]["role"] == "FOLLOWER"
    assert sorted(region1.json(), key=int) == ["1", "2", "7", "8"]  # broker 1


def test_one_partition_can_be_read_and_a_foreign_one_is_not_found(management) -> None:
    found = management.get("/actuator/partitions/1")
    missing = management.get("/actuator/partitions/2")

    assert found.status_code == 200
    assert set(found.json()) == PARTITION_STATUS_KEYS
    assert missing.status_code == 404
    assert set(missing.json()) == {"message"}


def test_health_is_up_while_partitions_have_leaders_and_down_after_losing_quorum(control, management) -> None:
    healthy = management.get("/actuator/health")
    control.post("/regions/1/lose")
    lost = management.get("/actuator/health")

    assert healthy.status_code == 200
    assert healthy.json() == {"status": "UP"}
    assert lost.status_code == 503
    assert lost.json() == {"status": "DOWN"}


def test_readiness_and_liveness_of_a_member_broker_are_up(management) -> None:
    readiness = management.get("/actuator/health/readiness")
    liveness = management.get("/actuator/health/liveness")

    assert (readiness.status_code, readiness.json()) == (200, {"status": "UP"})
    assert (liveness.status_code, liveness.json()) == (200, {"status": "UP"})
