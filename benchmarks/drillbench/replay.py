"""A bare replay of a drill's HTTP traffic: the same calls in the same order through plain `httpx.Client`s, with no
checks, no journal and no reports. What the harness adds on top of the HTTP work is the overhead measured.

The calls are the journal's `http` records plus the control API calls recorded beside it (see inprocess.py), merged
by time (each is stamped once its response arrived, and a drill makes one call at a time). The journal redacts
credentials, so they are put back from the simulator's settings; a multipart body is journaled as its description,
so a file part is rebuilt from the drill's own resource of that name. Whatever cannot be sent as it was is counted
and reported, never silently replaced.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from drill.evidence.journal import read_journal
from drill.sim.model.deployment import SimSettings

from .inprocess import Exchange

DROPPED_HEADERS = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}
TRIMMED = "...[trimmed "


@dataclass(frozen=True)
class Call:
    ts: datetime
    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    files: dict[str, tuple[str, bytes, str]] | None
    status: int | None  # what the drill got; None: no response (connection refused, timeout)
    source: str  # "journal" or "control"


@dataclass
class Plan:
    calls: list[Call] = field(default_factory=list)
    problems: dict[str, int] = field(default_factory=dict)  # what could not be replayed as it was sent, by reason

    def problem(self, reason: str) -> None:
        self.problems[reason] = self.problems.get(reason, 0) + 1


@dataclass
class Replayed:
    seconds: float
    calls: int
    from_journal: int
    from_control: int
    status_differs: list[str]
    problems: dict[str, int]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def origin_map(old: dict[str, Any], new: dict[str, Any]) -> dict[str, str]:
    """Each service's origin in the drill's simulator -> the same service's origin in the replay's."""
    mapping: dict[str, str] = {}

    def walk(a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a.keys() & b.keys():
                walk(a[key], b[key])
        elif isinstance(a, str) and isinstance(b, str) and a.startswith("http"):
            mapping[_origin(a)] = _origin(b)

    walk(old, new)
    return mapping


def plan(journal: Path, control_calls: list[Exchange], settings: SimSettings) -> Plan:
    made = Plan()
    basic = "Basic " + base64.b64encode(f"{settings.username}:{settings.password}".encode()).decode()
    records = [r for r in read_journal(journal) if r.get("kind") == "http"]
    journaled_origins = {_origin(str(r["url"])) for r in records}
    for record in records:
        headers = {k: str(v) for k, v in (record.get("request_headers") or {}).items() if k not in DROPPED_HEADERS}
        if headers.get("authorization") == "Basic ***":
            headers["authorization"] = basic
        elif "***" in headers.get("authorization", ""):
            made.problem("credentials other than basic auth: sent without them")
            headers.pop("authorization")
        content: bytes | None = None
        files = None
        parts = record.get("request_parts")
        if parts:
            headers.pop("content-type", None)  # httpx writes its own boundary
            files = {}
            for part in parts:
                data = _resource(str(part.get("filename") or ""))
                if data is None or len(data) != part.get("bytes"):
                    made.problem("multipart part not rebuildable: sent empty")
                    data = b""
                files[str(part["name"])] = (str(part.get("filename")), data, str(part.get("content_type")))
        else:
            body = str(record.get("request_body") or "")
            if TRIMMED in body:
                made.problem("body trimmed in the journal: sent as journaled")
            content = body.encode()
        status = record.get("status")
        stamp = datetime.fromisoformat(str(record["ts"]).replace("Z", "+00:00"))
        made.calls.append(
            Call(stamp, str(record["method"]), str(record["url"]), headers, content, files, status, "journal")
        )
    for call in control_calls:
        if _origin(call.url) in journaled_origins:
            continue  # the journal has control calls of its own now: never replay one twice
        headers = {k: v for k, v in call.headers.items() if k not in DROPPED_HEADERS}
        made.calls.append(Call(call.ts, call.method, call.url, headers, call.body, None, call.status, "control"))
    made.calls.sort(key=lambda c: c.ts)
    return made


def _resource(filename: str) -> bytes | None:
    if not filename or "/" in filename:
        return None
    try:
        return resources.files("drill.procedure").joinpath("resources", filename).read_bytes()
    except OSError:
        return None


def replay(made: Plan, origins: dict[str, str], *, timeout: float = 60.0) -> Replayed:
    """Send every call of `made`, in order, through one plain client per service; timed from the first to the last."""
    differs: list[str] = []
    problems = dict(made.problems)
    unknown = sum(_origin(c.url) not in origins for c in made.calls)
    if unknown:
        problems["URL of no known service: not sent"] = unknown
    # Made before the clock starts: each plain client builds its own TLS context (~17 ms here), not HTTP work.
    clients = {origin: httpx.Client(timeout=timeout) for origin in {_origin(c.url) for c in made.calls} & set(origins)}
    started = time.perf_counter()
    try:
        for call in made.calls:
            origin = _origin(call.url)
            if origin not in origins:
                continue
            client = clients[origin]
            url = origins[origin] + call.url[len(origin) :]
            try:
                status: int | None = client.request(
                    call.method, url, headers=call.headers, content=call.content, files=call.files
                ).status_code
            except httpx.TransportError:
                status = None
            if status != call.status:
                differs.append(f"{call.method} {call.url[len(origin) :]}: drill {call.status}, replay {status}")
        seconds = time.perf_counter() - started
    finally:
        for client in clients.values():
            client.close()
    from_control = sum(c.source == "control" for c in made.calls)
    return Replayed(seconds, len(made.calls), len(made.calls) - from_control, from_control, differs, problems)


def same_work(drill_state: dict[str, Any], replay_state: dict[str, Any]) -> list[str]:
    """Where the two simulators ended differently (empty: the replay did the drill's work). Leaders, positions and
    revisions depend on timing, not on the work, and are left out."""

    def essence(state: dict[str, Any]) -> dict[str, Any]:
        zeebe = state.get("zeebe", {})
        return {
            "regions": {
                region: {
                    "lost": r.get("lost"),
                    "fenced": r.get("fenced"),
                    "release": (r.get("release") or {}).get("status"),
                    "volumes": r.get("volumes"),
                    "indices": (r.get("elasticsearch") or {}).get("indices"),
                }
                for region, r in state.get("regions", {}).items()
            },
            "public": state.get("public"),
            "running": zeebe.get("running"),
            "members": zeebe.get("members"),
            "exporters": zeebe.get("exporters"),
            "processInstances": zeebe.get("processInstances"),
            "exportingPaused": zeebe.get("exportingPaused"),
        }

    a, b = essence(drill_state), essence(replay_state)
    return [f"{key}: drill {a[key]!r}, replay {b[key]!r}" for key in a if a[key] != b[key]]
