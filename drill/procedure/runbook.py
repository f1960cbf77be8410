"""The printable runbook: the procedure for one lost region as the commands a person would type.

Built from the same step and action objects the drill runs, so the printed commands and the drill's requests
cannot drift apart; the places where the drill deliberately differs from the official document are comments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drill.procedure import shell
from drill.procedure.catalog import steps
from drill.procedure.params import LEGACY_EXPORTER_PREFIX, DrillParams
from drill.procedure.step import Step


@dataclass(frozen=True)
class RunbookSetup:
    """What the operator fills in once: kube contexts, namespaces, release and chart version."""

    contexts: tuple[str, str] = ("$CLUSTER_0", "$CLUSTER_1")
    namespaces: tuple[str, str] = ("camunda-region0", "camunda-region1")
    release_name: str = "camunda"
    chart_version: str = "13.12.7"


def prelude(params: DrillParams, setup: RunbookSetup) -> list[str]:
    lost, surviving = params.lost_region, params.surviving_region
    lines = [
        f"# Camunda 8 dual-region: region {lost} lost, region {surviving} survives "
        f"(clusterSize {params.shape.cluster_size}, partitions {params.shape.partitions}, "
        f"replicationFactor {params.shape.replication_factor}; procedure variant {params.variant})",
    ]
    lines += _version_note(params)
    lines += [
        f"export CAMUNDA_RELEASE_NAME={setup.release_name}",
        f"export HELM_CHART_VERSION={setup.chart_version}",
    ]
    for region in (0, 1):
        if setup.contexts[region] != f"$CLUSTER_{region}":
            lines.append(f"export CLUSTER_{region}={setup.contexts[region]}")
        lines.append(f"export CAMUNDA_NAMESPACE_{region}={setup.namespaces[region]}")
    lines += [
        f"export CLUSTER_SURVIVING=$CLUSTER_{surviving}",
        f"export CLUSTER_RECREATED=$CLUSTER_{lost}",
        f"export CAMUNDA_NAMESPACE_SURVIVING=$CAMUNDA_NAMESPACE_{surviving}",
        f"export CAMUNDA_NAMESPACE_RECREATED=$CAMUNDA_NAMESPACE_{lost}",
        f"export REGION_SURVIVING=region{surviving}",
        f"export REGION_RECREATED=region{lost}",
    ]
    if params.repository.type == "s3":
        bucket = params.repository.settings.get("bucket", "<bucket>")
        lines.append(f"export S3_BUCKET_NAME={bucket}")
    return lines


def _version_note(params: DrillParams) -> list[str]:
    """The document's info box, where it applies: the legacy exporters follow every step of the new ones."""
    if params.camunda_version == "8.8":
        return []
    legacy = f"{LEGACY_EXPORTER_PREFIX}0/1"
    if params.camunda_version == "8.7":
        return [
            f"# Camunda 8.8 migrated from 8.7: the legacy exporters {legacy} are enabled, so each exporter step "
            "acts on them too, one change at a time"
        ]
    return [
        f"# Camunda version auto: the {legacy} commands apply only when GET /actuator/exporters lists them ENABLED "
        "(a migrated 8.7 setup, e.g. with Optimize); when both are DISABLED, skip them"
    ]


def render(
    params: DrillParams,
    setup: RunbookSetup | None = None,
    *,
    sequence: Sequence[Step] | None = None,
    overrides: Mapping[str, list[str]] | None = None,
) -> str:
    """The runbook of `sequence` (default: the procedure's steps). `overrides` replaces a step's action lines with
    the target's own commands, e.g. how kind loses a region in the chosen loss mode."""
    setup = setup or RunbookSetup()
    overrides = overrides or {}
    out = prelude(params, setup)
    forwarded: set[str] = set()

    def once(lines: list[str]) -> list[str]:
        fresh = [line for line in lines if not (shell.is_port_forward(line) and line in forwarded)]
        forwarded.update(line for line in lines if shell.is_port_forward(line))
        return fresh

    for step in steps(params.variant) if sequence is None else sequence:
        out += ["", f"## {step.id}: {step.title}"]
        out += [f"# current state: {line}" for line in step.current_state]
        out += [f"# desired state: {line}" for line in step.desired_state]
        out += [f"# drill: {note}" for note in step.notes]
        if step.id in overrides:
            out += ["", *overrides[step.id]]
            continue
        for action in step.actions(params):
            out += ["", f"# {action.describe()}"]
            out += once(action.shell(params))
        verification = once(step.verification(params))
        if verification:
            out += ["", "# verify", *verification]
    return "\n".join(out) + "\n"
