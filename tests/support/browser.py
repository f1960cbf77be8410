"""Headless Chromium for the report tests: skipped without a browser, unless CI requires one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

TIMEOUT_S = 60


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("C8_DRILL_REQUIRE_BROWSER") == "1":
        pytest.fail("C8_DRILL_REQUIRE_BROWSER=1 but neither chromium nor chromium-browser is on PATH")
    pytest.skip("no chromium or chromium-browser on PATH (install chromium, or set C8_DRILL_REQUIRE_BROWSER=1)")


def run_browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
    return result
