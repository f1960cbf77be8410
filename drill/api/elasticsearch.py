"""The Elasticsearch REST API of one region (port 9200): snapshot repository, snapshot, restore, health, indices.

Failback copies the surviving region's Camunda indices into the recreated region with a snapshot and a restore;
both run with `wait_for_completion=true`, which can take long, so they take their own `timeout`. Elasticsearch
errors are reported as `error.type: error.reason` because the reason is what the operator acts on (e.g. a restore
refused because the schema manager already created an index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from drill.api.base import BaseClient, json_or_none, parse
from drill.api.errors import ProtocolError, ShapeError
from drill.api.models import (
    ClusterHealth,
    Fields,
    IndexInfo,
    Repository,
    RestoreResult,
    SnapshotInfo,
    SnapshotStatus,
    array,
    describe,
)

R = TypeVar("R")


def repository_body(type: str, settings: dict[str, Any]) -> dict[str, Any]:
    """`PUT /_snapshot/{repo}` body, e.g. `repository_body("s3", {"bucket": b, "client": "camunda"})`."""
    return {"type": type, "settings": dict(settings)}


def _segment(name: str) -> str:
    return quote(name, safe="*,-_")


def _wait_query(wait: bool) -> dict[str, str]:
    return {"wait_for_completion": "true"} if wait else {}


def _acknowledged(body: Any) -> bool:
    return Fields(body).bool("acknowledged")


def es_error_detail(body: Any) -> str | None:
    """`type: reason` of an Elasticsearch error body (`{"error": {"type", "reason", ...}, "status"}`), or the
    plain `error` string of routing errors; None if the body has neither."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        kind, reason = error.get("type"), error.get("reason")
        parts = [str(p) for p in (kind, reason) if isinstance(p, str) and p]
        if parts:
            return ": ".join(parts)
    message = body.get("message")
    return message if isinstance(message, str) else None


class ElasticsearchClient(BaseClient):
    def _error_detail(self, response: httpx.Response) -> str | None:
        return es_error_detail(json_or_none(response))

    def _ack(self, method: str, path: str, **kwargs: Any) -> None:
        call, body = self._call_json(method, path, expect=(200,), **kwargs)
        if not parse(call, _acknowledged, body):
            raise ProtocolError(call, "acknowledged to be true", "false (the master did not acknowledge in time)")

    # -- repositories ------------------------------------------------------------------------------------------

    def put_repository(self, name: str, body: dict[str, Any]) -> None:
        self._ack("PUT", f"/_snapshot/{_segment(name)}", json=body)

    def get_repository(self, name: str) -> Repository:
        call, body = self._get_json(f"/_snapshot/{_segment(name)}")

        def read(data: Any) -> Repository:
            return Repository.from_json(name, Fields(data).obj(name).raw, name)

        return parse(call, read, body)

    def delete_repository(self, name: str) -> None:
        self._ack("DELETE", f"/_snapshot/{_segment(name)}")

    # -- snapshots ---------------------------------------------------------------------------------------------

    def create_snapshot(
        self,
        repo: str,
        name: str,
        *,
        wait: bool = True,
        include_global_state: bool = True,
        timeout: float | None = None,
    ) -> SnapshotInfo | None:
        """The finished snapshot's info, or None when Elasticsearch only accepted it (`wait=False`).

        A PUT, but not idempotent: a name is taken once, so a repeat after a lost answer (a long snapshot easily
        outlasts a read timeout) fails with invalid_snapshot_name_exception and hides how the first one ended.
        """
        call, body = self._call_json(
            "PUT",
            f"/_snapshot/{_segment(repo)}/{_segment(name)}",
            expect=(200,),
            params=_wait_query(wait),
            json={"include_global_state": include_global_state},
            timeout=timeout,
            idempotent=False,
        )
        return parse(call, lambda data: _waited(data, wait, SnapshotInfo.from_json), body)

    def snapshots(self, repo: str) -> tuple[SnapshotInfo, ...]:
        call, body = self._get_json(f"/_snapshot/{_segment(repo)}/_all")
        return parse(
            call,
            lambda data: tuple(SnapshotInfo.from_json(s.raw, s.path) for s in Fields(data).objs("snapshots")),
            body,
        )

    def snapshot_status(self, repo: str, name: str) -> SnapshotStatus:
        call, body = self._get_json(f"/_snapshot/{_segment(repo)}/{_segment(name)}/_status")

        def read(data: Any) -> SnapshotStatus:
            statuses = [SnapshotStatus.from_json(s.raw, s.path) for s in Fields(data).objs("snapshots")]
            for status in statuses:
                if status.snapshot == name:
                    return status
            raise ShapeError("snapshots", f"a list with snapshot {name!r}", describe([s.snapshot for s in statuses]))

        return parse(call, read, body)

    def restore(
        self,
        repo: str,
        name: str,
        *,
        wait: bool = True,
        include_global_state: bool = True,
        timeout: float | None = None,
    ) -> RestoreResult | None:
        """The restore's shard counts once primaries are recovered, or None when only accepted (`wait=False`).

        Not idempotent (a POST): a second restore is refused because the first one's indices now exist and are open.
        """
        call, body = self._call_json(
            "POST",
            f"/_snapshot/{_segment(repo)}/{_segment(name)}/_restore",
            expect=(200,),
            params=_wait_query(wait),
            json={"include_global_state": include_global_state},
            timeout=timeout,
        )
        return parse(call, lambda data: _waited(data, wait, RestoreResult.from_json), body)

    # -- cluster -----------------------------------------------------------------------------------------------

    def health(self) -> ClusterHealth:
        call, body = self._get_json("/_cluster/health")
        return parse(call, ClusterHealth.from_json, body)

    def version(self) -> str:
        """`GET /`: the version the node reports (`version.number`, e.g. `8.18.0`)."""
        call, body = self._get_json("/")
        return parse(call, lambda data: Fields(data).obj("version").str("number"), body)

    def indices(self) -> tuple[IndexInfo, ...]:
        call, body = self._get_json("/_cat/indices", params={"format": "json"})
        return parse(call, lambda data: tuple(IndexInfo.from_json(i.raw, i.path) for i in array(data)), body)

    def count(self, index: str = "*", *, query: dict[str, Any] | None = None) -> int:
        """Documents in the matching indices, optionally only those matching a query DSL `query`."""
        path = f"/{_segment(index)}/_count"
        if query is None:
            call, body = self._get_json(path)
        else:
            call, body = self._call_json("POST", path, expect=(200,), json={"query": query}, idempotent=True)  # a read
        return parse(call, lambda data: Fields(data).int("count"), body)


def _waited(data: Any, wait: bool, parser: Callable[[Any, str], R]) -> R | None:
    """`{"snapshot": {...}}` after waiting; `{"accepted": true}` without."""
    f = Fields(data)
    if wait:
        snapshot = f.obj("snapshot")
        return parser(snapshot.raw, snapshot.path)
    if not f.bool("accepted"):
        raise ShapeError("accepted", "true", "false")
    return None
