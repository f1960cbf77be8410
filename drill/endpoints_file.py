"""The endpoints file of a simulator that is already running (`c8-drill sim up --endpoints-file FILE`).

`c8-drill run --endpoints FILE` drives that simulator instead of starting one, so the file decides which
deployment a drill changes. A stale file (the simulator restarted on other ports), a hand-edited one, or one that
names the same region twice would send the drill's destructive steps somewhere else than the operator thinks;
so before anything is archived, journaled or changed, the file is read, checked against what the simulator itself
says it serves (`GET /endpoints` on its control API) and every service is seen to answer. Only GETs: checking
changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from drill.api.transport import http_client
from drill.procedure.params import ParameterError

REGION_KEYS = ("region0", "region1")
SERVICES = ("gateway", "management", "elasticsearch")
# A GET each service answers when it is up: any HTTP status counts (the gateway may say 401 to demo/demo), only
# silence does not. The same calls the drill makes first, so "answers" means what the drill will need.
PROBES = {"gateway": "/v2/topology", "management": "/actuator/cluster", "elasticsearch": "/_cluster/health"}
PROBE_AUTH = ("demo", "demo")
TIMEOUT_S = 3.0
# Each lost region needs a deployment no drill has been through: the snapshot repository (shared by both regions)
# keeps the first drill's snapshot, and failback-4 refuses to take it again. The embedded simulator is fresh per
# lost region; a running one is not.
BOTH_REGIONS = (
    "--endpoints drives one running simulator through one drill (its snapshot repository keeps that drill's "
    "snapshot); expected --lost-region 0 or 1, got both"
)


class EndpointsFileError(ParameterError):
    """The endpoints file cannot be trusted to name the running simulator; one line says why."""


def read_endpoints(path: Path) -> dict[str, Any]:
    """The file's endpoints after the checks that need no simulator: JSON, the keys, http(s) URLs, two regions."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error(
            name, "expected the file `c8-drill sim up --endpoints-file` writes, but it does not exist"
        ) from None
    except IsADirectoryError:
        raise _error(name, "expected a file, got a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _error(name, f"cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        endpoints = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(
            name, f"expected JSON, got invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})"
        ) from None
    if not isinstance(endpoints, dict):
        raise _error(name, f"expected a JSON object, got a JSON {_json_type(endpoints)}")
    for key in (*REGION_KEYS, "control"):
        if key not in endpoints:
            seen = ", ".join(sorted(map(str, endpoints))) or "none"
            raise _error(name, f"expected the keys region0, region1 and control, got no {key} (keys: {seen})")
    for region in REGION_KEYS:
        urls = endpoints[region]
        if not isinstance(urls, dict):
            raise _error(name, f"expected {region} to be an object of service URLs, got a JSON {_json_type(urls)}")
        for service in SERVICES:
            _check_url(name, f"{region}.{service}", urls.get(service))
    _check_url(name, "control", endpoints["control"])
    for optional in ("identity", "public"):  # the public endpoint: simulators since traffic rerouting
        if optional in endpoints:
            _check_url(name, optional, endpoints[optional])
    _check_two_regions(name, endpoints)
    return endpoints


def verify_endpoints(
    path: Path,
    *,
    timeout: float = TIMEOUT_S,
    transport: httpx.BaseTransport | None = None,
    lost: int | None = None,
) -> dict[str, Any]:
    """`read_endpoints`, then the simulator's word: its control API serves exactly these endpoints and every
    service answers, except those of region `lost` (an incident, or a resumed drill, expects it down). Raises
    EndpointsFileError naming the first thing that is not so."""
    name = str(path)
    endpoints = read_endpoints(path)
    control = _clean(endpoints["control"])
    with http_client(timeout=timeout, transport=transport) as client:
        served = _served_endpoints(client, name, control, timeout)
        difference = first_difference(endpoints, served)
        if difference is not None:
            key, ours, theirs = difference
            claim = f"is {ours}" if ours is not None else "is missing"
            truth = f"serves it at {theirs}" if theirs is not None else "serves no such endpoint"
            raise _error(name, f"{key} {claim} but the simulator at {control} {truth}", lies=True)
        for region in REGION_KEYS:
            if lost is not None and region == f"region{lost}":
                continue
            for service in SERVICES:
                url = _clean(endpoints[region][service])
                seen = _silence(client, url + PROBES[service], timeout, auth=service == "gateway")
                if seen is not None:
                    raise _error(
                        name,
                        f"{region}.{service} {url} does not answer ({seen}); the drill needs both regions up "
                        f"(is region {region[-1]} lost? GET {control}/state shows it)",
                    )
    return endpoints


def first_difference(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> tuple[str, str | None, str | None] | None:
    """The first endpoint (in the file's reading order) where the file and the simulator disagree."""
    keys = [f"{region}.{service}" for region in REGION_KEYS for service in SERVICES] + ["control", "identity", "public"]
    for key in keys:
        mine, real = _at(ours, key), _at(theirs, key)
        if (None if mine is None else _clean(mine)) != (None if real is None else _clean(real)):
            return key, mine, real
    return None


def _served_endpoints(client: httpx.Client, name: str, control: str, timeout: float) -> Mapping[str, Any]:
    url = f"{control}/endpoints"
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise _error(
            name,
            f"expected the simulator's control API to answer GET {url}, got {_describe(exc, timeout)} "
            "(is `c8-drill sim up` still running?)",
        ) from None
    try:
        served = response.json() if response.status_code == 200 else None
    except ValueError:
        served = None
    if not isinstance(served, dict):
        seen = f"HTTP {response.status_code} {response.text[:80]!r}"
        raise _error(name, f"expected GET {url} to return the simulator's endpoints as JSON, got {seen}")
    return served


def _silence(client: httpx.Client, url: str, timeout: float, *, auth: bool) -> str | None:
    """None when the URL gives any HTTP answer; otherwise what happened instead."""
    try:
        client.get(url, auth=PROBE_AUTH if auth else None)
    except httpx.HTTPError as exc:
        return _describe(exc, timeout)
    return None


def _describe(exc: httpx.HTTPError, timeout: float) -> str:
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "refused"
        return "connection refused" if "refused" in reason.lower() else f"cannot connect: {reason}"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    return f"{type(exc).__name__}: {exc}"


def _check_url(name: str, key: str, value: Any) -> None:
    if value is None:
        raise _error(name, f"expected {key}, an http(s) URL, got none")
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _error(name, f"expected {key} to be an http(s) URL, got {value!r}")


def _check_two_regions(name: str, endpoints: Mapping[str, Any]) -> None:
    """Region 0 and region 1 must be two deployments: a service both name would be lost and survive at once."""
    seen: dict[str, str] = {}
    for region in REGION_KEYS:
        for service in SERVICES:
            key, url = f"{region}.{service}", _clean(endpoints[region][service])
            if url in seen and seen[url].split(".")[0] != region:
                raise _error(
                    name,
                    f"the lost region would equal the surviving one: {seen[url]} and {key} are both {url}",
                )
            seen.setdefault(url, key)


def _at(endpoints: Mapping[str, Any], key: str) -> str | None:
    node: Any = endpoints
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None if node is None else str(node)


def _clean(url: str) -> str:
    return url.rstrip("/")


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _error(name: str, problem: str, *, lies: bool = False) -> EndpointsFileError:
    return EndpointsFileError(f"endpoints file {name} {'lies' if lies else 'is unusable'}: {problem}")
