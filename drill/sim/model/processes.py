"""Process definitions and instances as Zeebe records, and what the Camunda exporter writes for them.

The simulator does not execute BPMN: a created instance waits at its first task, which is all the drill needs to
prove that an instance written at a given moment is (or is not) visible in each region's Elasticsearch.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drill.sim.clock import iso
from drill.sim.model import camunda_schema
from drill.sim.model.errors import BadRequest

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_TENANT = "<default>"
KEY_PARTITION_SHIFT = 51


def encode_key(partition: int, counter: int) -> int:
    """Zeebe keys carry the partition id in their top bits, so a key says where its entity lives."""
    return (partition << KEY_PARTITION_SHIFT) + counter


@dataclass(frozen=True)
class ParsedProcess:
    process_id: str
    name: str | None


def parse_bpmn(resource_name: str, content: bytes) -> list[ParsedProcess]:
    """Extract the executable processes; reject what Zeebe would reject with the reason it would give."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise BadRequest(f"Expected to deploy new resources, but '{resource_name}' is not valid XML: {exc}") from exc
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BadRequest(
            f"Expected to deploy new resources, but '{resource_name}' is not a BPMN 2.0 definitions document "
            f"(root element {root.tag})"
        )
    processes = [
        ParsedProcess(el.attrib["id"], el.attrib.get("name"))
        for el in root.iter(f"{{{BPMN_NS}}}process")
        if el.attrib.get("isExecutable", "true").lower() == "true" and "id" in el.attrib
    ]
    if not processes:
        raise BadRequest(f"Expected to deploy new resources, but '{resource_name}' contains no executable process")
    return processes


@dataclass
class ProcessDefinition:
    key: int
    process_id: str
    name: str | None
    version: int
    resource_name: str
    tenant_id: str
    checksum: int


@dataclass
class Record:
    """One entry of a partition's log; `written_at` is monotonic model time, `timestamp` what APIs show."""

    position: int
    partition: int
    value_type: str
    key: int
    value: dict[str, Any]
    timestamp: datetime
    written_at: float


@dataclass
class ExportedDocument:
    index: str
    doc_id: str
    source: dict[str, Any] = field(default_factory=dict)


def documents_for(record: Record) -> list[ExportedDocument]:
    """What the Camunda exporter writes to Elasticsearch for a record."""
    value = record.value
    if record.value_type == "PROCESS":
        return [
            ExportedDocument(
                camunda_schema.PROCESS,
                str(record.key),
                {
                    "key": record.key,
                    "bpmnProcessId": value["processDefinitionId"],
                    "name": value.get("name"),
                    "version": value["version"],
                    "resourceName": value["resourceName"],
                    "tenantId": value["tenantId"],
                    "partitionId": record.partition,
                },
            )
        ]
    if record.value_type == "PROCESS_INSTANCE":
        key = record.key
        docs = [
            ExportedDocument(
                camunda_schema.LIST_VIEW,
                str(key),
                {
                    "key": key,
                    "processInstanceKey": key,
                    "processDefinitionKey": value["processDefinitionKey"],
                    "bpmnProcessId": value["processDefinitionId"],
                    "processName": value.get("processName"),
                    "processVersion": value["processDefinitionVersion"],
                    "state": "ACTIVE",
                    "startDate": iso(record.timestamp),
                    "tenantId": value["tenantId"],
                    "partitionId": record.partition,
                    "position": record.position,
                    "variables": dict(value.get("variables", {})),
                },
            )
        ]
        docs.extend(
            ExportedDocument(
                camunda_schema.VARIABLE,
                f"{key}-{name}",
                {"processInstanceKey": key, "name": name, "value": var, "tenantId": value["tenantId"]},
            )
            for name, var in value.get("variables", {}).items()
        )
        return docs
    return []
