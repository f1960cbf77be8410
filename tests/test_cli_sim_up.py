"""`c8-drill sim up`: serves the simulator in the foreground, writes its endpoints, stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ENDPOINTS_WAIT_SECONDS = 10.0
EXIT_WAIT_SECONDS = 5.0
SERVICES = {"gateway", "management", "elasticsearch"}
REPO_ROOT = Path(__file__).resolve().parents[1]
# `python -m drill.cli` from the repository root: the checkout's package, whatever the venv's install says.
SIM_UP = [sys.executable, "-m", "drill.cli", "sim", "up", "--layout", "ephemeral"]
CLI_ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}  # one line per table row, no escape codes


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SIM_UP, *args], capture_output=True, text=True, cwd=REPO_ROOT, env=CLI_ENV, timeout=EXIT_WAIT_SECONDS * 4
    )


def wait_for_file(path: Path, process: subprocess.Popen[str]) -> dict[str, Any]:
    """The endpoints file appears once every service listens; poll for it, bounded in time and count."""
    deadline = time.monotonic() + ENDPOINTS_WAIT_SECONDS
    for _ in range(1000):
        if path.exists():
            text = path.read_text()
            if text.endswith("\n"):  # written in one go, newline last
                return dict(json.loads(text))
        if process.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    raise AssertionError(f"no endpoints file at {path} (exit code {process.poll()})")


def start_sim_up(endpoints_file: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SIM_UP, *args, "--endpoints-file", str(endpoints_file), "--for-seconds", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=CLI_ENV,
    )


@contextmanager
def running_sim_up(endpoints_file: Path, *args: str) -> Iterator[subprocess.Popen[str]]:
    """`sim up` for the block; killed at its end if the test did not stop it (a failed assertion, a hang)."""
    process = start_sim_up(endpoints_file, *args)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=EXIT_WAIT_SECONDS)


def interrupt(process: subprocess.Popen[str]) -> str:
    """Ctrl-C, as an operator stops it; its standard output."""
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=EXIT_WAIT_SECONDS)
    return stdout


@pytest.fixture
def sim_up(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    endpoints_file = tmp_path / "e.json"
    with running_sim_up(endpoints_file) as process:
        yield process, endpoints_file


def test_sim_up_writes_the_endpoints_serves_them_and_stops_cleanly_on_sigint(sim_up) -> None:
    process, endpoints_file = sim_up

    endpoints = wait_for_file(endpoints_file, process)
    topology = httpx.get(f"{endpoints['region0']['gateway']}/v2/topology", auth=("demo", "demo"), timeout=5.0)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=EXIT_WAIT_SECONDS)

    assert set(endpoints) == {"region0", "region1", "control", "public"}
    for region in ("region0", "region1"):
        assert set(endpoints[region]) == SERVICES
        assert all(url.startswith("http://127.0.0.1:") for url in endpoints[region].values())
    assert endpoints["control"].startswith("http://127.0.0.1:")
    assert topology.status_code == 200
    assert topology.json()["clusterSize"] == 8
    assert process.returncode == 0, stderr
    assert "c8-drill simulator" in stdout
    for region in ("region0", "region1"):
        for url in endpoints[region].values():
            assert url in stdout
    assert f"control API: {endpoints['control']}" in stdout
    assert f"public endpoint: {endpoints['public']}" in stdout
    assert f"endpoints written to {endpoints_file}" in stdout
    assert "simulator stopped" in stdout


def test_an_odd_cluster_size_is_a_usage_error_naming_the_expected_even_number() -> None:
    result = run_cli("--cluster-size", "5")

    assert result.returncode == 2
    assert "--cluster-size" in result.stderr
    assert "expected an even number of at least 2" in result.stderr
    assert "got 5" in result.stderr
    assert "simulator stopped" not in result.stdout  # refused before anything was served


def test_a_replication_factor_above_the_cluster_size_is_a_usage_error() -> None:
    result = run_cli("--replication-factor", "9")

    assert result.returncode == 2
    assert "--replication-factor" in result.stderr
    assert "must be at most --cluster-size (8), got 9" in result.stderr
    assert "simulator stopped" not in result.stdout


def test_sim_up_with_oidc_serves_a_token_endpoint_the_gateway_honours(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "e.json"
    with running_sim_up(endpoints_file, "--auth", "oidc") as process:
        endpoints = wait_for_file(endpoints_file, process)
        gateway = f"{endpoints['region0']['gateway']}/v2/topology"
        token = httpx.post(
            f"{endpoints['identity']}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "drill", "client_secret": "drill-secret"},
            timeout=5.0,
        ).json()["access_token"]
        with_token = httpx.get(gateway, headers={"Authorization": f"Bearer {token}"}, timeout=5.0)
        with_basic = httpx.get(gateway, auth=("demo", "demo"), timeout=5.0)
        stdout = interrupt(process)
    assert (with_token.status_code, with_basic.status_code) == (200, 401)
    assert f"OIDC token endpoint: {endpoints['identity']}/oauth/token" in stdout
    assert "v2 API auth oidc" in stdout


def test_sim_up_with_legacy_exporters_serves_an_8_7_migrated_deployment(tmp_path: Path) -> None:
    endpoints_file = tmp_path / "e.json"
    with running_sim_up(endpoints_file, "--legacy-exporters") as process:
        endpoints = wait_for_file(endpoints_file, process)
        exporters = httpx.get(f"{endpoints['region0']['management']}/actuator/exporters", timeout=5.0).json()
        stdout = interrupt(process)
    assert {e["exporterId"]: e["status"] for e in exporters} == dict.fromkeys(
        ("camundaregion0", "camundaregion1", "elasticsearchregion0", "elasticsearchregion1"), "ENABLED"
    )
    assert "legacy exporters elasticsearchregion0/1 enabled" in stdout
