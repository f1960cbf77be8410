"""One readiness check, reported like a drill: a hash-chained journal, then report.html, report.json and junit.xml.

The check promises to change nothing, so its clients go through the read-only transport whatever transport the
caller passes: a write that any concern (or a future edit of one) would send is refused before it leaves, and
fails that concern naming the request. Concerns do not block each other as drill stages do: a deployment that is
not ready has every cause listed, not only the first.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field, replace
from pathlib import Path

from drill.api.read_only import ReadOnlyTransport
from drill.evidence.archive import archive_previous
from drill.evidence.journal import Journal
from drill.evidence.report.model import READINESS
from drill.evidence.report.write import Written, write_reports
from drill.procedure import session, stages
from drill.procedure.checks import Check, StepError
from drill.procedure.context import ClientOptions, DrillContext
from drill.procedure.params import DrillParams
from drill.procedure.runner import run_step
from drill.procedure.step import Step
from drill.readiness.concerns import concerns
from drill.targets import OpenTarget


@dataclass
class ConcernResult:
    id: str
    title: str
    passed: bool
    failing: list[Check] = field(default_factory=list)
    error: str | None = None

    def causes(self) -> list[str]:
        """What the operator reads: each check that did not hold, else the error that stopped the concern."""
        return [check.line() for check in self.failing] or ([self.error] if self.error else [])


@dataclass
class CheckOutcome:
    results: list[ConcernResult]
    written: Written

    @property
    def ready(self) -> bool:
        return all(result.passed for result in self.results)


def check_readiness(
    target: OpenTarget,
    params: DrillParams,
    report_dir: Path,
    *,
    client_options: ClientOptions | None = None,
    sequence: list[Step] | None = None,
    operator: str | None = None,
) -> CheckOutcome:
    """Run every concern against the target (closed afterwards) and write the reports into `report_dir` (an
    earlier check's folder there is kept under a new name)."""
    options = client_options or ClientOptions(gateway_auth=target.gateway_auth)
    options = replace(options, transport=ReadOnlyTransport.factory(options.transport))
    sequence = sequence if sequence is not None else concerns()
    try:
        archive_previous(report_dir)
        report_dir.mkdir(parents=True)
        journal = Journal.create(report_dir / "journal.jsonl", meta={"tool": "c8-dr-drill", "kind": READINESS})
    except BaseException:
        target.close()
        raise
    ctx: DrillContext | None = None
    results: list[ConcernResult] = []
    try:
        ctx = DrillContext.build(params, target.platforms, journal, options=options, timeouts=target.timeouts)
        _begin(ctx, target, sequence, operator)
        results = [_run(ctx, concern) for concern in sequence]
        failed = [r.id for r in results if not r.passed]
        journal.drill_end(
            verdict="failed" if failed else "passed", error=f"not ready: {', '.join(failed)}" if failed else None
        )
    except BaseException as exc:  # an interrupt: the journal still gets its end, the evidence stays readable
        journal.drill_end(verdict="failed", error=f"the check did not finish: {type(exc).__name__}: {exc}")
        raise
    finally:
        if ctx is not None:
            ctx.close()
        target.close()
        journal.close()
    return CheckOutcome(results, write_reports(journal.path, report_dir))


def _begin(ctx: DrillContext, target: OpenTarget, sequence: list[Step], operator: str | None) -> None:
    """The drill_start record a report reads, marked `purpose: readiness`: no region is lost, nothing is measured."""
    p = ctx.params
    ctx.journal.drill_start(
        purpose=READINESS,
        target=target.name,
        lost_region=None,
        contexts={str(r): h.platform.description for r, h in ctx.regions.items()},
        versions=session.versions(ctx),
        chart_version={str(r): h.platform.chart_version for r, h in ctx.regions.items()},
        operator=operator or getpass.getuser(),
        host=socket.gethostname(),
        procedure=[],
        variant=None,
        stages=[stages.describe(step, p) for step in sequence],
        shape={
            "clusterSize": p.shape.cluster_size,
            "partitions": p.shape.partitions,
            "replicationFactor": p.shape.replication_factor,
        },
        repository=p.repository.name,
    )


def _run(ctx: DrillContext, concern: Step) -> ConcernResult:
    """One concern; a concern that fails (or breaks) is reported and the next one still runs."""
    try:
        run_step(ctx, concern)
    except StepError as exc:
        return ConcernResult(concern.id, concern.title, False, list(exc.checks), str(exc))
    except Exception as exc:  # a broken observation is no verdict on the deployment, but it is not a pass either
        return ConcernResult(concern.id, concern.title, False, [], f"{type(exc).__name__}: {exc}")
    return ConcernResult(concern.id, concern.title, True)
