"""The RTO forecast (drill.forecast): its properties, its single source of numbers, and one simulated
drill that takes what it forecast."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill import forecast as fc
from drill.drill_session import DrillSession, DrillSettings
from drill.evidence.report.model import report_from_journal
from drill.procedure.params import DataVolume, DrillParams, ParameterError, Shape, Timeouts
from drill.sim.model import changes
from drill.sim.model.deployment import SimSettings
from drill.sim.model.elasticsearch import GIB, ElasticsearchCluster
from drill.sim.runtime import SimRuntime
from drill.targets import TargetOptions, sim_settings, sim_target

PROPERTY = settings(max_examples=60, deadline=None)


@st.composite
def shapes(draw: st.DrawFn, max_size: int = 12) -> Shape:
    size = draw(st.integers(1, max_size // 2)) * 2
    replication = draw(st.integers(1, size // 2)) * 2
    return Shape(size, draw(st.integers(1, 12)), replication)


gib = st.floats(0, 10_000, allow_nan=False)
throughput = st.floats(0.01, 100, allow_nan=False)
lost = st.sampled_from((0, 1))


# -- properties ---------------------------------------------------------------------------------------------------


@PROPERTY
@given(shapes(), lost, gib, gib, throughput, throughput)
def test_failback_grows_linearly_with_the_data_at_snapshot_plus_restore_seconds_per_gib(
    shape: Shape, region: int, small: float, large: float, snapshot: float, restore: float
) -> None:
    before = fc.forecast(shape, region, DataVolume(small, restore, snapshot))
    after = fc.forecast(shape, region, DataVolume(large, restore, snapshot))
    assert after.failback_s - before.failback_s == pytest.approx((large - small) * (snapshot + restore), abs=0.01)
    assert after.failover_s == before.failover_s  # the failover copies no data


@PROPERTY
@given(shapes(), lost, gib, throughput, throughput)
def test_the_failover_forecast_does_not_depend_on_the_data(
    shape: Shape, region: int, data: float, snapshot: float, restore: float
) -> None:
    assert (
        fc.forecast(shape, region, DataVolume(data, restore, snapshot)).failover_s
        == fc.forecast(shape, region, DataVolume()).failover_s
    )


@PROPERTY
@given(shapes(), lost, st.integers(0, 3), st.integers(0, 6), gib)
def test_a_bigger_cluster_is_not_forecast_faster(
    shape: Shape, region: int, more_brokers: int, more_partitions: int, data: float
) -> None:
    bigger = replace(
        shape, cluster_size=shape.cluster_size + 2 * more_brokers, partitions=shape.partitions + more_partitions
    )
    small = fc.forecast(shape, region, DataVolume(data))
    large = fc.forecast(bigger, region, DataVolume(data))
    assert large.failover_s >= small.failover_s
    assert large.failback_s >= small.failback_s


# -- the model is the source of every number ----------------------------------------------------------------------


def test_the_procedures_sample_deployment_is_forecast_from_the_changes_it_plans() -> None:
    made = fc.forecast(Shape(8, 8, 4), 1, DataVolume(20))
    seconds = {s.id: s.seconds for s in made.stages}
    # 8 partitions lose a replica, 4 brokers go (0.5 s each); 16 replicas survive (0.1 s per exporter operation)
    assert seconds["failover-1"] == 8 * 0.5 + 4 * 0.5
    assert seconds["failover-2"] == 16 * 0.1
    assert made.failover_s == 7.6
    assert seconds["failback-1"] == 20  # the brokers' start; Elasticsearch's 15 s run alongside
    assert seconds["failback-4"] == 1 + 20 * 8 + 0.5 + 20 * 11
    assert seconds["failback-8"] == 4 * 1 + 16 * 3 + 0.5  # 4 brokers added, 16 replicas join, a record exported
    assert made.failback_s == 456.1
    assert "8 x PARTITION_FORCE_RECONFIGURE (0.5 s), 4 x BROKER_REMOVE (0.5 s)" in made.stages[0].basis


def test_the_durations_are_read_from_the_model_on_every_forecast(monkeypatch: pytest.MonkeyPatch) -> None:
    before = fc.forecast(Shape(8, 8, 4), 0, DataVolume()).failover_s
    monkeypatch.setitem(changes.DURATIONS, "BROKER_REMOVE", 10.5)
    assert fc.forecast(Shape(8, 8, 4), 0, DataVolume()).failover_s == before + 4 * 10


def test_a_migrated_setup_forecasts_each_exporter_family_one_change_at_a_time() -> None:
    one = fc.for_drill(DrillParams(lost_region=1))
    two = fc.for_drill(DrillParams(lost_region=1, camunda_version="8.7"))
    assert two.seconds("failover-2") == 2 * one.seconds("failover-2")
    assert two.seconds("failback-6") == 2 * one.seconds("failback-6")
    assert two.inputs["exporters"] == ["camundaregion", "elasticsearchregion"]


def test_the_variant_orders_the_stages_and_changes_no_total() -> None:
    seed = fc.forecast(Shape(8, 8, 4), 1, DataVolume(3))
    last = fc.forecast(Shape(8, 8, 4), 1, DataVolume(3), variant="operate-last")
    assert [s.id for s in last.stages][-1] == "failback-5"
    assert (last.failover_s, last.failback_s) == (seed.failover_s, seed.failback_s)


def test_the_default_throughputs_are_the_simulators_own() -> None:
    defaults = inspect.signature(ElasticsearchCluster).parameters
    volume, sim = DataVolume(), SimSettings()
    assert volume.restore_s_per_gib == defaults["restore_seconds_per_gib"].default == sim.es_restore_seconds_per_gib
    assert volume.snapshot_s_per_gib == defaults["snapshot_seconds_per_gib"].default == sim.es_snapshot_seconds_per_gib
    assert volume.restore_s_per_gib == 11  # Camunda's published figure


def test_the_journal_form_holds_totals_stages_and_inputs() -> None:
    params = DrillParams(lost_region=0, shape=Shape(4, 2, 2), data=DataVolume(1.5, 10, 5))
    form = fc.for_journal(params)
    assert form["failover_s"] == fc.for_drill(params).failover_s
    assert form["inputs"] == {
        "es_data_gib": 1.5,
        "restore_s_per_gib": 10.0,
        "snapshot_s_per_gib": 5.0,
        "shape": {"clusterSize": 4, "partitions": 2, "replicationFactor": 2},
        "lost_region": 0,
        "variant": "seed",
        "exporters": ["camundaregion"],
    }
    assert [s["id"] for s in form["stages"]][:3] == ["failover-1", "failover-2", "failover-visible"]


def test_a_shape_the_model_cannot_plan_is_journaled_with_the_reason_not_raised() -> None:
    form = fc.for_journal(DrillParams(lost_region=1, shape=Shape(8, 0, 4)))
    assert form["error"].startswith("no forecast for this deployment: partitionCount must be at least 1")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"es_gib": -1.0}, "Expected --es-data-gb to be a finite number of GiB >= 0, got -1.0"),
        ({"es_gib": float("nan")}, "Expected --es-data-gb to be a finite number of GiB >= 0, got nan"),
        ({"restore_s_per_gib": 0.0}, "Expected --restore-s-per-gib to be a finite number of seconds per GiB > 0"),
        ({"snapshot_s_per_gib": float("inf")}, "Expected --snapshot-s-per-gib to be a finite number of seconds"),
    ],
)
def test_bad_data_volumes_are_refused_naming_the_option(fields: dict[str, float], words: str) -> None:
    with pytest.raises(ParameterError, match=words.replace(".", r"\.").replace("(", r"\(")):
        DataVolume(**fields)


# -- a simulated drill takes what was forecast --------------------------------------------------------------------

SCALE = 0.02  # 10 GiB: failback-4 is 191.5 modelled seconds, 3.8 s here
SMALL = Shape(4, 2, 4)
# The drill's own bounds at a time scale above 0 are a real cluster's; only the quiet window that proves a stalled
# exporter is shortened (the export latency here is 10 ms), so the run stays short without changing what it waits on.
BOUNDS = Timeouts(change=30, export_visible=10, quiet_window=0.2, snapshot=60, readiness=30, health=30, reroute=10)


@pytest.mark.slow
def test_a_simulated_drill_at_a_small_time_scale_takes_what_was_forecast(
    make_runtime: Callable[..., SimRuntime], tmp_path: Path
) -> None:
    data = DataVolume(10)
    options = TargetOptions(time_scale=SCALE, es_data=data)
    simulated = sim_settings(options, SMALL)
    assert simulated.es_extra_data_bytes == 10 * GIB  # the simulator holds what the forecast is made for
    assert (simulated.es_restore_seconds_per_gib, simulated.es_snapshot_seconds_per_gib) == (11, 8)
    runtime = make_runtime(simulated)
    target = sim_target(runtime.endpoints(), timeouts=BOUNDS, auth=httpx.BasicAuth("demo", "demo"))
    drill = DrillSettings(
        target=options, params=DrillParams(lost_region=1, shape=SMALL, data=data), report_dir=tmp_path
    )
    session = DrillSession(drill, 1, target=target)
    try:
        for step in session.sequence:
            if session.begin_stage(step.id) is not None:
                continue
            error: Exception | None = None
            try:
                session.act()
                session.desired()
            except Exception as exc:  # the stage fails; the session blocks the rest
                error = exc
            session.end_stage(error)
    finally:
        session.finish(reports=False)

    report = report_from_journal(session.journal_path)
    assert report["verdict"] == "passed", report["error"]
    forecast = report["rto"]["forecast"]
    predicted = {s["id"]: s["seconds"] * SCALE for s in forecast["stages"]}
    measured = {s["id"]: s["duration_s"] for s in report["steps"]}
    # failback-4 is all modelled time: the snapshot and the restore it waits for, then a few quick reads
    assert predicted["failback-4"] == pytest.approx((1 + 10 * 8 + 0.5 + 10 * 11) * SCALE)
    assert predicted["failback-4"] - 0.05 <= measured["failback-4"] <= predicted["failback-4"] + 1.5
    # elsewhere the harness adds its own time (checks, probes, quiet windows) to the modelled one, never less
    assert report["rto"]["failback_s"] >= forecast["failback_s"] * SCALE - 0.05
    assert report["rto"]["failover_s"] >= forecast["failover_s"] * SCALE - 0.05
