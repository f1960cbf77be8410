"""Drive a DrillSession through its stages without pytest-bdd, as the feature files do: Given, When, Then per
stage, blocking after a stop; and end it the way a SIGKILL would, with nothing written after the kill."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from drill.drill_session import DrillSession
from drill.evidence.journal import Journal

KillPoint = Callable[[str, Mapping[str, Any]], bool]


class Killed(BaseException):
    """The process died here: no handler of the drill may run after it (a BaseException, as SIGKILL is)."""


def drive(session: DrillSession) -> None:
    for step in session.sequence:
        if session.begin_stage(step.id) is not None:
            continue
        error: BaseException | None = None
        try:
            session.current()
            session.act()
            session.desired()
        except Exception as exc:
            error = exc
        session.end_stage(error)


def kill_when(journal: Journal, point: KillPoint) -> None:
    """Make the journal die right after writing the first record `point` accepts (given the running step)."""
    write = journal._write

    def dying(kind: str, fields: dict[str, Any], max_body: int | None) -> dict[str, Any]:
        record = write(kind, fields, max_body)
        if point(str(journal.current_step), record):
            raise Killed(f"killed after record {record['seq']} ({kind})")
        return record

    journal._write = dying  # type: ignore[method-assign]


def abandon(session: DrillSession) -> None:
    """What is left after a SIGKILL: the files as written; sockets and handles are only released."""
    session.journal._handle.close()
    session.journal._closed = True
    session.ctx.close()
    session.target.close()
