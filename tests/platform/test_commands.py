"""The command runner on real subprocesses: results, timeouts that kill the whole group, and helm detection."""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from drill.platform.base import PlatformError
from drill.platform.commands import CommandResult, CommandRunner, detect_helm_major

PY = sys.executable


class CannedRunner(CommandRunner):
    def __init__(self, result: CommandResult) -> None:
        super().__init__()
        self.result = result
        self.calls: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> CommandResult:
        self.calls.append(tuple(argv))
        return self.result


def test_a_finished_command_is_a_result_and_reaches_the_hook() -> None:
    seen: list[CommandResult] = []
    runner = CommandRunner(on_result=seen.append)
    argv = [PY, "-c", "import sys; print(sys.stdin.read().upper()); print('warn', file=sys.stderr); sys.exit(3)"]

    result = runner.run(argv, timeout=10, input="values")

    assert (result.argv, result.exit_code, result.stdout, result.stderr) == (tuple(argv), 3, "VALUES\n", "warn\n")
    assert result.ok is False
    assert result.timed_out is False
    assert 0 < result.duration_s < 10
    assert result.command_line == shlex.join(argv)
    assert seen == [result]


def test_a_command_that_runs_too_long_is_killed_with_its_children_and_still_reported(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid)); print('started', flush=True); time.sleep(30)"
    )
    seen: list[CommandResult] = []
    runner = CommandRunner(on_result=seen.append)
    started = time.monotonic()

    with pytest.raises(PlatformError) as raised:
        runner.run([PY, "-c", script], timeout=0.5)

    assert time.monotonic() - started < 5
    assert str(raised.value) == (
        f"local command: {shlex.join([PY, '-c', script])}: expected it to finish within 0.5 s, "
        "got still running; killed its process group"
    )
    assert len(seen) == 1
    assert (seen[0].timed_out, seen[0].exit_code, seen[0].stdout) == (True, -9, "started\n")
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(child), "the command's child survived the timeout"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie (killed, not yet reaped by init) counts as gone
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_a_program_that_does_not_exist_is_named() -> None:
    with pytest.raises(PlatformError) as raised:
        CommandRunner().run(["no-such-helm-binary", "version"], timeout=5)

    assert str(raised.value) == (
        "local command: no-such-helm-binary version: expected a program that can be started, "
        "got No such file or directory"
    )


@pytest.mark.parametrize(("output", "major"), [("v3.21.4+g1234567\n", 3), ("v4.2.4+gabcdef0\n", 4)])
def test_the_helm_major_comes_from_helm_version_short(output: str, major: int) -> None:
    runner = CannedRunner(CommandResult(("helm",), 0, output, "", 0.1))

    assert detect_helm_major(runner) == major
    assert runner.calls == [("helm", "version", "--short")]


def test_an_unknown_helm_version_is_refused() -> None:
    runner = CannedRunner(CommandResult(("helm",), 0, "v2.17.0+ga690bad\n", "", 0.1))

    with pytest.raises(PlatformError) as raised:
        detect_helm_major(runner)

    assert str(raised.value) == "local command: helm version --short: expected v3.x or v4.x, got 'v2.17.0+ga690bad'"
