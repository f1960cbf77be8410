"""The kind target's Helm values: each file parses, and base + profile + region merge into a coherent dual region.

The chart itself cannot run here, so these tests hold the values to what the chart (camunda-platform 13.12.7,
charts/camunda-platform-8.8) and Camunda's dual-region documents require, and to what the drill reads from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from drill.platform.helm_values import env_set_strings, load_values_files, lookup, merge_values
from drill.procedure.params import OPERATE_TASKLIST_OFF, SCHEMA_MANAGER_ENV, DrillParams, Shape
from drill.targets import DEFAULT_NAMESPACES, TargetOptions

VALUES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "values"
BASE = VALUES_DIR / "camunda-base.yaml"
PROFILES = {"small": Shape(4, 2, 4), "procedure": Shape(8, 8, 4)}
REGIONS = (0, 1)
RELEASE = TargetOptions().release_name
SNAPSHOT_DIR = "/var/c8-snapshots"
INTERNAL_PORT = 26502  # values.yaml orchestration.service.internalPort
EXPORTER_CLASS = "io.camunda.exporter.CamundaExporter"
CONTACT_POINTS = "ZEEBE_BROKER_CLUSTER_INITIALCONTACTPOINTS"  # the 8.8 name (8.9: CAMUNDA_CLUSTER_...)
SECRET_KEY = re.compile(r"password|secret|token|access_?key|credential", re.IGNORECASE)
DOCUMENTED_DEMO_SECRETS = {"demo"}


def profile_file(profile: str) -> Path:
    return VALUES_DIR / f"profile-{profile}.yaml"


def region_file(region: int) -> Path:
    return VALUES_DIR / f"camunda-region{region}.yaml"


def read(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name}: expected a YAML mapping, got {type(doc).__name__}"
    return doc


def files_for(profile: str, region: int) -> list[Path]:
    return [BASE, profile_file(profile), region_file(region)]


def merged(profile: str, region: int) -> dict[str, Any]:
    return merge_values(*(read(path) for path in files_for(profile, region)))


def env_of(values: Mapping[str, Any]) -> dict[str, str]:
    entries = lookup(values, "orchestration.env", [])
    return {entry["name"]: entry["value"] for entry in entries}


def leaves(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from leaves(value, f"{prefix}[{index}]")
    else:
        yield prefix, node


def broker_host(pod: int, region: int) -> str:
    namespace = DEFAULT_NAMESPACES[region]
    return f"{RELEASE}-zeebe-{pod}.{RELEASE}-zeebe.{namespace}.svc.cluster.local:{INTERNAL_PORT}"


COMBINATIONS = [(profile, region) for profile in PROFILES for region in REGIONS]
ALL_FILES = [BASE, *(profile_file(p) for p in PROFILES), *(region_file(r) for r in REGIONS)]


# -- files -----------------------------------------------------------------------------------------------------


def test_the_values_directory_holds_exactly_the_documented_files() -> None:
    assert sorted(p.name for p in VALUES_DIR.glob("*.yaml")) == sorted(p.name for p in ALL_FILES)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_values_file_is_a_yaml_mapping(path: Path) -> None:
    assert read(path)


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_drills_own_loader_reads_the_files_as_this_test_merges_them(profile: str, region: int) -> None:
    assert load_values_files(files_for(profile, region)) == merged(profile, region)


# -- shape -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_drill_reads_each_profiles_shape_from_the_merged_values(profile: str, region: int) -> None:
    assert Shape.from_values(merged(profile, region)) == PROFILES[profile]


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_shape_is_a_supported_dual_region_one(profile: str, region: int) -> None:
    """camunda-docs 8.8 dual-region.md: clusterSize a multiple of 2 and at least 4, replicationFactor 4."""
    shape = Shape.from_values(merged(profile, region))
    assert shape.replication_factor == 4
    assert shape.cluster_size % 2 == 0
    assert shape.cluster_size >= 4
    assert lookup(merged(profile, region), "global.multiregion.regions") == 2


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_shape_is_written_as_strings_as_the_charts_schema_demands(profile: str, region: int) -> None:
    """values.schema.json types clusterSize, partitionCount and replicationFactor "string": an int fails install."""
    values = merged(profile, region)
    for key in ("clusterSize", "partitionCount", "replicationFactor"):
        assert isinstance(lookup(values, f"orchestration.{key}"), str), key


@pytest.mark.parametrize("profile", PROFILES)
def test_the_shape_lives_only_in_the_profile(profile: str) -> None:
    for path in (BASE, *(region_file(r) for r in REGIONS)):
        for key in ("clusterSize", "partitionCount", "replicationFactor"):
            assert lookup(read(path), f"orchestration.{key}") is None, f"{path.name} sets orchestration.{key}"


# -- node ids and regions ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_each_region_runs_the_node_ids_the_procedure_removes_and_re_adds(profile: str, region: int) -> None:
    """The chart's startup.sh: node id = podIndex * regions + regionId (configmap-unified.yaml)."""
    values = merged(profile, region)
    regions = lookup(values, "global.multiregion.regions")
    region_id = lookup(values, "global.multiregion.regionId")
    assert region_id == region
    pods = Shape.from_values(values).cluster_size // regions  # statefulset.yaml: replicas = clusterSize / regions
    node_ids = tuple(pod * regions + region_id for pod in range(pods))
    assert node_ids == PROFILES[profile].brokers_of(region)


def test_the_region_overlays_differ_only_in_the_region_id() -> None:
    first, second = (dict(leaves(read(region_file(r)))) for r in REGIONS)
    assert first.keys() == second.keys()
    differing = {path for path in first if first[path] != second[path]}
    assert differing == {"global.multiregion.regionId"}
    assert (first["global.multiregion.regionId"], second["global.multiregion.regionId"]) == REGIONS


@pytest.mark.parametrize("profile", PROFILES)
def test_the_two_regions_merged_values_differ_only_in_the_region_id(profile: str) -> None:
    first, second = (dict(leaves(merged(profile, r))) for r in REGIONS)
    assert first.keys() == second.keys()
    assert {path for path in first if first[path] != second[path]} == {"global.multiregion.regionId"}


# -- contact points and exporters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_initial_contact_points_list_every_broker_of_both_regions(profile: str, region: int) -> None:
    values = merged(profile, region)
    contact_points = env_of(values)[CONTACT_POINTS].split(",")
    pods_per_region = PROFILES[profile].cluster_size // 2
    expected = [broker_host(pod, r) for pod in range(pods_per_region) for r in REGIONS]
    assert contact_points == expected  # alternating regions, as generate_zeebe_helm_values.sh writes them
    assert len(set(contact_points)) == PROFILES[profile].cluster_size


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_both_region_exporters_point_at_their_regions_elasticsearch(profile: str, region: int) -> None:
    env = env_of(merged(profile, region))
    params = DrillParams(lost_region=0)
    for target in REGIONS:
        segment = params.exporter(target).upper()  # the exporter id is the env segment, lower-cased
        assert segment == f"CAMUNDAREGION{target}"
        assert env[f"ZEEBE_BROKER_EXPORTERS_{segment}_CLASSNAME"] == EXPORTER_CLASS
        assert env[f"ZEEBE_BROKER_EXPORTERS_{segment}_ARGS_CONNECT_URL"] == (
            f"http://{RELEASE}-elasticsearch-master-hl.{DEFAULT_NAMESPACES[target]}.svc.cluster.local:9200"
        )
    exporter_ids = {m.group(1).lower() for name in env if (m := re.match(r"ZEEBE_BROKER_EXPORTERS_([A-Z0-9]+)_", name))}
    assert exporter_ids == {params.exporter(0), params.exporter(1)}


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_built_in_exporters_are_off_so_only_the_region_exporters_export(profile: str, region: int) -> None:
    values = merged(profile, region)
    assert lookup(values, "orchestration.exporters.camunda.enabled") is False
    assert lookup(values, "orchestration.exporters.zeebe.enabled") is False


# -- orchestration.env and the drill's overrides ---------------------------------------------------------------------


def test_only_the_profiles_set_the_env_list_because_helm_replaces_lists() -> None:
    for path in (BASE, *(region_file(r) for r in REGIONS)):
        assert lookup(read(path), "orchestration.env") is None, f"{path.name} sets orchestration.env"
    for profile in PROFILES:
        assert isinstance(lookup(read(profile_file(profile)), "orchestration.env"), list)


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_env_list_is_the_profiles_whole_list(profile: str, region: int) -> None:
    profile_env = lookup(read(profile_file(profile)), "orchestration.env")
    assert lookup(merged(profile, region), "orchestration.env") == profile_env


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_every_env_entry_has_a_unique_name_and_a_string_value(profile: str, region: int) -> None:
    """values.schema.json: env items are {name, value} with value a string (booleans fail schema validation)."""
    entries = lookup(merged(profile, region), "orchestration.env")
    for entry in entries:
        assert set(entry) == {"name", "value"}
        assert isinstance(entry["value"], str), entry
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_schema_manager_switch_is_appended_after_the_merged_env_list(profile: str, region: int) -> None:
    values = merged(profile, region)
    length = len(lookup(values, "orchestration.env"))
    assert SCHEMA_MANAGER_ENV not in env_of(values)  # only the recreated region's install adds it
    assert env_set_strings(values, {SCHEMA_MANAGER_ENV: "false"}) == (
        f"orchestration.env[{length}].name={SCHEMA_MANAGER_ENV}",
        f"orchestration.env[{length}].value=false",
    )


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_operate_and_tasklist_overrides_flip_keys_the_values_set(profile: str, region: int) -> None:
    """OPERATE_TASKLIST_OFF sets values.yaml orchestration.profiles.{operate,tasklist}: on by default, off by --set."""
    values = merged(profile, region)
    for assignment in OPERATE_TASKLIST_OFF:
        path, _, value = assignment.partition("=")
        assert value == "false"
        assert lookup(values, path) is True, path
    assert lookup(values, "orchestration.profiles.broker") is True


# -- authentication and secrets ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_v2_api_uses_basic_auth_without_identity_or_keycloak(profile: str, region: int) -> None:
    values = merged(profile, region)
    assert lookup(values, "global.security.authentication.method") == "basic"
    assert lookup(values, "global.identity.auth.enabled") is False
    for component in ("identity", "identityKeycloak", "optimize", "connectors"):
        assert lookup(values, f"{component}.enabled") is False, component
    assert (TargetOptions().gateway_user, TargetOptions().gateway_password) == ("demo", "demo")


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_file_holds_a_secret_other_than_the_documented_demo_ones(path: Path) -> None:
    for key, value in leaves(read(path)):
        if SECRET_KEY.search(key.rsplit(".", 1)[-1]) and value not in (None, ""):
            assert value in DOCUMENTED_DEMO_SECRETS, f"{path.name}: {key}"
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"AKIA[0-9A-Z]{16}", text)
    assert "BEGIN PRIVATE KEY" not in text


# -- Elasticsearch and the snapshot repository -------------------------------------------------------------------------


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_each_region_runs_its_own_elasticsearch_with_the_shared_fs_repository(profile: str, region: int) -> None:
    values = merged(profile, region)
    assert lookup(values, "elasticsearch.enabled") is True
    assert lookup(values, "global.elasticsearch.enabled") is True
    assert lookup(values, "elasticsearch.extraConfig")["path.repo"] == [SNAPSHOT_DIR]
    volumes = {v["name"]: v for v in lookup(values, "elasticsearch.master.extraVolumes")}
    mounts = {m["name"]: m for m in lookup(values, "elasticsearch.master.extraVolumeMounts")}
    assert volumes.keys() == mounts.keys() == {"c8-snapshots"}
    assert volumes["c8-snapshots"]["hostPath"] == {"path": SNAPSHOT_DIR, "type": "Directory"}
    assert mounts["c8-snapshots"]["mountPath"] == SNAPSHOT_DIR


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_camunda_indices_can_be_green_on_the_profiles_elasticsearch_nodes(profile: str, region: int) -> None:
    """The drill's steady state wants green: index replicas must fit on the other nodes of the region."""
    values = merged(profile, region)
    nodes = lookup(values, "elasticsearch.master.replicaCount")
    replicas = lookup(values, "orchestration.index.replicas")
    assert isinstance(nodes, int)
    assert isinstance(replicas, int)
    assert 0 <= replicas <= nodes - 1


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_nothing_requires_more_kind_nodes_than_a_region_has(profile: str, region: int) -> None:
    anti_affinity = lookup(merged(profile, region), "orchestration.affinity.podAntiAffinity")
    assert anti_affinity["requiredDuringSchedulingIgnoredDuringExecution"] is None  # deletes the chart's default
    assert anti_affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    values = merged(profile, region)
    assert lookup(values, "elasticsearch.master.podAntiAffinityPreset") == "soft"


@pytest.mark.parametrize(("profile", "region"), COMBINATIONS)
def test_the_heap_fits_the_memory_limit(profile: str, region: int) -> None:
    values = merged(profile, region)
    heap = re.search(r"-Xmx(\d+)([mg])", lookup(values, "orchestration.javaOpts"))
    assert heap is not None
    heap_mib = int(heap.group(1)) * (1024 if heap.group(2) == "g" else 1)
    assert heap_mib * 2 <= mebibytes(lookup(values, "orchestration.resources.limits.memory"))
    for flag in ("-XX:+ExitOnOutOfMemoryError", "-XX:+HeapDumpOnOutOfMemoryError"):  # the chart's defaults, kept
        assert flag in lookup(values, "orchestration.javaOpts")
    es_heap = mebibytes(lookup(values, "elasticsearch.master.heapSize"))
    assert es_heap * 2 <= mebibytes(lookup(values, "elasticsearch.master.resources.limits.memory"))


def mebibytes(quantity: str) -> int:
    match = re.fullmatch(r"(\d+)(Mi|Gi|m|g)", quantity)
    assert match is not None, quantity
    return int(match.group(1)) * (1024 if match.group(2) in ("Gi", "g") else 1)
