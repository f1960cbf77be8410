"""`c8-drill check` against running simulators: green on a healthy deployment, red naming the cause on each kind of
unreadiness, and read-only throughout (the simulator's whole state is the same after the check as before)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from drill.cli import main
from drill.cli_check import register_repository
from drill.evidence import verify_chain
from drill.procedure.params import DrillParams, Repository
from drill.readiness.session import check_readiness
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime
from drill.targets import SIM_TIMEOUTS, sim_target

CONCERNS = [
    "ready-topology",
    "ready-shape",
    "ready-exporters",
    "ready-elasticsearch",
    "ready-repository",
    "ready-versions",
]
TIMEOUT = 10.0


@dataclass
class Deployment:
    """A running simulator set up as an operator leaves it (snapshot repository registered in both regions)."""

    runtime: SimRuntime
    endpoints_file: Path
    reports: Path

    def url(self, region: int, service: str) -> str:
        return str(self.runtime.endpoints()[f"region{region}"][service])

    @property
    def control(self) -> str:
        return str(self.runtime.endpoints()["control"])

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Test setup only: the check under test never writes."""
        response = httpx.request(method, url, timeout=TIMEOUT, **kwargs)
        response.raise_for_status()
        return response

    def state(self) -> Any:
        return self.send("GET", f"{self.control}/state").json()

    def check(self, *args: str) -> Result:
        argv = ["check", "--endpoints", str(self.endpoints_file), "--report-dir", str(self.reports), *args]
        return CliRunner().invoke(main, argv)

    def report(self) -> dict[str, Any]:
        return dict(json.loads((self.reports / "report.json").read_text()))


@pytest.fixture
def deploy(make_runtime: Callable[..., SimRuntime], tmp_path: Path) -> Callable[..., Deployment]:
    def make(settings: SimSettings | None = None) -> Deployment:
        runtime = make_runtime(settings)
        register_repository(runtime, Repository())
        path = tmp_path / "endpoints.json"
        runtime.write_endpoints(path)
        return Deployment(runtime, path, tmp_path / "reports")

    return make


def red(report: dict[str, Any]) -> dict[str, list[str]]:
    """Concern id -> its failing checks, as `name: actual (detail)` lines (what the operator reads)."""
    return {
        step["id"]: [
            f"{c['name']}: {json.dumps(c['actual'])} ({c['detail']})" for c in step["checks"] if c["verdict"] == "fail"
        ]
        for step in report["steps"]
        if step["verdict"] != "passed"
    }


def test_a_healthy_deployment_is_ready_and_the_report_says_it_is_a_readiness_check(
    deploy: Callable[..., Deployment],
) -> None:
    deployment = deploy()
    result = deployment.check()
    assert result.exit_code == 0, result.output
    assert "READY: 6 of 6 concerns hold" in result.output and "✘" not in result.output
    report = deployment.report()
    assert (report["kind"], report["verdict"], report["target"]) == ("readiness", "passed", "sim")
    assert [s["id"] for s in report["steps"]] == CONCERNS
    assert all(s["verdict"] == "passed" and s["checks"] for s in report["steps"])
    assert report["rto"]["verdict"] == report["rpo"]["verdict"] == "not applicable"
    assert report["journal"]["head_sha256"] == verify_chain(deployment.reports / "journal.jsonl").last_hash
    html = (deployment.reports / "report.html").read_text()
    assert "readiness check" in html and 'data-verdict="passed"' in html and "Recovery time" not in html
    junit = (deployment.reports / "junit.xml").read_text()
    assert 'tests="6" failures="0"' in junit and "RTO" not in junit


def _lose_region_1(d: Deployment) -> None:
    d.send("POST", f"{d.control}/regions/1/lose")


def _broker_3_on_another_version(d: Deployment) -> None:
    d.send("POST", f"{d.control}/faults", json={"kind": "version", "broker": 3, "version": "8.8.1"})


def _elasticsearch_1_on_another_version(d: Deployment) -> None:
    fault = {"kind": "version", "region": 1, "service": "elasticsearch", "version": "8.17.0"}
    d.send("POST", f"{d.control}/faults", json=fault)


def _no_repository_in_region_1(d: Deployment) -> None:
    d.send("DELETE", f"{d.url(1, 'elasticsearch')}/_snapshot/camunda_backup")


def _exporter_1_disabled(d: Deployment) -> None:
    d.send("POST", f"{d.url(0, 'management')}/actuator/exporters/camundaregion1/disable")


def _exporting_paused(d: Deployment) -> None:
    d.send("POST", f"{d.url(0, 'management')}/actuator/exporting/pause")


def _elasticsearch_1_yellow(d: Deployment) -> None:
    d.send("POST", f"{d.control}/faults", json={"kind": "health", "region": 1, "status": "yellow"})


def _index_missing_in_region_1(d: Deployment) -> None:
    d.send("DELETE", f"{d.url(1, 'elasticsearch')}/operate-list-view-8.3.0_")


def _legacy_exporter_alone(d: Deployment) -> None:
    d.send("POST", f"{d.url(0, 'management')}/actuator/exporters/elasticsearchregion1/disable")


def _nothing(d: Deployment) -> None:
    return None


@dataclass(frozen=True)
class Unready:
    setup: Callable[[Deployment], None]
    concern: str
    words: tuple[str, ...]  # all in one failing check of that concern
    settings: SimSettings | None = None
    args: tuple[str, ...] = ()


UNREADY = {
    "region lost": Unready(
        _lose_region_1,
        "ready-topology",
        ("region 0's gateway sees every broker", "[0, 2, 4, 6]", "missing [1, 3, 5, 7]"),
    ),
    "broker on another version": Unready(
        _broker_3_on_another_version, "ready-versions", ("every broker it sees run one version", '"3": "8.8.1"')
    ),
    "Elasticsearch on another version": Unready(
        _elasticsearch_1_on_another_version, "ready-versions", ("Elasticsearch run the same version", "8.17.0")
    ),
    "snapshot repository missing": Unready(
        _no_repository_in_region_1,
        "ready-repository",
        ("region 1 has the snapshot repository camunda_backup registered", "repository_missing_exception"),
    ),
    "exporter disabled in one region": Unready(
        _exporter_1_disabled, "ready-exporters", ("exporter states", '"camundaregion1": "DISABLED"')
    ),
    "exporting paused": Unready(_exporting_paused, "ready-exporters", ("broker exports", '"exporterPhase"', "PAUSED")),
    "Elasticsearch yellow": Unready(
        _elasticsearch_1_yellow, "ready-elasticsearch", ("region 1's Elasticsearch green", "yellow")
    ),
    "index missing in one region": Unready(
        _index_missing_in_region_1,
        "ready-elasticsearch",
        ("the same Camunda indices", "only in region 0", "operate-list-view-8.3.0_"),
    ),
    "legacy exporter enabled alone": Unready(
        _legacy_exporter_alone,
        "ready-exporters",
        ("legacy 8.7 exporters", '"elasticsearchregion0": "ENABLED"', '"elasticsearchregion1": "DISABLED"'),
        settings=SimSettings(legacy_exporters=True),
    ),
    "shape not as configured": Unready(
        _nothing, "ready-shape", ("topology shape", '"partitionsCount": 8'), args=("--partitions", "6")
    ),
}


@pytest.mark.parametrize("case", UNREADY.values(), ids=UNREADY.keys())
def test_each_kind_of_unreadiness_is_red_naming_its_cause(deploy: Callable[..., Deployment], case: Unready) -> None:
    deployment = deploy(case.settings)
    case.setup(deployment)
    result = deployment.check(*case.args)
    assert result.exit_code == 1, result.output
    assert "NOT READY" in result.output and f"✘ {case.concern}: " in result.output
    report = deployment.report()
    assert report["verdict"] == "failed" and case.concern in str(report["error"])
    failing = red(report)
    assert any(all(word in line for word in case.words) for line in failing[case.concern]), failing


def test_the_check_changes_nothing_and_sends_only_reads(deploy: Callable[..., Deployment]) -> None:
    deployment = deploy()
    _exporter_1_disabled(deployment)  # a deployment that is not ready: every concern still looks, none repairs
    before = deployment.state()
    assert deployment.check().exit_code == 1
    assert deployment.state() == before
    records = [json.loads(line) for line in (deployment.reports / "journal.jsonl").read_text().splitlines()]
    exchanges = [(r["method"], httpx.URL(r["url"]).path) for r in records if r["kind"] == "http"]
    assert exchanges and all(method in ("GET", "HEAD") for method, _ in exchanges), exchanges
    assert not [r for r in records if r["kind"] == "http" and r.get("error")]
    assert not [r for r in records if r["kind"] in ("action", "command")]


def test_documents_the_other_region_never_gets_are_red_once_the_export_bound_has_passed(
    deploy: Callable[..., Deployment], tmp_path: Path
) -> None:
    deployment = deploy()
    # Written around the exporters, so region 1 never catches up; a short bound keeps the wait short.
    deployment.send("PUT", f"{deployment.url(0, 'elasticsearch')}/tasklist-task-8.8.0_/_doc/t1", json={"id": "t1"})
    timeouts = replace(SIM_TIMEOUTS, export_visible=0.3)
    target = sim_target(deployment.runtime.endpoints(), timeouts=timeouts, auth=httpx.BasicAuth("demo", "demo"))
    outcome = check_readiness(target, DrillParams(lost_region=1), tmp_path / "check")
    assert [r.id for r in outcome.results if not r.passed] == ["ready-elasticsearch"]
    [cause] = next(r for r in outcome.results if not r.passed).causes()
    assert "the same documents" in cause
    assert '"tasklist-task-8.8.0_ (region 1)": {"documents": 0, "expected": 1}' in cause, cause
