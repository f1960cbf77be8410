"""Fencing the lost region and rerouting users' traffic: the procedure's failover step 1 ("Traffic rerouting: use
DNS to reroute traffic to the surviving active region") as two checked stages, the fence first.

Why a fence, and why first: a lost region may come back as it was (a partition heals, stopped nodes restart). Its
brokers still hold the old cluster configuration and its gateway may still get users whose DNS answer is stale;
Camunda's own reviews ask to fence such a "zombie" before traffic is redirected. The fence is a deny-all network
policy in the lost region's namespace (kube: a NetworkPolicy, `drill/platform/fence.py`), and it stays until
`region-recreate` has wiped the region: lifting it earlier would let a returned region rejoin with its old data.

A lost region's API is often down as well (most real outages), so it cannot always be fenced. `--fence` decides
what that means (DrillParams.fence): `if-reachable` (the default) records the region as unreachable and not
fenced, with a warning in the journal, and goes on, because blocking the failover on a fence that cannot be
applied would lengthen the outage while the region is down anyway; the risk begins when it returns, which the
warning says. `required` fails the stage instead: for game days that must show the fence (kind's uninstall loss,
the simulator). A region whose API answers but refuses the fence fails the stage in both.

Rerouting is done in the first way available: the user's `--reroute-command` (run through the target's command
runner, so argv, exit code and output are evidence); the simulator's own public endpoint, switched by the target
as it makes the loss; or a person's confirmation (the `ctx.confirm` hook, `--approve-each-step`). Then the public
endpoint is probed, a bounded wait, until it answers `/v2/topology` with the surviving gateway's brokers. Without
a public endpoint (kube or kind without `--public-endpoint`) nothing can be probed: the stage passes on how the
traffic was moved and the journal carries a warning that the rerouting was not verified, rather than failing an
incident's failover over a check that cannot be made, or passing a probe that was never made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drill.api.errors import ApiError, excerpt
from drill.api.gateway import GatewayClient
from drill.api.retry import RetryPolicy
from drill.api.waits import Backoff
from drill.evidence.http import JournalTransport
from drill.platform import fence as fencing
from drill.platform.base import PlatformError, RegionUnreachable
from drill.procedure import shell
from drill.procedure.actions import Action, OutcomeError
from drill.procedure.checks import Check, equal, holds, observed
from drill.procedure.context import DrillContext, RegionHandle
from drill.procedure.observe import journaled_wait
from drill.procedure.params import DrillParams
from drill.procedure.step import Step

ACCEPTS_UNREACHABLE = "if-reachable"
NO_WAY_TO_REROUTE = "--reroute-command, or a manual confirmation (--approve-each-step)"
# DNS answers change at the TTL, not at once: probe every few seconds at most, within Timeouts.reroute.
PROBE_BACKOFF = Backoff(first=0.1, factor=2.0, cap=5.0)
REROUTED, REROUTED_BY = "rerouted", "rerouted_by"  # memory keys: how the traffic was moved, and by what


# -- the fence -------------------------------------------------------------------------------------------------


class ApplyFence(Action):
    """Applies the fence to the lost region; an unreachable region is recorded (and warned of), not a failure here:
    the stage's Then decides, by `--fence`, whether the drill may go on without it."""

    def describe(self) -> str:
        return f"fence the lost region's namespace: NetworkPolicy {fencing.FENCE_NAME} denies all ingress and egress"

    def shell(self, params: DrillParams) -> list[str]:
        argv = fencing.apply_argv("$CLUSTER_RECREATED", "$CAMUNDA_NAMESPACE_RECREATED")
        manifest = fencing.manifest("$CAMUNDA_NAMESPACE_RECREATED").rstrip("\n")
        return [
            f"# region {params.lost_region}'s namespace: every pod selected, no ingress, no egress",
            f"{shell.command(argv)} <<EOF",
            manifest,
            "EOF",
        ]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        platform = ctx.recreated.platform
        try:
            applied = platform.fence()
        except RegionUnreachable as exc:
            ctx.journal.note(
                f"warning: region {ctx.params.lost_region} is unreachable, its fence is not applied: fence it as soon "
                "as its API answers, before it can rejoin",
                level="warning",
                error=str(exc),
            )
            return {"fenced": False, "unreachable": str(exc)}
        return {"fenced": True, "namespace": platform.namespace, "applied": applied}


class LiftFence(Action):
    """Lifts the fence off the recreated (empty) region, so the failback's redeploy can join the cluster; after the
    recreation, so a region that came back with its old data is wiped before it could reach anything."""

    def describe(self) -> str:
        return f"lift the fence ({fencing.FENCE_NAME}) from the recreated region's namespace"

    def shell(self, params: DrillParams) -> list[str]:
        return [shell.command(fencing.lift_argv("$CLUSTER_RECREATED", "$CAMUNDA_NAMESPACE_RECREATED"))]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        ctx.recreated.platform.lift_fence()
        return {"lifted": True, "namespace": ctx.recreated.platform.namespace}


def _where(handle: RegionHandle) -> str:
    return f"region {handle.region}'s namespace {handle.platform.namespace}"


def fence_holds(ctx: DrillContext) -> Check:
    """The lost region is fenced, or (with `--fence if-reachable`) unreachable and said to be unfenced."""
    accept = ctx.params.fence == ACCEPTS_UNREACHABLE
    name = f"{_where(ctx.recreated)} fenced ({fencing.FENCE_NAME}, deny-all)"
    expected = "fenced" + (", or the region unreachable (--fence if-reachable)" if accept else " (--fence required)")
    try:
        fenced = ctx.recreated.platform.fenced()
    except RegionUnreachable as exc:
        why = "accepted by --fence if-reachable: fence it before it can rejoin" if accept else "--fence required"
        return holds(name, expected, f"region unreachable: fence not applied ({exc.seen})", accept, why)
    except PlatformError as exc:
        return holds(name, expected, f"could not observe: {exc}", False)
    return holds(name, expected, "fenced" if fenced else "no fence", fenced)


def fence_lifted(handle: RegionHandle) -> Check:
    name = f"{_where(handle)} holds no fence"
    return observed(
        name, "no fence", lambda: equal(name, "no fence", "fenced" if handle.platform.fenced() else "no fence")
    )


def lost_brokers_still_gone(ctx: DrillContext) -> Check:
    name = "lost brokers still absent from the surviving gateway's topology"
    lost = set(ctx.params.lost_brokers)

    def look() -> Check:
        seen = sorted(b.node_id for b in ctx.surviving.gateway.topology().brokers if b.node_id in lost)
        return equal(name, [], seen)

    return observed(name, [], look)


class FenceLostRegion(Step):
    id = "fence-lost-region"
    title = "The lost region is fenced off"
    phase = "drill"
    when = "the lost region's namespace is fenced"
    current_state = ("The lost region's brokers are still unreachable from the surviving region.",)
    desired_state = ("The lost region's namespace denies all traffic: if the region returns, it cannot rejoin.",)
    notes = (
        "Not in the official document; its reviews ask to fence the zombie region before redirecting traffic. "
        "An unreachable region cannot be fenced: --fence if-reachable (default) records it and warns, "
        "--fence required fails.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [ApplyFence()]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return [lost_brokers_still_gone(ctx)]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [fence_holds(ctx)]

    def verification(self, params: DrillParams) -> list[str]:
        return [shell.command(fencing.read_argv("$CLUSTER_RECREATED", "$CAMUNDA_NAMESPACE_RECREATED", output="yaml"))]


# -- rerouting -------------------------------------------------------------------------------------------------


def reroute_env(params: DrillParams, *, namespace: str, context: str | None, endpoint: str | None) -> dict[str, str]:
    """What a --reroute-command is told, as environment variables (the same names in the printed runbook)."""
    env = {
        "C8_DRILL_LOST_REGION": str(params.lost_region),
        "C8_DRILL_SURVIVING_REGION": str(params.surviving_region),
        "C8_DRILL_SURVIVING_NAMESPACE": namespace,
    }
    if context is not None:
        env["C8_DRILL_SURVIVING_CONTEXT"] = context
    if endpoint is not None:
        env["C8_DRILL_PUBLIC_ENDPOINT"] = endpoint
    return env


def public_endpoint(ctx: DrillContext) -> str | None:
    """--public-endpoint, else the target's own (the simulator's)."""
    return ctx.params.public_endpoint or (ctx.router.public_url if ctx.router is not None else None)


@dataclass(frozen=True)
class Reroute(Action):
    command: str | None = None

    def describe(self) -> str:
        how = f" with {self.command!r}" if self.command else ""
        return f"reroute public traffic to the surviving region{how}"

    def shell(self, params: DrillParams) -> list[str]:
        if self.command is None:
            return [
                f"# switch the public name (DNS, global load balancer) to region {params.surviving_region}'s gateway; "
                "the procedure leaves this to your DNS setup (the drill asks you to confirm it)"
            ]
        env = reroute_env(
            params,
            namespace="$CAMUNDA_NAMESPACE_SURVIVING",
            context="$CLUSTER_SURVIVING",
            endpoint=params.public_endpoint,
        )
        exports = " ".join(f"{name}={shell.quote(value)}" for name, value in env.items())
        return [f"export {exports}", shell.command(["sh", "-c", self.command])]

    def run(self, ctx: DrillContext) -> dict[str, Any]:
        if self.command is not None:
            return self._command(ctx, self.command)
        surviving = ctx.params.surviving_region
        if ctx.router is not None:
            ctx.router.route_to(surviving)
            ctx.memory[REROUTED_BY] = "router"
            ctx.memory[REROUTED] = f"the target's router ({ctx.router.description}) sends users to region {surviving}"
            return {"how": "router", "router": ctx.router.description, "routes_to": surviving}
        if ctx.confirm is None:
            raise OutcomeError("traffic rerouting", NO_WAY_TO_REROUTE, "neither")
        return self._confirmed(ctx)

    def _command(self, ctx: DrillContext, command: str) -> dict[str, Any]:
        if ctx.runner is None:
            raise OutcomeError(self.describe(), "the target's command runner", "none (a harness error)")
        platform = ctx.surviving.platform
        context = getattr(platform, "context", None)  # kube targets have one; the simulator has none
        env = reroute_env(
            ctx.params,
            namespace=platform.namespace,
            context=context if isinstance(context, str) else None,
            endpoint=public_endpoint(ctx),
        )
        result = ctx.runner.run(["sh", "-c", command], timeout=ctx.timeouts.reroute, env=env)
        if not result.ok:
            output = (result.stderr or result.stdout).strip()
            seen = f"exit code {result.exit_code}" + (f": {excerpt(output)}" if output else " and no output")
            raise OutcomeError(f"reroute command {command!r}", "exit code 0", seen)
        ctx.memory[REROUTED_BY] = "command"
        ctx.memory[REROUTED] = f"command {command!r} exited 0"
        return {"how": "command", "argv": list(result.argv), "exit_code": result.exit_code, "env": env}

    def _confirmed(self, ctx: DrillContext) -> dict[str, Any]:
        assert ctx.confirm is not None
        surviving, endpoint = ctx.params.surviving_region, public_endpoint(ctx)
        question = f"Is public traffic rerouted to region {surviving} ({ctx.surviving.platform.namespace})?"
        instructions = [
            f"Switch the public name (DNS, global load balancer) so users reach region {surviving}'s gateway.",
            f"Region {ctx.params.lost_region} is fenced or unreachable: nothing should be sent there.",
            f"The drill then probes {endpoint}/v2/topology."
            if endpoint
            else "No --public-endpoint: the drill cannot check it, your answer is the evidence.",
        ]
        answer = ctx.confirm(question, instructions)
        who = (answer.by or "nobody") + (f": {answer.answer!r}" if answer.answer else "")
        if not answer.confirmed:
            expected = f"a confirmation that region {surviving} gets the traffic"
            raise OutcomeError("traffic rerouting", expected, f"not confirmed by {who}")
        ctx.memory[REROUTED_BY] = "confirmation"
        ctx.memory[REROUTED] = f"confirmed by {who}"
        return {"how": "confirmation", "by": answer.by, "answer": answer.answer}


def rerouted(ctx: DrillContext) -> Check:
    """How the traffic was moved (the When's own record); the router is read back, as it can be."""
    name = f"traffic rerouted to region {ctx.params.surviving_region}"
    how = ctx.memory.get(REROUTED)
    expected = "moved by the reroute command, the target's router or a person"
    if how is None:
        return holds(name, expected, "not rerouted", False)
    if ctx.router is not None and ctx.memory.get(REROUTED_BY) == "router":
        surviving = ctx.params.surviving_region
        try:
            routes = ctx.router.routed_to()
        except PlatformError as exc:
            return holds(name, expected, f"could not observe: {exc}", False)
        return holds(name, f"the router sends users to region {surviving}", f"region {routes}", routes == surviving)
    return holds(name, expected, how, True)


def probe_public(ctx: DrillContext) -> list[Check]:
    """The public endpoint answers with the surviving gateway's brokers (bounded wait: DNS changes take a TTL)."""
    url = public_endpoint(ctx)
    if url is None:
        ctx.journal.note(
            "warning: traffic rerouting not verified: no --public-endpoint to probe; the stage rests on how the "
            "traffic was moved",
            level="warning",
        )
        return []
    surviving = ctx.params.surviving_region
    name = f"public endpoint {url} answers with region {surviving}'s gateway"
    options = ctx.surviving.options
    last: list[str] = []

    def probe() -> list[int] | None:
        # A new client per probe: a new connection and a new DNS answer, never a pooled one to the old address.
        transport = JournalTransport(options.transport(), ctx.journal)
        with GatewayClient(
            url, auth=options.gateway_auth, transport=transport, timeout=options.timeout, retry=RetryPolicy.none()
        ) as client:
            public = sorted(b.node_id for b in client.topology().brokers)
        direct = sorted(b.node_id for b in ctx.surviving.gateway.topology().brokers)
        if public and public == direct and all(b % 2 == surviving for b in public):
            return public
        last.append(f"public brokers {public}, region {surviving}'s gateway brokers {direct}")
        return None

    expected = f"the brokers region {surviving}'s gateway reports, all in region {surviving}"
    try:
        waited = journaled_wait(
            ctx,
            probe,
            what=name,
            awaits={"kind": "route", "region": surviving},
            timeout=ctx.timeouts.reroute,
            outcome="answered",
            backoff=PROBE_BACKOFF,
            describe=lambda: last[-1] if last else "no answer",
        )
    except (ApiError, PlatformError) as exc:
        return [holds(name, expected, f"not reached: {exc}", False)]
    return [holds(name, expected, waited.value, True, f"after {waited.elapsed:.2f} s, {waited.attempts} probe(s)")]


class RerouteTraffic(Step):
    id = "reroute-traffic"
    title = "Public traffic is rerouted to the surviving region"
    phase = "drill"
    when = "public traffic is rerouted to the surviving region"
    current_state = ("The lost region is fenced, or unreachable and accepted unfenced.",)
    desired_state = ("The public endpoint answers with the surviving region's gateway and its brokers.",)
    notes = (
        "Failover step 1 of the procedure, which leaves the DNS change to your setup: the drill runs "
        "--reroute-command, or asks a person to confirm, then probes --public-endpoint.",
    )

    def actions(self, params: DrillParams) -> list[Action]:
        return [Reroute(params.reroute_command)]

    def check_current(self, ctx: DrillContext) -> list[Check]:
        return [fence_holds(ctx)]

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        return [rerouted(ctx), *probe_public(ctx)]

    def verification(self, params: DrillParams) -> list[str]:
        if params.public_endpoint is None:
            return []
        return [
            f"curl -sS {shell.quote(params.public_endpoint.rstrip('/') + '/v2/topology')} | jq '[.brokers[].nodeId]'"
        ]
