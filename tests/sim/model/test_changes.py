"""Unit and property tests of the configuration-change planners and `apply` (drill.sim.model.changes).

Configurations are built the way a fresh dual-region cluster starts: members 0..N-1, the round-robin layout and the
exporters camundaregion0 and camundaregion1 ENABLED on every partition replica.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.sim.model.changes import (
    Operation,
    Plan,
    apply,
    plan_disable_exporter,
    plan_enable_exporter,
    plan_force_remove,
    plan_scale,
)
from drill.sim.model.config import DISABLED, ENABLED, ClusterConfig, ExporterConfig, MemberState, PartitionState
from drill.sim.model.errors import BadRequest
from drill.sim.model.topology import brokers_of_region, round_robin

# 100 examples per property keeps this module and its sibling under 5 s together on a 2-core runner.
PROPERTY = settings(max_examples=100, deadline=None)

REGION0 = "camundaregion0"
REGION1 = "camundaregion1"
EXPORTERS = (REGION0, REGION1)


def build_config(
    size: int, partitions: int, replication: int, exporters: dict[str, str] | None = None
) -> ClusterConfig:
    """Members 0..size-1 holding the round-robin layout, every replica with the given exporter states."""
    states = exporters if exporters is not None else dict.fromkeys(EXPORTERS, ENABLED)
    members = {broker: MemberState(broker) for broker in range(size)}
    for partition, replicas in round_robin(range(size), partitions, replication).items():
        for replica in replicas:
            members[replica.broker].partitions[partition] = PartitionState(
                partition,
                replica.priority,
                exporters={exporter: ExporterConfig(state) for exporter, state in states.items()},
            )
    return ClusterConfig(members=members, partition_count=partitions)


def layout_of(config: ClusterConfig) -> dict[int, list[tuple[int, int]]]:
    """Partition -> (broker, priority) of its replicas, highest priority first."""
    return {
        partition: [(broker, state.priority) for broker, state in config.replicas(partition)]
        for partition in range(1, config.partition_count + 1)
    }


def shape_of(config: ClusterConfig) -> dict[int, dict[int, tuple[int, str, dict[str, tuple[str, int, str | None]]]]]:
    """Everything but the version counters and timestamps: members, partitions, priorities, exporter configs."""
    return {
        member.id: {
            partition.id: (
                partition.priority,
                partition.state,
                {
                    exporter_id: (exporter.state, exporter.metadata_version, exporter.initialized_from)
                    for exporter_id, exporter in partition.exporters.items()
                },
            )
            for partition in member.partitions.values()
        }
        for member in config.members.values()
    }


def applied(config: ClusterConfig, plan: Plan) -> ClusterConfig:
    result = config.copy()
    for op in plan.operations:
        apply(result, op, at=None)
    return result


def replica_pairs(config: ClusterConfig) -> list[tuple[int, int]]:
    return sorted((member.id, partition) for member in config.members.values() for partition in member.partitions)


@st.composite
def small_shapes(draw: st.DrawFn) -> tuple[int, int, int]:
    size = 2 * draw(st.integers(1, 5))
    return size, draw(st.integers(1, 16)), draw(st.integers(1, size))


@st.composite
def dual_region_shapes(draw: st.DrawFn) -> tuple[int, int, int]:
    """Shapes that survive the loss of a region: RF even, so every partition has RF/2 replicas per region."""
    size = 2 * draw(st.integers(1, 5))
    return size, draw(st.integers(1, 16)), 2 * draw(st.integers(1, size // 2))


def failed_over(size: int, partitions: int, replication: int, lost: int) -> ClusterConfig:
    config = build_config(size, partitions, replication)
    return applied(config, plan_force_remove(config, brokers_of_region(size, lost)))


# -- plan_force_remove ----------------------------------------------------------------------------------------


@PROPERTY
@given(dual_region_shapes(), st.integers(0, 1))
def test_force_removing_one_region_plans_one_force_reconfigure_per_partition_to_its_surviving_replicas(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    config = build_config(size, partitions, replication)
    lost_brokers = brokers_of_region(size, lost)
    plan = plan_force_remove(config, lost_brokers)
    reconfigures = plan.operations[:partitions]
    assert [op.operation for op in reconfigures] == ["PARTITION_FORCE_RECONFIGURE"] * partitions
    assert [op.partition_id for op in reconfigures] == list(range(1, partitions + 1))
    for op in reconfigures:
        assert op.partition_id is not None and op.brokers is not None
        survivors = [b for b in config.replica_ids(op.partition_id) if b not in lost_brokers]
        assert sorted(op.brokers) == sorted(survivors)
        assert len(op.brokers) == replication // 2
        assert op.broker_id in op.brokers


@PROPERTY
@given(dual_region_shapes(), st.integers(0, 1))
def test_force_removing_one_region_ends_with_one_broker_remove_per_lost_broker_run_by_a_survivor(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    lost_brokers = brokers_of_region(size, lost)
    plan = plan_force_remove(build_config(size, partitions, replication), lost_brokers)
    removes = plan.operations[partitions:]
    assert [op.operation for op in removes] == ["BROKER_REMOVE"] * len(lost_brokers)
    assert [op.brokers for op in removes] == [(b,) for b in lost_brokers]
    assert all(op.broker_id not in lost_brokers for op in removes)


@PROPERTY
@given(dual_region_shapes(), st.integers(0, 1))
def test_applying_a_force_remove_plan_leaves_half_the_members_and_half_the_replication_factor(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    config = build_config(size, partitions, replication)
    after = applied(config, plan_force_remove(config, brokers_of_region(size, lost)))
    assert sorted(after.members) == brokers_of_region(size, 1 - lost)
    assert len(after.members) == size // 2
    assert after.replication_factor() == replication // 2
    assert after.partition_count == partitions
    before = layout_of(config)
    for partition, replicas in layout_of(after).items():
        # The survivors keep their replicas and priorities; nothing else changes.
        assert replicas == [(b, p) for b, p in before[partition] if b % 2 != lost]
    assert set(after.exporter_states(REGION0)) == set(after.exporter_states(REGION1)) == {ENABLED}


def test_force_removing_region_1_of_the_contract_cluster_leaves_brokers_0_2_4_6_with_rf_2() -> None:
    config = build_config(8, 8, 4)
    plan = plan_force_remove(config, [1, 3, 5, 7])
    assert plan.operations[0].to_json() == {
        "operation": "PARTITION_FORCE_RECONFIGURE",
        "brokerId": 0,
        "partitionId": 1,
        "brokers": [0, 2],
    }
    assert [op.to_json() for op in plan.operations[8:]] == [
        {"operation": "BROKER_REMOVE", "brokerId": 0, "brokers": [b]} for b in (1, 3, 5, 7)
    ]
    assert sorted(plan.expected.members) == [0, 2, 4, 6]
    assert plan.expected.replication_factor() == 2


@pytest.mark.parametrize("remove", [[1, 99, 100], [99, 100], [-1, 100]])
def test_force_removing_a_broker_that_is_not_a_member_is_a_400_naming_the_unknown_ids(remove: list[int]) -> None:
    config = build_config(8, 8, 4)
    with pytest.raises(BadRequest) as raised:
        plan_force_remove(config, remove)
    assert raised.value.status == 400
    unknown = sorted(b for b in remove if b not in range(8))
    assert str(unknown) in raised.value.message


def test_force_removing_every_broker_is_a_400() -> None:
    config = build_config(8, 8, 4)
    with pytest.raises(BadRequest) as raised:
        plan_force_remove(config, range(8))
    assert raised.value.status == 400


def test_force_removing_a_region_with_rf_1_is_a_400_because_some_partitions_would_have_no_replica_left() -> None:
    config = build_config(8, 8, 1)
    with pytest.raises(BadRequest) as raised:
        plan_force_remove(config, [1, 3, 5, 7])
    assert raised.value.status == 400
    assert "partition 2" in raised.value.message


# -- plan_scale -----------------------------------------------------------------------------------------------


@PROPERTY
@given(dual_region_shapes(), st.integers(0, 1))
def test_readding_the_lost_region_with_the_original_rf_gives_back_the_original_layout(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    original = build_config(size, partitions, replication)
    reduced = failed_over(size, partitions, replication, lost)
    lost_brokers = brokers_of_region(size, lost)
    plan = plan_scale(reduced, add=lost_brokers, replication_factor=replication, running=lost_brokers)
    after = applied(reduced, plan)
    assert sorted(after.members) == list(range(size))
    assert after.replication_factor() == replication
    assert layout_of(after) == layout_of(original)
    assert shape_of(after) == shape_of(original)


@PROPERTY
@given(dual_region_shapes(), st.integers(0, 1))
def test_readding_the_lost_region_adds_the_brokers_first_and_then_only_joins_partitions(
    shape: tuple[int, int, int], lost: int
) -> None:
    """The survivors already hold the priorities the full layout gives them, so no priority change is planned."""
    size, partitions, replication = shape
    lost_brokers = brokers_of_region(size, lost)
    plan = plan_scale(
        failed_over(size, partitions, replication, lost),
        add=lost_brokers,
        replication_factor=replication,
        running=lost_brokers,
    )
    adds = plan.operations[: len(lost_brokers)]
    assert [(op.operation, op.broker_id) for op in adds] == [("BROKER_ADD", b) for b in lost_brokers]
    joins = plan.operations[len(lost_brokers) :]
    assert {op.operation for op in joins} == {"PARTITION_JOIN"}
    assert len(joins) == partitions * replication // 2
    assert all(op.broker_id in lost_brokers for op in joins)


def test_readding_brokers_that_are_not_running_is_a_400_naming_those_brokers() -> None:
    reduced = failed_over(8, 8, 4, lost=1)
    with pytest.raises(BadRequest) as raised:
        plan_scale(reduced, add=[1, 3, 5, 7], replication_factor=4, running=[1, 5])
    assert raised.value.status == 400
    assert "[3, 7]" in raised.value.message


def test_adding_a_broker_that_is_already_a_member_is_a_400() -> None:
    config = build_config(8, 8, 4)
    with pytest.raises(BadRequest) as raised:
        plan_scale(config, add=[2], running=range(8))
    assert raised.value.status == 400
    assert "[2]" in raised.value.message


@pytest.mark.parametrize("replication", [5, 9])
def test_a_replication_factor_above_the_member_count_is_a_400_naming_both(replication: int) -> None:
    reduced = failed_over(8, 8, 4, lost=1)  # 4 members left
    with pytest.raises(BadRequest) as raised:
        plan_scale(reduced, replication_factor=replication)
    assert raised.value.status == 400
    assert str(replication) in raised.value.message
    assert "4" in raised.value.message


def test_a_replication_factor_equal_to_the_member_count_is_accepted() -> None:
    plan = plan_scale(failed_over(8, 8, 4, lost=1), replication_factor=4)
    assert plan.expected.replication_factor() == 4


@pytest.mark.parametrize("replication", [0, -1])
def test_a_replication_factor_below_1_is_a_400(replication: int) -> None:
    with pytest.raises(BadRequest) as raised:
        plan_scale(build_config(8, 8, 4), replication_factor=replication)
    assert raised.value.status == 400


@pytest.mark.parametrize("partition_count", [7, 9, 16, 1])
def test_changing_the_partition_count_is_a_400(partition_count: int) -> None:
    with pytest.raises(BadRequest) as raised:
        plan_scale(build_config(8, 8, 4), partition_count=partition_count)
    assert raised.value.status == 400
    assert str(partition_count) in raised.value.message


def test_requesting_the_current_partition_count_is_accepted_and_plans_nothing() -> None:
    plan = plan_scale(build_config(8, 8, 4), partition_count=8, replication_factor=4)
    assert plan.operations == []


# -- exporters ------------------------------------------------------------------------------------------------


@PROPERTY
@given(small_shapes(), st.sampled_from(EXPORTERS))
def test_disabling_an_exporter_plans_one_op_per_member_and_partition_replica(
    shape: tuple[int, int, int], exporter: str
) -> None:
    config = build_config(*shape)
    plan = plan_disable_exporter(config, exporter)
    assert {op.operation for op in plan.operations} == {"PARTITION_DISABLE_EXPORTER"}
    assert {op.exporter_id for op in plan.operations} == {exporter}
    assert sorted((op.broker_id, op.partition_id) for op in plan.operations) == replica_pairs(config)
    assert len(plan.operations) == shape[1] * shape[2]
    after = applied(config, plan)
    other = REGION1 if exporter == REGION0 else REGION0
    assert set(after.exporter_states(exporter)) == {DISABLED}
    assert set(after.exporter_states(other)) == {ENABLED}


def test_disabling_an_unknown_exporter_is_a_400_with_the_contract_text() -> None:
    with pytest.raises(BadRequest) as raised:
        plan_disable_exporter(build_config(8, 8, 4), "elasticsearchregion1")
    assert raised.value.status == 400
    assert raised.value.message == (
        "Expected to disable exporter, but the partition '1' does not have the exporter 'elasticsearchregion1'"
    )


def test_disabling_an_exporter_missing_on_one_partition_names_that_partition() -> None:
    config = build_config(8, 8, 4)
    del config.members[4].partitions[5].exporters[REGION1]
    with pytest.raises(BadRequest) as raised:
        plan_disable_exporter(config, REGION1)
    assert raised.value.message == (
        "Expected to disable exporter, but the partition '5' does not have the exporter 'camundaregion1'"
    )


def test_disabling_an_already_disabled_exporter_is_accepted() -> None:
    config = build_config(8, 8, 4, {REGION0: ENABLED, REGION1: DISABLED})
    plan = plan_disable_exporter(config, REGION1)
    assert len(plan.operations) == 32
    assert set(plan.expected.exporter_states(REGION1)) == {DISABLED}


def test_enabling_an_already_enabled_exporter_is_a_400_with_the_contract_text() -> None:
    with pytest.raises(BadRequest) as raised:
        plan_enable_exporter(build_config(8, 8, 4), REGION1, None)
    assert raised.value.status == 400
    assert raised.value.message == "Expected to enable exporter, but the exporter 'camundaregion1' is already enabled"


def test_enabling_from_a_disabled_exporter_is_a_400_with_the_contract_text() -> None:
    config = build_config(8, 8, 4, {REGION0: DISABLED, REGION1: DISABLED})
    with pytest.raises(BadRequest) as raised:
        plan_enable_exporter(config, REGION1, REGION0)
    assert raised.value.status == 400
    assert raised.value.message == (
        "Expected to enable exporter and initialize from exporter 'camundaregion0', but the exporter "
        "'camundaregion0' is disabled"
    )


def test_enabling_from_an_exporter_the_partition_does_not_have_is_a_400_with_the_contract_text() -> None:
    config = build_config(8, 8, 4, {REGION0: ENABLED, REGION1: DISABLED})
    with pytest.raises(BadRequest) as raised:
        plan_enable_exporter(config, REGION1, "elasticsearchregion0")
    assert raised.value.status == 400
    assert raised.value.message == (
        "Expected to enable exporter and initialize from exporter 'elasticsearchregion0', but the partition '1' "
        "does not have exporter 'elasticsearchregion0'"
    )


@PROPERTY
@given(small_shapes(), st.integers(0, 5))
def test_enabling_a_disabled_exporter_from_the_other_one_bumps_its_metadata_version_and_records_the_source(
    shape: tuple[int, int, int], metadata_version: int
) -> None:
    config = build_config(*shape, exporters={REGION0: ENABLED, REGION1: DISABLED})
    for member in config.members.values():
        for partition in member.partitions.values():
            partition.exporters[REGION1].metadata_version = metadata_version
    plan = plan_enable_exporter(config, REGION1, REGION0)
    assert {op.operation for op in plan.operations} == {"PARTITION_ENABLE_EXPORTER"}
    assert sorted((op.broker_id, op.partition_id) for op in plan.operations) == replica_pairs(config)
    assert all(op.exporter_id == REGION1 and op.initialize_from == REGION0 for op in plan.operations)
    for member in plan.expected.members.values():
        for partition in member.partitions.values():
            assert partition.exporters[REGION1] == ExporterConfig(ENABLED, metadata_version + 1, REGION0)
            assert partition.exporters[REGION0] == ExporterConfig(ENABLED, 0, None)


def test_enabling_an_exporter_the_configuration_does_not_have_yet_starts_it_at_metadata_version_1() -> None:
    config = build_config(4, 4, 2, {REGION0: ENABLED})
    plan = plan_enable_exporter(config, REGION1, None)
    assert set(plan.expected.exporter_states(REGION1)) == {ENABLED}
    assert {
        partition.exporters[REGION1].metadata_version
        for member in plan.expected.members.values()
        for partition in member.partitions.values()
    } == {1}


# -- Operation.to_json ----------------------------------------------------------------------------------------

CONTRACT_OPERATION_KEYS = {"operation", "brokerId", "partitionId", "priority", "brokers", "exporterId"}


def test_operation_json_has_only_operation_and_broker_id_when_nothing_else_is_set() -> None:
    assert Operation("BROKER_ADD", 3).to_json() == {"operation": "BROKER_ADD", "brokerId": 3}


def test_operation_json_uses_the_contracts_camel_case_keys_for_every_field() -> None:
    op = Operation("PARTITION_JOIN", 1, partition_id=2, priority=3, brokers=(4, 5), exporter_id="camundaregion1")
    assert op.to_json() == {
        "operation": "PARTITION_JOIN",
        "brokerId": 1,
        "partitionId": 2,
        "priority": 3,
        "brokers": [4, 5],
        "exporterId": "camundaregion1",
    }


operations = st.builds(
    Operation,
    operation=st.sampled_from(["BROKER_ADD", "PARTITION_JOIN", "PARTITION_ENABLE_EXPORTER"]),
    broker_id=st.integers(0, 63),
    partition_id=st.none() | st.integers(1, 128),
    priority=st.none() | st.integers(1, 8),
    brokers=st.none() | st.lists(st.integers(0, 63), max_size=4).map(tuple),
    exporter_id=st.none() | st.sampled_from(EXPORTERS),
    initialize_from=st.none() | st.sampled_from(EXPORTERS),
)


@PROPERTY
@given(operations)
def test_operation_json_omits_none_fields_and_never_uses_snake_case_keys(op: Operation) -> None:
    body = op.to_json()
    assert set(body) <= CONTRACT_OPERATION_KEYS
    assert body["operation"] == op.operation
    assert body["brokerId"] == op.broker_id
    for key, value in (
        ("partitionId", op.partition_id),
        ("priority", op.priority),
        ("brokers", op.brokers),
        ("exporterId", op.exporter_id),
    ):
        assert (key in body) == (value is not None)
    if op.brokers is not None:
        assert body["brokers"] == list(op.brokers)


def test_operation_json_of_a_force_remove_plan_round_trips_through_json() -> None:
    plan = plan_force_remove(build_config(4, 2, 2), [1, 3])
    bodies = [op.to_json() for op in plan.operations]
    assert json.loads(json.dumps(bodies)) == bodies


# -- every plan: no mutation, expected = ops applied ----------------------------------------------------------


@st.composite
def requests(draw: st.DrawFn, size: int, partitions: int) -> tuple[str, dict[str, Any]]:
    """Any planner call, valid or not, over ids a little beyond the member range."""
    ids = st.sets(st.integers(-1, size + 2), max_size=size + 1)
    kind = draw(st.sampled_from(["force_remove", "scale", "disable", "enable"]))
    exporter = st.sampled_from([*EXPORTERS, "elasticsearchregion0"])
    if kind == "force_remove":
        return kind, {"remove": draw(ids)}
    if kind == "scale":
        return kind, {
            "add": draw(ids),
            "remove": draw(ids),
            "replication_factor": draw(st.none() | st.integers(0, size + 1)),
            "partition_count": draw(st.none() | st.integers(partitions - 1, partitions + 1)),
            "running": draw(ids),
        }
    if kind == "disable":
        return kind, {"exporter_id": draw(exporter)}
    return kind, {"exporter_id": draw(exporter), "initialize_from": draw(st.none() | exporter)}


def plan_request(config: ClusterConfig, kind: str, args: dict[str, Any]) -> Plan:
    if kind == "force_remove":
        return plan_force_remove(config, **args)
    if kind == "scale":
        return plan_scale(config, **args)
    if kind == "disable":
        return plan_disable_exporter(config, **args)
    return plan_enable_exporter(config, **args)


@st.composite
def request_sequences(draw: st.DrawFn) -> tuple[ClusterConfig, list[tuple[str, dict[str, Any]]]]:
    size = 2 * draw(st.integers(1, 4))
    partitions = draw(st.integers(1, 8))
    replication = draw(st.integers(1, size))
    states = {exporter: draw(st.sampled_from([ENABLED, DISABLED])) for exporter in EXPORTERS}
    config = build_config(size, partitions, replication, states)
    return config, draw(st.lists(requests(size, partitions), min_size=1, max_size=4))


@PROPERTY
@given(request_sequences())
def test_planning_never_mutates_the_input_configuration_whether_it_succeeds_or_fails(
    case: tuple[ClusterConfig, list[tuple[str, dict[str, Any]]]],
) -> None:
    config, sequence = case
    for kind, args in sequence:
        before = repr(config)  # the dataclasses' repr shows every field, nested: a cheap deep snapshot
        try:
            plan = plan_request(config, kind, args)
        except BadRequest as error:
            assert error.status == 400
            assert repr(config) == before
            continue
        assert repr(config) == before
        config = plan.expected


@PROPERTY
@given(request_sequences())
def test_a_plans_expected_configuration_is_its_operations_applied_one_by_one_to_a_copy(
    case: tuple[ClusterConfig, list[tuple[str, dict[str, Any]]]],
) -> None:
    config, sequence = case
    for kind, args in sequence:
        try:
            plan = plan_request(config, kind, args)
        except BadRequest:
            continue
        assert applied(config, plan) == plan.expected
        assert plan.expected.version == config.version + len(plan.operations)
        config = plan.expected


@PROPERTY
@given(request_sequences())
def test_every_accepted_plan_keeps_each_partition_replicated_on_existing_members_only(
    case: tuple[ClusterConfig, list[tuple[str, dict[str, Any]]]],
) -> None:
    config, sequence = case
    for kind, args in sequence:
        try:
            plan = plan_request(config, kind, args)
        except BadRequest:
            continue
        config = plan.expected
        assert config.partition_count == len(layout_of(config))
        for partition, replicas in layout_of(config).items():
            assert replicas, f"partition {partition} lost all its replicas after {kind} {args}"
            assert len({priority for _, priority in replicas}) == len(replicas)
