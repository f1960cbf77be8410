"""The feature files run for real, as an operator runs them (`pytest features ...` in a fresh process): a passing
drill, a drill whose deployment is broken between two steps, the operate-last variant, a usage error, and the
Allure results of the first two. Three drills on the simulator, ~3 s each; every test reads their outputs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.scenario import make_python_name

from drill.evidence import read_journal, verify_chain
from drill.procedure.stages import drill_sequence

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FEATURES_DIR = REPO / "features"
SEED = [step.id for step in drill_sequence("seed")]
TITLES = {step.id: step.title for step in drill_sequence("seed")}
PROCEDURE_STEP = "failover-2"
FAILING = "failover-visible"
BEFORE_FAILURE = SEED[: SEED.index(FAILING)]
BLOCKED = SEED[SEED.index(FAILING) + 1 :]
ATTACHMENTS = ("current state", "requests and responses", "desired state", "timings")

# Loaded with `-p breaker`: after failover-2 has disabled the lost region's exporter, somebody re-enables it through
# the real management API, so the next stage (failover-visible) must refuse to go on.
BREAKER = """
from __future__ import annotations

from typing import Any


def pytest_bdd_after_scenario(request: Any, feature: Any, scenario: Any) -> None:
    if request.node.get_closest_marker("failover-2") is None:
        return
    from fixtures.plugin import SESSIONS  # imported late: the drill's conftest registers it as a plugin first

    session = request.config.stash[SESSIONS][request.node.callspec.params["lost_region"]]
    management = session.ctx.surviving.management
    planned = management.enable_exporter(session.params.lost_exporter)
    management.wait_for_change(planned.change_id, timeout=10)
"""


@dataclass(frozen=True)
class Run:
    code: int
    output: str
    report_dir: Path
    alluredir: Path

    def lost(self, region: int) -> Path:
        return self.report_dir / f"lost-region-{region}"

    def report(self, region: int) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.lost(region) / "report.json").read_text(encoding="utf-8"))
        return report

    def journal(self, region: int) -> list[dict[str, Any]]:
        return read_journal(self.lost(region) / "journal.jsonl")

    def allure_results(self) -> dict[str, dict[str, Any]]:
        """Allure's results by stage tag; a stage with two results fails."""
        results: dict[str, dict[str, Any]] = {}
        for path in sorted(self.alluredir.glob("*-result.json")):
            result = json.loads(path.read_text(encoding="utf-8"))
            tags = [label["value"] for label in result["labels"] if label["name"] == "tag"]
            (stage,) = [tag for tag in tags if tag in TITLES]
            assert stage not in results, f"two Allure results for {stage}"
            results[stage] = result
        return results


def run_features(workdir: Path, *options: str, plugins: Sequence[str] = ()) -> Run:
    """`python -m pytest features` in `workdir`, with the repository's configuration and `workdir` on the path."""
    workdir.mkdir(parents=True, exist_ok=True)
    report_dir, alluredir = workdir / "reports", workdir / "allure"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(workdir), os.environ.get("PYTHONPATH")) if p)
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(FEATURES_DIR),
        "-c",
        str(REPO / "pyproject.toml"),
        "--rootdir",
        str(REPO),
        "-p",
        "no:cacheprovider",
        "-v",
        "--report-dir",
        str(report_dir),
        *[arg for plugin in plugins for arg in ("-p", plugin)],
        *[arg.replace("{alluredir}", str(alluredir)) for arg in options],
    ]
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False)
    return Run(done.returncode, done.stdout + done.stderr, report_dir, alluredir)


@pytest.fixture(scope="module")
def passed(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_features(tmp_path_factory.mktemp("passed"), "--lost-region", "1", "--alluredir", "{alluredir}")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Run:
    workdir = tmp_path_factory.mktemp("broken")
    (workdir / "breaker.py").write_text(BREAKER, encoding="utf-8")
    return run_features(workdir, "--lost-region", "1", "--alluredir", "{alluredir}", plugins=["breaker"])


@pytest.fixture(scope="module")
def operate_last(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return run_features(tmp_path_factory.mktemp("operate-last"), "--lost-region", "0", "--variant", "operate-last")


def _test_name(stage: str) -> str:
    return f"test_{make_python_name(TITLES[stage])}[lost1]"


def _verdict_tag(html: str) -> str:
    tags = re.findall(r'<[^>]*\bid="verdict"[^>]*>', html)
    assert len(tags) == 1, tags
    return tags[0]


def _starts(journal: list[dict[str, Any]]) -> list[str]:
    return [record["step_id"] for record in journal if record["kind"] == "step_start"]


# -- a: a passing drill ---------------------------------------------------------------------------------------


def test_a_drill_passes_every_stage_in_the_drill_order(passed: Run) -> None:
    assert passed.code == 0, passed.output
    assert re.search(r"\b18 passed\b", passed.output), passed.output
    assert sorted(p.name for p in passed.report_dir.iterdir()) == ["lost-region-1"]
    report = passed.report(1)
    assert report["verdict"] == "passed" and report["error"] is None
    assert (report["lost_region"], report["variant"]) == (1, "seed")
    assert [s["id"] for s in report["steps"]] == SEED
    assert [s["verdict"] for s in report["steps"]] == ["passed"] * len(SEED)
    assert _starts(passed.journal(1)) == SEED


def test_a_passing_drill_measures_rpo_and_rto_within_budget(passed: Run) -> None:
    report = passed.report(1)
    assert report["rpo"]["markers_written"] == 8  # 5 before the loss and 3 during the failover, as the feature says
    assert report["rpo"]["markers_lost"] == 0 and report["rpo"]["verdict"] == "pass"
    rto = report["rto"]
    assert rto["failover_s"] is not None and 0 < rto["failover_s"] <= rto["failover_budget_s"] == 60
    assert rto["failback_s"] is not None and 0 < rto["failback_s"] <= rto["failback_budget_s"]
    assert rto["verdict"] == "pass"


def test_a_passing_drill_writes_junit_html_and_a_verified_journal(passed: Run) -> None:
    suites = ET.parse(passed.lost(1) / "junit.xml").getroot()
    assert suites.tag == "testsuites"
    assert (suites.get("failures"), suites.get("errors"), suites.get("skipped")) == ("0", "0", "0")
    names = [case.get("name") or "" for case in suites.iter("testcase")]
    assert [name.split(" ", 1)[0] for name in names[: len(SEED)]] == SEED
    tag = _verdict_tag((passed.lost(1) / "report.html").read_text(encoding="utf-8"))
    assert 'data-verdict="passed"' in tag
    chain = verify_chain(passed.lost(1) / "journal.jsonl")
    assert chain.ok and chain.records == passed.report(1)["journal"]["records"]
    assert chain.last_hash == passed.report(1)["journal"]["head_sha256"]


@pytest.mark.parametrize(("run", "lost"), [("passed", 1), ("operate_last", 0)])
def test_the_lost_region_is_fenced_traffic_rerouted_and_the_fence_lifted_before_the_redeploy(
    request: pytest.FixtureRequest, run: str, lost: int
) -> None:
    drill: Run = request.getfixturevalue(run)
    journal = drill.journal(lost)
    order = _starts(journal)
    assert order[order.index("region-loss") + 1 : order.index("failover-1")] == ["fence-lost-region", "reroute-traffic"]
    assert order.index("region-recreate") < order.index("failback-1")
    checks = {(r["step_id"], r["phase"], r["name"]): r for r in journal if r["kind"] == "check"}
    namespace = f"region {lost}'s namespace camunda-region{lost}"
    fence = checks[("fence-lost-region", "desired", f"{namespace} fenced (c8-drill-fence, deny-all)")]
    assert (fence["actual"], fence["verdict"]) == ("fenced", "pass")
    surviving = 1 - lost
    probes = [c for (stage, phase, _), c in checks.items() if (stage, phase) == ("reroute-traffic", "desired")]
    assert [(c["actual"], c["verdict"]) for c in probes] == [
        (f"region {surviving}", "pass"),  # the simulator's public endpoint now routes there
        ([b for b in range(8) if b % 2 == surviving], "pass"),  # and answers with that region's brokers
    ]
    lifted = checks[("region-recreate", "desired", f"{namespace} holds no fence")]
    assert (lifted["actual"], lifted["verdict"]) == ("no fence", "pass")
    lift = [
        r for r in journal if r["kind"] == "action" and r["step"] == "region-recreate" and r["status"] == "completed"
    ]
    assert [r["name"] for r in lift] == [
        "provide an empty replacement for the lost region (drill only)",
        "lift the fence (c8-drill-fence) from the recreated region's namespace",
    ]


# -- b: the deployment broken between two steps ---------------------------------------------------------------


def test_a_broken_deployment_fails_the_next_stage_at_its_given(broken: Run) -> None:
    assert broken.code == 1, broken.output
    assert re.search(r"\b1 failed, 7 passed, 10 skipped\b", broken.output), broken.output
    assert f"{_test_name(FAILING)} FAILED" in broken.output
    assert "in current_state_holds" in broken.output  # the Given's step definition raised
    states = '{"camundaregion0": "ENABLED", "camundaregion1": "%s"}'  # region 1 is the lost one
    expected = f"exporter states: expected {states % 'DISABLED'}, got {states % 'ENABLED'}"
    assert f"StepRefused: {FAILING}: refused to act, current state does not hold: {expected}" in broken.output
    for stage in BEFORE_FAILURE:
        assert f"{_test_name(stage)} PASSED" in broken.output, stage


def test_every_later_stage_is_skipped_as_blocked_and_never_started(broken: Run) -> None:
    for stage in BLOCKED:
        assert f"{_test_name(stage)} SKIPPED" in broken.output, stage
    assert re.search(rf"SKIPPED \[{len(BLOCKED)}\] .*: blocked: blocked by an earlier stage: {FAILING}:", broken.output)
    journal = broken.journal(1)
    assert _starts(journal) == [*BEFORE_FAILURE, FAILING]
    blocked = [record for record in journal if record["kind"] == "blocked"]
    assert [record["step_id"] for record in blocked] == BLOCKED
    assert all(record["reason"].startswith(f"blocked by an earlier stage: {FAILING}: ") for record in blocked)


def test_nothing_is_done_after_the_failure(broken: Run) -> None:
    journal = broken.journal(1)
    (end,) = [r for r in journal if r["kind"] == "step_end" and r["step_id"] == FAILING]
    assert end["status"] == "refused" and "exporter states" in end["error"]
    after = [record for record in journal if record["seq"] > end["seq"]]
    assert [r for r in after if r["kind"] in ("action", "step_start", "step_end", "http")] == []
    assert after[-1]["kind"] == "drill_end"
    assert verify_chain(broken.lost(1) / "journal.jsonl").ok


def test_the_broken_drills_report_fails_with_the_later_steps_blocked(broken: Run) -> None:
    report = broken.report(1)
    assert report["verdict"] == "failed" and FAILING in report["error"]
    verdicts = {step["id"]: step["verdict"] for step in report["steps"]}
    assert list(verdicts) == SEED
    assert verdicts == {
        **dict.fromkeys(BEFORE_FAILURE, "passed"),
        FAILING: "refused",
        **dict.fromkeys(BLOCKED, "blocked"),
    }
    assert report["rto"]["failover_s"] is None and report["rto"]["failback_s"] is None
    assert report["rto"]["verdict"] != "pass"
    assert report["rpo"]["markers_lost"] is None and report["rpo"]["verdict"] == "not measured"
    assert 'data-verdict="failed"' in _verdict_tag((broken.lost(1) / "report.html").read_text(encoding="utf-8"))


# -- c: the operate-last variant ------------------------------------------------------------------------------


def test_the_operate_last_variant_runs_in_its_own_order(operate_last: Run) -> None:
    assert operate_last.code == 0, operate_last.output
    order = [step.id for step in drill_sequence("operate-last")]
    assert order != SEED  # failback-5 moves after failback-8
    assert _starts(operate_last.journal(0)) == order
    assert sorted(p.name for p in operate_last.report_dir.iterdir()) == ["lost-region-0"]
    report = operate_last.report(0)
    assert (report["lost_region"], report["variant"], report["verdict"]) == (0, "operate-last", "passed")


# -- d: a usage error -----------------------------------------------------------------------------------------


def test_target_kube_without_contexts_is_a_usage_error_that_writes_nothing(tmp_path: Path) -> None:
    run = run_features(tmp_path, "--lost-region", "1", "--target", "kube")
    assert run.code == pytest.ExitCode.USAGE_ERROR, run.output
    assert "--context0" in run.output and "--context1" in run.output
    assert not run.report_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- e: Allure ------------------------------------------------------------------------------------------------


def test_allure_holds_one_passed_result_per_scenario_with_the_evidence(passed: Run) -> None:
    results = passed.allure_results()
    assert sorted(results) == sorted(SEED)
    assert {stage: result["status"] for stage, result in results.items()} == dict.fromkeys(results, "passed")
    attachments = {a["name"]: passed.alluredir / a["source"] for a in results[PROCEDURE_STEP]["attachments"]}
    assert set(ATTACHMENTS) <= set(attachments), attachments
    for name in ATTACHMENTS:
        assert attachments[name].is_file(), name
        assert json.loads(attachments[name].read_text(encoding="utf-8")), name


def test_allure_shows_the_blocked_scenarios_as_skipped(broken: Run) -> None:
    results = broken.allure_results()
    assert sorted(results) == sorted(SEED)  # blocked scenarios are reported, not missing
    for stage in BLOCKED:
        assert results[stage]["status"] == "skipped", stage
        assert "blocked by an earlier stage" in results[stage]["statusDetails"]["message"], stage
    failing = results[FAILING]
    assert failing["status"] == "failed"  # a finding of the drill, not a broken harness
    assert [step["status"] for step in failing["steps"]] == [failing["status"], "skipped"]  # its Given failed
    assert failing["steps"][0]["name"].startswith("Given ")
    assert {results[stage]["status"] for stage in BEFORE_FAILURE} == {"passed"}


# -- f: an 8.8 migrated from 8.7 ------------------------------------------------------------------------------


def test_camunda_version_8_7_drills_a_simulator_with_the_legacy_exporters_enabled(tmp_path: Path) -> None:
    """The option alone is enough on target sim: the embedded simulator starts with elasticsearchregion0/1 on."""
    run = run_features(tmp_path, "--lost-region", "0", "--camunda-version", "8.7")
    assert run.code == 0, run.output
    assert run.report(0)["verdict"] == "passed"
    journal = run.journal(0)
    assert next(r for r in journal if r["kind"] == "drill_start")["camunda_version"] == "8.7"
    changed = [r["url"].split("/actuator/", 1)[1] for r in journal if r["kind"] == "http" and "/exporters/" in r["url"]]
    assert "exporters/elasticsearchregion0/disable" in changed
    assert "exporters/elasticsearchregion0/enable" in changed
