"""Helm values as the simulator reads them: `--set` paths, the orchestration env array, active profiles.

Only the values the procedure turns on and off are interpreted; the rest is kept as given so that `/state` and
the release history show what an operator really installed.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from drill.sim.model.errors import BadRequest

BASE_PROFILES = ("broker", "operate", "tasklist", "identity", "consolidated-auth")
SCHEMA_ENV = "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA"
_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<index>\d+)\])?$")


def apply_set(values: dict[str, Any], assignment: str, *, as_string: bool = False) -> None:
    """Apply one `--set a.b[0].c=value` (or `--set-string`) the way Helm does, in place."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise BadRequest(f"Expected --set in the form key=value, got '{assignment}'")
    value: Any = raw if as_string else _scalar(raw)
    segments = _split_path(path)
    node: Any = values
    for i, (name, index) in enumerate(segments):
        last = i == len(segments) - 1
        if index is None:
            if last:
                node[name] = value
            else:
                child = node.get(name)
                node[name] = child if isinstance(child, dict) else {}
                node = node[name]
            continue
        items = node.get(name)
        if not isinstance(items, list):
            items = []
            node[name] = items
        while len(items) <= index:
            items.append({})
        if last:
            items[index] = value
        else:
            if not isinstance(items[index], dict):
                items[index] = {}
            node = items[index]


def _split_path(path: str) -> list[tuple[str, int | None]]:
    segments = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise BadRequest(f"Expected a Helm value path like a.b[0].c, got '{path}'")
        index = match.group("index")
        segments.append((match.group("name"), int(index) if index is not None else None))
    return segments


def _scalar(raw: str) -> Any:
    lowered = raw.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def merged(values: dict[str, Any], sets: list[str], set_strings: list[str]) -> dict[str, Any]:
    result = copy.deepcopy(values)
    for assignment in sets:
        apply_set(result, assignment)
    for assignment in set_strings:
        apply_set(result, assignment, as_string=True)
    return result


def lookup(values: dict[str, Any], path: str, default: Any = None) -> Any:
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def env_value(values: dict[str, Any], name: str) -> str | None:
    env = lookup(values, "orchestration.env", [])
    if not isinstance(env, list):
        raise BadRequest(f"Expected orchestration.env to be a list of {{name, value}}, got {type(env).__name__}")
    found = None
    for entry in env:
        if isinstance(entry, dict) and entry.get("name") == name:
            found = None if entry.get("value") is None else str(entry.get("value"))
    return found


def _flag(values: dict[str, Any], path: str) -> bool:
    value = lookup(values, path, True)
    if isinstance(value, str):
        return value.strip().lower() != "false"
    return bool(value)


def active_profiles(values: dict[str, Any]) -> list[str]:
    off = {name for name in ("operate", "tasklist") if not _flag(values, f"orchestration.profiles.{name}")}
    return [p for p in BASE_PROFILES if p not in off]


def schema_manager_enabled(values: dict[str, Any]) -> bool:
    value = env_value(values, SCHEMA_ENV)
    return value is None or value.strip().lower() != "false"


def profiles_log_line(profiles: list[str]) -> str:
    quoted = ", ".join(f'"{p}"' for p in profiles)
    return f"io.camunda.application.StandaloneCamunda - The following {len(profiles)} profiles are active: {quoted}"


def unified_configmap(profiles: list[str], values: dict[str, Any]) -> dict[str, str]:
    """The `camunda-zeebe-configuration-unified` data, with the line the procedure greps for."""
    size = lookup(values, "orchestration.clusterSize")
    lines = [
        "spring:",
        "  profiles:",
        f'    active: "{",".join(profiles)}"',
        "camunda:",
        "  cluster:",
        f"    size: {size}" if size is not None else "    size: null",
    ]
    return {"application.yaml": "\n".join(lines) + "\n"}
