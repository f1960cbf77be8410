"""The management API (port 9600) of a region's gateway: `/actuator/cluster`, exporters, exporting, partitions.

Unauthenticated, as deployed by the Helm chart. Writes answer 202 with the planned operations and complete
later; errors are `{"message": ...}` with the status the real endpoint maps them to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from drill.sim.http.common import Gate, compact_json, json_body, message_error, query_flag
from drill.sim.http.faults import FaultMiddleware
from drill.sim.model import views
from drill.sim.model.deployment import Simulation
from drill.sim.model.errors import BadRequest, ModelError
from drill.sim.model.topology import brokers_of_region


def create_management_app(gate: Gate[Simulation], region: int) -> Any:
    def run(fn: Callable[[], Any], status: int = 200) -> Response:
        try:
            return compact_json(gate.call(fn), status=status)
        except ModelError as exc:
            return message_error(exc)

    async def get_cluster(request: Request) -> Response:
        return run(lambda: views.cluster(gate.sim.zeebe))

    async def patch_cluster(request: Request) -> Response:
        try:
            body = await json_body(request, default={})
        except ValueError as exc:
            return message_error(BadRequest(str(exc)))
        force, dry_run = query_flag(request, "force"), query_flag(request, "dryRun")
        return run(lambda: views.planned(gate.sim.zeebe.patch(body, force=force, dry_run=dry_run)), status=202)

    async def broker(request: Request) -> Response:
        try:
            broker_id = int(request.path_params["broker"])
        except ValueError:
            return message_error(BadRequest(f"Broker id must be a number, got {request.path_params['broker']!r}"))
        dry_run = query_flag(request, "dryRun")
        zeebe = gate.sim.zeebe
        if request.method == "POST":
            return run(lambda: views.planned(zeebe.add_broker(broker_id, dry_run=dry_run)), status=202)
        return run(lambda: views.planned(zeebe.remove_broker(broker_id, dry_run=dry_run)), status=202)

    async def set_brokers(request: Request) -> Response:
        try:
            body = await json_body(request)
        except ValueError as exc:
            return message_error(BadRequest(str(exc)))
        if not isinstance(body, list) or not all(isinstance(b, int) and not isinstance(b, bool) for b in body):
            return message_error(BadRequest(f"Expected a JSON array of broker ids, got {body!r}"))
        force, dry_run = query_flag(request, "force"), query_flag(request, "dryRun")
        rf_param = request.query_params.get("replicationFactor")
        zeebe = gate.sim.zeebe

        def plan() -> Any:
            members = set(zeebe.config.members)
            wanted = set(body)
            if force:
                if wanted - members:
                    raise BadRequest("Cannot force add brokers")
                return views.planned(zeebe.patch({"brokers": {"remove": sorted(members - wanted)}}, force=True))
            patch: dict[str, Any] = {"brokers": {"add": sorted(wanted - members), "remove": sorted(members - wanted)}}
            if rf_param is not None:
                if not rf_param.isdigit():
                    raise BadRequest(f"replicationFactor must be a number, got {rf_param!r}")
                patch["partitions"] = {"replicationFactor": int(rf_param)}
            return views.planned(zeebe.patch(patch, dry_run=dry_run))

        return run(plan, status=202)

    async def cancel_change(request: Request) -> Response:
        raw = request.path_params["change"]
        if not raw.isdigit():
            return message_error(BadRequest("Change id must be a number"))
        if query_flag(request, "dryRun"):
            return message_error(ModelError("Dry run is not supported for cancelling a change", status=501))

        def cancel() -> Any:
            gate.sim.zeebe.cancel_change(int(raw))
            return views.cluster(gate.sim.zeebe)

        return run(cancel)

    async def get_exporters(request: Request) -> Response:
        return run(lambda: views.exporters(gate.sim.zeebe))

    async def exporter_operation(request: Request) -> Response:
        exporter_id, operation = request.path_params["exporter"], request.path_params["operation"]
        if operation not in ("enable", "disable"):
            return PlainTextResponse(f"Unknown exporter operation: {operation}", status_code=400)
        dry_run = query_flag(request, "dryRun")
        zeebe = gate.sim.zeebe
        if operation == "disable":
            return run(lambda: views.planned(zeebe.disable_exporter(exporter_id, dry_run=dry_run)), status=202)
        try:
            body = await json_body(request, default={})
        except ValueError as exc:
            return message_error(BadRequest(str(exc)))
        if not isinstance(body, dict):
            return message_error(BadRequest(f"Expected a JSON object with 'initializeFrom', got {body!r}"))
        initialize_from = body.get("initializeFrom", request.query_params.get("initializeFrom"))
        if initialize_from is not None and not isinstance(initialize_from, str):
            return message_error(BadRequest(f"Expected 'initializeFrom' to be an exporter id, got {initialize_from!r}"))
        return run(
            lambda: views.planned(zeebe.enable_exporter(exporter_id, initialize_from=initialize_from, dry_run=dry_run)),
            status=202,
        )

    async def exporting(request: Request) -> Response:
        action = request.path_params["action"]
        zeebe = gate.sim.zeebe
        soft = query_flag(request, "soft")
        if action not in ("pause", "resume"):
            return message_error(ModelError(f"Unknown exporting operation: {action}", status=404))

        def act() -> None:
            if action == "pause":
                zeebe.pause_exporting(soft=soft)
            else:
                zeebe.resume_exporting()

        wrapped = gate.call(lambda: gate.sim.exporting_response) == "wrapped"
        try:
            gate.call(act)
        except ModelError as exc:
            if wrapped:  # newer 8.8 patches: always HTTP 200, the real status inside the body
                return compact_json({"body": {"message": exc.message}, "status": exc.status, "contentType": None})
            return message_error(exc)
        if wrapped:
            return compact_json({"body": None, "status": 204, "contentType": None})
        return Response(status_code=204)

    def local_broker() -> int | None:
        """The broker whose pod answered: port-forwarding a service lands on one of the region's pods."""
        running = sorted(
            b for b in brokers_of_region(gate.sim.settings.cluster_size, region) if b in gate.sim.zeebe.running
        )
        return running[0] if running else None

    async def get_partitions(request: Request) -> Response:
        def read() -> Any:
            broker_id = local_broker()
            return {} if broker_id is None else views.partitions(gate.sim, broker_id)

        return run(read)

    async def get_partition(request: Request) -> Response:
        partition = request.path_params["partition"]

        def read() -> Any:
            broker_id = local_broker()
            body = {} if broker_id is None else views.partitions(gate.sim, broker_id)
            if partition not in body:
                raise ModelError(f"partition {partition} is not on this broker", status=404)
            return body[partition]

        return run(read)

    async def health(request: Request) -> Response:
        body = gate.call(lambda: views.health(gate.sim))
        return compact_json(body, status=200 if body["status"] == "UP" else 503)

    async def readiness(request: Request) -> Response:
        broker_id = gate.call(local_broker)
        ready = broker_id is not None and gate.call(lambda: broker_id in gate.sim.zeebe.config.members)
        return compact_json({"status": "UP" if ready else "OUT_OF_SERVICE"}, status=200 if ready else 503)

    async def liveness(request: Request) -> Response:
        return compact_json({"status": "UP"})

    routes = [
        Route("/actuator/cluster", get_cluster, methods=["GET"]),
        Route("/actuator/cluster", patch_cluster, methods=["PATCH"]),
        Route("/actuator/cluster/brokers", set_brokers, methods=["POST"]),
        Route("/actuator/cluster/brokers/{broker}", broker, methods=["POST", "DELETE"]),
        Route("/actuator/cluster/changes/{change}", cancel_change, methods=["DELETE"]),
        Route("/actuator/exporters", get_exporters, methods=["GET"]),
        Route("/actuator/exporters/{exporter}/{operation}", exporter_operation, methods=["POST"]),
        Route("/actuator/exporting/{action}", exporting, methods=["POST"]),
        Route("/actuator/partitions", get_partitions, methods=["GET"]),
        Route("/actuator/partitions/{partition}", get_partition, methods=["GET"]),
        Route("/actuator/health", health, methods=["GET"]),
        Route("/actuator/health/readiness", readiness, methods=["GET"]),
        Route("/actuator/health/liveness", liveness, methods=["GET"]),
    ]
    return FaultMiddleware(Starlette(routes=routes), gate=gate, service="management", region=region)
