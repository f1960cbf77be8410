"""The kind lifecycle plans: what runs, in which order, with which exact argv; and running them against fake tools
(captured node addresses reach the routes, the first failure stops everything)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

from drill.kind.commands import CommandFailed, PlannedCommand, execute, render
from drill.kind.interconnect import coredns_manifest
from drill.kind.plan import (
    MINIO_IMAGE,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    KindUpOptions,
    component_fullname,
    down_plan,
    plan_files,
    recreate_cluster_plan,
    up_plan,
    values_files,
)
from drill.kind.topology import REGIONS
from drill.platform.commands import CommandResult, CommandRunner

ROOT = Path(__file__).resolve().parents[2]
R0, R1 = REGIONS
NODE_IPS = {"c8-region0-control-plane": "172.18.0.2", "c8-region1-control-plane": "172.18.0.3"}
CREATE = {
    r: ["kind", "create", "cluster", "--config", f"kind-configs/region{r}.yaml", "--wait", "120s"] for r in (0, 1)
}
DELETE = {r: ["kind", "delete", "cluster", "--name", f"c8-region{r}"] for r in (0, 1)}


def argvs(commands: Sequence[PlannedCommand]) -> list[list[str]]:
    return [list(c.argv) for c in commands]


def index(commands: Sequence[PlannedCommand], *prefix: str) -> int:
    """Position of the only command whose argv starts with `prefix`."""
    found = [i for i, c in enumerate(commands) if list(c.argv[: len(prefix)]) == list(prefix)]
    assert len(found) == 1, f"expected one command starting {prefix}, found {len(found)}"
    return found[0]


def helm_install(region: int, *, values: Sequence[str], timeout: str = "10m") -> list[str]:
    return [
        *("helm", "upgrade", "camunda", "camunda/camunda-platform", "--install"),
        *("--kube-context", f"kind-c8-region{region}", "--namespace", f"camunda-region{region}"),
        *("--version", "13.12.7", "--create-namespace"),
        *(token for path in values for token in ("-f", path)),
        *("--timeout", timeout),
    ]


def small_values(region: int) -> list[str]:
    return [
        "fixtures/values/camunda-base.yaml",
        "fixtures/values/profile-small.yaml",
        f"fixtures/values/camunda-region{region}.yaml",
    ]


# -- up ----------------------------------------------------------------------------------------------------------------


def test_up_runs_every_stage_in_order() -> None:
    plan = up_plan(KindUpOptions())
    kube0 = ("kubectl", "--context", "kind-c8-region0")
    stages = [
        index(plan, "mkdir", "-p", "/tmp/c8-dr-drill-snapshots"),
        index(plan, "chmod", "0777", "/tmp/c8-dr-drill-snapshots"),
        index(plan, *CREATE[0]),
        index(plan, *CREATE[1]),
        next(i for i, c in enumerate(plan) if c.capture == "REGION0_NODE_IP"),
        next(i for i, c in enumerate(plan) if c.capture == "REGION1_NODE_IP"),
        index(plan, "docker", "exec", "c8-region0-control-plane", "ip", "route", "replace", "10.20.0.0/16"),
        index(plan, "docker", "exec", "c8-region1-control-plane", "ip", "route", "replace", "10.11.0.0/16"),
        index(plan, *kube0, "--namespace", "kube-system", "apply"),
        index(plan, "kubectl", "--context", "kind-c8-region1", "--namespace", "kube-system", "rollout", "status"),
        index(plan, *kube0, "create", "namespace", "camunda-region0"),
        index(plan, "kubectl", "--context", "kind-c8-region1", "create", "namespace", "camunda-region1"),
        index(plan, *kube0, "--namespace", "camunda-region0", "apply"),
        index(plan, *kube0, "--namespace", "default", "run", "dr-check-dns-to-region1"),
        index(plan, *kube0, "--namespace", "default", "run", "dr-check-to-region1"),
        index(plan, "kubectl", "--context", "kind-c8-region1", "--namespace", "default", "run", "dr-check-to-region0"),
        index(plan, *kube0, "--namespace", "camunda-region0", "delete"),
        index(plan, "helm", "repo", "add"),
        index(plan, "helm", "repo", "update"),
        index(plan, *helm_install(0, values=small_values(0))),
        index(plan, *helm_install(1, values=small_values(1))),
        index(plan, *kube0, "--namespace", "camunda-region0", "rollout", "status", "statefulset/camunda-zeebe"),
    ]
    assert stages == sorted(stages)


def test_up_creates_both_clusters_from_the_checked_in_configs() -> None:
    plan = up_plan(KindUpOptions())
    assert [a for a in argvs(plan) if a[:2] == ["kind", "create"]] == [CREATE[0], CREATE[1]]


def test_up_installs_camunda_in_each_region_with_its_context_and_values_in_order() -> None:
    installs = [a for a in argvs(up_plan(KindUpOptions())) if a[0] == "helm" and a[1] == "upgrade"]
    assert installs == [helm_install(0, values=small_values(0)), helm_install(1, values=small_values(1))]


@pytest.mark.parametrize("helm_major", [3, 4])
def test_the_install_never_waits_on_one_region_alone(helm_major: int) -> None:
    installs = [a for a in argvs(up_plan(KindUpOptions(helm_major=helm_major))) if a[:2] == ["helm", "upgrade"]]
    assert installs == [helm_install(r, values=small_values(r)) for r in (0, 1)]
    assert not any(
        token.startswith("--wait") or token in ("--atomic", "--rollback-on-failure") for token in installs[0]
    )


def test_the_profile_and_chart_version_reach_the_install() -> None:
    options = KindUpOptions(profile="procedure", chart_version="13.13.0", helm_timeout="15m")
    (install, _) = [c for c in up_plan(options) if c.argv[:2] == ("helm", "upgrade")]
    assert "fixtures/values/profile-procedure.yaml" in install.argv
    assert install.argv[install.argv.index("--version") + 1] == "13.13.0"
    assert install.argv[-2:] == ("--timeout", "15m") and install.timeout > 15 * 60


def test_readiness_waits_for_elasticsearch_then_the_brokers_in_both_regions() -> None:
    waits = [a for a in argvs(up_plan(KindUpOptions())) if a[5:7] == ["rollout", "status"] and a[4] != "kube-system"]
    assert waits == [
        [
            *("kubectl", "--context", f"kind-c8-region{r}", "--namespace", f"camunda-region{r}", "rollout", "status"),
            f"statefulset/{name}",
            "--timeout=20m",
        ]
        for r in (0, 1)
        for name in ("camunda-elasticsearch-master", "camunda-zeebe")
    ]


def test_the_helm_repository_is_added_idempotently_then_refreshed() -> None:
    plan = argvs(up_plan(KindUpOptions()))
    assert ["helm", "repo", "add", "camunda", "https://helm.camunda.io", "--force-update"] in plan
    assert ["helm", "repo", "update", "camunda"] in plan


def test_component_names_follow_the_charts_rule() -> None:
    assert component_fullname("camunda", "zeebe") == "camunda-zeebe"
    assert component_fullname("my-zeebe", "zeebe") == "my-zeebe"


# -- S3 ----------------------------------------------------------------------------------------------------------------


def test_s3_adds_minio_on_the_kind_network_a_bucket_secrets_and_the_overlay() -> None:
    plan = up_plan(KindUpOptions(snapshot_repo="s3"))
    start = index(plan, "docker", "run")
    assert list(plan[start].argv) == [
        *("docker", "run", "--detach", "--name=c8dr-s3", "--network=kind", "--restart=unless-stopped"),
        f"--env=MINIO_ROOT_USER={S3_ACCESS_KEY}",
        f"--env=MINIO_ROOT_PASSWORD={S3_SECRET_KEY}",
        *(MINIO_IMAGE, "server", "/data"),
    ]
    bucket = index(plan, "docker", "exec", "--env")
    assert list(plan[bucket].argv[4:]) == ["c8dr-s3", "mc", "mb", "--ignore-existing", "drill/camunda-drill"]
    secrets = [c for c in plan if c.stdin and "kind: Secret" in c.stdin]
    assert [c.argv[2] for c in secrets] == ["kind-c8-region0", "kind-c8-region1"]
    assert yaml.safe_load(secrets[0].stdin or "")["stringData"] == {
        "S3_ACCESS_KEY": S3_ACCESS_KEY,
        "S3_SECRET_KEY": S3_SECRET_KEY,
    }
    first_install = index(
        plan, "helm", "upgrade", "camunda", "camunda/camunda-platform", "--install", "--kube-context", R0.context
    )
    assert index(plan, *CREATE[1]) < start < bucket < first_install
    assert "kind-configs/camunda-kind-s3.yaml" in plan[first_install].argv
    assert all(plan.index(secret) < first_install for secret in secrets)


def test_s3_puts_its_overlay_after_the_profile_and_before_the_region() -> None:
    files = [str(p) for p in values_files(KindUpOptions(snapshot_repo="s3"), R1)]
    assert files == [
        "fixtures/values/camunda-base.yaml",
        "fixtures/values/profile-small.yaml",
        "kind-configs/camunda-kind-s3.yaml",
        "fixtures/values/camunda-region1.yaml",
    ]


def test_fs_needs_no_store_container() -> None:
    assert not [a for a in argvs(up_plan(KindUpOptions())) if a[:2] == ["docker", "run"]]


# -- down and recreate -------------------------------------------------------------------------------------------------


def test_down_deletes_both_clusters() -> None:
    assert argvs(down_plan()) == [DELETE[0], DELETE[1]]


def test_down_with_s3_also_removes_the_store() -> None:
    assert argvs(down_plan(snapshot_repo="s3")) == [
        DELETE[0],
        DELETE[1],
        ["docker", "rm", "--force", "--volumes", "c8dr-s3"],
    ]


@pytest.mark.parametrize("lost", [0, 1])
def test_recreate_replaces_only_the_lost_cluster_then_reconnects_and_verifies_both_ways(lost: int) -> None:
    plan = recreate_cluster_plan(REGIONS[lost], KindUpOptions())
    commands = argvs(plan)
    assert [a for a in commands if a[0] == "kind"] == [DELETE[lost], CREATE[lost]]
    assert [c.capture for c in plan if c.capture] == ["REGION0_NODE_IP", "REGION1_NODE_IP"]
    assert len([a for a in commands if a[3:6] == ["ip", "route", "replace"]]) == 4
    assert [c.argv[2] for c in plan if c.stdin == coredns_manifest(REGIONS[c.argv[2] == "kind-c8-region1"])] == [
        "kind-c8-region0",
        "kind-c8-region1",
    ]
    assert [a for a in commands if "namespace" in a and "create" in a] == [
        ["kubectl", "--context", f"kind-c8-region{lost}", "create", "namespace", f"camunda-region{lost}"]
    ]
    assert {a[6] for a in commands if a[5:6] == ["run"]} == {
        "dr-check-dns-to-region0",
        "dr-check-to-region0",
        "dr-check-dns-to-region1",
        "dr-check-to-region1",
    }
    assert not [a for a in commands if a[0] == "helm"]  # reinstalling is the procedure's step
    assert index(plan, *DELETE[lost]) < index(plan, *CREATE[lost]) < min(i for i, c in enumerate(plan) if c.capture)


def test_recreate_with_s3_gives_the_new_namespace_its_secret() -> None:
    plan = recreate_cluster_plan(R1, KindUpOptions(snapshot_repo="s3"))
    secrets = [c for c in plan if c.stdin and "kind: Secret" in c.stdin]
    assert [c.argv[2] for c in secrets] == ["kind-c8-region1"]


# -- options and files -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"profile": "huge"}, "Expected profile small or procedure"),
        ({"helm_major": 2}, "Expected helm major version 3 or 4"),
        ({"snapshot_repo": "nfs"}, "Expected snapshot repository fs or s3"),
        ({"ready_timeout": "soon"}, "Expected a Go duration"),
    ],
)
def test_bad_options_are_refused_before_any_plan(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KindUpOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", ["small", "procedure"])
@pytest.mark.parametrize("repo", ["fs", "s3"])
def test_every_file_the_plan_reads_exists_in_the_repository(profile: str, repo: str) -> None:
    options = KindUpOptions(profile=profile, snapshot_repo=repo)
    files = plan_files(options)
    assert len(files) == len(set(files))
    assert {str(f) for f in files} >= {"kind-configs/region0.yaml", "kind-configs/region1.yaml"}
    missing = [str(f) for f in files if not (ROOT / f).is_file()]
    assert not missing


# -- running the plan --------------------------------------------------------------------------------------------------


class FakeTools(CommandRunner):
    """Answers every command with exit 0 (and a node address for `docker inspect`), or fails the one named."""

    def __init__(self, fail_when: Sequence[str] = ()) -> None:
        super().__init__()
        self.fail_when = list(fail_when)
        self.ran: list[list[str]] = []

    def run(self, argv: Sequence[str], *, timeout: float, input: str | None = None) -> CommandResult:
        args = list(argv)
        self.ran.append(args)
        assert timeout > 0 and all("${" not in a for a in args), args
        if self.fail_when and args[: len(self.fail_when)] == self.fail_when:
            return CommandResult(tuple(args), 1, "", "ERROR: failed to create cluster: node(s) already exist", 0.1)
        stdout = NODE_IPS[args[-1]] + "\n" if args[:2] == ["docker", "inspect"] else ""
        return CommandResult(tuple(args), 0, stdout, "", 0.1)


def test_running_up_substitutes_the_captured_node_addresses_into_the_routes() -> None:
    tools = FakeTools()
    plan = up_plan(KindUpOptions())
    captured = execute(plan, tools)
    assert captured == {"REGION0_NODE_IP": "172.18.0.2", "REGION1_NODE_IP": "172.18.0.3"}
    assert len(tools.ran) == len(plan)
    routes = [a for a in tools.ran if a[3:6] == ["ip", "route", "replace"]]
    assert routes == [
        ["docker", "exec", "c8-region0-control-plane", "ip", "route", "replace", "10.20.0.0/16", "via", "172.18.0.3"],
        ["docker", "exec", "c8-region0-control-plane", "ip", "route", "replace", "10.21.0.0/16", "via", "172.18.0.3"],
        ["docker", "exec", "c8-region1-control-plane", "ip", "route", "replace", "10.10.0.0/16", "via", "172.18.0.2"],
        ["docker", "exec", "c8-region1-control-plane", "ip", "route", "replace", "10.11.0.0/16", "via", "172.18.0.2"],
    ]


def test_the_first_failure_stops_the_run_and_names_the_command() -> None:
    tools = FakeTools(fail_when=CREATE[1])
    plan = up_plan(KindUpOptions())
    with pytest.raises(CommandFailed) as caught:
        execute(plan, tools)
    assert tools.ran[-1] == CREATE[1] and len(tools.ran) == index(plan, *CREATE[1]) + 1
    message = str(caught.value)
    assert "create region 1's kind cluster c8-region1" in message
    assert "kind create cluster --config kind-configs/region1.yaml --wait 120s" in message
    assert "node(s) already exist" in message


def test_the_dry_run_prints_captures_as_shell_assignments_and_manifests_as_heredocs() -> None:
    text = render(up_plan(KindUpOptions()))
    assert "REGION1_NODE_IP=$(docker inspect -f" in text
    assert 'ip route replace 10.20.0.0/16 via "${REGION1_NODE_IP}"' in text
    assert "apply -f - <<'EOF'\napiVersion: v1\nkind: ConfigMap" in text
    assert text.endswith("--timeout=20m\n")
