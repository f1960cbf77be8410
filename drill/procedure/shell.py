"""Renders the procedure's actions as the commands an operator types, in the procedure's own shell variables.

The official document generalises its commands with `$CLUSTER_SURVIVING`, `$CAMUNDA_NAMESPACE_RECREATED` and
friends; the printed runbook keeps those names so it can be read side by side with the document.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from typing import Any

ROLES = {"surviving": "SURVIVING", "recreated": "RECREATED"}
_VARIABLE_ONLY = re.compile(r"^\$[A-Z_][A-Z0-9_]*(/[\w./-]*)?$")
_SAFE_WITH_VARIABLES = re.compile(r"^[\w./:=,\[\]@%+-]*\$[\w$./:=,\[\]@%+-]*$")


def quote(token: str) -> str:
    """shlex quoting, except that shell variables stay expandable."""
    if _VARIABLE_ONLY.match(token):
        return token
    if _SAFE_WITH_VARIABLES.match(token):
        return f'"{token}"'
    return shlex.quote(token)


def command(argv: Sequence[str], *, continuation_after: int = 0) -> str:
    """One command line; with `continuation_after`, flags after the first N tokens go on their own lines."""
    tokens = [quote(t) for t in argv]
    if not continuation_after or len(tokens) <= continuation_after:
        return " ".join(tokens)
    lines: list[str] = [" ".join(tokens[:continuation_after])]
    current: list[str] = []
    for token in tokens[continuation_after:]:
        if token.startswith("-") and current:
            lines.append(" ".join(current))
            current = []
        current.append(token)
    lines.append(" ".join(current))
    return " \\\n  ".join(lines)


def role_var(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"Expected role surviving or recreated, got {role!r}")
    return ROLES[role]


def port_forward(role: str, port: int) -> str:
    """In the background, so the runbook reads as a script; the forward is printed once and then reused."""
    r = role_var(role)
    return (
        f"kubectl --context $CLUSTER_{r} port-forward services/$CAMUNDA_RELEASE_NAME-zeebe-gateway "
        f"{port}:{port} -n $CAMUNDA_NAMESPACE_{r} &"
    )


def is_port_forward(line: str) -> bool:
    return " port-forward " in line


def compact(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"))


def curl(method: str, url: str, body: Any = None, *, include_status: bool = False) -> str:
    argv = ["curl"] + (["-i"] if include_status else []) + [f"-X{method}", url]
    if body is not None:
        argv += ["-H", "Content-Type: application/json", "-d", compact(body)]
    return command(argv)


def elastic_pod(role: str) -> str:
    r = role_var(role)
    return (
        f"ELASTIC_POD=$(kubectl --context $CLUSTER_{r} get pod --selector=app\\.kubernetes\\.io/name=elasticsearch "
        f"-o jsonpath='{{.items[0].metadata.name}}' -n $CAMUNDA_NAMESPACE_{r})"
    )


def elastic_curl(role: str, method: str, path: str, body: Any = None) -> str:
    r = role_var(role)
    prefix = f"kubectl --context $CLUSTER_{r} exec -n $CAMUNDA_NAMESPACE_{r} -it $ELASTIC_POD -c elasticsearch -- "
    return prefix + curl(method, f"http://localhost:9200{path}", body)
