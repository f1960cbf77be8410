"""`c8-drill run`: the feature files run by pytest in a child process, followed through their journals.

The child is plain pytest with the drill plugin, exactly what CI runs; this side only builds its command line,
shows each stage as the journal records it (so progress is evidence, not a guess), bounds the run in time, and
summarises the reports the child wrote. A child process also keeps pytest's global state out of the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import drill
from drill.evidence.archive import archive_previous

FEATURES_ENV = "C8_DRILL_FEATURES"
POLL_S = 0.1
INTERRUPT_GRACE_S = 30.0


def project_root() -> Path:
    return Path(drill.__file__).resolve().parent.parent


def features_dir(explicit: Path | None = None) -> Path:
    """The feature files: given, from $C8_DRILL_FEATURES, or next to the drill package in a checkout."""
    candidate = explicit or (Path(os.environ[FEATURES_ENV]) if os.environ.get(FEATURES_ENV) else None)
    path = candidate or project_root() / "features"
    if not (path / "failover.feature").is_file():
        raise FileNotFoundError(
            f"expected the drill's feature files (failover.feature, failback.feature, drill.feature) in {path}; "
            "run from a checkout of c8-dr-drill or pass --features DIR"
        )
    return path


@dataclass
class RunRequest:
    target: str = "sim"
    lost_regions: tuple[int, ...] = (0, 1)
    report_dir: Path = Path("drill-reports")
    variant: str = "seed"
    time_scale: float = 0.0
    contexts: tuple[str, str] | None = None
    namespaces: tuple[str, str] = ("camunda-region0", "camunda-region1")
    budgets: dict[str, float] = field(default_factory=dict)
    allow_production: tuple[str, ...] = ()
    features: Path | None = None
    max_seconds: float = 7200.0
    loss_mode: str = "uninstall"
    profile: str = "small"
    snapshot_repo: str = "fs"
    endpoints_file: Path | None = None  # sim: a running simulator's endpoints; none is started
    values_files: tuple[Path, ...] = ()  # kube: the Helm values each region is reinstalled with

    def region_dirs(self) -> dict[int, Path]:
        return {r: self.report_dir / f"lost-region-{r}" for r in self.lost_regions}

    def pytest_argv(self, features: Path) -> list[str]:
        lost = "both" if set(self.lost_regions) == {0, 1} else str(self.lost_regions[0])
        argv = [
            sys.executable, "-m", "pytest", str(features),
            "--rootdir", str(features.parent),
            "-p", "no:cacheprovider",
            "-q", "-rfEs", "--no-header",
            "--target", self.target,
            "--lost-region", lost,
            "--variant", self.variant,
            "--time-scale", repr(self.time_scale),
            "--report-dir", str(self.report_dir),
            "--alluredir", str(self.report_dir / "allure-results"),
            "--clean-alluredir",
            "--namespace0", self.namespaces[0],
            "--namespace1", self.namespaces[1],
            "--loss-mode", self.loss_mode,
            "--profile", self.profile,
            "--snapshot-repo", self.snapshot_repo,
        ]  # fmt: skip
        if self.contexts is not None:
            argv += ["--context0", self.contexts[0], "--context1", self.contexts[1]]
        for name, value in self.budgets.items():
            argv += [f"--{name.replace('_', '-')}", repr(value)]
        for context in self.allow_production:
            argv += ["--allow-production", context]
        # Absolute: the child's paths must not depend on where it resolves them.
        if self.endpoints_file is not None:
            argv += ["--endpoints", str(self.endpoints_file.absolute())]
        for values in self.values_files:
            argv += ["--values", str(values.absolute())]
        return argv


class JournalFollower:
    """Yields each complete record appended to a journal that may not exist yet (the child creates it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def poll(self) -> Iterator[dict[str, Any]]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # verification happens on the finished journal; progress only shows what it can read
            if isinstance(record, dict):
                yield record


@dataclass
class Finished:
    exit_code: int
    timed_out: bool
    interrupted: bool
    log: Path
    reports: dict[int, dict[str, Any] | None]


def run(request: RunRequest, on_record: Callable[[int, dict[str, Any]], None]) -> Finished:
    """Run the child to the end (bounded by `max_seconds`), feeding every journal record to `on_record`."""
    features = features_dir(request.features)
    request.report_dir.mkdir(parents=True, exist_ok=True)
    for directory in request.region_dirs().values():
        archive_previous(directory)
    log = request.report_dir / "pytest.log"
    followers = {r: JournalFollower(d / "journal.jsonl") for r, d in request.region_dirs().items()}
    # SIGINT and SIGTERM (a CI job cancelled) both stop the drill the same way; set before the child starts, so
    # it does not inherit an ignored SIGINT (as a background job from a script would) and can end cleanly.
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open(log, "wb") as out:
            child = subprocess.Popen(
                request.pytest_argv(features), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
            timed_out, interrupted = _follow(child, followers, on_record, request.max_seconds)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    reports = {r: _load(d / "report.json") for r, d in request.region_dirs().items()}
    return Finished(child.returncode, timed_out, interrupted, log, reports)


def _follow(
    child: subprocess.Popen[bytes],
    followers: dict[int, JournalFollower],
    on_record: Callable[[int, dict[str, Any]], None],
    max_seconds: float,
) -> tuple[bool, bool]:
    deadline = time.monotonic() + max_seconds
    timed_out = interrupted = False

    def drain() -> None:
        for region, follower in followers.items():
            for record in follower.poll():
                on_record(region, record)

    try:
        while child.poll() is None:
            drain()
            if time.monotonic() > deadline:
                timed_out = True
                _stop(child)
                break
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        interrupted = True
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the orderly stop short
        _stop(child)
    drain()
    return timed_out, interrupted


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGINT first (pytest ends the current scenario and the plugin writes the journal's end), then kill."""
    try:
        os.killpg(child.pid, signal.SIGINT)
        child.wait(timeout=INTERRUPT_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=INTERRUPT_GRACE_S)
    except ProcessLookupError:
        pass


def _load(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def allure_html(results: Path, out: Path) -> Path | None:
    """Allure's own HTML report when an Allure CLI is installed; None (and nothing done) otherwise."""
    from drill.evidence.report.allure_html import find_allure, generate_html

    cli = find_allure()
    if cli is None or not results.is_dir() or not any(results.iterdir()):
        return None
    return generate_html(cli, results, out)
