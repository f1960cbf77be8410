"""What may run where: destructive steps run freely only on the embedded simulator and on kind contexts.

Anything else is somebody's real cluster; a destructive step there needs `--allow-production` naming that exact
context, so neither a typo nor a stale kubeconfig can point a drill at production. The guard looks at context
names only, never at the target's kind: a simulator given context names (`--context prod-eu prod-us`, a game-day
rehearsal) is guarded exactly as those clusters would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

KIND_PREFIX = "kind-"


def refusal(contexts: Mapping[int, str], allowed: Iterable[str]) -> str | None:
    """Why destructive steps may not run on these contexts (none: the embedded simulator), or None when they may."""
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
