"""Elasticsearch's REST API for one region, as a thin adapter over `drill.sim.model.elasticsearch`.

Official Elasticsearch clients refuse a server that does not say `X-Elastic-Product: Elasticsearch` and ask for
`application/vnd.elasticsearch+json; compatible-with=8`, so every response carries the header and JSON answers use
the compatible media type when it was asked for, as Elasticsearch 8 does. `wait_for_completion=true` and
`wait_for_status` wait outside the model lock while simulated time passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from drill.sim.http.common import Gate, json_body
from drill.sim.http.faults import FaultMiddleware
from drill.sim.model.elasticsearch import HEALTH_RANK, ElasticsearchCluster, es_error
from drill.sim.model.errors import ModelError

PRODUCT_HEADER = ("X-Elastic-Product", "Elasticsearch")
COMPATIBLE_JSON = "application/vnd.elasticsearch+json;compatible-with=8"
DEFAULT_HEALTH_TIMEOUT = 30.0
CAT_INDICES_COLUMNS = (
    "health",
    "status",
    "index",
    "uuid",
    "pri",
    "rep",
    "docs.count",
    "docs.deleted",
    "store.size",
    "pri.store.size",
    "dataset.size",
)
_CAT_ALIASES = {
    "h": "health",
    "s": "status",
    "i": "index",
    "idx": "index",
    "id": "uuid",
    "p": "pri",
    "shards.primary": "pri",
    "r": "rep",
    "shards.replica": "rep",
    "dc": "docs.count",
    "docsCount": "docs.count",
    "dd": "docs.deleted",
    "docsDeleted": "docs.deleted",
    "ss": "store.size",
    "storeSize": "store.size",
}
_CAT_BYTES = {"store.size", "pri.store.size", "dataset.size"}
_CAT_RIGHT = {"pri", "rep", "docs.count", "docs.deleted", *_CAT_BYTES}
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4, "pb": 1024**5}
_TIME_UNITS = {"nanos": 1e-9, "micros": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

Handler = Callable[[Request], Awaitable[Any]]


def create_elasticsearch_app(gate: Gate, region: int) -> FaultMiddleware:
    def call(fn: Callable[[ElasticsearchCluster], Any]) -> Any:
        return gate.call(lambda: fn(gate.sim.elasticsearch(region)))

    async def root(request: Request) -> Any:
        return call(lambda es: es.root_info())

    async def health(request: Request) -> Any:
        wanted = request.query_params.get("wait_for_status")
        timed_out = False
        if wanted:
            if wanted not in HEALTH_RANK:
                raise es_error(400, "illegal_argument_exception", f"unknown cluster health status [{wanted}]")
            limit = _seconds(request, "timeout", DEFAULT_HEALTH_TIMEOUT)
            try:
                await gate.wait_until(lambda: gate.sim.elasticsearch(region).health_reached(wanted), limit=limit)
            except TimeoutError:
                timed_out = True
        body = call(lambda es: es.health(timed_out=timed_out))
        return _json(request, body, 408 if timed_out else 200)

    async def cat_indices(request: Request) -> Any:
        rows = call(lambda es: es.cat_indices(request.path_params.get("index")))
        return _cat(request, rows)

    async def count(request: Request) -> Any:
        body = await _object_body(request)
        return call(lambda es: es.count_response(request.path_params.get("index"), body.get("query")))

    async def search(request: Request) -> Any:
        body = await _object_body(request)
        size = int(request.query_params.get("size", body.get("size", 10)))
        offset = int(request.query_params.get("from", body.get("from", 0)))
        index = request.path_params.get("index")
        return call(lambda es: es.search(index, body.get("query"), size=size, offset=offset))

    async def refresh(request: Request) -> Any:
        shards = call(lambda es: es.count_response(request.path_params.get("index"))["_shards"])
        return {"_shards": {"total": shards["total"], "successful": shards["successful"], "failed": shards["failed"]}}

    async def all_repositories(request: Request) -> Any:
        return call(lambda es: es.repositories(None))

    async def repositories(request: Request) -> Any:
        name = request.path_params["repository"]
        if request.method == "GET":
            return call(lambda es: es.repositories(name))
        if request.method == "DELETE":
            return call(lambda es: es.delete_repository(name))
        body = await json_body(request)
        return call(lambda es: es.put_repository(name, body))

    async def verify(request: Request) -> Any:
        return call(lambda es: es.verify_repository(request.path_params["repository"]))

    async def snapshots(request: Request) -> Any:
        repository, name = request.path_params["repository"], request.path_params["snapshot"]
        if request.method == "GET":
            ignore = _flag(request, "ignore_unavailable", False)
            return call(lambda es: es.get_snapshots(repository, name, ignore_unavailable=ignore))
        if request.method == "DELETE":
            return call(lambda es: es.delete_snapshot(repository, name))
        body = await _object_body(request)
        uuid = call(lambda es: es.create_snapshot(repository, name, body))
        return await completion(request, lambda es: es.snapshot_result(uuid))

    async def snapshot_status(request: Request) -> Any:
        repository = request.path_params["repository"]
        name = request.path_params.get("snapshot", "_current")
        return call(lambda es: es.snapshot_status(repository, name))

    async def restore(request: Request) -> Any:
        repository, name = request.path_params["repository"], request.path_params["snapshot"]
        body = await _object_body(request)
        restore_id = call(lambda es: es.restore_snapshot(repository, name, body))
        return await completion(request, lambda es: es.restore_result(restore_id))

    async def completion(request: Request, result: Callable[[ElasticsearchCluster], Any]) -> Any:
        """ES's `wait_for_completion`: without it, `accepted`; with it, the result once the work is done
        (awaited in scaled real time, without holding the model's lock)."""
        if not _flag(request, "wait_for_completion", False):
            return {"accepted": True}
        await gate.wait_until(lambda: result(gate.sim.elasticsearch(region)) is not None)
        return call(result)

    async def index(request: Request) -> Any:
        name = request.path_params["index"]
        if request.method == "HEAD":
            return Response(status_code=200 if call(lambda es: es.index_exists(name)) else 404)
        if request.method == "DELETE":
            return call(lambda es: es.delete_index(name))
        return call(lambda es: es.create_index_response(name))

    async def close(request: Request) -> Any:
        return call(lambda es: es.close_index(request.path_params["index"]))

    async def open_(request: Request) -> Any:
        return call(lambda es: es.open_index(request.path_params["index"]))

    async def document(request: Request) -> Any:
        name, doc_id = request.path_params["index"], request.path_params["id"]
        if request.method == "GET":
            return call(lambda es: es.get_document(name, doc_id))
        source = await _object_body(request)
        result = call(lambda es: es.write_document(name, doc_id, source))
        return _json(request, result, 201 if result["result"] == "created" else 200)

    routes = [
        Route("/", _endpoint(root), methods=["GET", "HEAD"]),
        Route("/_cluster/health", _endpoint(health), methods=["GET"]),
        Route("/_cat/indices", _endpoint(cat_indices), methods=["GET"]),
        Route("/_cat/indices/{index}", _endpoint(cat_indices), methods=["GET"]),
        Route("/_count", _endpoint(count), methods=["GET", "POST"]),
        Route("/_search", _endpoint(search), methods=["GET", "POST"]),
        Route("/_refresh", _endpoint(refresh), methods=["GET", "POST"]),
        Route("/_snapshot", _endpoint(all_repositories), methods=["GET"]),
        Route("/_snapshot/{repository}", _endpoint(repositories), methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/_snapshot/{repository}/_verify", _endpoint(verify), methods=["POST"]),
        Route("/_snapshot/{repository}/_status", _endpoint(snapshot_status), methods=["GET"]),
        Route("/_snapshot/{repository}/{snapshot}", _endpoint(snapshots), methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/_snapshot/{repository}/{snapshot}/_status", _endpoint(snapshot_status), methods=["GET"]),
        Route("/_snapshot/{repository}/{snapshot}/_restore", _endpoint(restore), methods=["POST"]),
        Route("/{index}", _endpoint(index), methods=["PUT", "DELETE", "HEAD"]),
        Route("/{index}/_count", _endpoint(count), methods=["GET", "POST"]),
        Route("/{index}/_search", _endpoint(search), methods=["GET", "POST"]),
        Route("/{index}/_refresh", _endpoint(refresh), methods=["GET", "POST"]),
        Route("/{index}/_close", _endpoint(close), methods=["POST"]),
        Route("/{index}/_open", _endpoint(open_), methods=["POST"]),
        Route("/{index}/_doc/{id}", _endpoint(document), methods=["GET", "PUT", "POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(ElasticHeaders)],
        exception_handlers={HTTPException: _no_handler, Exception: _server_error},
    )
    return FaultMiddleware(app, gate=gate, service="elasticsearch", region=region)


class ElasticHeaders:
    """Adds `X-Elastic-Product` to every response and answers JSON in the media type the client asked for."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = b",".join(v for k, v in scope["headers"] if k == b"accept")
        compatible = b"vnd.elasticsearch+json" in accept

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (
                        k,
                        COMPATIBLE_JSON.encode()
                        if compatible and k == b"content-type" and v == b"application/json"
                        else v,
                    )
                    for k, v in message.get("headers", [])
                ]
                if not any(k == b"x-elastic-product" for k, _ in headers):
                    headers.append((PRODUCT_HEADER[0].lower().encode(), PRODUCT_HEADER[1].encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            result = await handler(request)
        except ModelError as exc:
            return _json(request, _error_body(exc), exc.status)
        return result if isinstance(result, Response) else _json(request, result)

    return run


def _error_body(exc: ModelError) -> Any:
    """Errors the model shaped as Elasticsearch does pass through; others (a region's ES not running) get the shape."""
    if isinstance(exc.body, dict):
        return exc.body
    body = es_error(exc.status, "status_exception", exc.message).body
    assert isinstance(body, dict)
    return body


def _json(request: Request, data: Any, status: int = 200) -> Response:
    if "pretty" in request.query_params:
        text = json.dumps(data, indent=2, separators=(",", " : "), ensure_ascii=False) + "\n"
    else:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status_code=status, media_type="application/json", headers=dict([PRODUCT_HEADER]))


async def _no_handler(request: Request, exc: Exception) -> Response:
    """Unknown paths are a 400 in Elasticsearch; a known path with the wrong method a 405 naming the allowed ones."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        reason = (
            f"Incorrect HTTP method for uri [{request.url.path}] and method [{request.method}], allowed: [{allowed}]"
        )
        return _json(request, {"error": reason, "status": 405}, 405)
    if exc.status_code == 404:
        reason = f"no handler found for uri [{request.url.path}] and method [{request.method}]"
        return _json(request, {"error": reason}, 400)
    return _json(request, {"error": str(exc.detail), "status": exc.status_code}, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    body = es_error(500, "exception", f"{type(exc).__name__}: {exc}").body
    return _json(request, body, 500)


async def _object_body(request: Request) -> dict[str, Any]:
    try:
        body = await json_body(request, default={})
    except ValueError as exc:
        raise es_error(400, "x_content_parse_exception", str(exc)) from exc
    if not isinstance(body, dict):
        raise es_error(400, "x_content_parse_exception", "request body must be a JSON object")
    return body


def _flag(request: Request, name: str, default: bool) -> bool:
    """Elasticsearch booleans are strict: `true`, `false`, or present without a value."""
    value = request.query_params.get(name)
    if value is None:
        return default
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    raise es_error(
        400, "illegal_argument_exception", f"Failed to parse value [{value}] as only [true] or [false] are allowed."
    )


def _seconds(request: Request, name: str, default: float) -> float:
    value = request.query_params.get(name)
    if value is None:
        return default
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)", value.strip().lower())
    if value.strip() in ("0", "-1"):
        return 0.0 if value.strip() == "0" else float("inf")
    if match is None:
        reason = (
            f"failed to parse setting [{name}] with value [{value}] as a time value: unit is missing or unrecognized"
        )
        raise es_error(400, "illegal_argument_exception", reason)
    return float(match.group(1)) * _TIME_UNITS[match.group(2)]


# -- _cat ------------------------------------------------------------------------------------------------------


def _cat(request: Request, rows: list[dict[str, Any]]) -> Response:
    """`_cat/indices`: a space-aligned text table (header with `v`), or JSON objects of strings with `format=json`."""
    params = request.query_params
    columns = [_CAT_ALIASES.get(c, c) for c in params["h"].split(",")] if "h" in params else list(CAT_INDICES_COLUMNS)
    columns = [c for c in columns if c in CAT_INDICES_COLUMNS]
    unit = params.get("bytes")
    if unit is not None and unit not in _UNITS:
        raise es_error(400, "illegal_argument_exception", f"failed to parse [bytes] with value [{unit}]")
    for key in reversed([k for k in params.get("s", "").split(",") if k]):  # stable sorts: last key first
        name, _, order = key.partition(":")
        name = _CAT_ALIASES.get(name, name)
        if name in CAT_INDICES_COLUMNS:
            rows = sorted(
                rows, key=lambda r: (r[name] is None, 0 if r[name] is None else r[name]), reverse=order == "desc"
            )
    cells = [{c: _cat_cell(c, row[c], unit) for c in columns} for row in rows]
    if params.get("format") == "json":
        return _json(request, cells)
    if params.get("format") not in (None, "txt", "text"):
        raise es_error(400, "illegal_argument_exception", f"Unsupported format [{params.get('format')}]")
    table = ([dict(zip(columns, columns, strict=True))] if "v" in params else []) + cells
    widths = {c: max((len(r[c] or "") for r in table), default=0) for c in columns}
    lines = []
    for row in table:
        parts = []
        for position, c in enumerate(columns):
            text = row[c] or ""
            last = position == len(columns) - 1
            parts.append(text.rjust(widths[c]) if c in _CAT_RIGHT else (text if last else text.ljust(widths[c])))
        lines.append(" ".join(parts) + "\n")
    return Response("".join(lines), media_type="text/plain; charset=UTF-8", headers=dict([PRODUCT_HEADER]))


def _cat_cell(column: str, value: Any, unit: str | None) -> str | None:
    if value is None:
        return None
    if column in _CAT_BYTES:
        return str(int(value) // _UNITS[unit]) if unit else human_bytes(int(value))
    return str(value)


def human_bytes(size: int) -> str:
    """Elasticsearch's ByteSizeValue rendering: the largest fitting unit, one truncated decimal, none if zero."""
    for suffix in ("pb", "tb", "gb", "mb", "kb"):
        if size >= _UNITS[suffix]:
            value = size / _UNITS[suffix]
            whole = int(value)
            decimal = int((value - whole) * 10)
            return f"{whole}{suffix}" if decimal == 0 else f"{whole}.{decimal}{suffix}"
    return f"{size}b"
