"""fence-lost-region and reroute-traffic on the simulator, through DrillSession as the feature files and prove run
them: what stops the drill before failover-1 (a failing reroute command, a public endpoint still sent to the lost
region, a declined or missing confirmation, `--fence required` with a region whose API is down), what is accepted
with a warning, and the fence's lift being checked before the redeploy. The passing drill of both lost regions is
in tests/features/test_drill_run.py; the printed runbook is at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from drill.drill_session import DrillSession, DrillSettings
from drill.evidence.journal import read_journal
from drill.launch import RunRequest
from drill.platform.base import RegionUnreachable
from drill.platform.sim import SimPlatform
from drill.procedure.actions import Action
from drill.procedure.context import Confirmation
from drill.procedure.params import DrillParams, Timeouts
from drill.procedure.runbook import render
from drill.procedure.stages import ProvideEmptyRegion, drill_sequence
from drill.sim.runtime import SimRuntime
from drill.targets import sim_target

# A failing probe waits `reroute` in full: short, yet several probes long.
QUICK = Timeouts(change=5, export_visible=2, quiet_window=0.2, snapshot=10, readiness=3, health=3, reroute=1.0)
DOWN = "exit code 1: The connection to the server 10.0.1.1:6443 was refused"

MakeSession = Callable[..., DrillSession]


class ApiDown(SimPlatform):
    """The lost region as a real outage leaves it: its Kubernetes API does not answer, so no fence goes in."""

    def fence(self) -> str:
        raise RegionUnreachable(self.description, "apply the fence", "exit code 0", DOWN)

    def fenced(self) -> bool:
        raise RegionUnreachable(self.description, "read the fence", "exit code 0", DOWN)


@pytest.fixture
def make_session(make_runtime: Callable[..., SimRuntime], tmp_path: Path) -> Iterator[MakeSession]:
    sessions: list[DrillSession] = []

    def make(lost: int, *, api_down: bool = False, router: bool = True, **params: Any) -> DrillSession:
        endpoints = make_runtime().endpoints()
        target = sim_target(endpoints, timeouts=QUICK, auth=httpx.BasicAuth("demo", "demo"))
        if api_down:
            target.platforms[lost].close()
            target.platforms[lost] = ApiDown(lost, endpoints)
        if not router and target.router is not None:  # a target without a public endpoint of its own (kube)
            target.router.close()
            target.router = None
        settings = DrillSettings(
            params=DrillParams(lost_region=lost, **params), report_dir=tmp_path / f"drill-{len(sessions)}"
        )
        session = DrillSession(settings, lost, target=target)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        if not session.journal.closed:
            session.finish(reports=False)


def drive(session: DrillSession, *, until: str | None = None, actions: Mapping[str, Sequence[Action]] = {}) -> None:
    """The stages in order, as the feature files run them; `until` stops before that stage (it is not run)."""
    for step in session.sequence:
        if step.id == until:
            break
        if session.begin_stage(step.id) is not None:
            continue
        error: Exception | None = None
        try:
            session.current()
            chosen = actions.get(step.id)
            session.act(list(chosen) if chosen is not None else None)
            session.desired()
        except Exception as exc:  # a step that stops: the session blocks every later stage
            error = exc
        session.end_stage(error)
    session.finish(reports=False)


def ends(session: DrillSession) -> dict[str, str]:
    records = read_journal(session.journal_path)
    ended = {r["step_id"]: r["status"] for r in records if r["kind"] == "step_end"}
    return ended | {r["step_id"]: "blocked" for r in records if r["kind"] == "blocked"}


def end_of(session: DrillSession, stage: str) -> dict[str, Any]:
    (end,) = [r for r in read_journal(session.journal_path) if r["kind"] == "step_end" and r["step_id"] == stage]
    return end


def checks(session: DrillSession, stage: str, phase: str) -> list[dict[str, Any]]:
    records = read_journal(session.journal_path)
    return [r for r in records if r["kind"] == "check" and r["step_id"] == stage and r["phase"] == phase]


def warnings(session: DrillSession) -> list[str]:
    return [r["message"] for r in read_journal(session.journal_path) if r.get("level") == "warning"]


# -- rerouting -------------------------------------------------------------------------------------------------


def test_a_failing_reroute_command_stops_the_drill_before_failover_1(make_session: MakeSession) -> None:
    command = "echo 'zone camunda.example.com is locked' >&2; exit 3"
    session = make_session(1, reroute_command=command)

    drive(session)

    status = ends(session)
    assert (status["fence-lost-region"], status["reroute-traffic"], status["failover-1"]) == (
        "passed",
        "failed",
        "blocked",
    )
    assert end_of(session, "reroute-traffic")["error"] == (
        f"ActionFailed: reroute-traffic: reroute public traffic to the surviving region with {command!r} failed: "
        f"reroute command {command!r}: expected exit code 0, got exit code 3: zone camunda.example.com is locked"
    )
    (ran,) = [r for r in read_journal(session.journal_path) if r["kind"] == "command"]
    assert (ran["argv"], ran["exit_code"], ran["step"]) == (["sh", "-c", command], 3, "reroute-traffic")


def test_the_probe_fails_while_the_public_endpoint_still_sends_users_to_the_lost_region(
    make_session: MakeSession,
) -> None:
    # A reroute command that does nothing (but say what it was told): the public endpoint keeps routing to region 0.
    told = " ".join(
        [
            'echo "$C8_DRILL_LOST_REGION',
            "$C8_DRILL_SURVIVING_REGION",
            "$C8_DRILL_SURVIVING_NAMESPACE",
            '$C8_DRILL_PUBLIC_ENDPOINT"',
        ]
    )
    session = make_session(0, reroute_command=told)
    public = session.target.router.public_url if session.target.router else ""

    drive(session)

    assert (ends(session)["reroute-traffic"], ends(session)["failover-1"]) == ("failed", "blocked")
    (ran,) = [r for r in read_journal(session.journal_path) if r["kind"] == "command"]
    assert ran["stdout"] == f"0 1 camunda-region1 {public}\n"
    probe = checks(session, "reroute-traffic", "desired")[-1]
    assert probe["verdict"] == "fail"
    assert probe["name"] == f"public endpoint {public} answers with region 1's gateway"
    assert (
        "HTTP 502 Bad Gateway: the public endpoint routes to region 0, whose gateway does not answer"
        in (probe["actual"])
    )


def test_on_the_simulator_without_a_command_its_public_endpoint_is_switched(make_session: MakeSession) -> None:
    session = make_session(0)
    router = session.target.router
    assert router is not None

    drive(session, until="failover-1")

    assert ends(session) == dict.fromkeys(
        ("steady-before", "region-loss", "fence-lost-region", "reroute-traffic"), "passed"
    )
    rerouted, probe = checks(session, "reroute-traffic", "desired")
    assert (rerouted["expected"], rerouted["actual"]) == ("the router sends users to region 1", "region 1")
    assert probe["actual"] == [1, 3, 5, 7] and probe["verdict"] == "pass"


def test_a_person_confirms_the_rerouting_through_the_hook(make_session: MakeSession) -> None:
    asked: list[tuple[str, list[str]]] = []

    def confirm(question: str, instructions: list[str]) -> Confirmation:
        asked.append((question, instructions))
        return Confirmation(True, "alice@ops", "DNS switched")

    session = make_session(1, router=False)
    session.ctx.confirm = confirm

    drive(session, until="failover-1")

    assert ends(session)["reroute-traffic"] == "passed"
    ((question, instructions),) = asked
    assert question == "Is public traffic rerouted to region 0 (camunda-region0)?"
    assert instructions[-1] == "No --public-endpoint: the drill cannot check it, your answer is the evidence."
    (rerouted,) = checks(session, "reroute-traffic", "desired")  # no public endpoint: no probe, and a warning
    assert rerouted["actual"] == "confirmed by alice@ops: 'DNS switched'"
    assert warnings(session) == [
        "warning: traffic rerouting not verified: no --public-endpoint to probe; the stage rests on how the traffic "
        "was moved"
    ]


def test_a_declined_confirmation_stops_the_drill(make_session: MakeSession) -> None:
    session = make_session(1, router=False)
    session.ctx.confirm = lambda question, instructions: Confirmation(False, "bob@ops", "not yet")

    drive(session)

    assert (ends(session)["reroute-traffic"], ends(session)["failover-1"]) == ("failed", "blocked")
    assert end_of(session, "reroute-traffic")["error"].endswith(
        "traffic rerouting: expected a confirmation that region 0 gets the traffic, got not confirmed by bob@ops: "
        "'not yet'"
    )


def test_without_a_command_a_router_or_a_person_the_step_says_what_it_needs(make_session: MakeSession) -> None:
    session = make_session(1, router=False)

    drive(session)

    assert end_of(session, "reroute-traffic")["error"].endswith(
        "traffic rerouting: expected --reroute-command, or a manual confirmation (--approve-each-step), got neither"
    )
    assert ends(session)["failover-1"] == "blocked"


# -- the fence -------------------------------------------------------------------------------------------------


def test_an_unreachable_lost_region_is_recorded_unfenced_and_accepted_by_default(make_session: MakeSession) -> None:
    session = make_session(1, api_down=True)

    drive(session, until="failover-1")

    assert ends(session)["fence-lost-region"] == ends(session)["reroute-traffic"] == "passed"
    (fence,) = checks(session, "fence-lost-region", "desired")
    assert fence["actual"] == f"region unreachable: fence not applied ({DOWN})"
    assert fence["expected"] == "fenced, or the region unreachable (--fence if-reachable)"
    assert fence["detail"] == "accepted by --fence if-reachable: fence it before it can rejoin"
    assert warnings(session)[0] == (
        "warning: region 1 is unreachable, its fence is not applied: fence it as soon as its API answers, before it "
        "can rejoin"
    )


def test_fence_required_fails_on_an_unreachable_region_before_any_traffic_moves(make_session: MakeSession) -> None:
    session = make_session(1, api_down=True, fence="required")

    drive(session)

    status = ends(session)
    assert (status["fence-lost-region"], status["reroute-traffic"], status["failover-1"]) == (
        "failed",
        "blocked",
        "blocked",
    )
    assert "region unreachable: fence not applied" in end_of(session, "fence-lost-region")["error"]


def test_a_fence_left_in_place_fails_region_recreate_before_the_redeploy(make_session: MakeSession) -> None:
    session = make_session(1)

    drive(session, actions={"region-recreate": [ProvideEmptyRegion()]})  # the LiftFence skipped

    assert (ends(session)["region-recreate"], ends(session)["failback-1"]) == ("failed", "blocked")
    clean, fence = checks(session, "region-recreate", "desired")
    assert clean["verdict"] == "pass"
    assert (fence["name"], fence["actual"], fence["verdict"]) == (
        "region 1's namespace camunda-region1 holds no fence",
        "fenced",
        "fail",
    )


# -- the printed runbook ---------------------------------------------------------------------------------------


def test_the_runbook_prints_the_fence_the_reroute_and_the_lift() -> None:
    params = DrillParams(lost_region=1, reroute_command="./dns.sh switch", public_endpoint="https://c8.example.com")
    text = render(params, sequence=drill_sequence())
    kubectl = "kubectl --context $CLUSTER_RECREATED -n $CAMUNDA_NAMESPACE_RECREATED --request-timeout 30s"

    fence = text[text.index("## fence-lost-region") : text.index("## reroute-traffic")]
    assert f"{kubectl} apply -f - <<EOF\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n" in fence
    assert "  namespace: $CAMUNDA_NAMESPACE_RECREATED\n" in fence
    assert "spec:\n  podSelector: {}\n  policyTypes:\n  - Ingress\n  - Egress\nEOF\n" in fence
    assert f"# verify\n{kubectl} get networkpolicy c8-drill-fence -o yaml --ignore-not-found\n" in fence
    reroute = text[text.index("## reroute-traffic") : text.index("## failover-1")]
    assert (
        "export C8_DRILL_LOST_REGION=1 C8_DRILL_SURVIVING_REGION=0 C8_DRILL_SURVIVING_NAMESPACE=$CAMUNDA_NAMESPACE_"
        "SURVIVING C8_DRILL_SURVIVING_CONTEXT=$CLUSTER_SURVIVING C8_DRILL_PUBLIC_ENDPOINT=https://c8.example.com\n"
        "sh -c './dns.sh switch'\n"
    ) in reroute
    assert "curl -sS https://c8.example.com/v2/topology | jq '[.brokers[].nodeId]'" in reroute
    recreate = text[text.index("## region-recreate") : text.index("## failback-1")]
    assert f"{kubectl} delete networkpolicy c8-drill-fence --ignore-not-found\n" in recreate
    manual = render(DrillParams(lost_region=0), sequence=drill_sequence())
    assert "# switch the public name (DNS, global load balancer) to region 1's gateway; the procedure leaves" in manual


def test_the_traffic_options_reach_the_drill_child() -> None:
    request = RunRequest(fence="required", reroute_command="./dns.sh switch", public_endpoint="https://c8.example.com")
    argv = request.pytest_argv(Path("features"))
    options = {name: argv[argv.index(name) + 1] for name in ("--fence", "--reroute-command", "--public-endpoint")}
    assert options == {
        "--fence": "required",
        "--reroute-command": "./dns.sh switch",
        "--public-endpoint": "https://c8.example.com",
    }
    assert "--reroute-command" not in RunRequest().pytest_argv(Path("features"))
