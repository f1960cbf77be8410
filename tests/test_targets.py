"""Where the drill's numbers come from per target: the deployment's shape, and a simulator's time bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.procedure.params import DEFAULT_SHAPE, ParameterError, Shape, Timeouts
from drill.targets import SIM_TIMEOUTS, TargetOptions, drill_shape, sim_timeouts

NONE_GIVEN = {"cluster_size": None, "partitions": None, "replication_factor": None}


def test_the_embedded_simulator_has_the_shape_given_number_by_number() -> None:
    assert drill_shape(TargetOptions(), NONE_GIVEN) == DEFAULT_SHAPE
    assert drill_shape(TargetOptions(), {**NONE_GIVEN, "cluster_size": 64, "partitions": 128}) == Shape(64, 128, 4)


def test_kube_reads_its_values_files_and_a_number_given_overrides_its_own(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("orchestration:\n  clusterSize: 6\n  partitionCount: 3\n  replicationFactor: 2\n")
    options = TargetOptions(target="kube", contexts=("a", "b"), values_files=(values,))
    assert drill_shape(options, NONE_GIVEN) == Shape(6, 3, 2)
    assert drill_shape(options, {**NONE_GIVEN, "partitions": 12}) == Shape(6, 12, 2)


def test_kind_has_its_profiles_shape_and_refuses_another() -> None:
    assert drill_shape(TargetOptions(target="kind"), NONE_GIVEN) == Shape(4, 2, 4)
    assert drill_shape(TargetOptions(target="kind", profile="procedure"), NONE_GIVEN) == Shape(8, 8, 4)
    assert drill_shape(TargetOptions(target="kind"), {**NONE_GIVEN, "cluster_size": 4}) == Shape(4, 2, 4)
    with pytest.raises(
        ParameterError, match=r"--partitions 8: the kind profile small is installed with .*partitions 2"
    ):
        drill_shape(TargetOptions(target="kind"), {**NONE_GIVEN, "partitions": 8})


def test_a_simulators_bounds_follow_its_time_scale() -> None:
    assert sim_timeouts(0) is SIM_TIMEOUTS
    assert sim_timeouts(1.0) == Timeouts()
    scaled = sim_timeouts(0.02)
    assert scaled.quiet_window == pytest.approx(0.1)  # 5 s at time scale 1
    assert scaled.change == Timeouts().change  # bounds stay a real cluster's: a slow change is not a failure
