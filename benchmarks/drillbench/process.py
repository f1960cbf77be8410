"""Wall time and peak memory of a command and every process it starts.

`c8-drill run` is a CLI process that starts pytest as its child (drill/launch.py) and follows the journals while
the drill, and the embedded simulator with it, runs in that child. Both are alive at once, so the tree's peak is
their sum. `os.wait4`'s rusage cannot give that on its own: its `ru_maxrss` is the largest *single* process among
the child and the descendants it reaped (Linux keeps a maximum, not a sum). So a thread polls /proc for every
process of the tree and keeps each one's VmHWM, the kernel's own per-process high-water mark, so that no spike
between two polls is lost. The figure reported is the sum of those peaks: an upper bound of the true simultaneous
peak (the processes may peak at different moments), so it can overstate a miss but never hide one. The one blind
spot, a process growing after its last poll and then exiting, is closed for the largest process by wait4's
`ru_maxrss`, used when it is larger.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLL_S = 0.02


@dataclass(frozen=True)
class Measured:
    wall_s: float
    returncode: int
    tree_peak_mb: float  # sum of every process's peak RSS (see the module's docstring)
    largest_mb: float  # the largest single process's peak RSS
    processes: int  # how many processes the tree had over the run
    timed_out: bool


def run_measured(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path, timeout_s: float) -> Measured:
    """Run `argv` to its end (killed, process group and all, after `timeout_s`), output to `log`."""
    peaks: dict[int, int] = {}  # pid -> peak RSS in kB
    stop = threading.Event()
    timed_out = threading.Event()
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

        def poll() -> None:
            while not stop.is_set():
                for pid in _tree(child.pid):
                    peak = _peak_kb(pid)
                    if peak > peaks.get(pid, 0):
                        peaks[pid] = peak
                stop.wait(POLL_S)

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)

        poller = threading.Thread(target=poll, name="rss-poller", daemon=True)
        watchdog = threading.Timer(timeout_s, kill)
        poller.start()
        watchdog.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            wall = time.perf_counter() - started
            watchdog.cancel()
            stop.set()
            poller.join(timeout=5)
        child.returncode = os.waitstatus_to_exitcode(status)
    largest = max([usage.ru_maxrss, *peaks.values()])  # ru_maxrss is in kB on Linux
    tree = sum(peaks.values()) - max(peaks.values(), default=0) + largest
    return Measured(wall, child.returncode, tree / 1024, largest / 1024, len(peaks), timed_out.is_set())


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from each thread's `children` list (threads can start processes too)."""
    found: list[int] = []
    todo = [root]
    while todo and len(found) < 1000:
        pid = todo.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(c) for c in children)
    return found


def _peak_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
