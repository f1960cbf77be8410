"""`c8-drill plan`: the procedure's commands with the drill's corrections, from the same objects the drill runs."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.drill_harness import MakeDrill, run_until

from drill.cli import main
from drill.procedure.params import DrillParams
from drill.procedure.runbook import render


def plan(*args: str) -> str:
    result = CliRunner().invoke(main, ["plan", *args])
    assert result.exit_code == 0, result.output
    return result.output


def management_calls(text: str) -> list[tuple[str, str, str | None]]:
    """(method, path and query, body) of every curl to the management API, in runbook order."""
    calls = []
    for line in text.splitlines():
        if not line.startswith("curl") or "9600/actuator/" not in line or "-XGET" in line:
            continue
        argv = shlex.split(line)
        method = next(a[2:] for a in argv if a.startswith("-X"))
        url = next(a for a in argv if "9600/actuator/" in a)
        body = argv[argv.index("-d") + 1] if "-d" in argv else None
        calls.append((method, url.split("9600", 1)[1], body))
    return calls


def test_plan_for_region_1_prints_the_procedure_with_the_corrections() -> None:
    text = plan("--lost-region", "1")
    headers = re.findall(r"^## (\S+): ", text, flags=re.MULTILINE)
    assert headers == [f"failover-{i}" for i in (1, 2)] + [f"failback-{i}" for i in range(1, 9)]
    assert management_calls(text) == [
        ("PATCH", "/actuator/cluster?force=true", '{"brokers":{"remove":[1,3,5,7]}}'),
        ("POST", "/actuator/exporters/camundaregion1/disable", None),
        ("POST", "/actuator/exporting/pause", None),
        ("POST", "/actuator/exporters/camundaregion1/enable", '{"initializeFrom":"camundaregion0"}'),
        ("POST", "/actuator/exporting/resume", None),
        # No force on the re-add, and the original replication factor (the document has ?force=true).
        ("PATCH", "/actuator/cluster", '{"brokers":{"add":[1,3,5,7]},"partitions":{"replicationFactor":4}}'),
    ]
    assert "curl -i -XPOST localhost:9600/actuator/exporting/pause" in text
    assert '--set-string "orchestration.env[$ENV_INDEX].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"' in text
    assert '--set-string "orchestration.env[$ENV_INDEX].value=false"' in text
    assert "helm install $CAMUNDA_RELEASE_NAME camunda/camunda-platform" in text
    assert "--kube-context $CLUSTER_RECREATED" in text
    assert "export CLUSTER_RECREATED=$CLUSTER_1" in text and "export CLUSTER_SURVIVING=$CLUSTER_0" in text
    assert "failback?wait_for_completion=true" in text and "/failback/_restore?wait_for_completion=true" in text
    # Each port-forward is started once, in the background, and reused.
    forwards = [line for line in text.splitlines() if " port-forward " in line]
    assert len(forwards) == len(set(forwards)) == 2
    assert all(line.endswith(" &") for line in forwards)


def test_plan_for_region_0_removes_and_readds_the_even_brokers() -> None:
    calls = management_calls(plan("--lost-region", "0"))
    assert calls[0] == ("PATCH", "/actuator/cluster?force=true", '{"brokers":{"remove":[0,2,4,6]}}')
    assert calls[3][2] == '{"initializeFrom":"camundaregion1"}'
    assert calls[-1][2] == '{"brokers":{"add":[0,2,4,6]},"partitions":{"replicationFactor":4}}'


def test_plan_reads_the_shape_from_the_values_files(tmp_path: Path) -> None:
    base = tmp_path / "camunda-values.yml"
    base.write_text("orchestration:\n  clusterSize: '8'\n  partitionCount: '8'\n  replicationFactor: '4'\n")
    region = tmp_path / "region1.yml"
    region.write_text("orchestration:\n  clusterSize: '4'\n  partitionCount: '2'\n")
    text = plan("--lost-region", "1", "--values", str(base), "--values", str(region))
    assert "clusterSize 4, partitions 2, replicationFactor 4" in text
    assert management_calls(text)[-1][2] == '{"brokers":{"add":[1,3]},"partitions":{"replicationFactor":4}}'


def test_the_operate_last_variant_moves_failback_5_to_the_end() -> None:
    headers = re.findall(r"^## (\S+): ", plan("--lost-region", "1", "--variant", "operate-last"), re.MULTILINE)
    assert headers[-2:] == ["failback-8", "failback-5"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lost-region", "2"], "'2' is not one of '0', '1'"),
        ([], "Missing option '--lost-region'"),
        (["--lost-region", "1", "--replication-factor", "3"], "Expected an even replicationFactor"),
        (["--lost-region", "1", "--cluster-size", "7"], "Expected an even clusterSize of at least 2"),
        (["--lost-region", "1", "--variant", "fast"], "'fast' is not one of 'seed', 'operate-last'"),
    ],
)
def test_bad_plan_options_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["plan", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_a_values_file_without_the_shape_is_refused(tmp_path: Path) -> None:
    values = tmp_path / "values.yml"
    values.write_text("global:\n  multiregion:\n    regions: 2\n")
    result = CliRunner().invoke(main, ["plan", "--lost-region", "1", "--values", str(values)])
    assert result.exit_code == 2
    assert "Expected the Helm values to have an 'orchestration' section, found none" in result.output


@pytest.mark.parametrize("lost", [0, 1])
def test_the_drill_sends_exactly_the_requests_the_runbook_prints(make_drill: MakeDrill, lost: int) -> None:
    drill = make_drill(lost)
    run_until(drill.ctx)
    sent = [
        (r["method"], r["url"].split("/actuator/", 1)[1], r["request_body"] or None)
        for r in drill.records("http")
        if "/actuator/" in r["url"] and r["method"] != "GET"
    ]
    printed = [
        (method, path.split("/actuator/", 1)[1], body)
        for method, path, body in management_calls(render(DrillParams(lost_region=lost)))
    ]
    assert sent == printed
    assert all(json.loads(body) for _, _, body in sent if body)
