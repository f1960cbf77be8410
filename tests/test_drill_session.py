"""A drill interrupted while it starts still leaves a journal that ends and verifies."""

from __future__ import annotations

from pathlib import Path

import pytest

from drill.drill_session import DrillSession, DrillSettings
from drill.evidence.journal import read_journal
from drill.procedure.params import Timeouts
from drill.targets import OpenTarget


class InterruptedPlatform:
    """Ctrl-C arrives while the drill reads the versions it records at its start."""

    description = "interrupted region"
    chart_version = None

    def __init__(self) -> None:
        self.closed = False

    def service_urls(self) -> object:
        raise KeyboardInterrupt

    def close(self) -> None:
        self.closed = True


def test_an_interrupt_while_starting_ends_the_journal_and_closes_the_target(tmp_path: Path) -> None:
    platforms = {0: InterruptedPlatform(), 1: InterruptedPlatform()}
    target = OpenTarget("sim", platforms, cause_loss=True, timeouts=Timeouts(), gateway_auth=None)  # type: ignore[arg-type]

    with pytest.raises(KeyboardInterrupt):
        DrillSession(DrillSettings(report_dir=tmp_path), 1, target=target)

    records = read_journal(tmp_path / "lost-region-1" / "journal.jsonl")
    assert records[-1]["kind"] == "drill_end"
    assert records[-1]["verdict"] == "failed"
    assert records[-1]["error"] == "the drill did not start: KeyboardInterrupt"
    assert all(p.closed for p in platforms.values())
