"""The kind target's lifecycle as ordered lists of planned commands: up, down, and recreating one lost region.

Elasticsearch is not installed separately: the Camunda 8.8 chart (camunda-platform 13.x) bundles it as the
`elasticsearch` subchart (Chart.yaml dependency `elasticsearch` 21.6.3, `condition: elasticsearch.enabled`, true in
values.yaml), so one release per region brings both, configured under `elasticsearch:` in the same values files.

Both regions are installed before anything waits for readiness: a region's brokers cannot form their partitions
(replication factor 4) without the other region's, so waiting on the first install (`helm --wait`) would hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drill.kind import interconnect
from drill.kind.commands import PlannedCommand
from drill.kind.config import (
    CONFIG_DIR,
    S3_BUCKET,
    S3_CONTAINER,
    S3_PORT,
    S3_SECRET_NAME,
    SNAPSHOT_HOST_DIR,
    SNAPSHOT_REPOS,
    config_path,
    dump_yaml,
    s3_values_path,
)
from drill.kind.topology import REGIONS, KindRegion
from drill.platform.base import HelmRequest
from drill.platform.helm_values import HELM_MAJORS, duration_seconds, helm_argv

PROFILES = ("small", "procedure")
HELM_REPO = ("camunda", "https://helm.camunda.io")
CHART = "camunda/camunda-platform"
VALUES_DIR = Path("fixtures/values")
KIND_WAIT = "120s"
# The last MinIO community image on Docker Hub (the project stopped publishing images in October 2025); only used
# for `--snapshot-repo s3`. Its credentials guard a throw-away local bucket, nothing else.
MINIO_IMAGE = "minio/minio:RELEASE.2025-09-07T16-13-09Z"
S3_ACCESS_KEY = "c8-drill"
S3_SECRET_KEY = "c8-drill-local-minio"
_SLACK_S = 60.0


@dataclass(frozen=True)
class KindUpOptions:
    profile: str = "small"
    helm_major: int = 3
    snapshot_repo: str = "fs"
    chart_version: str = "13.12.7"
    release_name: str = "camunda"
    values_dir: Path = VALUES_DIR
    config_dir: Path = CONFIG_DIR
    helm_timeout: str = "10m"
    ready_timeout: str = "20m"
    s3_image: str = MINIO_IMAGE

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"Expected profile {' or '.join(PROFILES)}, got {self.profile!r}")
        if self.helm_major not in HELM_MAJORS:
            raise ValueError(f"Expected helm major version 3 or 4, got {self.helm_major!r}")
        if self.snapshot_repo not in SNAPSHOT_REPOS:
            raise ValueError(f"Expected snapshot repository fs or s3, got {self.snapshot_repo!r}")
        for duration in (self.helm_timeout, self.ready_timeout):
            duration_seconds(duration)  # a bad duration fails here, not an hour into a run


def values_files(options: KindUpOptions, region: KindRegion) -> tuple[Path, ...]:
    """Later files win: the shared base, the profile, the S3 client (with `s3`), then the region's own.

    The procedure's reinstall of a region must pass the same list, or the region comes back different.
    """
    directory = options.values_dir
    s3 = (s3_values_path(options.config_dir),) if options.snapshot_repo == "s3" else ()
    return (
        directory / "camunda-base.yaml",
        directory / f"profile-{options.profile}.yaml",
        *s3,
        directory / f"camunda-region{region.region}.yaml",
    )


def plan_files(options: KindUpOptions) -> list[Path]:
    """Every file the up plan reads, to check before running it."""
    files = [config_path(region, options.config_dir) for region in REGIONS]
    for region in REGIONS:
        files += [path for path in values_files(options, region) if path not in files]
    return files


def component_fullname(release: str, component: str) -> str:
    """The chart's `componentFullname`: the release name alone when it already contains the component's name."""
    return release if component in release else f"{release}-{component}"


# -- clusters ----------------------------------------------------------------------------------------------------------


def snapshot_dir_commands() -> list[PlannedCommand]:
    """The host directory both clusters mount; Docker would create it root-owned, which Elasticsearch (uid 1001)
    could not write."""
    return [
        PlannedCommand(("mkdir", "-p", SNAPSHOT_HOST_DIR), why="create the snapshot directory both clusters mount"),
        PlannedCommand(
            ("chmod", "0777", SNAPSHOT_HOST_DIR),
            why="let Elasticsearch in either cluster write snapshots there",
        ),
    ]


def create_cluster_command(region: KindRegion, options: KindUpOptions) -> PlannedCommand:
    return PlannedCommand(
        ("kind", "create", "cluster", "--config", str(config_path(region, options.config_dir)), "--wait", KIND_WAIT),
        why=f"create region {region.region}'s kind cluster {region.cluster} (context {region.context})",
        timeout=900.0,
    )


def delete_cluster_command(region: KindRegion) -> PlannedCommand:
    return PlannedCommand(
        ("kind", "delete", "cluster", "--name", region.cluster),
        why=f"delete region {region.region}'s kind cluster {region.cluster}, with its volumes",
        timeout=300.0,
    )


def namespace_command(region: KindRegion) -> PlannedCommand:
    return PlannedCommand(
        interconnect.kubectl(region, "create", "namespace", region.namespace),
        why=f"create region {region.region}'s namespace {region.namespace}",
        timeout=60.0,
    )


def connect_commands() -> list[PlannedCommand]:
    """Both node addresses, routes both ways, CoreDNS forwarding both ways; safe to rerun."""
    commands = [interconnect.node_ip_capture(region) for region in REGIONS]
    for region in REGIONS:
        commands += interconnect.route_commands(region)
    for region in REGIONS:
        commands += interconnect.coredns_commands(region)
    return commands


def verification_commands() -> list[PlannedCommand]:
    """Probes in both namespaces, each region checks the other, probes removed; the namespaces must exist."""
    commands: list[PlannedCommand] = []
    for region in REGIONS:
        commands += interconnect.probe_commands(region)
    for region in REGIONS:
        commands += interconnect.verify_commands(region)
    for region in REGIONS:
        commands += interconnect.probe_cleanup_commands(region)
    return commands


# -- S3 snapshot store -------------------------------------------------------------------------------------------------


def s3_start_command(options: KindUpOptions) -> PlannedCommand:
    """MinIO on the `kind` network (which exists once a cluster does), named as the Elasticsearch values expect."""
    return PlannedCommand(
        (
            *("docker", "run", "--detach", f"--name={S3_CONTAINER}", "--network=kind", "--restart=unless-stopped"),
            *(f"--env=MINIO_ROOT_USER={S3_ACCESS_KEY}", f"--env=MINIO_ROOT_PASSWORD={S3_SECRET_KEY}"),
            *(options.s3_image, "server", "/data"),
        ),
        why=f"start the S3 store {S3_CONTAINER} both regions snapshot to",
        timeout=600.0,
    )


def s3_bucket_command() -> PlannedCommand:
    """Planned well after the start, so MinIO has long been listening; `--ignore-existing` makes it rerunnable."""
    host = f"MC_HOST_drill=http://{S3_ACCESS_KEY}:{S3_SECRET_KEY}@127.0.0.1:{S3_PORT}"
    return PlannedCommand(
        ("docker", "exec", "--env", host, S3_CONTAINER, "mc", "mb", "--ignore-existing", f"drill/{S3_BUCKET}"),
        why=f"create the snapshot bucket {S3_BUCKET}",
        timeout=60.0,
    )


def s3_secret_command(region: KindRegion) -> PlannedCommand:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": S3_SECRET_NAME, "namespace": region.namespace},
        "type": "Opaque",
        "stringData": {"S3_ACCESS_KEY": S3_ACCESS_KEY, "S3_SECRET_KEY": S3_SECRET_KEY},
    }
    return PlannedCommand(
        interconnect.kubectl(region, "--namespace", region.namespace, "apply", "-f", "-"),
        why=f"give region {region.region}'s Elasticsearch the S3 keys for its keystore",
        stdin=dump_yaml(secret),
        timeout=60.0,
    )


def s3_remove_command() -> PlannedCommand:
    return PlannedCommand(
        ("docker", "rm", "--force", "--volumes", S3_CONTAINER),
        why=f"remove the S3 store {S3_CONTAINER} and its snapshots",
        timeout=120.0,
    )


# -- Camunda -----------------------------------------------------------------------------------------------------------


def helm_repo_commands() -> list[PlannedCommand]:
    name, url = HELM_REPO
    return [
        PlannedCommand(("helm", "repo", "add", name, url, "--force-update"), why="add Camunda's chart repository"),
        PlannedCommand(("helm", "repo", "update", name), why="fetch the current chart index"),
    ]


def camunda_install_command(region: KindRegion, options: KindUpOptions) -> PlannedCommand:
    """`upgrade --install` without `--wait`: rerunnable, and never blocked on the other region (module docstring)."""
    argv = helm_argv(
        "upgrade",
        options.release_name,
        CHART,
        version=options.chart_version,
        kube_context=region.context,
        namespace=region.namespace,
        request=HelmRequest(values_files=values_files(options, region)),
        install=True,
        helm_major=options.helm_major,
        timeout=options.helm_timeout,
    )
    return PlannedCommand(
        tuple(argv),
        why=f"install Camunda (chart {options.chart_version}, {options.profile} profile) in region {region.region}",
        timeout=duration_seconds(options.helm_timeout) + _SLACK_S,
    )


def readiness_commands(region: KindRegion, options: KindUpOptions) -> list[PlannedCommand]:
    """Elasticsearch, then the brokers (which export to it); both are StatefulSets, which exist once helm returns."""
    workloads = (
        ("Elasticsearch", f"{component_fullname(options.release_name, 'elasticsearch')}-master"),
        ("the brokers", component_fullname(options.release_name, "zeebe")),
    )
    return [
        PlannedCommand(
            interconnect.kubectl(
                region,
                "--namespace",
                region.namespace,
                "rollout",
                "status",
                f"statefulset/{name}",
                f"--timeout={options.ready_timeout}",
            ),
            why=f"wait for {what} in region {region.region} to be ready",
            timeout=duration_seconds(options.ready_timeout) + _SLACK_S,
        )
        for what, name in workloads
    ]


# -- plans -------------------------------------------------------------------------------------------------------------


def up_plan(options: KindUpOptions) -> list[PlannedCommand]:
    s3 = options.snapshot_repo == "s3"
    commands = snapshot_dir_commands()
    commands += [create_cluster_command(region, options) for region in REGIONS]
    if s3:
        commands.append(s3_start_command(options))
    commands += connect_commands()
    commands += [namespace_command(region) for region in REGIONS]
    commands += verification_commands()
    if s3:
        commands += [s3_bucket_command(), *(s3_secret_command(region) for region in REGIONS)]
    commands += helm_repo_commands()
    commands += [camunda_install_command(region, options) for region in REGIONS]
    for region in REGIONS:
        commands += readiness_commands(region, options)
    return commands


def down_plan(*, snapshot_repo: str = "fs") -> list[PlannedCommand]:
    """Both clusters (and the S3 store, if used); the host snapshot directory stays, its files owned by uid 1001."""
    commands = [delete_cluster_command(region) for region in REGIONS]
    if snapshot_repo == "s3":
        commands.append(s3_remove_command())
    return commands


def recreate_cluster_plan(region: KindRegion, options: KindUpOptions) -> list[PlannedCommand]:
    """Lose `region` for real (no PVs survive) and bring back an empty cluster, connected and verified.

    Camunda is not installed: reinstalling the lost region is a step of the procedure under test. The surviving
    cluster's routes point at the old node address and are replaced, its CoreDNS is reapplied (unchanged).
    """
    commands = snapshot_dir_commands()
    commands += [delete_cluster_command(region), create_cluster_command(region, options)]
    commands += connect_commands()
    commands.append(namespace_command(region))
    commands += verification_commands()
    if options.snapshot_repo == "s3":
        commands.append(s3_secret_command(region))
    return commands
