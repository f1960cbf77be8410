"""The Elasticsearch indices a Camunda 8.8 orchestration cluster writes, and how exported records land in them.

Names follow the 8.8 harmonised schema. The schema manager creates all of them at startup unless
`CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA=false`; that is exactly what makes a later snapshot restore fail with
"an open index with same name already exists" when an operator forgets the flag in the recreated region.
"""

from __future__ import annotations

LIST_VIEW = "operate-list-view-8.3.0_"
PROCESS = "operate-process-8.3.0_"
VARIABLE = "operate-variable-8.3.0_"
OPERATION = "operate-operation-8.4.1_"
TASK = "tasklist-task-8.8.0_"

SCHEMA_INDICES: tuple[str, ...] = (
    "camunda-authorization-8.8.0_",
    "camunda-group-8.8.0_",
    "camunda-mapping-rule-8.8.0_",
    "camunda-role-8.8.0_",
    "camunda-tenant-8.8.0_",
    "camunda-user-8.8.0_",
    "operate-batch-operation-1.0.0_",
    "operate-decision-8.3.0_",
    "operate-decision-instance-8.3.0_",
    "operate-event-8.3.0_",
    "operate-flownode-instance-8.3.1_",
    "operate-incident-8.3.1_",
    LIST_VIEW,
    OPERATION,
    PROCESS,
    VARIABLE,
    "tasklist-form-8.4.0_",
    TASK,
)

# The legacy Elasticsearch exporter of an 8.7 installation (ids elasticsearchregion0/1, still enabled after a
# migration to 8.8 when e.g. Optimize reads them) writes raw Zeebe records to its own indices, never to Camunda's.
LEGACY_RECORD_PREFIX = "zeebe-record_"
_LEGACY_VALUE_TYPES = {PROCESS: "process", LIST_VIEW: "process-instance", VARIABLE: "variable"}


def legacy_index(index: str) -> str:
    """Where the legacy exporter writes what the Camunda exporter writes to `index`."""
    value_type = _LEGACY_VALUE_TYPES.get(index, index.split("-8.")[0])
    return f"{LEGACY_RECORD_PREFIX}{value_type}_8.7.0_"
