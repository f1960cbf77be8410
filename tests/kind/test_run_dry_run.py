"""`c8-drill run --target kind --plan`: the whole nightly drill, in order, printed and never run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill.cli import main
from drill.kind.loss import LOSS_MODES, KindPlatform
from drill.targets import TargetOptions, open_target, repository

LOSS_LINES = {
    "uninstall": "helm uninstall camunda --kube-context kind-c8-region1",
    "stop-nodes": "docker stop --time 10 c8-region1-control-plane",
    "partition": "docker network disconnect --force kind c8-region1-control-plane",
}


def dry_run(*args: str) -> str:
    result = CliRunner().invoke(main, ["run", "--target", "kind", "--plan", *args])
    assert result.exit_code == 0, result.output
    return result.output


def positions(text: str, *needles: str) -> list[int]:
    found = [text.find(needle) for needle in needles]
    assert all(p >= 0 for p in found), [n for n, p in zip(needles, found, strict=True) if p < 0]
    return found


@pytest.mark.parametrize("mode", LOSS_MODES)
def test_every_command_from_cluster_creation_to_the_report_in_order(mode: str, tmp_path: Path) -> None:
    text = dry_run("--lost-region", "1", "--loss-mode", mode, "--report-dir", str(tmp_path / "r"))
    order = positions(
        text,
        "kind create cluster --config kind-configs/region0.yaml",
        "kind create cluster --config kind-configs/region1.yaml",
        "ip route replace",
        "helm upgrade camunda camunda/camunda-platform --install --kube-context kind-c8-region0",
        "## steady-before",
        "## region-loss",
        LOSS_LINES[mode],
        "## failover-1",
        "## region-recreate",
        "## failback-1",
        "## failback-8",
        "## steady-after",
        f"c8-drill report {tmp_path / 'r' / 'lost-region-1' / 'journal.jsonl'}",
        "kind delete cluster --name c8-region0",
    )
    assert order == sorted(order)
    section = text[text.index("## region-loss") : text.index("## failover-1")]
    assert LOSS_LINES[mode] in section
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    assert not (tmp_path / "r").exists()  # a dry run writes nothing


def test_stop_nodes_recreates_the_lost_region_as_a_new_cluster() -> None:
    text = dry_run("--lost-region", "0", "--loss-mode", "stop-nodes")
    recreate = text[text.index("## region-recreate") : text.index("## failback-1")]
    assert "kind delete cluster --name c8-region0" in recreate
    assert "kind create cluster --config kind-configs/region0.yaml" in recreate
    assert "kind-c8-region1" in recreate  # re-interconnected from the surviving side too


def test_the_snapshot_repository_on_kind_is_the_shared_fs_directory() -> None:
    text = dry_run("--lost-region", "1")
    backup = text[text.index("## failback-4") : text.index("## failback-5")]
    assert '"type":"fs"' in backup and "/var/c8-snapshots" in backup


def test_a_dry_run_needs_no_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "kind create cluster" in dry_run("--lost-region", "0")


def test_both_lost_regions_print_two_drills() -> None:
    text = dry_run()
    assert text.count("#!/usr/bin/env bash") == 2
    assert "region 0 lost" in text and "region 1 lost" in text


def test_the_kind_target_loses_regions_in_the_chosen_mode_with_per_region_values() -> None:
    options = TargetOptions(target="kind", loss_mode="partition")
    target = open_target(options)
    try:
        platforms = target.platforms
        assert all(isinstance(p, KindPlatform) for p in platforms.values())
        first, second = platforms[0], platforms[1]
        assert isinstance(first, KindPlatform) and isinstance(second, KindPlatform)
        assert first.loss_mode == second.loss_mode == "partition"
        assert first.values_files != second.values_files
        assert [p.name for p in first.values_files][-1] == "camunda-region0.yaml"
        assert first.runner is second.runner is target.runner
        assert target.cause_loss and target.contexts == {0: "kind-c8-region0", 1: "kind-c8-region1"}
    finally:
        target.close()
    fs = repository(options)
    assert fs is not None and fs.body() == {"type": "fs", "settings": {"location": "/var/c8-snapshots"}}
    assert repository(TargetOptions(target="kind", snapshot_repo="s3")) is None
    assert repository(TargetOptions()) is None
