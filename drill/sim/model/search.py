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


def _request(body: Any) -> tuple[dict[str, Any], int, int]:
    """A search request's filter and page, validated; an absent body is an empty search."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest(f"Expected a JSON object as search request, got {json.dumps(body)}")
    start, limit = _page(body)
    return _filter(body), start, limit


INSTANCE_FIELDS = {
    "processDefinitionId": "bpmnProcessId",
    "processInstanceKey": "processInstanceKey",
    "processDefinitionKey": "processDefinitionKey",
    "processDefinitionVersion": "processVersion",
    "state": "state",
    "tenantId": "tenantId",
}


def _validate_instance_filter(filt: dict[str, Any]) -> None:
    """Refuse a malformed filter before searching, so the answer does not depend on what was exported."""
    for name, value in filt.items():
        if name == "variables":
            if not isinstance(value, list):
                raise BadRequest(f"Expected filter.variables to be a list of {{name, value}}, got {json.dumps(value)}")
            for wanted in value:
                if not isinstance(wanted, dict) or not isinstance(wanted.get("name"), str) or "value" not in wanted:
                    raise BadRequest(f"Expected a variable filter {{name, value}}, got {json.dumps(wanted)}")
        elif name not in INSTANCE_FIELDS:
            raise BadRequest(f"Unsupported process instance filter property '{name}'")


def _matches_instance(doc: dict[str, Any], filt: dict[str, Any]) -> bool:
    for name, value in filt.items():
        if name == "variables":
            variables = doc.get("variables", {})
            if not all(w["name"] in variables and json.dumps(variables[w["name"]]) == w["value"] for w in value):
                return False
        elif name.endswith("Key"):
            if str(doc.get(INSTANCE_FIELDS[name])) != str(value):
                return False
        elif doc.get(INSTANCE_FIELDS[name]) != value:
            return False
    return True


def process_instances(documents: list[dict[str, Any]], body: Any) -> dict[str, Any]:
    """`POST /v2/process-instances/search` over the documents of the list-view index."""
    filt, start, limit = _request(body)
    _validate_instance_filter(filt)
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


DEFINITION_FIELDS = ("processDefinitionId", "processDefinitionKey", "version", "name", "tenantId")


def process_definitions(documents: list[dict[str, Any]], body: Any) -> dict[str, Any]:
    """`POST /v2/process-definitions/search` over the documents of the process index."""
    filt, start, limit = _request(body)
    unknown = sorted(set(filt) - set(DEFINITION_FIELDS))
    if unknown:
        raise BadRequest(f"Unsupported process definition filter properties {unknown}")
    hits = []
    for doc in documents:
        item = {
            "processDefinitionKey": str(doc["key"]),
            "processDefinitionId": doc["bpmnProcessId"],
            "name": doc.get("name"),
            "version": doc["version"],
            "resourceName": doc["resourceName"],
            "tenantId": doc["tenantId"],
        }
        if all(item[k] == (str(v) if k.endswith("Key") else v) for k, v in filt.items()):
            hits.append(item)
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
