"""Running helm (and other CLIs) as bounded subprocesses whose every run can become evidence.

A drill must never hang on a helm that waits forever, and a killed helm must not leave children behind, so each
command runs in its own session and the whole process group is killed on timeout. Every finished run, timed out
or not, goes to `on_result` first; that hook is how commands reach the journal (which redacts; nothing is
redacted here).
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from drill.api.errors import excerpt
from drill.platform.base import PlatformError

RUNNER = "local command"
KILL_GRACE_SECONDS = 5.0
_HELM_VERSION = re.compile(r"^v(?P<major>\d+)\.\d+")


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def command_line(self) -> str:
        return shlex.join(self.argv)


OnResult = Callable[[CommandResult], None]


class CommandRunner:
    def __init__(self, on_result: OnResult | None = None) -> None:
        self.on_result = on_result

    def run(
        self, argv: Sequence[str], *, timeout: float, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> CommandResult:
        """Run `argv` to completion within `timeout` seconds; a non-zero exit is a result, not an error. `env` adds
        variables to this process's environment for the command (a user's command reads what the drill knows).

        Raises PlatformError when the program cannot be started or does not finish in time.
        """
        args = tuple(argv)
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                args,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
                env=None if env is None else {**os.environ, **env},
            )
        except OSError as exc:
            raise PlatformError(
                RUNNER, shlex.join(args), "a program that can be started", exc.strerror or str(exc)
            ) from exc
        try:
            stdout, stderr = process.communicate(input=input, timeout=timeout)
        except subprocess.TimeoutExpired:
            stdout, stderr = _kill_group(process)
            result = CommandResult(args, -signal.SIGKILL, stdout, stderr, time.monotonic() - started, timed_out=True)
            self._report(result)
            seen = "still running; killed its process group" + (f"; stderr: {excerpt(stderr)}" if stderr else "")
            raise PlatformError(RUNNER, result.command_line, f"it to finish within {timeout:g} s", seen) from None
        result = CommandResult(args, process.returncode, stdout, stderr, time.monotonic() - started)
        self._report(result)
        return result

    def _report(self, result: CommandResult) -> None:
        if self.on_result is not None:
            self.on_result(result)


def _kill_group(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Kill the command and everything it started; return what it printed before."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        stdout, stderr = process.communicate(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:  # a grandchild that left the group still holds the pipes
        process.kill()
        return "", ""
    return stdout or "", stderr or ""


def detect_helm_major(runner: CommandRunner, *, binary: str = "helm", timeout: float = 30.0) -> int:
    """3 or 4, from `helm version --short` (`v3.21.4+g...`): the two majors spell `--wait` and `--atomic` apart."""
    result = runner.run([binary, "version", "--short"], timeout=timeout)
    operation = f"{binary} version --short"
    if not result.ok:
        raise PlatformError(RUNNER, operation, "exit code 0", f"exit code {result.exit_code}: {excerpt(result.stderr)}")
    match = _HELM_VERSION.match(result.stdout.strip())
    if match is None or int(match.group("major")) not in (3, 4):
        raise PlatformError(RUNNER, operation, "v3.x or v4.x", repr(excerpt(result.stdout)))
    return int(match.group("major"))
