"""The Allure HTML report, made offline by whichever Allure CLI is installed (Allure 2 or Allure 3).

A drill runs where there may be no network and no Allure at all, so the HTML report is optional: `find_allure`
returns None when no usable CLI is found and the caller says so. The two majors differ in how they are told what
to do: Allure 2 takes flags, Allure 3 (the npm package `allure`) reads a config file, which is written to a
temporary directory so nothing lands in the drill's working directory. Both produce one self-contained
index.html that can be mailed or archived next to the journal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "C8_DRILL_ALLURE"
SUPPORTED_MAJORS = (2, 3)
VERSION_TIMEOUT_S = 60.0
STDERR_TAIL = 2000
REPORT_NAME = "c8-dr-drill"

_VERSION = re.compile(r"\b(\d+)\.(\d+)(?:\.(\d+))?")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class AllureError(Exception):
    """An Allure CLI run failed; the message names the command, its exit code and the end of its stderr."""

    def __init__(self, argv: Sequence[str], exit_code: int | None, stderr: str) -> None:
        self.argv = list(argv)
        self.exit_code = exit_code
        self.stderr = stderr
        ended = "timed out" if exit_code is None else f"exited with {exit_code}"
        tail = f":\n{stderr}" if stderr else " (no stderr)"
        super().__init__(f"{' '.join(self.argv)} {ended}{tail}")


@dataclass(frozen=True)
class AllureCli:
    path: str
    version: str

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


def _tail(text: str) -> str:
    clean = _ANSI.sub("", text).strip()
    return clean if len(clean) <= STDERR_TAIL else "…" + clean[-STDERR_TAIL:]


def _run(argv: Sequence[str], *, timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run to completion or kill the whole process group at the timeout (Allure 2 starts a JVM, 3 a node)."""
    env = {**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0"}
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _, stderr = process.communicate()
            raise AllureError(argv, None, _tail(f"{stderr}\nno result after {timeout:g} s")) from None
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


def _version_of(binary: str) -> str | None:
    """The version an executable reports, if it is an Allure major we can drive."""
    try:
        done = _run([binary, "--version"], timeout=VERSION_TIMEOUT_S)
    except (OSError, AllureError):
        return None
    match = _VERSION.search(_ANSI.sub("", done.stdout))
    if done.returncode != 0 or match is None or int(match.group(1)) not in SUPPORTED_MAJORS:
        return None
    return match.group(0)


def find_allure(path_env: str | None = None) -> AllureCli | None:
    """The Allure CLI to use: $C8_DRILL_ALLURE if set (it must work), else `allure` on `path_env` or $PATH.

    An explicitly configured binary that does not work raises AllureError rather than silently dropping the
    HTML report the operator asked for.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        version = _version_of(configured)
        if version is None:
            raise AllureError([configured, "--version"], None, f"${ENV_VAR} does not name an Allure 2 or 3 CLI")
        return AllureCli(configured, version)
    found = shutil.which("allure", path=path_env)
    if found is None:
        return None
    version = _version_of(found)
    return AllureCli(found, version) if version else None


def allure3_config(out_dir: Path, name: str) -> dict[str, object]:
    return {
        "name": name,
        "output": str(out_dir),
        "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": "en"}}},
    }


def _generate(argv: Sequence[str], out_dir: Path, *, timeout: float, cwd: Path | None = None) -> Path:
    index = out_dir / "index.html"
    index.unlink(missing_ok=True)  # a report from an earlier run must not pass for this one
    done = _run(argv, timeout=timeout, cwd=cwd)
    if done.returncode != 0:
        raise AllureError(argv, done.returncode, _tail(done.stderr or done.stdout))
    if not index.is_file():
        raise AllureError(argv, done.returncode, _tail(f"{done.stderr}\nno {index} was written"))
    return index


def generate_html(
    cli: AllureCli, results_dir: Path, out_dir: Path, *, timeout: float = 300, name: str = REPORT_NAME
) -> Path:
    """Make a single-file HTML report of `results_dir` in `out_dir`; returns the path of its index.html."""
    results_dir, out_dir = Path(results_dir).resolve(), Path(out_dir).resolve()
    if cli.major == 2:
        argv = [cli.path, "generate", "--single-file", "--clean", "-o", str(out_dir), str(results_dir)]
        return _generate(argv, out_dir, timeout=timeout)
    with tempfile.TemporaryDirectory(prefix="c8-drill-allure-") as scratch:
        config = Path(scratch) / "allurerc.json"
        config.write_text(json.dumps(allure3_config(out_dir, name), indent=2), encoding="utf-8")
        argv = [cli.path, "generate", str(results_dir), "--config", str(config)]
        return _generate(argv, out_dir, timeout=timeout, cwd=Path(scratch))
