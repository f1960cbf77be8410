"""`c8-drill run`: the feature files run by pytest in a child process, followed through their journals.

The child is plain pytest with the drill plugin, exactly what CI runs; this side only builds its command line,
shows each stage as the journal records it (so progress is evidence, not a guess), bounds the run in time, and
summarises the reports the child wrote. A child process also keeps pytest's global state out of the CLI.
"""

from __future__ import annotations

import contextlib
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
from drill.approvals import APPROVALS_DIR, Approval, ApprovalRequest, answer, pending_requests
from drill.evidence.archive import archive_previous
from drill.procedure.params import DataVolume, Shape

FEATURES_ENV = "C8_DRILL_FEATURES"
POLL_S = 0.1
# What the drill's pytest needs; the features' conftest adds the drill's own plugin and steps.
CHILD_PLUGINS = ("pytest_bdd.plugin", "allure_pytest_bdd.plugin")
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
    camunda_version: str = "8.8"  # 8.8, 8.7 (8.8 migrated from 8.7, legacy exporters enabled) or auto
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
    mode: str | None = None  # drill or incident; None: the target's default
    dry_run: bool = False
    resume: Path | None = None  # an interrupted drill's journal: its region, its directory, its chain
    approve_each_step: bool = False
    lost_for: float | None = None  # incident: seconds the lost brokers must stay unreachable
    fence: str = "if-reachable"  # whether a lost region whose API is down may stay unfenced
    reroute_command: str | None = None  # moves public traffic to the surviving region
    public_endpoint: str | None = None  # probed after rerouting (sim: its own)
    shape: Shape | None = None  # the deployment's; None: the target's own (sim: 8/8/4)
    es_data: DataVolume | None = None  # Elasticsearch data and throughput (forecast; sim: started with)

    def region_dirs(self) -> dict[int, Path]:
        if self.resume is not None:
            return dict.fromkeys(self.lost_regions, self.resume.parent)
        return {r: self.report_dir / f"lost-region-{r}" for r in self.lost_regions}

    def pytest_argv(self, features: Path) -> list[str]:
        lost = "both" if set(self.lost_regions) == {0, 1} else str(self.lost_regions[0])
        argv = [
            sys.executable, "-m", "pytest", str(features),
            "--rootdir", str(features.parent),
            "-p", "no:cacheprovider",
            *(arg for plugin in CHILD_PLUGINS for arg in ("-p", plugin)),
            "-q", "-rfEs", "--no-header",
            "--target", self.target,
            "--lost-region", lost,
            "--variant", self.variant,
            "--camunda-version", self.camunda_version,
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
        if self.mode is not None:
            argv += ["--mode", self.mode]
        if self.dry_run:
            argv += ["--dry-run"]
        if self.resume is not None:
            argv += ["--resume", str(self.resume.absolute())]
        if self.approve_each_step:
            argv += ["--approve-each-step"]
        if self.lost_for is not None:
            argv += ["--lost-for", repr(self.lost_for)]
        argv += ["--fence", self.fence]
        if self.reroute_command is not None:
            argv += ["--reroute-command", self.reroute_command]
        if self.public_endpoint is not None:
            argv += ["--public-endpoint", self.public_endpoint]
        if self.shape is not None:
            argv += ["--cluster-size", str(self.shape.cluster_size), "--partitions", str(self.shape.partitions)]
            argv += ["--replication-factor", str(self.shape.replication_factor)]
        if self.es_data is not None:
            argv += ["--es-data-gb", repr(self.es_data.es_gib)]
            argv += ["--restore-s-per-gib", repr(self.es_data.restore_s_per_gib)]
            argv += ["--snapshot-s-per-gib", repr(self.es_data.snapshot_s_per_gib)]
        return argv


class JournalFollower:
    """Yields each complete record appended to a journal that may not exist yet (the child creates it)."""

    def __init__(self, path: Path, *, from_end: bool = False) -> None:
        """`from_end`: follow only what is appended from now on (a resumed journal's old records were shown)."""
        self.path = path
        self._offset = path.stat().st_size if from_end and path.exists() else 0
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


def run(
    request: RunRequest,
    on_record: Callable[[int, dict[str, Any]], None],
    on_approval: Callable[[ApprovalRequest], Approval] | None = None,
) -> Finished:
    """Run the child to the end (bounded by `max_seconds`), feeding every journal record to `on_record` and
    every approval the child asks for to `on_approval` (the person at this terminal)."""
    features = features_dir(request.features)
    request.report_dir.mkdir(parents=True, exist_ok=True)
    if request.resume is None:
        for directory in request.region_dirs().values():
            archive_previous(directory)
    log = request.report_dir / "pytest.log"
    followers = {
        r: JournalFollower(request.resume or d / "journal.jsonl", from_end=request.resume is not None)
        for r, d in request.region_dirs().items()
    }
    asking = None
    if request.approve_each_step:
        if on_approval is None:
            raise ValueError("--approve-each-step needs someone to ask: expected an approval callback, got none")
        asking = (on_approval, [d / APPROVALS_DIR for d in request.region_dirs().values()])
    # SIGINT and SIGTERM (a CI job cancelled) both stop the drill the same way; set before the child starts, so
    # it does not inherit an ignored SIGINT (as a background job from a script would) and can end cleanly.
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with open(log, "wb") as out:
            child = subprocess.Popen(
                request.pytest_argv(features),
                env=child_environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_interrupt_when_orphaned,
            )
            timed_out, interrupted = _follow(child, followers, on_record, request.max_seconds, asking)
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
    asking: tuple[Callable[[ApprovalRequest], Approval], list[Path]] | None = None,
) -> tuple[bool, bool]:
    deadline = time.monotonic() + max_seconds
    timed_out = interrupted = False

    def drain() -> None:
        for region, follower in followers.items():
            for record in follower.poll():
                on_record(region, record)
        if asking is not None:
            ask, directories = asking
            for directory in directories:
                for pending in pending_requests(directory):  # asked after the records that led up to it
                    answer(directory, pending, ask(pending))

    try:
        while child.poll() is None:
            drain()
            if time.monotonic() > deadline:
                timed_out = True
                _stop(child)
                break
            with contextlib.suppress(subprocess.TimeoutExpired):  # returns as soon as the child ends
                child.wait(timeout=POLL_S)
    except KeyboardInterrupt:
        interrupted = True
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the orderly stop short
        _stop(child)
    drain()
    return timed_out, interrupted


def child_environment() -> dict[str, str]:
    """The drill's pytest loads the plugins it needs (CHILD_PLUGINS), not every plugin installed beside it:
    hypothesis' and anyio's alone took ~0.7 s of each run's start on a 2-core machine."""
    return {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def _interrupt_when_orphaned() -> None:
    """In the child, before pytest starts: if this process dies (even by SIGKILL, which it cannot handle), the
    kernel sends the child SIGINT, so the drill stops as after Ctrl-C (its stage and journal end) instead of
    running on unsupervised in its own session. Linux only; elsewhere a killed parent leaves the child running."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGINT, 0, 0, 0)


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
