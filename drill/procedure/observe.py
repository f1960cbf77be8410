"""Read-only observations the steps' checks are made of: probe instances, export visibility, profiles, indices.

The procedure only *hopes* at several points (exporting is paused, the restore is complete, exporting resumed);
these observations prove it with a probe process instance whose arrival in Elasticsearch is watched.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

import yaml

from drill.api.errors import ApiError, WaitTimeout
from drill.api.waits import Backoff, Waited, wait_until
from drill.platform.base import PlatformError
from drill.procedure.checks import Check, holds
from drill.procedure.context import DrillContext, RegionHandle

LIST_VIEW_INDICES = "operate-list-view-*"
PROBE_RESOURCE = "drill-marker.bpmn"
PROFILES_LINE = re.compile(r"The following (\d+) profiles? (?:is|are) active: (.*)$")

T = TypeVar("T")
# What a wait awaited, in the simulator timeline's terms (drill.sim.model.timeline): `{"kind": "change", "id": 4}`,
# `{"kind": "export", "key": "...", "region": 1}`, `{"kind": "started", "region": 1, "component": "zeebe"}`, ...; a
# list when it needs several (the last to complete counts); `{"kind": "topology"}` for a topology that settles
# after whatever last changed it; `{"kind": "none"}` when nothing was in flight. Structured, so that a benchmark
# matches a wait to its completion by equality, never by reading `what`.
Awaits = dict[str, Any] | list[dict[str, Any]]


def journal_wait(
    ctx: DrillContext, *, what: str, awaits: Awaits, attempts: int, elapsed_s: float, outcome: str
) -> None:
    """A `wait` record: the journal's one shape for every wait of the procedure."""
    ctx.journal.append(
        "wait", what=what, attempts=attempts, elapsed_s=round(elapsed_s, 3), outcome=outcome, awaits=awaits
    )


def journaled_wait(
    ctx: DrillContext,
    probe: Callable[[], T | None],
    *,
    what: str,
    awaits: Awaits,
    timeout: float,
    outcome: str = "reached",
    **options: Any,
) -> Waited[T]:
    """`wait_until`, journaled as a `wait` record naming what it awaited, whether it is reached or times out."""
    try:
        waited = wait_until(probe, what=what, timeout=timeout, **options)
    except WaitTimeout as exc:
        journal_wait(ctx, what=what, awaits=awaits, attempts=exc.attempts, elapsed_s=exc.elapsed, outcome="timed out")
        raise
    journal_wait(ctx, what=what, awaits=awaits, attempts=waited.attempts, elapsed_s=waited.elapsed, outcome=outcome)
    return waited


def probe_bpmn() -> bytes:
    return resources.files("drill.procedure").joinpath("resources", PROBE_RESOURCE).read_bytes()


def ensure_probe_process(ctx: DrillContext, handle: RegionHandle) -> None:
    """Deploy the probe process once per drill; both regions' gateways front the same cluster."""
    if not ctx.memory.get("probe_deployed"):
        handle.gateway.deploy(PROBE_RESOURCE, probe_bpmn())
        ctx.memory["probe_deployed"] = True


def create_probe(ctx: DrillContext, tag: str) -> str:
    """Start one probe instance in the surviving region (deploying the probe process once) and return its key."""
    ensure_probe_process(ctx, ctx.surviving)
    instance = ctx.surviving.gateway.create_instance(ctx.params.probe_process_id, {"drillProbe": tag})
    ctx.journal.note("probe instance created", tag=tag, processInstanceKey=instance.process_instance_key)
    return instance.process_instance_key


def exported_to(handle: RegionHandle, key: str) -> bool:
    """Whether the instance's list-view document is in this region's Elasticsearch (what Operate would show)."""
    query = {"term": {"processInstanceKey": key}}
    return handle.es.count(LIST_VIEW_INDICES, query=query) > 0


def reaches(ctx: DrillContext, handle: RegionHandle, key: str, name: str) -> Check:
    """Wait (bounded) until the instance is exported to the region's Elasticsearch."""
    expected = f"instance {key} exported to region {handle.region} within {ctx.timeouts.export_visible:g} s"
    try:
        waited = journaled_wait(
            ctx,
            lambda: True if exported_to(handle, key) else None,
            what=f"instance {key} in region {handle.region}'s Elasticsearch",
            awaits={"kind": "export", "key": key, "region": handle.region},
            timeout=ctx.timeouts.export_visible,
        )
    except ApiError as exc:
        return holds(name, expected, f"not exported: {exc}", False)
    return holds(
        name, expected, "exported", True, f"seen after {waited.elapsed:.2f} s, {waited.attempts} observation(s)"
    )


def stays_unexported(ctx: DrillContext, handle: RegionHandle, key: str, name: str) -> Check:
    """Watch the instance for the quiet window: it must never appear (exporting is paused or stalled)."""
    window = ctx.timeouts.quiet_window
    over = f"for {window:g} s" if window > 0 else "when observed (anything exportable is exported by then)"
    expected = f"instance {key} not exported to region {handle.region} {over}"
    deadline = time.monotonic() + window
    delays = iter(Backoff(first=0.05, factor=1.6, cap=1.0))
    observations = 0
    try:
        while True:
            observations += 1
            if exported_to(handle, key):
                return holds(name, expected, f"exported after {observations} observation(s)", False)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(next(delays), remaining))
    except ApiError as exc:
        return holds(name, expected, f"could not observe: {exc}", False)
    return holds(name, expected, "not exported", True, f"{observations} observation(s) over {window:g} s")


def active_profiles(handle: RegionHandle, release: str) -> tuple[list[str] | None, list[str] | None]:
    """Profiles as the broker logs them and as the unified configmap lists them (the procedure's two checks)."""
    from_log: list[str] | None = None
    for line in handle.platform.pod_logs(f"{release}-zeebe-0").splitlines():
        match = PROFILES_LINE.search(line)
        if match:
            from_log = re.findall(r'"([^"]+)"', match.group(2))
    from_configmap: list[str] | None = None
    data = handle.platform.configmap(f"{release}-zeebe-configuration-unified") or {}
    for text in data.values():
        try:
            doc = _yaml_doc(text)
        except yaml.YAMLError:
            continue
        active = _lookup(doc, ("spring", "profiles", "active"))
        if isinstance(active, str):
            from_configmap = [p.strip() for p in active.split(",") if p.strip()]
    return from_log, from_configmap


@functools.lru_cache(maxsize=16)
def _yaml_doc(text: str) -> Any:
    """A configmap's document, parsed once per text: the Operate/Tasklist checks read the same one many times a
    drill. Callers only read it."""
    return yaml.safe_load(text)


def _lookup(doc: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def operate_tasklist(ctx: DrillContext, handle: RegionHandle, *, on: bool) -> list[Check]:
    """Operate and Tasklist on or off in a region, by the log line and by the configmap."""
    wanted = "on" if on else "off"
    try:
        from_log, from_configmap = active_profiles(handle, ctx.params.release_name)
    except (ApiError, PlatformError) as exc:
        return [
            holds(f"Operate/Tasklist {wanted} in region {handle.region}", wanted, f"could not observe: {exc}", False)
        ]
    checks = []
    for source, profiles in (("pod log", from_log), ("configmap", from_configmap)):
        if profiles is None:
            actual: Any = "no active-profiles entry found"
            passed = False
        else:
            running = sorted({"operate", "tasklist"} & set(profiles))
            actual = {"profiles": profiles}
            passed = running == (["operate", "tasklist"] if on else [])
        checks.append(holds(f"Operate/Tasklist {wanted} in region {handle.region} ({source})", wanted, actual, passed))
    return checks


def camunda_indices(handle: RegionHandle) -> dict[str, int | None]:
    """Camunda's indices (system indices excluded) with their document counts (None: the index is closed)."""
    return {i.index: i.docs_count for i in handle.es.indices() if not i.index.startswith(".")}
