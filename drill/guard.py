"""What may run where: destructive steps run freely only on the simulator and on kind contexts.

Anything else is somebody's real cluster; a destructive step there needs `--allow-production` naming that exact
context, so neither a typo nor a stale kubeconfig can point a drill at production.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

KIND_PREFIX = "kind-"


def refusal(target: str, contexts: Mapping[int, str], allowed: Iterable[str]) -> str | None:
    """Why destructive steps may not run on this target, or None when they may."""
    if target == "sim":
        return None
    allowed = set(allowed)
    unguarded = {
        region: context
        for region, context in sorted(contexts.items())
        if not context.startswith(KIND_PREFIX) and context not in allowed
    }
    if not unguarded:
        return None
    where = ", ".join(f"region {region} ({context})" for region, context in unguarded.items())
    flags = " ".join(f"--allow-production {context}" for context in unguarded.values())
    return f"guard: {where} is not a kind cluster; destructive steps there need {flags}"
