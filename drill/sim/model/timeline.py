"""When the simulator's asynchronous work completed, in the model's own time: what detection latency is measured
against.

The model completes work lazily, when someone next observes it, so the moment a completion is *noticed* says
nothing about when it *happened*. Each hook here is given the modelled instant (a `Clock.now()` value) and the
entry carries it as wall-clock time, the same time base the drill's journal stamps its records with; a
benchmark subtracts one from the other. The entries name the work in the terms a drill's `wait` record names
what it awaited (`{"kind": "change", "id": 4}`, `{"kind": "export", "key": "...", "region": 1}`), so the two are
matched by equality, never by reading prose.

Bounded: the oldest entries are dropped first, and how many were dropped is reported.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from drill.sim.clock import Clock, iso

DEFAULT_LIMIT = 10_000
KINDS = ("change", "snapshot", "restore", "started", "export", "lost", "route")


@dataclass(frozen=True)
class Completion:
    seq: int
    kind: str
    at: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "at": iso(self.at), **self.fields}


class Timeline:
    """`export_regions` maps the exporter ids whose exports count (one family, so a record exported by two families
    to the same Elasticsearch is one completion) to the region of their Elasticsearch. An instance also arrives in
    a region's Elasticsearch by a restore: `arrival_index` is the index whose document ids are the instance keys
    (Operate's list view), so a restore of it counts as an export of each (`via: restore`)."""

    def __init__(
        self,
        clock: Clock,
        *,
        limit: int = DEFAULT_LIMIT,
        export_regions: Mapping[str, int] | None = None,
        arrival_index: str | None = None,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"a timeline keeps at least 1 entry, got limit={limit!r}")
        self.clock = clock
        self.limit = limit
        self.export_regions = dict(export_regions or {})
        self.arrival_index = arrival_index
        self._entries: deque[Completion] = deque(maxlen=limit)
        self._seq = itertools.count(1)
        self.dropped = 0

    def wall_at(self, at: float) -> datetime:
        """The wall-clock time of modelled instant `at` (which may lie in the past of the observation)."""
        return self.clock.wall() - timedelta(seconds=self.clock.now() - at)

    def record(self, kind: str, at: float | datetime, **fields: Any) -> Completion:
        """`at`: the modelled instant, or the wall time the model already stamped the work with (so that the two
        agree to the microsecond)."""
        if kind not in KINDS:
            raise ValueError(f"Expected a completion kind among {', '.join(KINDS)}, got {kind!r}")
        if len(self._entries) == self.limit:
            self.dropped += 1
        wall = at if isinstance(at, datetime) else self.wall_at(at)
        entry = Completion(next(self._seq), kind, wall, fields)
        self._entries.append(entry)
        return entry

    # -- what the model's hooks call -----------------------------------------------------------------------

    def change(self, change_id: int, status: str, at: float | datetime) -> None:
        self.record("change", at, id=change_id, status=status)

    def snapshot(self, region: int, name: str, state: str, at: float | datetime) -> None:
        self.record("snapshot", at, region=region, name=name, state=state)

    def restore(
        self,
        region: int,
        snapshot: str,
        indices: Sequence[str],
        at: float,
        green_at: float,
        documents: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """`at`: every primary recovered (what `wait_for_completion` answers on); `green_at`: replicas too;
        `documents`: the ids of the documents restored, per index."""
        self.record(
            "restore", at, region=region, snapshot=snapshot, indices=list(indices), greenAt=iso(self.wall_at(green_at))
        )
        if self.arrival_index is not None:
            for key in (documents or {}).get(self.arrival_index, ()):
                self.record("export", at, key=key, region=region, via="restore")

    def started(self, region: int, component: str, at: float) -> None:
        self.record("started", at, region=region, component=component)

    def exported(self, exporter_id: str, key: int | str, at: float) -> None:
        region = self.export_regions.get(exporter_id)
        if region is not None:
            self.record("export", at, key=str(key), region=region, via="exporter")

    def lost(self, region: int, at: float) -> None:
        self.record("lost", at, region=region)

    def routed(self, region: int, at: float) -> None:
        self.record("route", at, region=region)

    # -- reading -------------------------------------------------------------------------------------------

    def entries(self) -> list[Completion]:
        return list(self._entries)

    def to_json(self) -> dict[str, Any]:
        """`GET /timeline`'s body."""
        return {
            "completions": [e.to_json() for e in self._entries],
            "dropped": self.dropped,
            "limit": self.limit,
        }
