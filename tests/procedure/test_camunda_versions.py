"""The 8.7-migrated variant (an 8.8 whose legacy exporters elasticsearchregion0/1 are still enabled): every exporter
step acts on both families, one change at a time, and `--camunda-version auto` tells the variants apart."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support.drill_harness import MakeDrill, run_until
from support.drive import drive

from drill.cli import main
from drill.drill_session import DrillSession, DrillSettings
from drill.evidence import read_journal
from drill.procedure import catalog, versions
from drill.procedure.checks import Check, StepFailed
from drill.procedure.params import DrillParams, ParameterError
from drill.procedure.runbook import render
from drill.procedure.runner import run_step
from drill.procedure.steady import steady_state
from drill.sim.model.deployment import SimSettings
from drill.targets import TargetOptions

MIGRATED = SimSettings(legacy_exporters=True)
FAMILIES = ("camundaregion", "elasticsearchregion")
EXPORTER_CALL = re.compile(r"curl -XPOST http://localhost:9600/actuator/(exporters/\S+/(?:disable|enable))")


def failing(checks: list[Check]) -> list[str]:
    return [c.line() for c in checks if not c.passed]


def exporter_calls(drill_records: list[dict[str, Any]]) -> list[str]:
    return [
        r["url"].split("/actuator/", 1)[1]
        for r in drill_records
        if r["kind"] == "http" and r["method"] == "POST" and "/actuator/exporters/" in r["url"]
    ]


@pytest.mark.parametrize("lost", [0, 1])
def test_the_procedure_restores_a_migrated_setup_acting_on_both_exporter_families(
    make_drill: MakeDrill, lost: int
) -> None:
    drill = make_drill(lost, camunda_version="8.7", settings=MIGRATED)
    assert failing(steady_state(drill.ctx)) == []

    run_until(drill.ctx)

    assert failing(steady_state(drill.ctx)) == []
    survived = 1 - lost
    assert drill.state()["zeebe"]["exporters"] == [
        {"exporterId": f"{family}{region}", "status": "ENABLED"} for family in FAMILIES for region in (0, 1)
    ]
    assert exporter_calls(drill.records()) == [
        f"exporters/camundaregion{lost}/disable",
        f"exporters/elasticsearchregion{lost}/disable",
        f"exporters/camundaregion{lost}/enable",
        f"exporters/elasticsearchregion{lost}/enable",
    ]
    enables = [r["request_body"] for r in drill.records("http") if r["url"].endswith("/enable")]
    assert enables == [f'{{"initializeFrom":"{family}{survived}"}}' for family in FAMILIES]
    # What the runbook prints is what the drill sent.
    printed = EXPORTER_CALL.findall(render(DrillParams(lost_region=lost, camunda_version="8.7")))
    assert printed == exporter_calls(drill.records())


def test_each_exporter_change_completes_before_the_next_is_sent(make_drill: MakeDrill) -> None:
    drill = make_drill(1, camunda_version="8.7", settings=MIGRATED)
    run_until(drill.ctx, stop_before="failback-1")
    order = [
        ("request", r["url"].rsplit("/", 2)[-2]) if r["kind"] == "http" else ("waited", r["outcome"])
        for r in drill.records()
        if (r["kind"] == "http" and r["method"] == "POST" and "/exporters/" in r["url"])
        or (r["kind"] == "wait" and "exporter" in r["what"])
    ]
    assert order == [
        ("request", "camundaregion1"),
        ("waited", "COMPLETED"),
        ("request", "elasticsearchregion1"),
        ("waited", "COMPLETED"),
    ]


def test_a_drill_that_ignores_enabled_legacy_exporters_is_stopped_by_the_stalled_export(make_drill: MakeDrill) -> None:
    """The 8.8 steps on a migrated setup disable only camundaregion1: the export stays stalled, as on a real cluster."""
    drill = make_drill(1, camunda_version="8.8", settings=MIGRATED)
    run_until(drill.ctx, stop_before="failover-2")

    with pytest.raises(StepFailed) as stopped:
        run_step(drill.ctx, catalog.step("failover-2"))

    assert [c.name for c in stopped.value.checks] == [
        "exporting resumed: the stalled instance reaches the surviving Elasticsearch"
    ]
    stalled = drill.state()["zeebe"]["stalled"]
    assert stalled and all("elasticsearchregion1" in reason for reason in stalled.values())


# -- detection ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("brokers", "exporters", "version", "reason"),
    [
        (["8.8.0"], {"camundaregion0": "ENABLED", "camundaregion1": "ENABLED"}, "8.8", "no legacy exporter"),
        (["8.7.5"], {"camundaregion0": "ENABLED"}, "8.7", "brokers report version 8.7.5"),
        (
            ["8.8.0"],
            {"camundaregion0": "ENABLED", "elasticsearchregion0": "ENABLED", "elasticsearchregion1": "ENABLED"},
            "8.7",
            "legacy exporters listed and enabled",
        ),
        (
            ["8.8.0"],
            {"elasticsearchregion0": "DISABLED", "elasticsearchregion1": "DISABLED"},
            "8.8",
            "listed but all disabled",
        ),
    ],
)
def test_detection_reads_broker_versions_and_legacy_exporters(
    brokers: list[str], exporters: dict[str, str], version: str, reason: str
) -> None:
    detection = versions.classify(brokers, exporters)
    assert (detection.version, reason in detection.reason) == (version, True), detection.reason


@pytest.mark.parametrize(
    "legacy",
    [
        {"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "DISABLED"},
        {"elasticsearchregion0": "ENABLED"},
        {"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "DISABLING"},
    ],
)
def test_a_half_enabled_legacy_family_is_refused_naming_what_was_seen(legacy: dict[str, str]) -> None:
    with pytest.raises(versions.DetectionError) as refused:
        versions.classify(["8.8.0"], {"camundaregion0": "ENABLED", **legacy})
    assert str(legacy) in str(refused.value)
    assert "either all ENABLED" in str(refused.value) and "--camunda-version 8.8 or 8.7" in str(refused.value)


def test_detection_on_a_live_deployment_refuses_a_half_disabled_legacy_family(make_drill: MakeDrill) -> None:
    drill = make_drill(1, camunda_version="auto", settings=MIGRATED)
    management = drill.ctx.surviving.management
    management.wait_for_change(management.disable_exporter("elasticsearchregion1").change_id, timeout=5)

    with pytest.raises(versions.DetectionError, match="'elasticsearchregion1': 'DISABLED'"):
        versions.resolve(drill.ctx)


def test_detection_on_a_live_deployment_reads_the_broker_version(make_drill: MakeDrill) -> None:
    drill = make_drill(0, camunda_version="auto", settings=SimSettings(camunda_version="8.7.3"))
    params = versions.resolve(drill.ctx)
    assert params.camunda_version == "8.7"
    assert params.lost_exporters == ("camundaregion0", "elasticsearchregion0")


def test_a_named_version_is_taken_as_given_without_reading_anything(make_drill: MakeDrill) -> None:
    drill = make_drill(1, camunda_version="8.8", settings=MIGRATED)
    assert versions.resolve(drill.ctx) is drill.ctx.params
    assert drill.records("http") == []


def test_an_auto_drill_detects_the_migrated_setup_journals_why_and_passes(tmp_path: Path) -> None:
    settings = DrillSettings(
        target=TargetOptions(legacy_exporters=True),
        params=DrillParams(lost_region=1, camunda_version="auto"),
        report_dir=tmp_path,
    )
    session = DrillSession(settings, 1)
    try:
        drive(session)
    finally:
        session.finish(reports=False)

    assert session.stopped_by is None
    records = read_journal(session.journal_path)
    start = next(r for r in records if r["kind"] == "drill_start")
    detected = next(r for r in records if r["kind"] == "detected")
    assert start["camunda_version"] == "8.7"
    assert records.index(detected) == records.index(start) + 1
    assert detected["camunda_version"] == "8.7"
    assert detected["legacy_exporters"] == {"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "ENABLED"}
    assert "legacy exporters listed and enabled" in detected["reason"]
    assert "exporters/elasticsearchregion1/disable" in exporter_calls(records)


# -- options and the runbook --------------------------------------------------------------------------------------


def test_the_runbook_of_a_migrated_setup_acts_on_both_families_and_waits_between_changes() -> None:
    result = CliRunner().invoke(main, ["plan", "--lost-region", "0", "--camunda-version", "8.7"])
    assert result.exit_code == 0, result.output
    assert EXPORTER_CALL.findall(result.output) == [
        "exporters/camundaregion0/disable",
        "exporters/elasticsearchregion0/disable",
        "exporters/camundaregion0/enable",
        "exporters/elasticsearchregion0/enable",
    ]
    assert '-d \'{"initializeFrom":"elasticsearchregion1"}\'' in result.output
    assert result.output.count("wait until lastChange is COMPLETED and there is no pendingChange") == 2
    assert "elasticsearchregion" not in render(DrillParams(lost_region=0))


def test_an_unknown_camunda_version_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"Expected Camunda version 8\.8, 8\.7, auto, got '8\.6'"):
        DrillParams(lost_region=1, camunda_version="8.6")
    with pytest.raises(ParameterError, match="expected target sim without --endpoints"):
        TargetOptions(target="kind", legacy_exporters=True)


def test_c8_drill_run_hands_the_camunda_version_to_the_drill() -> None:
    from drill.launch import RunRequest

    argv = RunRequest(camunda_version="auto").pytest_argv(Path("features"))
    assert argv[argv.index("--camunda-version") + 1] == "auto"


def test_the_printed_plan_of_c8_drill_run_names_the_legacy_commands() -> None:
    result = CliRunner().invoke(main, ["run", "--plan", "--lost-region", "1", "--camunda-version", "8.7"])
    assert result.exit_code == 0, result.output
    assert "exporters/elasticsearchregion1/disable" in result.output
    assert "exporters/elasticsearchregion1/enable" in result.output
