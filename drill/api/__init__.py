"""Typed clients for the HTTP APIs a Camunda 8 dual-region failover and failback drive.

`GatewayClient` (v2 REST API, port 8080), `ManagementClient` (actuator, port 9600) and `ElasticsearchClient`
(port 9200) each own one httpx.Client; every failure is an `ApiError` whose message names the request, what was
expected and what came back. Transient failures are retried within a `RetryPolicy`, writes only where repeating
them cannot apply them twice.
"""

from __future__ import annotations

from drill.api.auth import AuthKind, BasicAuth, OidcClientCredentials, auth_from
from drill.api.elasticsearch import ElasticsearchClient, repository_body
from drill.api.errors import (
    ApiError,
    ChangeFailed,
    HttpStatusError,
    ProtocolError,
    ShapeError,
    TransportError,
    WaitTimeout,
    WrappedStatusError,
)
from drill.api.gateway import GatewayClient, instance_search_body
from drill.api.management import (
    ManagementClient,
    change_outcome,
    cluster_patch_body,
    cluster_patch_query,
    enable_exporter_body,
)
from drill.api.models import (
    BrokerInfo,
    BrokerState,
    ChangeOutcome,
    ClusterHealth,
    ClusterState,
    CompletedChange,
    DeployedProcess,
    Deployment,
    ExporterStatus,
    ExportingResult,
    IndexInfo,
    Operation,
    PartitionInfo,
    PartitionMembership,
    PendingChange,
    PlannedChange,
    ProcessInstance,
    Repository,
    RestoreResult,
    SearchResult,
    SnapshotInfo,
    SnapshotStatus,
    Topology,
)
from drill.api.retry import RetryEvent, RetryPolicy
from drill.api.waits import Backoff, Waited, wait_until

__all__ = [
    "ApiError",
    "AuthKind",
    "Backoff",
    "BasicAuth",
    "BrokerInfo",
    "BrokerState",
    "ChangeFailed",
    "ChangeOutcome",
    "ClusterHealth",
    "ClusterState",
    "CompletedChange",
    "DeployedProcess",
    "Deployment",
    "ElasticsearchClient",
    "ExporterStatus",
    "ExportingResult",
    "GatewayClient",
    "HttpStatusError",
    "IndexInfo",
    "ManagementClient",
    "OidcClientCredentials",
    "Operation",
    "PartitionInfo",
    "PartitionMembership",
    "PendingChange",
    "PlannedChange",
    "ProcessInstance",
    "ProtocolError",
    "Repository",
    "RestoreResult",
    "RetryEvent",
    "RetryPolicy",
    "SearchResult",
    "ShapeError",
    "SnapshotInfo",
    "SnapshotStatus",
    "Topology",
    "TransportError",
    "WaitTimeout",
    "Waited",
    "WrappedStatusError",
    "auth_from",
    "change_outcome",
    "cluster_patch_body",
    "cluster_patch_query",
    "enable_exporter_body",
    "instance_search_body",
    "repository_body",
    "wait_until",
]
