"""Speed figures of the simulator, printed as a table and as JSON (never asserted by unit tests).

- `sim up` readiness: from starting `c8-drill sim up` to the first successful `/v2/topology` (the target: < 2 s);
- one plain-httpx replay of the whole documented procedure at time scale 0, per lost region (target: < 1 s);
- request throughput of the topology and cluster endpoints on this machine.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.procedure_http import Procedure  # noqa: E402

from drill.sim.runtime import SimRuntime  # noqa: E402

RUNS = 5
REQUESTS = 300


def sim_up_ready() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        endpoints = Path(tmp) / "e.json"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "drill.cli",
                "sim",
                "up",
                "--layout",
                "ephemeral",
                "--endpoints-file",
                str(endpoints),
                "--for-seconds",
                "30",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = started + 15
            while time.perf_counter() < deadline:
                if endpoints.exists() and endpoints.stat().st_size:
                    url = json.loads(endpoints.read_text())["region0"]["gateway"]
                    if httpx.get(f"{url}/v2/topology", auth=("demo", "demo")).status_code == 200:
                        return time.perf_counter() - started
                time.sleep(0.01)
            raise RuntimeError("sim up did not become ready within 15 s")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=10)


def replay(lost: int) -> float:
    with SimRuntime() as runtime:
        procedure = Procedure(runtime.endpoints(), lost)
        try:
            started = time.perf_counter()
            procedure.steady_state()
            procedure.lose()
            procedure.failover_1()
            procedure.failover_2()
            procedure.failback_1()
            procedure.failback_2()
            procedure.failback_3()
            procedure.failback_4()
            procedure.failback_5()
            procedure.failback_6()
            procedure.failback_7()
            assert procedure.failback_8().status_code == 202
            return time.perf_counter() - started
        finally:
            procedure.close()


def throughput(path_kind: str) -> float:
    with SimRuntime() as runtime:
        urls = runtime.endpoints()["region0"]
        url, auth = (
            (f"{urls['gateway']}/v2/topology", ("demo", "demo"))
            if path_kind == "topology"
            else (f"{urls['management']}/actuator/cluster", None)
        )
        with httpx.Client(auth=auth) as client:
            client.get(url)
            started = time.perf_counter()
            for _ in range(REQUESTS):
                client.get(url).raise_for_status()
            return REQUESTS / (time.perf_counter() - started)


def main() -> None:
    figures = {
        "sim_up_ready_s": statistics.median(sim_up_ready() for _ in range(3)),
        "replay_region1_lost_s": statistics.median(replay(1) for _ in range(RUNS)),
        "replay_region0_lost_s": statistics.median(replay(0) for _ in range(RUNS)),
        "topology_requests_per_s": throughput("topology"),
        "cluster_requests_per_s": throughput("cluster"),
    }
    table = Table(title="c8-dr-drill simulator benchmarks (median)", title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    targets = {"sim_up_ready_s": "< 2 s", "replay_region1_lost_s": "< 1 s", "replay_region0_lost_s": "< 1 s"}
    for name, value in figures.items():
        table.add_row(name, f"{value:.3f}" if name.endswith("_s") else f"{value:.0f}", targets.get(name, ""))
    Console().print(table)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
