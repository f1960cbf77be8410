"""Bad input to `c8-drill check`: one line on stderr naming what was expected and what was seen, exit 2, and nothing
read, started or written (no report folder). A region that is down is no bad input: that is what the check finds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from drill import cli_check
from drill.cli import main
from drill.sim.runtime import SimRuntime

VALUES = "orchestration:\n  clusterSize: 8\n  partitionCount: 8\n  replicationFactor: 4\n"


def _lying_endpoints(tmp: Path, make_runtime: Callable[..., SimRuntime]) -> list[str]:
    endpoints = make_runtime().endpoints()
    endpoints["region1"]["gateway"] = "http://127.0.0.1:1"
    (tmp / "endpoints.json").write_text(json.dumps(endpoints))
    return ["--endpoints", str(tmp / "endpoints.json")]


CASES: dict[str, tuple[Callable[[Path, Callable[..., SimRuntime]], list[str]], tuple[str, ...]]] = {
    "odd cluster size": (lambda t, m: ["--cluster-size", "3"], ("Expected an even clusterSize", "got 3")),
    "odd replication factor": (lambda t, m: ["--replication-factor", "3"], ("even replicationFactor", "got 3")),
    "kube without contexts": (lambda t, m: ["--target", "kube"], ("--target kube needs --context",)),
    "same context twice": (
        lambda t, m: ["--target", "kube", "--context", "eks-paris", "eks-paris"],
        ("both regions name context 'eks-paris'",),
    ),
    "values file missing": (lambda t, m: ["--values", str(t / "nope.yaml")], ("nope.yaml", "does not exist")),
    "values without a shape": (
        lambda t, m: ["--values", _write(t / "v.yaml", "orchestration: {}\n")],
        ("orchestration.clusterSize",),
    ),
    "values with an odd shape": (
        lambda t, m: ["--values", _write(t / "v.yaml", VALUES), "--cluster-size", "7"],
        ("Expected an even clusterSize", "got 7"),
    ),
    "endpoints file missing": (lambda t, m: ["--endpoints", str(t / "nope.json")], ("nope.json", "does not exist")),
    "endpoints for another target": (
        lambda t, m: ["--target", "kind", "--endpoints", str(t / "e.json")],
        ("expected target sim, got target kind",),
    ),
    "endpoints file that lies": (_lying_endpoints, ("lies: region1.gateway is http://127.0.0.1:1",)),
}


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(("args", "words"), CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line_exit_2_before_anything(
    tmp_path: Path,
    make_runtime: Callable[..., SimRuntime],
    monkeypatch: pytest.MonkeyPatch,
    args: Callable[[Path, Callable[..., SimRuntime]], list[str]],
    words: tuple[str, ...],
) -> None:
    argv = ["check", "--report-dir", str(tmp_path / "reports"), *args(tmp_path, make_runtime)]
    monkeypatch.setattr(cli_check, "embedded_simulator", _no_simulator)
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("c8-drill check: error: "), line
    assert all(word in line for word in words), line
    assert not (tmp_path / "reports").exists()


def _no_simulator(*args: object) -> None:
    raise AssertionError("bad input must be refused before a simulator is started")
