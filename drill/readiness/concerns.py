"""The readiness concerns, in the order a reader checks a deployment: the cluster first, then its data path.

Each is what must hold, before anything goes wrong, for the procedure to bring a lost region back.
"""

from __future__ import annotations

from drill.procedure.step import Step
from drill.readiness.cluster import ShapeReady, TopologyReady, VersionsReady
from drill.readiness.data import ElasticsearchReady, ExportersReady, RepositoryReady


def concerns() -> list[Step]:
    """A fresh instance of each, in order."""
    return [TopologyReady(), ShapeReady(), ExportersReady(), ElasticsearchReady(), RepositoryReady(), VersionsReady()]
