"""The deployment's shape on the command line: `--cluster-size`, `--partitions`, `--replication-factor`.

Also the Elasticsearch data volume and throughputs (`run`, `sim up`): what the RTO forecast is made for.

`run`, `plan` and `check` all need the shape the deployment was installed with (failback must restore it), each
number from its option, else from the Helm values files, else the procedure's 8/8/4. One declaration and one
rule, so the three commands cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import click

from drill.procedure.params import DEFAULT_RESTORE_S_PER_GIB, DEFAULT_SNAPSHOT_S_PER_GIB, Shape

F = TypeVar("F", bound=Callable[..., object])


def shape_options(command: F) -> F:
    options = (
        click.option(
            "--cluster-size", type=click.IntRange(min=2), default=None, help="Brokers (default 8, or from --values)."
        ),
        click.option(
            "--partitions", type=click.IntRange(min=1), default=None, help="Partitions (default 8, or from --values)."
        ),
        click.option(
            "--replication-factor",
            type=click.IntRange(min=1),
            default=None,
            help="Replicas per partition (default 4, or from --values).",
        ),
    )
    return _stacked(command, options)


def _stacked(command: F, options: tuple[Callable[[F], F], ...]) -> F:
    """Apply the options so that `--help` lists them in the order given."""
    for option in reversed(options):
        command = option(command)
    return command


def resolve_shape(
    values_files: Sequence[Path], cluster_size: int | None, partitions: int | None, replication_factor: int | None
) -> Shape:
    """The configured shape: the values files' (or the procedure's 8/8/4), each option overriding its number.
    An impossible shape (odd clusterSize, replicationFactor above it) is a ParameterError naming the number."""
    from drill.targets import configured_shape

    return configured_shape(values_files, given(cluster_size, partitions, replication_factor))


def given(cluster_size: int | None, partitions: int | None, replication_factor: int | None) -> dict[str, int | None]:
    """The shape's numbers by field name, None where the option was not given."""
    return {"cluster_size": cluster_size, "partitions": partitions, "replication_factor": replication_factor}


def data_volume_options(command: F) -> F:
    """`--es-data-gb` and the snapshot and restore throughputs: `run` (forecast; sim: started with) and `sim up`."""
    options = (
        click.option(
            "--es-data-gb",
            type=float,
            default=0.0,
            show_default=True,
            help="GiB of data in each region's Elasticsearch: what failback-4 snapshots and restores (the RTO "
            "forecast is made for it; an embedded simulator is started with it).",
        ),
        click.option(
            "--restore-s-per-gib",
            type=float,
            default=DEFAULT_RESTORE_S_PER_GIB,
            show_default=True,
            help="Elasticsearch restore seconds per GiB (Camunda's published figure by default).",
        ),
        click.option(
            "--snapshot-s-per-gib",
            type=float,
            default=DEFAULT_SNAPSHOT_S_PER_GIB,
            show_default=True,
            help="Elasticsearch snapshot seconds per GiB (the simulator's figure by default).",
        ),
    )
    return _stacked(command, options)
