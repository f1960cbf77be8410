"""What steps learn and later steps need (a probe instance's key, the drill's marker tag), kept in the journal.

A resumed drill runs in a new process: whatever the interrupted one learned must come back from its evidence, not
from a guess. Every plain value a step remembers is journaled as a `memory` record as it is set, and the markers
are their own `marker` records; `restore` rebuilds both from a journal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from drill.evidence.journal import Journal

PLAIN = (str, int, float, bool)


class Memory(dict[str, Any]):
    def __init__(self, journal: Journal | None = None) -> None:
        super().__init__()
        self.journal = journal

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if self.journal is not None and isinstance(value, PLAIN):
            self.journal.append("memory", key=key, value=value)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


def restore(memory: Memory, records: Iterable[Mapping[str, Any]]) -> Memory:
    """Fill `memory` (without journaling again) from an interrupted drill's records."""
    from drill.procedure.continuity import Marker

    markers: list[Marker] = []
    for record in records:
        if record.get("kind") == "memory" and isinstance(record.get("key"), str):
            dict.__setitem__(memory, record["key"], record.get("value"))
        elif record.get("kind") == "marker" and record.get("event") == "written":
            markers.append(Marker(str(record["tag"]), str(record["key"]), str(record["stage"])))
    if markers:
        dict.__setitem__(memory, "markers", markers)
    return memory
