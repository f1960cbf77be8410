"""The nightly kind drill workflow runs exactly the README's kind commands, keeps its evidence and cleans up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from drill.kind.loss import LOSS_MODES

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "nightly-dr-drill.yml"
README = ROOT / "README.md"
KIND_UP = "c8-drill kind up --profile small"
KIND_RUN = (
    "c8-drill run --target kind --lost-region ${{ matrix.lost_region }} --loss-mode ${{ matrix.loss_mode }} "
    "--report-dir drill-reports --reroute-command 'echo kind has no public DNS name, nothing to reroute'"
)
KIND_DOWN = "c8-drill kind down"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$")


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def job(workflow: dict[Any, Any]) -> dict[str, Any]:
    jobs = workflow["jobs"]
    assert list(jobs) == ["drill"]
    drill: dict[str, Any] = jobs["drill"]
    return drill


@pytest.fixture(scope="module")
def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = job["steps"]
    return result


def triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    """YAML 1.1 reads the bare key `on` as the boolean True; accept either spelling."""
    found = workflow.get("on", workflow.get(True))
    assert isinstance(found, dict), "the workflow has no `on:` triggers"
    return found


def step_running(steps: list[dict[str, Any]], command: str) -> tuple[int, dict[str, Any]]:
    matches = [(i, s) for i, s in enumerate(steps) if command in str(s.get("run", ""))]
    assert len(matches) == 1, f"expected exactly one step running {command!r}, found {len(matches)}"
    return matches[0]


def test_the_drill_runs_nightly_and_on_demand(workflow: dict[Any, Any]) -> None:
    on = triggers(workflow)
    assert on["schedule"], "no schedule"
    for entry in on["schedule"]:
        assert len(entry["cron"].split()) == 5
    assert "workflow_dispatch" in on
    loss_mode = on["workflow_dispatch"]["inputs"]["loss_mode"]
    assert loss_mode["default"] == "uninstall"
    assert tuple(loss_mode["options"]) == LOSS_MODES  # the modes the kind target implements


def test_the_matrix_loses_each_region_and_uninstalls_by_default(job: dict[str, Any]) -> None:
    matrix = job["strategy"]["matrix"]
    assert matrix["lost_region"] == [0, 1]
    assert "'uninstall'" in matrix["loss_mode"]  # the expression's fallback when no input is given
    assert job["strategy"]["fail-fast"] is False


def test_the_run_step_invokes_exactly_the_readme_command_and_decides_the_verdict(
    steps: list[dict[str, Any]],
) -> None:
    _, run = step_running(steps, "c8-drill run")
    assert run["run"].strip() == KIND_RUN
    assert "continue-on-error" not in run
    assert "if" not in run


def test_the_clusters_come_up_before_the_drill_runs(steps: list[dict[str, Any]]) -> None:
    up_index, up = step_running(steps, KIND_UP)
    run_index, _ = step_running(steps, "c8-drill run")
    assert up["run"].strip() == KIND_UP
    assert up_index < run_index
    install_index, install = step_running(steps, "pip install -e .")
    assert install["run"].strip() == "pip install -e ."
    assert install_index < up_index


def test_the_reports_are_uploaded_and_the_clusters_torn_down_whatever_happened(steps: list[dict[str, Any]]) -> None:
    run_index, _ = step_running(steps, "c8-drill run")
    uploads = [(i, s) for i, s in enumerate(steps) if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert len(uploads) == 1
    upload_index, upload = uploads[0]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "drill-reports/**"
    down_index, down = step_running(steps, KIND_DOWN)
    assert down["run"].strip() == KIND_DOWN
    assert down["if"] == "always()"
    assert run_index < upload_index < down_index


def test_every_action_is_pinned_to_a_version(steps: list[dict[str, Any]]) -> None:
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses
    for action in uses:
        assert PINNED.match(action), f"{action} is not pinned to a version tag or commit"


def test_the_job_is_bounded_alone_and_least_privileged(workflow: dict[Any, Any], job: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert 0 < job["timeout-minutes"] <= 360


def test_kind_and_helm_are_pinned_and_checksum_verified(workflow: dict[Any, Any], steps: list[dict[str, Any]]) -> None:
    assert workflow["env"]["KIND_VERSION"] == "v0.32.0"
    assert re.fullmatch(r"[0-9a-f]{64}", workflow["env"]["KIND_SHA256"])
    _, kind = step_running(steps, "kind-linux-amd64")
    assert "sha256sum --check" in kind["run"]
    _, helm = step_running(steps, "get.helm.sh")
    assert "sha256sum --check" in helm["run"]
    options = triggers(workflow)["workflow_dispatch"]["inputs"]["helm_version"]["options"]
    assert options == ["3.21.4", "4.2.4"]
    for version in options:
        assert re.search(rf"{re.escape(version)}\) sha256=[0-9a-f]{{64}}", helm["run"]), version


def test_the_loss_mode_input_is_validated_before_it_reaches_a_command_line(steps: list[dict[str, Any]]) -> None:
    run_index, _ = step_running(steps, "c8-drill run")
    validations = [i for i, s in enumerate(steps) if s.get("env", {}).get("LOSS_MODE") == "${{ matrix.loss_mode }}"]
    assert validations
    assert validations[0] < run_index


def test_the_readme_documents_the_same_kind_commands() -> None:
    """The lead writes the README's kind section; this fails until it gives these exact commands."""
    readme = README.read_text(encoding="utf-8")
    assert KIND_UP in readme
    assert "c8-drill run --target kind" in readme
