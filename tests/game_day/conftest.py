"""Game-day features on the simulator: each test owns a simulator that outlives the drill sessions it runs, so a
session can die and another resume against the same deployment."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from drill.drill_session import DrillSession, DrillSettings
from drill.procedure.params import DrillParams
from drill.sim.runtime import SimRuntime
from drill.targets import SIM_TIMEOUTS, OpenTarget, sim_target

SESSION_OPTIONS = ("mode", "dry_run", "resume", "allow_production", "operator")


class Deployment:
    """One simulated deployment; drill sessions come and go against it."""

    def __init__(self, runtime: SimRuntime, report_dir: Path) -> None:
        self.runtime, self.report_dir = runtime, report_dir
        self.endpoints = runtime.endpoints()
        self.control = httpx.Client(base_url=str(self.endpoints["control"]), timeout=10.0)

    def target(self, contexts: tuple[str, str] | None = None) -> OpenTarget:
        return sim_target(
            self.endpoints, timeouts=SIM_TIMEOUTS, auth=httpx.BasicAuth("demo", "demo"), contexts=contexts
        )

    def session(
        self,
        lost_region: int = 1,
        *,
        contexts: tuple[str, str] | None = None,
        params: dict[str, Any] | None = None,
        approver: Any = None,
        **options: Any,
    ) -> DrillSession:
        unknown = set(options) - set(SESSION_OPTIONS)
        assert not unknown, unknown
        settings = DrillSettings(
            params=DrillParams(lost_region=lost_region, **(params or {})), report_dir=self.report_dir, **options
        )
        return DrillSession(settings, lost_region, target=self.target(contexts), approver=approver)

    def state(self) -> dict[str, Any]:
        return dict(self.control.get("/state").json())

    def lose(self, region: int) -> None:
        self.control.post(f"/regions/{region}/lose").raise_for_status()


@pytest.fixture
def deployment(make_runtime: Callable[..., SimRuntime], tmp_path: Path) -> Iterator[Deployment]:
    made = Deployment(make_runtime(), tmp_path / "reports")
    yield made
    made.control.close()
