"""Continuing an interrupted drill (`c8-drill run --resume JOURNAL`) without trusting its journal blindly.

The journal says which stages passed; the live system says where the procedure really is. A kill can land after
a change was sent and before its step ended, so the resumed run first lets a cluster change still in flight
finish, then, from the first stage the journal does not show as passed, reads each stage's current state (and,
where it holds, its desired state) and starts at the first stage whose current state holds and whose desired
state does not. The live state may be ahead of the journal (the kill came after a change landed), never behind
it without saying so: a stage skipped this way must prove its desired state live, or the drill does not resume,
since skipping a step that never happened is exactly what the procedure forbids. Stages the journal shows as
passed are not re-run; their Givens recur in later states (both regions answer again once the failback has
begun), so judging them live would send the drill back to its start. Everything is appended to the same
journal, so the hash chain runs unbroken through the interruption.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from drill.api.errors import ApiError
from drill.evidence.journal import JournalError, NotAJournal, read_verified
from drill.evidence.report.measures import Budgets
from drill.platform.base import PlatformError
from drill.procedure.checks import Check, holds
from drill.procedure.context import DrillContext
from drill.procedure.memory import Memory, restore
from drill.procedure.observe import journaled_wait
from drill.procedure.params import DrillParams, ParameterError, Shape, Timeouts
from drill.procedure.runner import record_checks
from drill.procedure.step import Step

GLANCE_S = 2.0  # at most this long a resume scan (or a dry run) waits on one check: it judges, it does not wait
GLANCE_FLOOR_S = 0.05  # at least this long: a second look, even where one would do (the simulator at time scale 0)


def glance(timeouts: Timeouts) -> Timeouts:
    """Bounds for judging a state: a couple of quiet windows (the target's own sense of "settled"), between
    GLANCE_FLOOR_S and GLANCE_S; the simulator's is a fraction of a second, a real cluster's the full cap."""
    return timeouts.capped(min(GLANCE_S, max(GLANCE_FLOOR_S, timeouts.quiet_window * 2)))


def _first(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((r for r in records if r.get("kind") == kind), None)


def _last(records: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((r for r in reversed(records) if r.get("kind") == kind), None)


def previous_records(path: Path, lost_region: int | None = None, target: str | None = None) -> list[dict[str, Any]]:
    """The interrupted drill's verified records; refuses (ParameterError) a journal there is nothing to resume in."""
    try:
        records, _ = read_verified(path)
    except NotAJournal as exc:
        raise ParameterError(str(exc)) from None
    except JournalError as exc:
        raise ParameterError(f"cannot resume from {path}: the journal does not verify: {exc}") from None
    start = _first(records, "drill_start")
    if start is None:
        raise ParameterError(f"cannot resume from {path}: expected a drill_start record, found none")
    if start.get("dry_run"):
        raise ParameterError(f"cannot resume from {path}: it is a dry run, which changed nothing; run the drill")
    if lost_region is not None and start.get("lost_region") != lost_region:
        raise ParameterError(
            f"cannot resume from {path}: expected a drill losing region {lost_region}, "
            f"the journal lost region {start.get('lost_region')!r}"
        )
    if target is not None and start.get("target") != target:
        raise ParameterError(
            f"cannot resume from {path}: expected target {start.get('target')!r}, as the drill ran, got {target!r}"
        )
    end = _last(records, "drill_end")
    if end is not None and end.get("verdict") == "passed":
        raise ParameterError(f"cannot resume from {path}: the drill passed; there is nothing to resume")
    return records


def lost_region_of(path: Path) -> int:
    region = _first(previous_records(path), "drill_start") or {}
    value = region.get("lost_region")
    if value not in (0, 1):
        raise ParameterError(f"cannot resume from {path}: expected lost region 0 or 1 in drill_start, got {value!r}")
    return int(value)


def params_of(records: Sequence[Mapping[str, Any]], params: DrillParams) -> DrillParams:
    """The drill's own settings win over the resumed command's: a resumed drill is the same drill."""
    start = _first(records, "drill_start") or {}
    shape = start.get("shape") or {}
    try:
        drill_shape = Shape(int(shape["clusterSize"]), int(shape["partitions"]), int(shape["replicationFactor"]))
    except (KeyError, TypeError, ValueError):
        drill_shape = params.shape
    return replace(
        params,
        variant=str(start.get("variant", params.variant)),
        camunda_version=str(start.get("camunda_version", params.camunda_version)),
        cause_loss=start.get("mode", "drill") == "drill",
        budgets=Budgets.from_json(start.get("budgets")),
        lost_for_s=float(start.get("lost_for_s", params.lost_for_s)),
        shape=drill_shape,
    )


def _read(ctx: DrillContext, step: Step, phase: str, read: Callable[[DrillContext], list[Check]]) -> bool:
    try:
        checks = read(ctx)
    except (ApiError, PlatformError) as exc:
        checks = [holds(f"{step.id} {phase} state", "readable", f"could not observe: {exc}", False)]
    record_checks(ctx, step, f"resume: {phase}", checks)
    return all(check.passed for check in checks)


def _settle(ctx: DrillContext) -> None:
    """A change sent just before the kill is let finish (bounded) before anything is judged."""

    awaits: dict[str, Any] = {"kind": "none"}  # until a probe sees a change in flight: then that change

    def settled() -> bool | None:
        pending = ctx.surviving.management.cluster().pending_change
        if pending is not None and awaits["kind"] == "none":
            awaits.update(kind="change", id=pending.id)
        return True if pending is None else None

    try:
        what = "no cluster change in progress"
        waited = journaled_wait(ctx, settled, what=what, awaits=awaits, timeout=ctx.timeouts.change)
        ctx.journal.note("resume: no cluster change in progress", after_s=round(waited.elapsed, 3))
    except (ApiError, PlatformError) as exc:
        ctx.journal.note("resume: could not see the cluster's pending change", error=str(exc))


def resume(
    ctx: DrillContext, sequence: Sequence[Step], records: Sequence[Mapping[str, Any]], operator: str | None = None
) -> tuple[dict[str, str], str | None]:
    """Stages to skip (id → why) and, when the drill cannot go on, why not."""
    if isinstance(ctx.memory, Memory):
        restore(ctx.memory, records)
    statuses: dict[str, str] = {}
    for record in records:
        if record.get("kind") == "step_end":
            statuses[str(record.get("step_id"))] = str(record.get("status"))
    end = _last(records, "drill_end")
    ctx.journal.append(
        "resume",
        after_seq=records[-1].get("seq"),
        previous_verdict=None if end is None else end.get("verdict"),
        previous_error=None if end is None else end.get("error"),
        stages=statuses,
        operator=operator or getpass.getuser(),
        host=socket.gethostname(),
    )
    _settle(ctx)
    patient = ctx.timeouts
    ctx.timeouts = glance(patient)
    try:
        start, held = _scan(ctx, sequence, statuses)
        skipped: dict[str, str] = {}
        for step in sequence[:start]:
            if statuses.get(step.id) == "passed":
                skipped[step.id] = "completed before the drill was stopped; the live state is past it"
                continue
            if step.id not in held and not _read(ctx, step, "desired", step.verify_desired):
                reason = (
                    f"cannot resume: {step.id} never completed (journal: {statuses.get(step.id, 'not run')}) and "
                    "its desired state does not hold live, nor does its current state; going on would skip it"
                )
                ctx.journal.append("resume_plan", start=None, reason=reason)
                return skipped, reason
            ctx.journal.append("step_start", step_id=step.id, title=step.title)
            ctx.journal.append(
                "step_end", step_id=step.id, status="passed", duration_s=0.0, error=None, verified_at_resume=True
            )
            skipped[step.id] = "its desired state was verified live when the drill resumed"
    finally:
        ctx.timeouts = patient
    first = sequence[start].id if start < len(sequence) else None
    ctx.journal.append("resume_plan", start=first, skipped=list(skipped))
    return skipped, None


def _scan(ctx: DrillContext, sequence: Sequence[Step], statuses: Mapping[str, str]) -> tuple[int, set[str]]:
    """From the first stage not passed in the journal: the index of the first stage whose current state holds and
    desired state does not (len when none), and the stages whose desired state held on the way."""
    held: set[str] = set()
    first = next((i for i, step in enumerate(sequence) if statuses.get(step.id) != "passed"), len(sequence))
    for index, step in enumerate(sequence[first:], start=first):
        if not _read(ctx, step, "current", step.check_current):
            continue
        if not _read(ctx, step, "desired", step.verify_desired):
            return index, held
        held.add(step.id)
    return len(sequence), held
