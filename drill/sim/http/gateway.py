"""The Orchestration Cluster REST API (port 8080) of a region: topology, deployments, instances, search.

Authentication is what the Helm chart deploys without an identity provider: HTTP basic with the fallback user
(`demo`/`demo` unless configured), 401 otherwise; or, with auth "oidc", a bearer token the simulated identity
provider issued and that has not expired. Searches read the region's own Elasticsearch, so they only
see what has been exported there. Errors are RFC 9457 problem details.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from drill.sim.http.common import Gate, compact_json, json_body, problem_detail
from drill.sim.http.faults import FaultMiddleware
from drill.sim.model import search, views
from drill.sim.model.deployment import Simulation
from drill.sim.model.errors import BadRequest, ModelError
from drill.sim.model.identity import TokenRegistry
from drill.sim.model.processes import DEFAULT_TENANT

TITLES = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 503: "Service Unavailable"}


def _authorised(sim: Simulation, header: str | None, tokens: TokenRegistry | None) -> bool:
    settings = sim.settings
    if settings.auth == "none":
        return True
    if settings.auth == "oidc":
        if tokens is None or not header or not header.lower().startswith("bearer "):
            return False
        return tokens.valid(header[7:].strip())
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return secrets.compare_digest(user, settings.username) and secrets.compare_digest(password, settings.password)


def create_gateway_app(gate: Gate[Simulation], region: int, tokens: TokenRegistry | None = None) -> Any:
    def authorised(request: Request) -> bool:
        header = request.headers.get("authorization")
        return gate.call(lambda: _authorised(gate.sim, header, tokens))

    def problem(exc: ModelError, request: Request) -> Response:
        return problem_detail(exc.status, TITLES.get(exc.status, "Error"), exc.message, request.url.path)

    def run(request: Request, fn: Callable[[], Any]) -> Response:
        if not authorised(request):
            return _unauthorised(request, gate.sim.settings.auth)
        try:
            return compact_json(gate.call(fn))
        except ModelError as exc:
            return problem(exc, request)

    async def read_json(request: Request) -> Any:
        try:
            return await json_body(request, default={})
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc

    async def topology(request: Request) -> Response:
        return run(request, lambda: views.v2_topology(gate.sim))

    async def status(request: Request) -> Response:
        healthy = gate.call(lambda: gate.sim.zeebe.has_any_leader())
        return Response(status_code=204 if healthy else 503)

    async def deployments(request: Request) -> Response:
        if not authorised(request):
            return _unauthorised(request, gate.sim.settings.auth)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return problem(BadRequest("Expected a multipart/form-data request with 'resources' parts"), request)
        async with request.form() as form:  # closes the spooled upload files
            resources = [part for part in form.getlist("resources") if isinstance(part, UploadFile)]
            tenant = form.get("tenantId")
            files = [(part.filename or "resource.bpmn", await part.read()) for part in resources]
        if not files:
            return problem(BadRequest("Expected at least one file part named 'resources'"), request)
        tenant_id = tenant if isinstance(tenant, str) and tenant else DEFAULT_TENANT

        def deploy() -> Any:
            entries: list[dict[str, Any]] = []
            key = None
            for name, content in files:
                key_for_file, definitions = gate.sim.zeebe.deploy(name, content, tenant_id)
                key = key if key is not None else key_for_file
                entries.extend(
                    {
                        "processDefinition": {
                            "processDefinitionId": d.process_id,
                            "processDefinitionVersion": d.version,
                            "resourceName": d.resource_name,
                            "tenantId": d.tenant_id,
                            "processDefinitionKey": str(d.key),
                        }
                    }
                    for d in definitions
                )
            return {"deploymentKey": str(key), "tenantId": tenant_id, "deployments": entries}

        return run(request, deploy)

    async def create_instance(request: Request) -> Response:
        try:
            body = await read_json(request)
        except BadRequest as exc:
            return problem(exc, request)

        def create() -> Any:
            if not isinstance(body, dict):
                raise BadRequest("Expected a JSON object with 'processDefinitionId' or 'processDefinitionKey'")
            zeebe = gate.sim.zeebe
            variables = body.get("variables") or {}
            if not isinstance(variables, dict):
                raise BadRequest(f"Expected 'variables' to be a JSON object, got {type(variables).__name__}")
            process_id = body.get("processDefinitionId")
            if process_id is None and body.get("processDefinitionKey") is not None:
                wanted = str(body["processDefinitionKey"])
                matches = [d for ds in zeebe.definitions.values() for d in ds if str(d.key) == wanted]
                if not matches:
                    raise ModelError(
                        f"Expected to find process definition with key '{wanted}', but none found", status=404
                    )
                process_id = matches[0].process_id
                version: Any = matches[0].version
            else:
                version = body.get("processDefinitionVersion")
            if not isinstance(process_id, str) or not process_id:
                raise BadRequest("Expected 'processDefinitionId' (a non-empty string) or 'processDefinitionKey'")
            if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
                raise BadRequest(f"Expected 'processDefinitionVersion' to be an integer, got {version!r}")
            record = zeebe.create_instance(process_id, variables=variables, version=version)
            value = record.value
            return {
                "processDefinitionId": value["processDefinitionId"],
                "processDefinitionVersion": value["processDefinitionVersion"],
                "tenantId": value["tenantId"],
                "variables": value["variables"],
                "processDefinitionKey": str(value["processDefinitionKey"]),
                "processInstanceKey": str(record.key),
                "tags": [],
            }

        return run(request, create)

    async def get_instance(request: Request) -> Response:
        key = request.path_params["key"]

        def read() -> Any:
            docs = gate.sim.elasticsearch(region).documents(search.INSTANCE_INDEX)
            found = search.process_instances(docs, {"filter": {"processInstanceKey": key}})["items"]
            if not found:
                raise ModelError(f"Process instance with key '{key}' not found", status=404)
            return found[0]

        return run(request, read)

    def searching(index: str, query: Callable[[list[dict[str, Any]], Any], Any]) -> Callable[[Request], Any]:
        """Search endpoints read the region's own Elasticsearch: only exported data is found."""

        async def handle(request: Request) -> Response:
            try:
                body = await read_json(request)
            except BadRequest as exc:
                return problem(exc, request)
            return run(request, lambda: query(gate.sim.elasticsearch(region).documents(index), body))

        return handle

    def webapp(name: str) -> Callable[[Request], Any]:
        async def page(request: Request) -> Response:
            active = gate.call(lambda: name in gate.sim.profiles(region))
            if not active:
                return problem(ModelError(f"{name} is not active in region {region}", status=404), request)
            return HTMLResponse(
                f"<!doctype html><title>{name.title()}</title><h1>{name.title()} (region {region})</h1>"
            )

        return page

    routes = [
        Route("/v2/topology", topology, methods=["GET"]),
        Route("/v2/status", status, methods=["GET"]),
        Route("/v2/deployments", deployments, methods=["POST"]),
        Route("/v2/process-instances", create_instance, methods=["POST"]),
        Route(
            "/v2/process-instances/search",
            searching(search.INSTANCE_INDEX, search.process_instances),
            methods=["POST"],
        ),
        Route("/v2/process-instances/{key}", get_instance, methods=["GET"]),
        Route(
            "/v2/process-definitions/search",
            searching(search.DEFINITION_INDEX, search.process_definitions),
            methods=["POST"],
        ),
        Route("/operate", webapp("operate"), methods=["GET"]),
        Route("/tasklist", webapp("tasklist"), methods=["GET"]),
    ]
    return FaultMiddleware(Starlette(routes=routes), gate=gate, service="gateway", region=region)


def _unauthorised(request: Request, auth: str) -> Response:
    if auth == "oidc":
        detail, challenge = "Expected a valid bearer token (OIDC) for the v2 API", 'Bearer realm="camunda"'
    else:
        detail, challenge = "Expected valid credentials (HTTP basic) for the v2 API", 'Basic realm="camunda"'
    response = problem_detail(401, "Unauthorized", detail, request.url.path)
    response.headers["WWW-Authenticate"] = challenge
    return response
