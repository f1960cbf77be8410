"""Orchestration Cluster search, served from a region's Elasticsearch: only what was exported is found.

That one property is what makes the drill's data checks meaningful: an instance that exists in Zeebe but never
reached a region's Elasticsearch is invisible there, exactly as in Operate.
"""

from __future__ import annotations

import json
from typing import Any

from drill.sim.model import camunda_schema
from drill.sim.model.errors import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000


def _page(body: dict[str, Any]) -> tuple[int, int]:
    page = body.get("page") or {}
    if not isinstance(page, dict):
        raise BadRequest(f"Expected 'page' to be an object, got {json.dumps(page)}")
    start = page.get("from", 0)
    limit = page.get("limit", DEFAULT_LIMIT)
    for name, value in (("from", start), ("limit", limit)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BadRequest(f"Expected page.{name} to be a non-negative integer, got {json.dumps(value)}")
    if limit > MAX_LIMIT:
        raise BadRequest(f"Expected page.limit to be at most {MAX_LIMIT}, got {limit}")
    return start, limit


def _filter(body: dict[str, Any]) -> dict[str, Any]:
    filt = body.get("filter") or {}
    if not isinstance(filt, dict):
        raise BadRequest(f"Expected 'filter' to be an object, got {json.dumps(filt)}")
    return filt


def _matches_instance(doc: dict[str, Any], filt: dict[str, Any]) -> bool:
    simple = {
        "processDefinitionId": doc.get("bpmnProcessId"),
        "processInstanceKey": str(doc.get("processInstanceKey")),
        "processDefinitionKey": str(doc.get("processDefinitionKey")),
        "processDefinitionVersion": doc.get("processVersion"),
        "state": doc.get("state"),
        "tenantId": doc.get("tenantId"),
    }
    for name, value in filt.items():
        if name == "variables":
            if not isinstance(value, list):
                raise BadRequest(f"Expected filter.variables to be a list of {{name, value}}, got {json.dumps(value)}")
            variables = doc.get("variables", {})
            for wanted in value:
                if not isinstance(wanted, dict) or "name" not in wanted or "value" not in wanted:
                    raise BadRequest(f"Expected a variable filter {{name, value}}, got {json.dumps(wanted)}")
                if wanted["name"] not in variables or json.dumps(variables[wanted["name"]]) != wanted["value"]:
                    return False
        elif name in simple:
            expected = str(value) if name.endswith("Key") else value
            if simple[name] != expected:
                return False
        else:
            raise BadRequest(f"Unsupported process instance filter property '{name}'")
    return True


def process_instances(documents: list[dict[str, Any]], body: Any) -> dict[str, Any]:
    """`POST /v2/process-instances/search` over the documents of the list-view index."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest(f"Expected a JSON object as search request, got {json.dumps(body)}")
    filt = _filter(body)
    start, limit = _page(body)
    hits = [doc for doc in documents if _matches_instance(doc, filt)]
    items = [
        {
            "processInstanceKey": str(doc["processInstanceKey"]),
            "processDefinitionId": doc["bpmnProcessId"],
            "processDefinitionName": doc.get("processName") or doc["bpmnProcessId"],
            "processDefinitionVersion": doc["processVersion"],
            "processDefinitionKey": str(doc["processDefinitionKey"]),
            "startDate": doc["startDate"],
            "state": doc["state"],
            "hasIncident": False,
            "tenantId": doc["tenantId"],
        }
        for doc in hits[start : start + limit]
    ]
    return _paged(items, len(hits), start)


def process_definitions(documents: list[dict[str, Any]], body: Any) -> dict[str, Any]:
    """`POST /v2/process-definitions/search` over the documents of the process index."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest(f"Expected a JSON object as search request, got {json.dumps(body)}")
    filt = _filter(body)
    start, limit = _page(body)
    hits = []
    for doc in documents:
        fields = {
            "processDefinitionId": doc["bpmnProcessId"],
            "processDefinitionKey": str(doc["key"]),
            "version": doc["version"],
            "name": doc.get("name"),
            "tenantId": doc["tenantId"],
        }
        unknown = sorted(set(filt) - set(fields))
        if unknown:
            raise BadRequest(f"Unsupported process definition filter properties {unknown}")
        if all(fields[k] == (str(v) if k.endswith("Key") else v) for k, v in filt.items()):
            hits.append(
                {
                    "processDefinitionKey": str(doc["key"]),
                    "processDefinitionId": doc["bpmnProcessId"],
                    "name": doc.get("name"),
                    "version": doc["version"],
                    "resourceName": doc["resourceName"],
                    "tenantId": doc["tenantId"],
                }
            )
    return _paged(hits[start : start + limit], len(hits), start)


def _paged(items: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
    return {
        "items": items,
        "page": {
            "totalItems": total,
            "startCursor": str(start) if items else None,
            "endCursor": str(start + len(items) - 1) if items else None,
        },
    }


INSTANCE_INDEX = camunda_schema.LIST_VIEW
DEFINITION_INDEX = camunda_schema.PROCESS
