"""A region of the embedded simulator, reached over its control API exactly as a person with curl would.

The control API stands in for kubectl, helm and the cloud, so every call here has a real-target twin in
`KubePlatform`; a 503 from it means the region's Kubernetes is gone (lost region), as connection refused does on
kube. The HTTP transport is injectable so the evidence layer can journal these calls like any other.

Two differences from kube are deliberate: the fence can be applied while the region is lost (it stands for the
cloud's, so the drill can show a fenced region that returns staying out), and `SimRouter` switches the simulator's
public endpoint, which on a real deployment is the operator's DNS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from drill.api.errors import excerpt
from drill.api.transport import http_client
from drill.platform.base import (
    HelmRequest,
    HelmResult,
    NamespaceState,
    PlatformError,
    PodInfo,
    RegionUnreachable,
    ServiceUrls,
)
from drill.platform.helm_values import ValuesFileError, load_values_files, merge_values, split_set_argument

UNREACHABLE_STATUS = 503


class SimPlatform:
    def __init__(
        self,
        region: int,
        endpoints: Mapping[str, Any],
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.region = region
        self.description = f"sim region {region}"
        urls = endpoints.get(f"region{region}")
        control = endpoints.get("control")
        if not isinstance(urls, Mapping) or not isinstance(control, str):
            seen = f"keys {sorted(endpoints)}"
            raise PlatformError(self.description, "read endpoints", f"'region{region}' and 'control'", seen)
        self._urls = ServiceUrls(str(urls["gateway"]), str(urls["management"]), str(urls["elasticsearch"]))
        self._base = control.rstrip("/")
        self.client = http_client(base_url=self._base, transport=transport, timeout=timeout)
        try:
            info = self._object("read region", "GET", f"/regions/{region}")
        except PlatformError:
            self.client.close()
            raise
        self.namespace = str(info.get("namespace"))
        self.release_name = str(info.get("releaseName"))
        chart_version = info.get("chartVersion")
        self.chart_version = None if chart_version is None else str(chart_version)
        self.description = f"sim region {region} ({self.namespace})"

    def service_urls(self) -> ServiceUrls:
        """The simulator serves a recreated region on the same addresses, so these never change."""
        return self._urls

    # -- helm -----------------------------------------------------------------------------------------------------

    def values(self, request: HelmRequest | None = None) -> dict[str, Any]:
        original = self._object("read original values", "GET", f"/regions/{self.region}/helm/default-values")
        return merge_values(original, self._files(request.values_files if request else ()))

    def helm_install(self, request: HelmRequest) -> HelmResult:
        return self._helm("helm install", "install", self._helm_body(request))

    def helm_upgrade(self, request: HelmRequest, *, install: bool = False) -> HelmResult:
        body = {**self._helm_body(request), "install": install}
        return self._helm("helm upgrade --install" if install else "helm upgrade", "upgrade", body)

    def _helm_body(self, request: HelmRequest) -> dict[str, Any]:
        """The sim has no files and no strvals parser: values are sent merged, `--set` arguments pre-split.

        Without files the body has no `values`, so the sim uses the region's original values, as `-f` with the
        original files would on kube.
        """
        body: dict[str, Any] = {
            "set": [a for argument in request.sets for a in split_set_argument(argument)],
            "setString": [a for argument in request.set_strings for a in split_set_argument(argument)],
        }
        if request.values_files:
            body = {"values": self.values(request), **body}
        return body

    def _helm(self, operation: str, verb: str, body: dict[str, Any]) -> HelmResult:
        path = f"/regions/{self.region}/helm/{verb}"
        release = self._object(operation, "POST", path, body=body)
        command = self._curl("POST", path, body)
        try:
            return HelmResult(str(release["name"]), int(release["revision"]), str(release["status"]), command)
        except (KeyError, TypeError, ValueError) as exc:
            seen = f"no {exc} in {excerpt(json.dumps(release))}"
            raise PlatformError(self.description, operation, "name, revision and status", seen) from exc

    def _curl(self, method: str, path: str, body: dict[str, Any]) -> tuple[str, ...]:
        """The curl command equivalent to a control call: what a person practising the runbook would type."""
        data = json.dumps(body, separators=(",", ":"))
        url = f"{self._base}{path}"
        return ("curl", "-sS", "-X", method, url, "-H", "Content-Type: application/json", "-d", data)

    def helm_uninstall(self) -> None:
        self._request("helm uninstall", "POST", f"/regions/{self.region}/helm/uninstall")

    # -- namespace and volumes ------------------------------------------------------------------------------------

    def namespace_state(self) -> NamespaceState:
        try:
            state = self._object("read namespace", "GET", f"/regions/{self.region}/namespace")
        except RegionUnreachable:
            return NamespaceState(reachable=False, release=None, release_status=None, volumes=())
        volumes = state.get("volumes")
        if not isinstance(volumes, list):
            raise PlatformError(self.description, "read namespace", "a list of volumes", repr(volumes))
        release, status = state.get("release"), state.get("releaseStatus")
        return NamespaceState(
            reachable=True,
            release=None if release is None else str(release),
            release_status=None if status is None else str(status),
            volumes=tuple(str(v) for v in volumes),
        )

    def delete_volumes(self) -> tuple[str, ...]:
        deleted = self._object("delete volumes", "DELETE", f"/regions/{self.region}/volumes").get("deleted")
        if not isinstance(deleted, list):
            raise PlatformError(self.description, "delete volumes", "a list of deleted volumes", repr(deleted))
        return tuple(str(v) for v in deleted)

    def lose_region(self) -> None:
        self._request("lose region", "POST", f"/regions/{self.region}/lose")

    def recreate_region(self) -> None:
        self._request("recreate region", "POST", f"/regions/{self.region}/recreate")

    # -- the fence ------------------------------------------------------------------------------------------------

    def fence(self) -> str:
        """The simulator's deny-all policy; what it answers (the policy) is the evidence of what was applied."""
        answer = self._object("apply the fence", "POST", f"/regions/{self.region}/fence")
        return json.dumps(answer.get("policy"), sort_keys=True)

    def lift_fence(self) -> None:
        self._request("lift the fence", "DELETE", f"/regions/{self.region}/fence")

    def fenced(self) -> bool:
        fenced = self._object("read the fence", "GET", f"/regions/{self.region}/fence").get("fenced")
        if not isinstance(fenced, bool):
            raise PlatformError(self.description, "read the fence", "fenced true or false", repr(fenced))
        return fenced

    # -- pods and configuration -----------------------------------------------------------------------------------

    def pods(self) -> tuple[PodInfo, ...]:
        pods = self._json("list pods", "GET", f"/regions/{self.region}/pods")
        try:
            return tuple(
                PodInfo(
                    name=str(p["name"]),
                    component=str(p["component"]),
                    ready=bool(p["ready"]),
                    phase=str(p["phase"]),
                    broker_id=None if p["brokerId"] is None else int(p["brokerId"]),
                )
                for p in pods
            )
        except (KeyError, TypeError, ValueError) as exc:
            expected = "pods with name, component, ready, phase and brokerId"
            raise PlatformError(self.description, "list pods", expected, f"{exc!r} in {excerpt(str(pods))}") from exc

    def pod_logs(self, pod: str) -> str:
        return self._request(f"read logs of pod {pod}", "GET", f"/regions/{self.region}/pods/{quote(pod)}/logs").text

    def configmap(self, name: str) -> dict[str, str] | None:
        path = f"/regions/{self.region}/configmaps/{quote(name)}"
        response = self._request(f"read configmap {name}", "GET", path, expected=(200, 404))
        if response.status_code == 404:
            return None
        data = self._parse(f"read configmap {name}", response).get("data")
        if not isinstance(data, dict):
            raise PlatformError(self.description, f"read configmap {name}", "an object of data", repr(data))
        return {str(k): str(v) for k, v in data.items()}

    # -- plumbing -------------------------------------------------------------------------------------------------

    def _files(self, files: tuple[Any, ...]) -> dict[str, Any]:
        try:
            return load_values_files(files)
        except ValuesFileError as exc:
            raise PlatformError(self.description, "read values files", "readable YAML mappings", str(exc)) from exc

    def _request(
        self, operation: str, method: str, path: str, *, body: Any = None, expected: tuple[int, ...] = (200,)
    ) -> httpx.Response:
        return _control(self.client, self.description, operation, method, path, body=body, expected=expected)

    def _json(self, operation: str, method: str, path: str, *, body: Any = None) -> Any:
        return self._parse(operation, self._request(operation, method, path, body=body), whole=True)

    def _object(self, operation: str, method: str, path: str, *, body: Any = None) -> dict[str, Any]:
        return self._parse(operation, self._request(operation, method, path, body=body))

    def _parse(self, operation: str, response: httpx.Response, *, whole: bool = False) -> Any:
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        if whole and parsed is not None:
            return parsed
        if not isinstance(parsed, dict):
            raise PlatformError(self.description, operation, "a JSON object", repr(excerpt(response.text)))
        return parsed

    def close(self) -> None:
        self.client.close()


class SimRouter:
    """The simulator's public endpoint, switched through its control API: the drill's stand-in for a DNS change."""

    def __init__(self, endpoints: Mapping[str, Any], *, transport: httpx.BaseTransport | None = None) -> None:
        public, control = endpoints.get("public"), endpoints.get("control")
        self.description = "sim public endpoint"
        if not isinstance(public, str) or not isinstance(control, str):
            seen = f"keys {sorted(endpoints)}"
            raise PlatformError(self.description, "read endpoints", "'public' and 'control' URLs", seen)
        self.public_url = public
        self.description = f"sim public endpoint {public}"
        self.client = http_client(base_url=control.rstrip("/"), transport=transport, timeout=10.0)

    def route_to(self, region: int) -> None:
        _control(
            self.client, self.description, f"route to region {region}", "POST", "/public/route", body={"region": region}
        )

    def routed_to(self) -> int:
        response = _control(self.client, self.description, "read the route", "GET", "/public")
        try:
            region = response.json().get("routesTo")
        except (ValueError, AttributeError):  # not JSON, or JSON that is not an object
            region = None
        if isinstance(region, bool) or not isinstance(region, int):
            raise PlatformError(
                self.description, "read the route", "routesTo: a region id", repr(excerpt(response.text))
            )
        return region

    def close(self) -> None:
        self.client.close()


def _control(
    client: httpx.Client,
    description: str,
    operation: str,
    method: str,
    path: str,
    *,
    body: Any = None,
    expected: tuple[int, ...] = (200,),
) -> httpx.Response:
    """One control API call; no answer or a 503 is the region's Kubernetes gone (RegionUnreachable)."""
    call = f"{operation} ({method} {path})"
    want = " or ".join(f"HTTP {s}" for s in expected)
    try:
        response = client.request(method, path, json=body)
    except httpx.TransportError as exc:
        seen = f"no answer: {type(exc).__name__} {excerpt(str(exc))}".rstrip()
        raise RegionUnreachable(description, call, want, seen) from exc
    except httpx.HTTPError as exc:
        raise PlatformError(description, call, want, f"{type(exc).__name__} {excerpt(str(exc))}") from exc
    if response.status_code in expected:
        return response
    seen = f"HTTP {response.status_code} {_error_text(response)}".rstrip()
    error = RegionUnreachable if response.status_code == UNREACHABLE_STATUS else PlatformError
    raise error(description, call, want, seen)


def _error_text(response: httpx.Response) -> str:
    """The control API's `{"error": msg}`, or the raw body when it is something else."""
    try:
        body = response.json()
    except ValueError:
        return excerpt(response.text)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return excerpt(body["error"])
    return excerpt(response.text)
