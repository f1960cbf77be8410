"""`c8-drill kind up|down`: the dry run prints the plan in order, a real run refuses to start without its tools or
files, and runs the plan through stand-in executables (shell scripts on PATH that log their argv)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drill.cli_kind import kind
from drill.kind.commands import render
from drill.kind.plan import KindUpOptions, down_plan, plan_files, up_plan

TOOLS = ("kind", "kubectl", "helm", "docker", "mkdir", "chmod")
# Logs its name and arguments; answers `docker inspect` with a node address and `helm version` with a version;
# fails (exit 1, a message on stderr) when its command line starts with $FAKE_FAIL.
FAKE_TOOL = """#!/bin/sh
line="${0##*/} $*"
echo "$line" >> "$FAKE_LOG"
case "$line" in
  "$FAKE_FAIL"*) if [ -n "$FAKE_FAIL" ]; then echo "error: deployment exceeded its progress deadline" >&2; exit 1; fi ;;
esac
case "$line" in
  "docker inspect -f"*c8-region0-control-plane) echo 172.18.0.2 ;;
  "docker inspect -f"*c8-region1-control-plane) echo 172.18.0.3 ;;
  "helm version --short") echo v4.2.4+g1234567 ;;
esac
exit 0
"""


def invoke(*args: str) -> Result:
    return CliRunner().invoke(kind, list(args))


def lines_in_order(text: str, *needles: str) -> None:
    position = 0
    for needle in needles:
        found = text.find(needle, position)
        assert found >= 0, f"{needle!r} not found after position {position}"
        position = found + len(needle)


@pytest.fixture
def fake_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Stand-in tools first (and alone) on PATH, a working directory with every file the plan reads."""
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    for tool in TOOLS:
        script = bin_dir / tool
        script.write_text(FAKE_TOOL, encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    for options in (KindUpOptions(), KindUpOptions(snapshot_repo="s3")):
        for path in plan_files(options):
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).touch()
    log = tmp_path / "ran.log"
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_FAIL", "")
    monkeypatch.chdir(work)
    return lambda: log.read_text(encoding="utf-8").splitlines() if log.exists() else []


# -- dry runs ----------------------------------------------------------------------------------------------------------


def test_up_dry_run_prints_every_command_in_order() -> None:
    result = invoke("up", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output == render(up_plan(KindUpOptions()))
    lines_in_order(
        result.output,
        "kind create cluster --config kind-configs/region0.yaml --wait 120s",
        "kind create cluster --config kind-configs/region1.yaml --wait 120s",
        "REGION0_NODE_IP=$(docker inspect",
        'docker exec c8-region0-control-plane ip route replace 10.20.0.0/16 via "${REGION1_NODE_IP}"',
        'docker exec c8-region1-control-plane ip route replace 10.11.0.0/16 via "${REGION0_NODE_IP}"',
        "kubectl --context kind-c8-region0 --namespace kube-system apply -f - <<'EOF'",
        "camunda-region1.svc.cluster.local:53 {",
        "forward . 10.21.0.10 {",
        "kubectl --context kind-c8-region1 --namespace kube-system rollout status deployment/coredns",
        "kubectl --context kind-c8-region0 create namespace camunda-region0",
        "kubectl --context kind-c8-region1 create namespace camunda-region1",
        "run dr-check-dns-to-region1",
        "'wget -q -O - -T 5 http://dr-probe.camunda-region1.svc.cluster.local:8080/ | grep -x dr-probe-region1'",
        "run dr-check-to-region0",
        "helm repo add camunda https://helm.camunda.io",
        "helm upgrade camunda camunda/camunda-platform --install --kube-context kind-c8-region0 --namespace "
        "camunda-region0 --version 13.12.7",
        "helm upgrade camunda camunda/camunda-platform --install --kube-context kind-c8-region1 --namespace "
        "camunda-region1 --version 13.12.7",
        "rollout status statefulset/camunda-zeebe --timeout=20m",
    )


def test_up_dry_run_follows_the_options() -> None:
    result = invoke("up", "--dry-run", "--profile", "procedure", "--helm-major", "4", "--snapshot-repo", "s3")
    assert result.exit_code == 0, result.output
    expected = KindUpOptions(profile="procedure", helm_major=4, snapshot_repo="s3")
    assert result.output == render(up_plan(expected))
    assert "-f fixtures/values/profile-procedure.yaml -f kind-configs/camunda-kind-s3.yaml" in result.output


def test_a_dry_run_needs_no_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert invoke("up", "--dry-run").exit_code == 0
    assert invoke("down", "--dry-run").exit_code == 0


def test_down_dry_run_prints_both_deletions() -> None:
    result = invoke("down", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output == render(down_plan())
    lines_in_order(result.output, "kind delete cluster --name c8-region0", "kind delete cluster --name c8-region1")
    assert "docker rm" in invoke("down", "--dry-run", "--snapshot-repo", "s3").output


def test_an_unknown_profile_is_a_usage_error() -> None:
    result = invoke("up", "--dry-run", "--profile", "huge")
    assert result.exit_code == 2 and "'huge' is not one of 'small', 'procedure'" in result.output


# -- refusing to start -------------------------------------------------------------------------------------------------


def test_up_without_the_tools_names_each_missing_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke("up")
    assert result.exit_code == 2
    missing = result.stderr.split("not on PATH: ")[1].split(" (")[0].split(", ")
    assert set(missing) >= {"kind", "kubectl", "helm", "docker"}


def test_up_names_only_the_tools_that_are_missing(fake_tools: Callable[[], list[str]]) -> None:
    os.remove(Path(os.environ["PATH"]) / "helm")
    result = invoke("up")
    assert result.exit_code == 2
    assert "not on PATH: helm (needed: chmod, docker, helm, kind, kubectl, mkdir)" in result.stderr
    assert fake_tools() == []


def test_down_needs_only_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = invoke("down")
    assert result.exit_code == 2 and "not on PATH: kind (needed: kind)" in result.stderr


def test_up_outside_the_repository_names_the_missing_files(
    fake_tools: Callable[[], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("up")
    assert result.exit_code == 2
    assert "kind-configs/region0.yaml" in result.stderr and "fixtures/values/camunda-base.yaml" in result.stderr
    assert fake_tools() == []


# -- running -----------------------------------------------------------------------------------------------------------


def test_up_detects_helm_then_runs_the_whole_plan_with_the_captured_addresses(
    fake_tools: Callable[[], list[str]],
) -> None:
    result = invoke("up")
    assert result.exit_code == 0, result.output + result.stderr
    ran = fake_tools()
    assert ran[0] == "helm version --short"
    plan = up_plan(KindUpOptions(helm_major=4))
    assert len(ran) == 1 + len(plan)
    assert "docker exec c8-region0-control-plane ip route replace 10.20.0.0/16 via 172.18.0.3" in ran
    assert "docker exec c8-region1-control-plane ip route replace 10.10.0.0/16 via 172.18.0.2" in ran
    assert f"[{len(plan)}/{len(plan)}]" in result.output and "both regions are up" in result.output


def test_an_explicit_helm_major_skips_detection(fake_tools: Callable[[], list[str]]) -> None:
    result = invoke("up", "--helm-major", "3")
    assert result.exit_code == 0, result.output + result.stderr
    assert "helm version --short" not in fake_tools()


def test_the_first_failing_command_ends_the_run_with_exit_1_and_its_reason(
    fake_tools: Callable[[], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_FAIL", "kubectl --context kind-c8-region1 --namespace kube-system rollout status")
    result = invoke("up", "--helm-major", "3")
    assert result.exit_code == 1
    assert "wait for region 1's CoreDNS to serve with the new Corefile" in result.stderr
    assert "got 1 (error: deployment exceeded its progress deadline)" in result.stderr
    ran = fake_tools()
    assert ran[-1].startswith("kubectl --context kind-c8-region1 --namespace kube-system rollout status")
    assert not [line for line in ran if line.startswith("helm")]


def test_down_runs_both_deletions(fake_tools: Callable[[], list[str]]) -> None:
    result = invoke("down")
    assert result.exit_code == 0, result.output + result.stderr
    assert fake_tools() == ["kind delete cluster --name c8-region0", "kind delete cluster --name c8-region1"]
