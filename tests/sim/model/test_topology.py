"""Property tests of the dual-region topology arithmetic (drill.sim.model.topology).

Shapes range over what a Zeebe dual-region cluster can be configured with: an even clusterSize 2..64,
1..128 partitions and a replication factor 1..clusterSize.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.sim.model.topology import (
    REGIONS,
    Replica,
    broker_id_for,
    brokers_of_region,
    has_quorum,
    leader_of,
    partitions_by_broker,
    pod_index,
    region_of,
    round_robin,
    validate_dual_region,
)

# 100 examples per property keeps this module and its sibling under 5 s together on a 2-core runner.
PROPERTY = settings(max_examples=100, deadline=None)


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, int, int]:
    """(clusterSize, partitionCount, replicationFactor) of a dual-region cluster."""
    size = 2 * draw(st.integers(1, 32))
    partitions = draw(st.integers(1, 128))
    replication = draw(st.integers(1, size))
    return size, partitions, replication


@st.composite
def shapes_with_even_replication(draw: st.DrawFn) -> tuple[int, int, int]:
    size = 2 * draw(st.integers(1, 32))
    partitions = draw(st.integers(1, 128))
    replication = 2 * draw(st.integers(1, size // 2))
    return size, partitions, replication


def loads(size: int, layout: dict[int, list[Replica]]) -> list[int]:
    """Partition-replicas held per broker 0..size-1, counting brokers that hold nothing as 0."""
    by_broker = partitions_by_broker(layout)
    return [len(by_broker.get(broker, [])) for broker in range(size)]


def per_region(replicas: list[Replica]) -> list[int]:
    counts = [0] * REGIONS
    for replica in replicas:
        counts[region_of(replica.broker)] += 1
    return counts


# -- round robin: replicas and priorities ---------------------------------------------------------------------


@PROPERTY
@given(shapes())
def test_every_partition_gets_exactly_r_distinct_replicas_among_the_members(shape: tuple[int, int, int]) -> None:
    size, partitions, replication = shape
    layout = round_robin(range(size), partitions, replication)
    assert sorted(layout) == list(range(1, partitions + 1))
    for replicas in layout.values():
        brokers = [r.broker for r in replicas]
        assert len(brokers) == replication
        assert len(set(brokers)) == replication
        assert set(brokers) <= set(range(size))


@PROPERTY
@given(shapes())
def test_replica_priorities_run_from_r_down_to_1_in_list_order(shape: tuple[int, int, int]) -> None:
    size, partitions, replication = shape
    for replicas in round_robin(range(size), partitions, replication).values():
        assert [r.priority for r in replicas] == list(range(replication, 0, -1))


@PROPERTY
@given(shapes())
def test_partition_p_sits_on_the_r_consecutive_sorted_positions_starting_at_p_minus_1(
    shape: tuple[int, int, int],
) -> None:
    size, partitions, replication = shape
    # Member ids need not be 0..N-1: use a shuffled, sparse, duplicated id list to see that positions count.
    rng = random.Random(size * 1000 + partitions)
    ids = sorted(rng.sample(range(3 * size), size))
    shuffled = ids + ids[: size // 2]
    rng.shuffle(shuffled)
    layout = round_robin(shuffled, partitions, replication)
    for partition, replicas in layout.items():
        assert [r.broker for r in replicas] == [ids[(partition - 1 + j) % size] for j in range(replication)]


@PROPERTY
@given(shapes(), st.randoms(use_true_random=False))
def test_round_robin_depends_only_on_the_member_set_not_on_its_order_or_duplicates(
    shape: tuple[int, int, int], rng: random.Random
) -> None:
    size, partitions, replication = shape
    members = list(range(size)) * 2
    rng.shuffle(members)
    assert round_robin(members, partitions, replication) == round_robin(range(size), partitions, replication)


# -- round robin: load per broker -----------------------------------------------------------------------------


@PROPERTY
@given(shapes())
def test_total_replica_count_is_partitions_times_replication_factor(shape: tuple[int, int, int]) -> None:
    size, partitions, replication = shape
    assert sum(loads(size, round_robin(range(size), partitions, replication))) == partitions * replication


@PROPERTY
@given(shapes())
def test_broker_loads_span_exactly_the_range_round_robin_guarantees(shape: tuple[int, int, int]) -> None:
    """With P = qN + r, a broker holds the partitions whose start position falls in a cyclic window of R positions.

    Each start position is used q or q+1 times (q+1 for the first r positions), so a broker holds R*q plus the
    overlap of its window with the first r positions: between max(0, R+r-N) and min(R, r), both attained.
    """
    size, partitions, replication = shape
    q, r = divmod(partitions, size)
    held = loads(size, round_robin(range(size), partitions, replication))
    assert min(held) == replication * q + max(0, replication + r - size)
    assert max(held) == replication * q + min(replication, r)


@PROPERTY
@given(shapes())
def test_cyclically_adjacent_brokers_differ_in_load_by_at_most_one(shape: tuple[int, int, int]) -> None:
    size, partitions, replication = shape
    held = loads(size, round_robin(range(size), partitions, replication))
    for position in range(size):
        assert abs(held[position] - held[position - 1]) <= 1


@PROPERTY
@given(shapes())
def test_broker_loads_are_floor_or_ceil_of_the_average_exactly_when_min_of_r_r_mod_n_and_complements_is_at_most_1(
    shape: tuple[int, int, int],
) -> None:
    """Round robin balances to within one replica only in special cases; this is the exact condition."""
    size, partitions, replication = shape
    r = partitions % size
    held = loads(size, round_robin(range(size), partitions, replication))
    total = partitions * replication
    balanced = all(h in (total // size, -(-total // size)) for h in held)
    assert balanced == (min(replication, size - replication, r, size - r) <= 1)


def test_round_robin_is_not_balanced_to_within_one_when_fewer_partitions_than_brokers() -> None:
    # 8 brokers, 4 partitions, RF 4: the average is 2, but broker 3 holds all four partitions and broker 7 none.
    held = loads(8, round_robin(range(8), 4, 4))
    assert held == [1, 2, 3, 4, 3, 2, 1, 0]


@st.composite
def shapes_with_partitions_a_multiple_of_size(draw: st.DrawFn) -> tuple[int, int, int]:
    size = 2 * draw(st.integers(1, 32))
    partitions = size * draw(st.integers(1, 128 // size))
    return size, partitions, draw(st.integers(1, size))


@PROPERTY
@given(shapes_with_partitions_a_multiple_of_size())
def test_every_broker_holds_the_same_number_of_replicas_when_partitions_are_a_multiple_of_brokers(
    shape: tuple[int, int, int],
) -> None:
    size, partitions, replication = shape
    assert set(loads(size, round_robin(range(size), partitions, replication))) == {partitions * replication // size}


# -- regions --------------------------------------------------------------------------------------------------


def test_region_and_pod_index_follow_the_helm_node_id_rule() -> None:
    for broker in range(128):
        assert region_of(broker) == broker % 2
        assert broker_id_for(region_of(broker), pod_index(broker)) == broker
    for region in (0, 1):
        for index in range(32):
            broker = broker_id_for(region, index)
            assert (region_of(broker), pod_index(broker)) == (region, index)


@PROPERTY
@given(st.integers(1, 32))
def test_brokers_of_region_splits_an_even_cluster_into_two_interleaved_halves(half: int) -> None:
    size = 2 * half
    region0, region1 = brokers_of_region(size, 0), brokers_of_region(size, 1)
    assert region0 == list(range(0, size, 2))
    assert region1 == list(range(1, size, 2))
    assert sorted(region0 + region1) == list(range(size))


@PROPERTY
@given(shapes_with_even_replication())
def test_interleaved_ids_with_even_r_give_every_partition_r_over_2_replicas_in_each_region(
    shape: tuple[int, int, int],
) -> None:
    """Precondition: members are exactly 0..N-1 with N even, R even and 2 <= R <= N (any partition count).

    The sorted list then alternates regions at every step, including the wrap from N-1 (odd) to 0 (even), so any
    R consecutive positions hold R/2 brokers of each region.
    """
    size, partitions, replication = shape
    for replicas in round_robin(range(size), partitions, replication).values():
        assert per_region(replicas) == [replication // 2, replication // 2]


@PROPERTY
@given(shapes().filter(lambda s: s[2] % 2 == 1))
def test_interleaved_ids_with_odd_r_favour_the_region_of_the_highest_priority_replica_by_one(
    shape: tuple[int, int, int],
) -> None:
    size, partitions, replication = shape
    for replicas in round_robin(range(size), partitions, replication).values():
        counts = per_region(replicas)
        first = region_of(replicas[0].broker)
        assert counts[first] == (replication + 1) // 2
        assert counts[1 - first] == replication // 2


def ids_with_regions(regions: list[int]) -> list[int]:
    """Increasing broker ids whose regions (id % 2), in sorted order, are the given sequence."""
    ids: list[int] = []
    next_id = 0
    for region in regions:
        if next_id % 2 != region:
            next_id += 1
        ids.append(next_id)
        next_id += 1
    return ids


def balanced_by_characterisation(regions: list[int], replication: int) -> bool:
    """Every cyclic window of R positions is half/half iff R is even, the region sequence repeats with period
    g = gcd(R, N) around the ring, and one period holds g/2 brokers of each region."""
    size = len(regions)
    g = math.gcd(replication, size)
    if replication % 2 or g % 2:
        return False
    periodic = all(regions[i] == regions[i % g] for i in range(size))
    return periodic and sum(regions[:g]) == g // 2


@st.composite
def region_cases(draw: st.DrawFn) -> tuple[list[int], int]:
    """(regions of the sorted members, replication factor): arbitrary sequences, and sequences built to be
    balanced (a half/half block repeated, R a multiple of the block) with, sometimes, one broker moved across."""
    if draw(st.booleans()):
        regions = draw(st.lists(st.integers(0, 1), min_size=1, max_size=24))
        return regions, draw(st.integers(1, len(regions)))
    half = draw(st.integers(1, 3))
    block = draw(st.permutations([0] * half + [1] * half))
    times = draw(st.integers(1, 4))
    regions = block * times
    replication = len(block) * draw(st.integers(1, times))
    if draw(st.booleans()):
        flipped = draw(st.integers(0, len(regions) - 1))
        regions[flipped] = 1 - regions[flipped]
    return regions, replication


@PROPERTY
@given(region_cases(), st.data())
def test_every_partition_is_split_evenly_across_regions_exactly_when_the_region_sequence_is_gcd_periodic(
    case: tuple[list[int], int], data: st.DataObject
) -> None:
    """The exact condition for an arbitrary member set, when P >= N so that every start position is used."""
    regions, replication = case
    members = ids_with_regions(regions)
    size = len(members)
    partitions = data.draw(st.integers(size, 2 * size), label="partitions")
    layout = round_robin(members, partitions, replication)
    every_partition_split_evenly = all(2 * per_region(replicas)[1] == replication for replicas in layout.values())
    assert every_partition_split_evenly == balanced_by_characterisation(regions, replication)


def test_consecutive_but_not_alternating_ids_can_still_split_evenly_when_the_pattern_has_period_dividing_r() -> None:
    # Regions 0,0,1,1,0,0,1,1 (ids 0,2,3,5,6,8,9,11) with RF 4: every window of 4 holds two of each region.
    members = ids_with_regions([0, 0, 1, 1, 0, 0, 1, 1])
    for replicas in round_robin(members, 8, 4).values():
        assert per_region(replicas) == [2, 2]
    # ... but not with RF 2: the window 0,0 is one-sided.
    assert per_region(round_robin(members, 8, 2)[1]) == [2, 0]


@PROPERTY
@given(shapes_with_even_replication(), st.integers(0, 1))
def test_removing_one_regions_brokers_leaves_each_partition_exactly_the_other_regions_replicas(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    surviving_region = set(brokers_of_region(size, 1 - lost))
    lost_region = set(brokers_of_region(size, lost))
    for replicas in round_robin(range(size), partitions, replication).values():
        survivors = [r for r in replicas if r.broker not in lost_region]
        assert [r.broker for r in survivors] == [r.broker for r in replicas if region_of(r.broker) != lost]
        assert len(survivors) == replication // 2
        assert {r.broker for r in survivors} <= surviving_region


@PROPERTY
@given(shapes_with_even_replication(), st.integers(0, 1))
def test_losing_a_region_leaves_no_partition_with_a_leader_until_it_is_reconfigured_to_the_survivors(
    shape: tuple[int, int, int], lost: int
) -> None:
    """Half of the replicas is not a strict majority: this is why failover needs a forced reconfiguration."""
    size, partitions, replication = shape
    alive = brokers_of_region(size, 1 - lost)
    for replicas in round_robin(range(size), partitions, replication).values():
        assert leader_of(replicas, alive) is None
        survivors = [r for r in replicas if r.broker in alive]
        assert leader_of(survivors, alive) == max(survivors, key=lambda r: r.priority).broker


@PROPERTY
@given(shapes(), st.integers(0, 1))
def test_round_robin_over_one_region_then_readding_the_other_with_the_original_rf_gives_the_original_layout(
    shape: tuple[int, int, int], surviving: int
) -> None:
    size, partitions, replication = shape
    original = round_robin(range(size), partitions, replication)
    survivors = brokers_of_region(size, surviving)
    reduced_rf = max(1, min(replication // 2, len(survivors)))
    reduced = round_robin(survivors, partitions, reduced_rf)
    assert {r.broker for replicas in reduced.values() for r in replicas} <= set(survivors)
    readded = round_robin(
        sorted({r.broker for replicas in reduced.values() for r in replicas} | set(survivors))
        + brokers_of_region(size, 1 - surviving),
        partitions,
        replication,
    )
    assert readded == original


@PROPERTY
@given(shapes_with_even_replication(), st.integers(0, 1))
def test_survivors_keep_the_priorities_the_full_layout_gives_them_so_readding_needs_no_priority_change(
    shape: tuple[int, int, int], lost: int
) -> None:
    size, partitions, replication = shape
    original = round_robin(range(size), partitions, replication)
    rebuilt = round_robin(brokers_of_region(size, 1 - lost) + brokers_of_region(size, lost), partitions, replication)
    for partition, replicas in original.items():
        survivors = {r for r in replicas if region_of(r.broker) != lost}
        assert survivors <= set(rebuilt[partition])


# -- the contract's example layout ----------------------------------------------------------------------------


def test_eight_brokers_eight_partitions_rf_4_match_the_contract_table() -> None:
    by_broker = partitions_by_broker(round_robin(range(8), 8, 4))
    assert by_broker[0] == [1, 6, 7, 8]
    assert by_broker[2] == [1, 2, 3, 8]
    assert by_broker[4] == [2, 3, 4, 5]
    assert by_broker[6] == [4, 5, 6, 7]
    # The odd brokers the contract calls "implied by round robin".
    assert by_broker[1] == [1, 2, 7, 8]
    assert by_broker[3] == [1, 2, 3, 4]
    assert by_broker[5] == [3, 4, 5, 6]
    assert by_broker[7] == [5, 6, 7, 8]


def test_eight_brokers_eight_partitions_rf_4_put_partition_p_on_brokers_p_minus_1_to_p_plus_2_mod_8() -> None:
    layout = round_robin(range(8), 8, 4)
    for partition in range(1, 9):
        assert [r.broker for r in layout[partition]] == [(partition - 1 + j) % 8 for j in range(4)]
        assert [r.priority for r in layout[partition]] == [4, 3, 2, 1]
        assert per_region(layout[partition]) == [2, 2]


# -- round robin: refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("members", "partitions", "replication", "fragment"),
    [
        ([], 8, 1, "no brokers"),
        ([0, 1], 8, 0, "replication factor 0"),
        ([0, 1], 8, 3, "replication factor 3"),
        ([0, 1], 0, 1, "got 0"),
    ],
)
def test_round_robin_refuses_impossible_shapes(
    members: list[int], partitions: int, replication: int, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        round_robin(members, partitions, replication)


# -- quorum and leaders ---------------------------------------------------------------------------------------


def test_has_quorum_holds_exactly_when_a_strict_majority_is_alive() -> None:
    for replicas in range(130):
        for alive in range(replicas + 1):
            assert has_quorum(replicas, alive) == (alive > Fraction(replicas, 2)), (replicas, alive)


@pytest.mark.parametrize(
    ("replicas", "alive", "expected"),
    [(1, 1, True), (1, 0, False), (2, 1, False), (2, 2, True), (3, 2, True), (4, 2, False), (4, 3, True)],
)
def test_has_quorum_on_the_usual_replication_factors(replicas: int, alive: int, expected: bool) -> None:
    assert has_quorum(replicas, alive) is expected


@PROPERTY
@given(shapes(), st.data())
def test_leader_of_is_none_without_a_strict_majority_and_otherwise_the_live_replica_of_highest_priority(
    shape: tuple[int, int, int], data: st.DataObject
) -> None:
    size, partitions, replication = shape
    layout = round_robin(range(size), partitions, replication)
    partition = data.draw(st.integers(1, partitions), label="partition")
    # Liveness may include brokers that are not replicas (or not even members): they must not count.
    alive = data.draw(st.sets(st.integers(0, size + 4)), label="alive")
    replicas = layout[partition]
    live = [r for r in replicas if r.broker in alive]
    leader = leader_of(replicas, alive)
    if 2 * len(live) > replication:
        assert leader == max(live, key=lambda r: r.priority).broker
    else:
        assert leader is None


def test_leader_of_breaks_a_priority_tie_towards_the_lowest_broker_id() -> None:
    replicas = [Replica(5, 1), Replica(3, 1), Replica(7, 1)]
    assert leader_of(replicas, [3, 5, 7]) == 3
    assert leader_of(replicas, iter([5, 7])) == 5


# -- validate_dual_region -------------------------------------------------------------------------------------


@PROPERTY
@given(shapes())
def test_validate_dual_region_accepts_every_even_size_with_rf_within_size_and_at_least_one_partition(
    shape: tuple[int, int, int],
) -> None:
    validate_dual_region(*shape)


@pytest.mark.parametrize("size", [1, 3, 7, 63, 0, -2])
def test_validate_dual_region_rejects_odd_or_too_small_cluster_sizes_naming_the_size_seen(size: int) -> None:
    with pytest.raises(ValueError) as raised:
        validate_dual_region(size, 8, 1)
    message = str(raised.value)
    assert "clusterSize" in message
    assert "even" in message
    assert f"got {size}" in message


@pytest.mark.parametrize(("size", "replication"), [(8, 9), (2, 3), (64, 65), (8, 0), (4, -1)])
def test_validate_dual_region_rejects_a_replication_factor_outside_1_to_size_naming_both(
    size: int, replication: int
) -> None:
    with pytest.raises(ValueError) as raised:
        validate_dual_region(size, 8, replication)
    message = str(raised.value)
    assert "replicationFactor" in message
    assert f"({size})" in message
    assert f"got {replication}" in message


@pytest.mark.parametrize("partitions", [0, -1])
def test_validate_dual_region_rejects_fewer_than_one_partition_naming_the_count_seen(partitions: int) -> None:
    with pytest.raises(ValueError) as raised:
        validate_dual_region(8, partitions, 4)
    message = str(raised.value)
    assert "partitionCount" in message
    assert "at least 1" in message
    assert f"got {partitions}" in message
