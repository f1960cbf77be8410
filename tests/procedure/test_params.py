"""Drill parameters: shapes, brokers per region, and the refusal of values that cannot describe a dual region."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drill.api.models import Topology
from drill.procedure.params import DrillParams, ParameterError, Shape, Timeouts
from drill.procedure.shell import quote
from drill.procedure.step import partition_health

shapes = st.integers(1, 64).flatmap(
    lambda half: st.builds(
        lambda per_region, partitions: Shape(2 * half, partitions, 2 * per_region),
        st.integers(1, min(half, 2)),
        st.integers(1, 128),
    )
)


@given(shapes)
def test_the_regions_split_the_brokers_evenly_by_parity(shape: Shape) -> None:
    zero, one = shape.brokers_of(0), shape.brokers_of(1)
    assert sorted(zero + one) == list(range(shape.cluster_size))
    assert len(zero) == len(one) == shape.cluster_size // 2
    assert all(b % 2 == 0 for b in zero) and all(b % 2 == 1 for b in one)
    assert shape.replicas_per_region * 2 == shape.replication_factor


@given(shapes, st.sampled_from([0, 1]))
def test_lost_and_surviving_brokers_are_the_two_regions(shape: Shape, lost: int) -> None:
    params = DrillParams(lost_region=lost, shape=shape)
    assert params.lost_brokers == shape.brokers_of(lost)
    assert params.surviving_brokers == shape.brokers_of(1 - lost)
    assert (params.lost_exporter, params.surviving_exporter) == (f"camundaregion{lost}", f"camundaregion{1 - lost}")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Shape(7, 8, 4), "Expected an even clusterSize of at least 2 (two regions), got 7"),
        (lambda: Shape(4, 8, 6), "Expected replicationFactor between 1 and clusterSize 4, got 6"),
        (lambda: Shape(8, 8, 3), "Expected an even replicationFactor (half the replicas in each region), got 3"),
        (lambda: DrillParams(lost_region=2), "Expected the lost region to be 0 or 1, got 2"),
        (lambda: DrillParams(lost_region=True), "Expected the lost region to be 0 or 1, got True"),
        (lambda: DrillParams(lost_region=1, variant="x"), "Expected procedure variant seed or operate-last, got 'x'"),
        (lambda: Timeouts(change=0), "Expected timeout change to be a positive number of seconds, got 0"),
        (lambda: Shape.from_values({"orchestration": {"clusterSize": "8"}}), "Expected orchestration.partitionCount"),
        (
            lambda: Shape.from_values(
                {"orchestration": {"clusterSize": "x", "partitionCount": 1, "replicationFactor": 2}}
            ),
            "Expected orchestration.clusterSize to be a positive integer, got 'x'",
        ),
        (
            lambda: Shape.from_values(
                {"orchestration": {"clusterSize": True, "partitionCount": 1, "replicationFactor": 2}}
            ),
            "Expected orchestration.clusterSize to be a positive integer, got True",
        ),
    ],
)
def test_bad_parameters_are_refused_with_what_was_expected(make: object, message: str) -> None:
    with pytest.raises(ParameterError) as caught:
        make()  # type: ignore[operator]
    assert message in str(caught.value)


def test_the_shape_is_read_from_helm_values_as_strings() -> None:
    values = {"orchestration": {"clusterSize": "8", "partitionCount": "8", "replicationFactor": "4"}}
    assert Shape.from_values(values) == Shape(8, 8, 4)


def _topology(partitions: dict[int, list[tuple[int, str, str]]], count: int) -> Topology:
    brokers: dict[int, list[dict[str, object]]] = {}
    for pid, replicas in partitions.items():
        for node, role, health in replicas:
            brokers.setdefault(node, []).append({"partitionId": pid, "role": role, "health": health})
    return Topology.from_json(
        {
            "brokers": [
                {"nodeId": n, "host": f"h{n}", "port": 26501, "partitions": ps, "version": "8.8.0"}
                for n, ps in sorted(brokers.items())
            ],
            "clusterSize": len(brokers),
            "partitionsCount": count,
            "replicationFactor": 2,
            "gatewayVersion": "8.8.0",
            "lastCompletedChangeId": "-1",
        }
    )


def test_partition_health_names_every_problem_per_partition() -> None:
    topology = _topology(
        {
            1: [(0, "leader", "healthy"), (1, "follower", "healthy")],
            2: [(0, "follower", "healthy"), (2, "follower", "unhealthy")],
        },
        count=3,
    )
    assert partition_health(topology, replicas=2, regions=(0, 1)) == {
        "2": "no leader, unhealthy on [2], no replica in region 1",
        "3": "no leader, 0 replicas, no replica in region 0, no replica in region 1",
    }


@pytest.mark.parametrize(
    ("token", "quoted"),
    [
        ("$CLUSTER_SURVIVING", "$CLUSTER_SURVIVING"),
        ("$REGION_RECREATED/camunda-values.yml", "$REGION_RECREATED/camunda-values.yml"),
        ("orchestration.env[$ENV_INDEX].value=false", '"orchestration.env[$ENV_INDEX].value=false"'),
        ('{"brokers":{"remove":[1]}}', '\'{"brokers":{"remove":[1]}}\''),
        ("a b", "'a b'"),
        ("$(rm -rf /)", "'$(rm -rf /)'"),
    ],
)
def test_shell_quoting_keeps_variables_and_nothing_else_expandable(token: str, quoted: str) -> None:
    assert quote(token) == quoted
