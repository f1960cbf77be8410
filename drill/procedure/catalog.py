"""The procedure's steps in order, per variant. Step ids never change; only the order of failback-5 does."""

from __future__ import annotations

from drill.procedure.failback import (
    AddBrokersBack,
    BackupAndRestore,
    DeactivateOperateTasklist,
    DeployRecreatedRegion,
    InitializeExporter,
    PauseExporting,
    ResumeExporting,
    StartOperateTasklist,
)
from drill.procedure.failover import DisableLostExporter, RemoveLostBrokers
from drill.procedure.params import VARIANTS, ParameterError
from drill.procedure.step import Step

FAILOVER: tuple[type[Step], ...] = (RemoveLostBrokers, DisableLostExporter)
FAILBACK_SEED: tuple[type[Step], ...] = (
    DeployRecreatedRegion,
    DeactivateOperateTasklist,
    PauseExporting,
    BackupAndRestore,
    StartOperateTasklist,
    InitializeExporter,
    ResumeExporting,
    AddBrokersBack,
)
# Newer revisions of the document and Camunda's CI start Operate/Tasklist last: a rollout in the recreated region
# blocks until its brokers have joined.
FAILBACK_OPERATE_LAST: tuple[type[Step], ...] = (
    *(s for s in FAILBACK_SEED if s is not StartOperateTasklist),
    StartOperateTasklist,
)


def steps(variant: str = "seed", phase: str | None = None) -> list[Step]:
    if variant not in VARIANTS:
        raise ParameterError(f"Expected procedure variant {' or '.join(VARIANTS)}, got {variant!r}")
    failback = FAILBACK_SEED if variant == "seed" else FAILBACK_OPERATE_LAST
    chosen = {"failover": FAILOVER, "failback": failback, None: FAILOVER + failback}.get(phase)
    if chosen is None:
        raise ParameterError(f"Expected phase failover or failback, got {phase!r}")
    return [cls() for cls in chosen]


def step(step_id: str, variant: str = "seed") -> Step:
    for candidate in steps(variant):
        if candidate.id == step_id:
            return candidate
    known = ", ".join(s.id for s in steps(variant))
    raise ParameterError(f"Expected a step id ({known}), got {step_id!r}")
