"""Evidence is never overwritten: an earlier drill's folder is kept under a new name before a new one starts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def archive_previous(directory: Path) -> Path | None:
    """Evidence is never overwritten: an earlier drill's directory is renamed with its modification time."""
    if not directory.exists():
        return None
    stamp = datetime.fromtimestamp(directory.stat().st_mtime, UTC).strftime("%Y%m%dT%H%M%SZ")
    target = directory.with_name(f"{directory.name}.{stamp}")
    suffix = 1
    while target.exists():
        target = directory.with_name(f"{directory.name}.{stamp}-{suffix}")
        suffix += 1
    directory.rename(target)
    return target
