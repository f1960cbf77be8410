"""ManagementClient against the simulated management API (port 9600) over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.sim_fixtures import ODD_BROKERS

from drill.api import (
    ClusterState,
    HttpStatusError,
    ManagementClient,
    RetryPolicy,
    TransportError,
    WrappedStatusError,
)
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

CHANGE_TIMEOUT = 5.0


def test_a_healthy_cluster_has_eight_members_no_change_and_both_exporters(management: ManagementClient) -> None:
    state = management.cluster()

    assert state.members() == set(range(8))
    assert state.last_change is None
    assert state.pending_change is None
    assert state.exporter_states() == {"camundaregion0": {"ENABLED"}, "camundaregion1": {"ENABLED"}}
    assert {p.id for p in state.brokers[0].partitions} == {1, 6, 7, 8}
    assert {b.state for b in state.brokers} == {"ACTIVE"}
    assert [(e.exporter_id, e.status) for e in management.exporters()] == [
        ("camundaregion0", "ENABLED"),
        ("camundaregion1", "ENABLED"),
    ]


def test_force_removing_the_lost_regions_brokers_completes(management: ManagementClient, control) -> None:
    control.post("/regions/1/lose")
    polled: list[ClusterState] = []

    planned = management.patch_cluster(remove=ODD_BROKERS, force=True)
    outcome = management.wait_for_change(planned.change_id, timeout=CHANGE_TIMEOUT, on_poll=polled.append)

    assert planned.change_id == 1
    assert "PARTITION_FORCE_RECONFIGURE" in planned.operations()
    assert [b.id for b in planned.expected] == [0, 2, 4, 6]
    assert [b.id for b in planned.current] == list(range(8))
    assert (outcome.change_id, outcome.status) == (1, "COMPLETED")
    assert outcome.last_change is not None
    assert outcome.last_change.completed_at is not None
    assert polled
    after = management.cluster()
    assert after.members() == {0, 2, 4, 6}
    assert after.pending_change is None
    assert management.change_outcome(1, after) == outcome


def test_a_dry_run_plans_without_changing_anything(management: ManagementClient, control) -> None:
    control.post("/regions/1/lose")

    planned = management.patch_cluster(remove=ODD_BROKERS, force=True, dry_run=True)

    assert planned.change_id == 1
    assert [b.id for b in planned.expected] == [0, 2, 4, 6]
    after = management.cluster()
    assert after.members() == set(range(8))
    assert after.last_change is None


def test_force_adding_is_refused_with_the_servers_message(management: ManagementClient) -> None:
    with pytest.raises(HttpStatusError) as caught:
        management.patch_cluster(add=ODD_BROKERS, replication_factor=4, force=True)

    assert caught.value.status == 400
    assert not caught.value.transient
    assert str(caught.value) == (
        f"PATCH {management.base_url}/actuator/cluster?force=true: "
        "expected HTTP 202, got HTTP 400 Cannot force add brokers"
    )


def test_a_second_change_while_one_is_pending_is_a_409_naming_the_pending_change(
    make_runtime: Callable[..., SimRuntime],
) -> None:
    runtime = make_runtime(SimSettings(time_scale=1.0))  # the disable takes ~3 s of real time
    url = runtime.endpoints()["region0"]["management"]
    with ManagementClient(url, timeout=5.0, retry=RetryPolicy.none()) as management:  # no waiting out the 409
        planned = management.disable_exporter("camundaregion1")
        with pytest.raises(HttpStatusError) as caught:
            management.enable_exporter("camundaregion1")
        state = management.cluster()

    assert caught.value.status == 409
    assert f"Another configuration change [{planned.change_id}] is in progress." in str(caught.value)
    assert management.change_outcome(planned.change_id, state) is None
    assert state.pending_change is not None
    assert state.pending_change.id == planned.change_id
    assert state.pending_change.pending[0].operation == "PARTITION_DISABLE_EXPORTER"
    assert state.pending_change.pending[0].exporter_id == "camundaregion1"


def test_disabling_and_re_enabling_an_exporter_with_initialize_from(management: ManagementClient) -> None:
    disabled = management.disable_exporter("camundaregion1")
    assert management.wait_for_change(disabled.change_id, timeout=CHANGE_TIMEOUT).status == "COMPLETED"
    statuses_after_disable = {e.exporter_id: e.status for e in management.exporters()}

    enabled = management.enable_exporter("camundaregion1", initialize_from="camundaregion0")
    assert management.wait_for_change(enabled.change_id, timeout=CHANGE_TIMEOUT).status == "COMPLETED"

    assert {op.operation for op in disabled.planned} == {"PARTITION_DISABLE_EXPORTER"}
    assert {op.operation for op in enabled.planned} == {"PARTITION_ENABLE_EXPORTER"}
    assert enabled.change_id == disabled.change_id + 1
    assert statuses_after_disable == {"camundaregion0": "ENABLED", "camundaregion1": "DISABLED"}
    assert management.cluster().exporter_states()["camundaregion1"] == {"ENABLED"}


def test_enabling_from_a_disabled_exporter_is_refused(management: ManagementClient) -> None:
    management.wait_for_change(management.disable_exporter("camundaregion0").change_id, timeout=CHANGE_TIMEOUT)
    management.wait_for_change(management.disable_exporter("camundaregion1").change_id, timeout=CHANGE_TIMEOUT)

    with pytest.raises(HttpStatusError) as caught:
        management.enable_exporter("camundaregion1", initialize_from="camundaregion0")

    assert caught.value.status == 400
    assert "initialize from exporter 'camundaregion0'" in str(caught.value)
    assert "is disabled" in str(caught.value)


def test_an_exporter_dry_run_changes_nothing(management: ManagementClient) -> None:
    planned = management.disable_exporter("camundaregion1", dry_run=True)

    assert planned.change_id == 1
    assert management.cluster().last_change is None
    assert {e.status for e in management.exporters()} == {"ENABLED"}


@pytest.mark.parametrize("variant", ["no-content", "wrapped"])
def test_pause_and_resume_accept_both_response_variants(management: ManagementClient, control, variant) -> None:
    assert control.post("/settings", json={"exportingResponse": variant}).status_code == 200

    paused = management.pause_exporting()
    soft = management.pause_exporting(soft=True)
    resumed = management.resume_exporting()

    for result in (paused, soft, resumed):
        assert (result.variant, result.status) == (variant, 204)


def test_pausing_with_a_lost_region_raises_the_500(management: ManagementClient, control) -> None:
    control.post("/regions/1/lose")

    with pytest.raises(HttpStatusError) as caught:
        management.pause_exporting()

    assert caught.value.status == 500
    assert not isinstance(caught.value, WrappedStatusError)
    assert "got HTTP 500 Expected 4 members of partition 1 but found 2" in str(caught.value)


def test_a_wrapped_500_inside_a_200_raises_quoting_status_and_message(management: ManagementClient, control) -> None:
    control.post("/settings", json={"exportingResponse": "wrapped"})
    control.post("/regions/1/lose")

    with pytest.raises(WrappedStatusError) as caught:
        management.pause_exporting()

    error = caught.value
    assert isinstance(error, HttpStatusError)
    assert (error.status, error.http_status, error.transient) == (500, 200, False)
    assert str(error).startswith(
        f"POST {management.base_url}/actuator/exporting/pause: expected HTTP 204, or HTTP 200 wrapping a 2xx status, "
        "got HTTP 200 wrapping status 500: Expected 4 members of partition 1 but found 2"
    )


def test_the_cluster_of_a_lost_regions_management_api_is_unreachable(runtime: SimRuntime, control) -> None:
    url = runtime.endpoints()["region1"]["management"]
    control.post("/regions/1/lose")

    no_wait = RetryPolicy(sleep=lambda seconds: None)
    with ManagementClient(url, timeout=2.0, retry=no_wait) as lost, pytest.raises(TransportError) as caught:
        lost.cluster()

    assert caught.value.transient
    assert caught.value.unsent
    assert str(caught.value).startswith(f"GET {url}/actuator/cluster: expected HTTP 200, got ConnectError")
    assert "; gave up after 4 attempts in " in str(caught.value)
