"""Helm values and command lines, as pure functions shared by both platforms and the procedure.

The procedure must compute the same `--set-string orchestration.env[N]...` arguments whether helm or the
simulator applies them, and the runbook must print the exact helm command a person would type; so merging,
escaping and argv building live here, once, with Helm's own semantics (pkg/cli/values `mergeMaps`, strvals
escaping, Helm 3 vs 4 flags).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from drill.platform.base import HelmRequest

ENV_PATH = "orchestration.env"
HELM_MAJORS = (3, 4)
VERBS = ("install", "upgrade", "uninstall")

_SEGMENT = re.compile(r"^(?P<name>[^\[\]]+)(?:\[(?P<index>\d+)\])?$")
_DURATION = re.compile(r"(?P<amount>\d+(?:\.\d+)?)(?P<unit>h|ms|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class ValuesFileError(ValueError):
    """A values file is missing, unreadable or not a YAML mapping; the message names the file."""


# -- values ------------------------------------------------------------------------------------------------------


def merge_values(*docs: Mapping[str, Any]) -> dict[str, Any]:
    """Merge values documents as `helm -f a -f b` does: maps deep-merged, lists and scalars replaced, later wins.

    The inputs are never modified or aliased by the result, so callers may keep editing either.
    """
    result: dict[str, Any] = {}
    for doc in docs:
        _merge_into(result, doc)
    return result


def _merge_into(out: dict[str, Any], doc: Mapping[str, Any]) -> None:
    for key, value in doc.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict):
            _merge_into(current, value)
        elif isinstance(value, Mapping):
            fresh: dict[str, Any] = {}
            _merge_into(fresh, value)
            out[key] = fresh
        else:
            out[key] = copy.deepcopy(value)


def lookup(values: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at a helm path such as `orchestration.clusterSize` or `orchestration.env[3].name`."""
    node: Any = values
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise ValueError(f"Expected a Helm value path like a.b[0].c, got {path!r}")
        if not isinstance(node, Mapping) or match.group("name") not in node:
            return default
        node = node[match.group("name")]
        index = match.group("index")
        if index is not None:
            if not isinstance(node, list) or int(index) >= len(node):
                return default
            node = node[int(index)]
    return node


def load_values_files(paths: Iterable[Path]) -> dict[str, Any]:
    """Read YAML values files and merge them in order; an empty file counts as no values, as in helm."""
    docs = []
    for path in paths:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValuesFileError(f"values file {path}: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            raise ValuesFileError(f"values file {path}: not valid YAML: {' '.join(str(exc).split())}") from exc
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ValuesFileError(f"values file {path}: expected a YAML mapping, got {type(doc).__name__}")
        docs.append(doc)
    return merge_values(*docs)


# -- --set strings -------------------------------------------------------------------------------------------------


def escape_set_value(value: str) -> str:
    """Escape a value for `--set`/`--set-string`: helm splits on commas and reads a leading `{` as a list."""
    escaped = value.replace("\\", "\\\\").replace(",", "\\,")
    return "\\" + escaped if escaped.startswith("{") else escaped


def split_set_argument(argument: str) -> tuple[str, ...]:
    """The assignments helm reads from one `--set` argument: split on unescaped commas, escapes removed.

    Commas inside an unescaped `{...}` list stay, as helm keeps them. The simulator has no strvals parser, so
    the sim platform sends it these instead of the raw argument, and both targets see the same values.
    """
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    chars = iter(argument)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            depth += {"{": 1, "}": -1}.get(char, 0)
            current.append(char)
    parts.append("".join(current))
    return tuple(part for part in parts if part)


def env_set_strings(values: Mapping[str, Any], env: Mapping[str, str]) -> tuple[str, ...]:
    """`--set-string` pairs that put `env` into `orchestration.env` without losing the entries already there.

    `orchestration.env` is a list, so `--set` cannot append by name: a new entry goes to index N (the current
    length, then N+1, ...), an entry whose name already exists is overwritten at its (last) index, as Camunda's
    own tests do with `orchestration.env[12].name/value`.
    """
    current = lookup(values, ENV_PATH, [])
    if current is None:
        current = []
    if not isinstance(current, list):
        raise ValueError(f"Expected {ENV_PATH} to be a list of {{name, value}}, got {type(current).__name__}")
    positions = {
        entry["name"]: index
        for index, entry in enumerate(current)
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)
    }
    next_index = len(current)
    result: list[str] = []
    for name, value in env.items():
        index = positions.get(name)
        if index is None:
            index = positions[name] = next_index
            next_index += 1
        result.append(f"{ENV_PATH}[{index}].name={escape_set_value(name)}")
        result.append(f"{ENV_PATH}[{index}].value={escape_set_value(value)}")
    return tuple(result)


# -- helm command lines ----------------------------------------------------------------------------------------------


def helm_argv(
    verb: str,
    release: str,
    chart: str | None,
    *,
    version: str | None,
    kube_context: str,
    namespace: str,
    request: HelmRequest | None = None,
    install: bool = False,
    helm_major: int = 3,
    wait: bool = False,
    timeout: str = "10m",
    atomic: bool = False,
    create_namespace: bool = True,
    output: str | None = None,
    binary: str = "helm",
) -> list[str]:
    """The exact helm command for one install, upgrade or uninstall, for Helm 3 or Helm 4.

    Helm 4 renamed `--atomic` to `--rollback-on-failure` and made `--wait` a strategy; `--wait=watcher` is
    spelled with `=` because a bare `--wait` followed by a word would take the word as a positional argument.
    `--create-namespace` goes on install and `upgrade --install`, which may meet a namespace that is gone.
    """
    if helm_major not in HELM_MAJORS:
        raise ValueError(f"Expected helm major version 3 or 4, got {helm_major}")
    if verb not in VERBS:
        raise ValueError(f"Expected verb install, upgrade or uninstall, got {verb!r}")
    argv = [binary, verb, release]
    if verb != "uninstall":
        if not chart:
            raise ValueError(f"helm {verb} needs a chart")
        argv.append(chart)
        if verb == "upgrade" and install:
            argv.append("--install")
    argv += ["--kube-context", kube_context, "--namespace", namespace]
    if verb != "uninstall":
        if version:
            argv += ["--version", version]
        if create_namespace and (verb == "install" or install):
            argv.append("--create-namespace")
        request = request or HelmRequest()
        for path in request.values_files:
            argv += ["-f", str(path)]
        for assignment in request.sets:
            argv += ["--set", assignment]
        for assignment in request.set_strings:
            argv += ["--set-string", assignment]
    if wait:
        argv.append("--wait" if helm_major == 3 else "--wait=watcher")
    if atomic and verb != "uninstall":
        argv.append("--atomic" if helm_major == 3 else "--rollback-on-failure")
    argv += ["--timeout", timeout]
    if output and verb != "uninstall":
        argv += ["--output", output]
    return argv


def helm_status_argv(release: str, *, kube_context: str, namespace: str, binary: str = "helm") -> list[str]:
    return [binary, "status", release, "--kube-context", kube_context, "--namespace", namespace, "--output", "json"]


def duration_seconds(duration: str) -> float:
    """Seconds in a Go duration such as `10m` or `1h30m` (helm's `--timeout`), to bound the helm process."""
    if not duration or _DURATION.sub("", duration):
        raise ValueError(f"Expected a Go duration like 10m or 1h30m, got {duration!r}")
    return sum(float(m.group("amount")) * _UNIT_SECONDS[m.group("unit")] for m in _DURATION.finditer(duration))
