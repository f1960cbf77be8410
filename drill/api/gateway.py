"""The Orchestration Cluster REST API (v2, port 8080): topology, readiness, and the data the drill proves survives.

Search is served from the region's Elasticsearch and is eventually consistent: a search right after creating an
instance may not find it, so callers poll with `drill.api.waits.wait_until` rather than expecting it at once.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from drill.api.base import BaseClient, call_of, decode_json, json_or_none, message_of, parse
from drill.api.models import Deployment, ProcessInstance, SearchResult, Topology

JSON_ACCEPT = {"Accept": "application/json"}
INSTANCE_SEARCH = "/v2/process-instances/search"


def variable_filter(variables: dict[str, Any]) -> list[dict[str, str]]:
    """The v2 search's variable filter: each value as its JSON text (`"x"` for the string x, `3` for 3)."""
    return [{"name": name, "value": json.dumps(value)} for name, value in variables.items()]


def instance_search_body(
    *, process_definition_id: str | None = None, variables: dict[str, Any] | None = None, limit: int = 100
) -> dict[str, Any]:
    """The body of `POST /v2/process-instances/search`, with only the filters that are set."""
    filt: dict[str, Any] = {}
    if process_definition_id is not None:
        filt["processDefinitionId"] = process_definition_id
    if variables:
        filt["variables"] = variable_filter(variables)
    body: dict[str, Any] = {"filter": filt} if filt else {}
    body["page"] = {"limit": limit}
    return body


class GatewayClient(BaseClient):
    def _error_detail(self, response: httpx.Response) -> str | None:
        """Problem details (RFC 9457): `title: detail`."""
        body = json_or_none(response)
        detail = message_of(body, "detail", "message")
        title = message_of(body, "title")
        if detail and title:
            return f"{title}: {detail}"
        return detail or title

    def topology(self) -> Topology:
        call, body = self._get_json("/v2/topology", headers=JSON_ACCEPT)
        return parse(call, Topology.from_json, body)

    def ready(self) -> bool:
        """`/v2/status`: whether any partition has a healthy leader (unauthenticated in the real API)."""
        response = self._send("GET", "/v2/status", expect=(204, 503))
        return response.status_code == 204

    def deploy(self, resource_name: str, content: bytes) -> Deployment:
        files = {"resources": (resource_name, content, "application/octet-stream")}
        # Zeebe keeps the version of a resource deployed again unchanged, so a repeat deploys nothing new.
        call, body = self._call_json(
            "POST", "/v2/deployments", expect=(200,), files=files, headers=JSON_ACCEPT, idempotent=True
        )
        return parse(call, Deployment.from_json, body)

    def create_instance(self, process_definition_id: str, variables: dict[str, Any] | None = None) -> ProcessInstance:
        request: dict[str, Any] = {"processDefinitionId": process_definition_id}
        if variables is not None:
            request["variables"] = variables
        # Not idempotent: every request that arrives starts another instance.
        call, body = self._call_json("POST", "/v2/process-instances", expect=(200,), json=request, headers=JSON_ACCEPT)
        return parse(call, ProcessInstance.from_json, body)

    def search_process_instances(
        self,
        *,
        process_definition_id: str | None = None,
        variables: dict[str, Any] | None = None,
        limit: int = 100,
    ) -> SearchResult:
        body = instance_search_body(process_definition_id=process_definition_id, variables=variables, limit=limit)
        return self.search(INSTANCE_SEARCH, body)

    def search(self, path: str, body: dict[str, Any]) -> SearchResult:
        """Any v2 search endpoint (`/v2/process-definitions/search`, ...): the same paged shape."""
        response = self._send("POST", path, expect=(200,), json=body, headers=JSON_ACCEPT, idempotent=True)  # a read
        return parse(call_of(response.request), SearchResult.from_json, decode_json(response))
