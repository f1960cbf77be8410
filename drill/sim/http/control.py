"""The simulator's control API: what kubectl, helm and the region's cloud would do, plus fault injection.

The drill's SimPlatform talks to this app; a person practising the runbook can use it with curl as well.
State-changing calls reconcile the served endpoints afterwards, so a lost region stops answering at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from drill.sim.http.common import Gate, compact_json, json_body
from drill.sim.model.deployment import Simulation, default_values
from drill.sim.model.errors import BadRequest, ModelError, Unavailable
from drill.sim.model.state import snapshot

Reconcile = Callable[[], Awaitable[None]]
FENCE_NAME = "c8-drill-fence"  # the name the drill's NetworkPolicy has on kube


def create_control_app(
    gate: Gate[Simulation], reconcile: Reconcile, endpoints: Callable[[], dict[str, Any]]
) -> Starlette:
    def error(exc: ModelError) -> Response:
        return compact_json({"error": exc.message}, status=exc.status)

    async def body_of(request: Request, default: Any = None) -> Any:
        try:
            return await json_body(request, default=default)
        except ValueError as exc:
            raise BadRequest(str(exc)) from exc

    def region_of(request: Request) -> int:
        raw = request.path_params["region"]
        if raw not in ("0", "1"):
            raise ModelError(f"Expected region 0 or 1, got {raw!r}", status=404)
        return int(raw)

    def endpoint(fn: Callable[[Request], Awaitable[Any]], *, changes: bool = False) -> Callable[..., Any]:
        async def handle(request: Request) -> Response:
            try:
                result = await fn(request)
            except ModelError as exc:
                return error(exc)
            if changes:
                await reconcile()
            if isinstance(result, Response):
                return result
            return compact_json(result)

        return handle

    async def state(request: Request) -> Any:
        return gate.call(lambda: snapshot(gate.sim))

    async def timeline(request: Request) -> Any:
        """What asynchronous work completed, at the modelled instant (see drill.sim.model.timeline)."""
        return gate.call(lambda: gate.sim.timeline.to_json())

    async def get_endpoints(request: Request) -> Any:
        return endpoints()

    async def lose(request: Request) -> Any:
        region = region_of(request)
        gate.call(lambda: gate.sim.lose_region(region))
        return {"region": region, "lost": True}

    async def back(request: Request) -> Any:
        region = region_of(request)
        gate.call(lambda: gate.sim.return_region(region))
        return {"region": region, "lost": False}

    async def recreate(request: Request) -> Any:
        region = region_of(request)
        gate.call(lambda: gate.sim.recreate_region(region))
        return {"region": region, "recreated": True, "release": None, "volumes": []}

    async def fence(request: Request) -> Any:
        """The namespace's deny-all policy, as `kubectl apply`/`delete`/`get networkpolicy c8-drill-fence` would
        change and show it. It answers while the region is lost (see `Simulation.fence_region`)."""
        region = region_of(request)
        if request.method == "POST":
            applied = gate.call(lambda: gate.sim.fence_region(region))
            return {**gate.call(lambda: _fence(gate.sim, region)), "changed": applied}
        if request.method == "DELETE":
            lifted = gate.call(lambda: gate.sim.lift_fence(region))
            return {**gate.call(lambda: _fence(gate.sim, region)), "changed": lifted}
        return gate.call(lambda: _fence(gate.sim, region))

    async def public(request: Request) -> Any:
        return {"routesTo": gate.call(lambda: gate.sim.public_region)}

    async def route_public(request: Request) -> Any:
        """What a DNS change does to the public name: `{"region": N}` sends users to region N's gateway."""
        body = await body_of(request, default={})
        region = body.get("region") if isinstance(body, dict) else None
        if isinstance(region, bool) or region not in (0, 1):
            raise BadRequest(f'Expected a JSON object {{"region": 0 or 1}}, got {body!r}')
        gate.call(lambda: gate.sim.route_public(region))
        return {"routesTo": region}

    async def region_info(request: Request) -> Any:
        """What the cloud knows of a region even while it is lost: its namespace and the release it should run."""
        region = region_of(request)
        settings = gate.sim.settings
        return {
            "region": region,
            "namespace": gate.call(lambda: gate.sim.regions[region].namespace),
            "releaseName": settings.release_name,
            "chartVersion": settings.chart_version,
        }

    async def namespace(request: Request) -> Any:
        """What `helm status` and `kubectl get pvc` would show; a lost region's Kubernetes API does not answer."""
        region = region_of(request)

        def read() -> dict[str, Any]:
            r = gate.sim.regions[region]
            if r.lost:
                raise Unavailable(f"Kubernetes cluster of region {region} is unreachable (region lost)")
            release = r.release
            return {
                "namespace": r.namespace,
                "release": None if release is None else release.name,
                "releaseStatus": None if release is None else release.status,
                "revision": None if release is None else release.revision,
                "volumes": sorted(r.volumes),
                "fenced": r.fenced,
            }

        return gate.call(read)

    async def helm_install(request: Request) -> Any:
        return await _helm(request, upgrade=False)

    async def helm_upgrade(request: Request) -> Any:
        return await _helm(request, upgrade=True)

    async def _helm(request: Request, *, upgrade: bool) -> Any:
        region = region_of(request)
        body = await body_of(request, default={})
        if not isinstance(body, dict):
            raise BadRequest("Expected a JSON object {values, set, setString}")
        # Without explicit values, the region's original values: "the same value files that were used during the
        # initial deployment", as the procedure says.
        values = body.get("values")
        if values is None:
            values = default_values(gate.sim.settings, region)
        sets = body.get("set") or []
        set_strings = body.get("setString") or []
        if not isinstance(values, dict):
            raise BadRequest(f"Expected 'values' to be an object, got {type(values).__name__}")
        for name, items in (("set", sets), ("setString", set_strings)):
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise BadRequest(f"Expected '{name}' to be a list of key=value strings")
        if upgrade:
            install = bool(body.get("install", False))
            release = gate.call(lambda: gate.sim.helm_upgrade(region, values, sets, set_strings, install=install))
        else:
            release = gate.call(lambda: gate.sim.helm_install(region, values, sets, set_strings))
        return {"name": release.name, "revision": release.revision, "status": release.status}

    async def helm_uninstall(request: Request) -> Any:
        region = region_of(request)
        gate.call(lambda: gate.sim.helm_uninstall(region))
        return {"region": region, "uninstalled": True}

    async def release(request: Request) -> Any:
        region = region_of(request)
        return gate.call(lambda: snapshot(gate.sim)["regions"][str(region)]["release"])

    async def original_values(request: Request) -> Any:
        return default_values(gate.sim.settings, region_of(request))

    async def delete_volumes(request: Request) -> Any:
        region = region_of(request)
        return {"deleted": gate.call(lambda: gate.sim.delete_volumes(region))}

    async def pods(request: Request) -> Any:
        region = region_of(request)
        return gate.call(lambda: gate.sim.pods(region))

    async def pod_logs(request: Request) -> Any:
        region, name = region_of(request), request.path_params["pod"]
        lines = gate.call(lambda: gate.sim.pod_logs(region, name))
        return PlainTextResponse("\n".join(lines) + "\n")

    async def configmaps(request: Request) -> Any:
        region = region_of(request)
        return gate.call(lambda: gate.sim.configmaps(region))

    async def configmap(request: Request) -> Any:
        region, name = region_of(request), request.path_params["name"]
        found = gate.call(lambda: gate.sim.configmaps(region))
        if name not in found:
            raise ModelError(f'configmaps "{name}" not found', status=404)
        return {"name": name, "data": found[name]}

    async def user_action(request: Request) -> Any:
        region = region_of(request)
        body = await body_of(request, default={})
        if not isinstance(body, dict):
            raise BadRequest("Expected a JSON object {app, action, target}")
        app, action, target = body.get("app", "tasklist"), body.get("action", "assign"), body.get("target", "")
        return gate.call(lambda: gate.sim.user_action(region, str(app), str(action), str(target)))

    async def faults(request: Request) -> Any:
        if request.method == "GET":
            return gate.call(lambda: [f.to_json() for f in gate.sim.faults.all()])
        if request.method == "DELETE":
            gate.call(lambda: gate.sim.faults.clear())
            return {"cleared": True}
        spec = await body_of(request, default={})
        if isinstance(spec, dict) and spec.get("kind") in ("snapshot", "change", "health", "version"):
            return gate.call(lambda: _model_fault(gate.sim, spec))
        return gate.call(lambda: gate.sim.faults.add(spec).to_json())

    async def delete_fault(request: Request) -> Any:
        raw = request.path_params["fault"]
        if not raw.isdigit():
            raise BadRequest(f"Expected a fault id, got {raw!r}")
        gate.call(lambda: gate.sim.faults.remove(int(raw)))
        return {"removed": int(raw)}

    async def settings(request: Request) -> Any:
        body = await body_of(request, default={})
        if not isinstance(body, dict):
            raise BadRequest("Expected a JSON object of settings")
        if "exportingResponse" in body:
            gate.call(lambda: gate.sim.set_exporting_response(str(body["exportingResponse"])))
        return {"exportingResponse": gate.call(lambda: gate.sim.exporting_response)}

    routes = [
        Route("/state", endpoint(state), methods=["GET"]),
        Route("/timeline", endpoint(timeline), methods=["GET"]),
        Route("/endpoints", endpoint(get_endpoints), methods=["GET"]),
        Route("/settings", endpoint(settings), methods=["GET", "POST"]),
        Route("/regions/{region}", endpoint(region_info), methods=["GET"]),
        Route("/regions/{region}/namespace", endpoint(namespace), methods=["GET"]),
        Route("/regions/{region}/lose", endpoint(lose, changes=True), methods=["POST"]),
        Route("/regions/{region}/return", endpoint(back, changes=True), methods=["POST"]),
        Route("/regions/{region}/recreate", endpoint(recreate, changes=True), methods=["POST"]),
        Route("/regions/{region}/fence", endpoint(fence, changes=True), methods=["GET", "POST", "DELETE"]),
        Route("/public", endpoint(public), methods=["GET"]),
        Route("/public/route", endpoint(route_public), methods=["POST"]),
        Route("/regions/{region}/helm/install", endpoint(helm_install, changes=True), methods=["POST"]),
        Route("/regions/{region}/helm/upgrade", endpoint(helm_upgrade, changes=True), methods=["POST"]),
        Route("/regions/{region}/helm/uninstall", endpoint(helm_uninstall, changes=True), methods=["POST"]),
        Route("/regions/{region}/helm/release", endpoint(release), methods=["GET"]),
        Route("/regions/{region}/helm/default-values", endpoint(original_values), methods=["GET"]),
        Route("/regions/{region}/volumes", endpoint(delete_volumes, changes=True), methods=["DELETE"]),
        Route("/regions/{region}/pods", endpoint(pods), methods=["GET"]),
        Route("/regions/{region}/pods/{pod}/logs", endpoint(pod_logs), methods=["GET"]),
        Route("/regions/{region}/configmaps", endpoint(configmaps), methods=["GET"]),
        Route("/regions/{region}/configmaps/{name}", endpoint(configmap), methods=["GET"]),
        Route("/regions/{region}/user-actions", endpoint(user_action), methods=["POST"]),
        Route("/faults", endpoint(faults), methods=["GET", "POST", "DELETE"]),
        Route("/faults/{fault}", endpoint(delete_fault), methods=["DELETE"]),
    ]
    return Starlette(routes=routes)


def _fence(sim: Simulation, region: int) -> dict[str, Any]:
    r = sim.regions[region]
    policy = {"name": FENCE_NAME, "namespace": r.namespace, "podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return {"region": region, "fenced": r.fenced, "policy": policy if r.fenced else None}


def _model_fault(sim: Simulation, spec: dict[str, Any]) -> dict[str, Any]:
    """Faults of the model rather than the transport: a snapshot or a cluster change that ends badly, a version skew."""
    kind = spec["kind"]
    region = spec.get("region", 0)
    if kind == "version":
        return _version_fault(sim, spec)
    if kind == "change":
        sim.zeebe.fail_next_change()
        return {"kind": "change", "armed": "next configuration change ends FAILED"}
    if isinstance(region, bool) or region not in (0, 1):
        raise BadRequest(f"Expected region 0 or 1, got {region!r}")
    es = sim.elasticsearch(region)
    if kind == "snapshot":
        state = spec.get("state", "FAILED")
        if state not in ("PARTIAL", "FAILED"):
            raise BadRequest(f"Expected snapshot state PARTIAL or FAILED, got {state!r}")
        es.fail_next_snapshot(state)
        return {"kind": "snapshot", "region": region, "armed": f"next snapshot ends {state}"}
    status = spec.get("status")
    if status not in ("red", "yellow", "green", None):
        raise BadRequest(f"Expected health red, yellow, green or null, got {status!r}")
    es.force_health(None if status in (None, "green") else status)
    return {"kind": "health", "region": region, "status": status or "green"}


def _version_fault(sim: Simulation, spec: dict[str, Any]) -> dict[str, Any]:
    """A version skew a readiness check must catch: one broker on another version (a rolling upgrade half done,
    `{"kind":"version","broker":3,"version":"8.8.1"}`) or one region's Elasticsearch on another version
    (`{"kind":"version","region":1,"service":"elasticsearch","version":"8.17.0"}`)."""
    version = spec.get("version")
    if not isinstance(version, str) or not version:
        raise BadRequest(f"Expected 'version' to be a version string, got {version!r}")
    if spec.get("service") == "elasticsearch":
        region = spec.get("region")
        if isinstance(region, bool) or region not in (0, 1):
            raise BadRequest(f"Expected region 0 or 1, got {region!r}")
        sim.elasticsearch(region).version = version
        return {"kind": "version", "region": region, "service": "elasticsearch", "version": version}
    broker = spec.get("broker")
    if not isinstance(broker, int) or isinstance(broker, bool) or broker not in range(sim.settings.cluster_size):
        raise BadRequest(f"Expected 'broker' to be a broker id below {sim.settings.cluster_size}, got {broker!r}")
    sim.zeebe.broker_versions[broker] = version
    return {"kind": "version", "broker": broker, "version": version}
