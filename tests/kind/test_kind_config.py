"""The kind topology and its checked-in files: the files are exactly what the code renders, and the subnets allow
routing between the clusters (no overlap with each other, kind's defaults or Docker's address pools)."""

from __future__ import annotations

import ipaddress
import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from drill.kind.config import (
    NODE_IMAGE,
    S3_BUCKET,
    S3_CLIENT,
    S3_CONTAINER,
    S3_PORT,
    S3_SECRET_NAME,
    SNAPSHOT_HOST_DIR,
    SNAPSHOT_NODE_DIR,
    Literal,
    cluster_config,
    config_file_text,
    dump_yaml,
    generated_files,
    render_config,
    s3_values,
    s3_values_path,
    write_generated_files,
)
from drill.kind.topology import REGIONS, KindRegion, other, region
from drill.procedure.params import Repository
from drill.targets import DEFAULT_NAMESPACES, KIND_CONTEXTS

ROOT = Path(__file__).resolve().parents[2]
KIND_DEFAULTS = ("10.244.0.0/16", "10.96.0.0/16")  # kind pkg/apis/config/v1alpha4/default.go
DOCKER_DEFAULT_POOLS = ("172.17.0.0/16", "172.18.0.0/15", "172.20.0.0/14", "172.24.0.0/13", "192.168.0.0/16")


def networks(*subnets: str) -> list[ipaddress.IPv4Network]:
    return [ipaddress.IPv4Network(s) for s in subnets]


# -- topology ----------------------------------------------------------------------------------------------------------


def test_regions_use_the_contexts_and_namespaces_the_targets_expect() -> None:
    assert tuple(r.context for r in REGIONS) == KIND_CONTEXTS
    assert tuple(r.namespace for r in REGIONS) == DEFAULT_NAMESPACES
    assert [(r.cluster, r.node) for r in REGIONS] == [
        ("c8-region0", "c8-region0-control-plane"),
        ("c8-region1", "c8-region1-control-plane"),
    ]


def test_no_subnet_overlaps_another_region_kind_defaults_or_docker_pools() -> None:
    ours = networks(*(s for r in REGIONS for s in (r.pod_subnet, r.service_subnet)))
    assert len(ours) == 4
    for a, b in itertools.combinations(ours, 2):
        assert not a.overlaps(b), (a, b)
    for mine, theirs in itertools.product(ours, networks(*KIND_DEFAULTS, *DOCKER_DEFAULT_POOLS)):
        assert not mine.overlaps(theirs), (mine, theirs)


@pytest.mark.parametrize("kind_region", REGIONS, ids=lambda r: f"region{r.region}")
def test_kube_dns_is_the_tenth_address_of_the_service_subnet(kind_region: KindRegion) -> None:
    service = ipaddress.IPv4Network(kind_region.service_subnet)
    assert ipaddress.IPv4Address(kind_region.kube_dns_ip) == service.network_address + 10
    assert kind_region.kube_dns_ip == {0: "10.11.0.10", 1: "10.21.0.10"}[kind_region.region]


def test_other_is_the_far_side_from_either_a_region_or_its_number() -> None:
    assert other(REGIONS[0]) is REGIONS[1] and other(REGIONS[1]) is REGIONS[0]
    assert other(0) is REGIONS[1] and region(1) is REGIONS[1]


@pytest.mark.parametrize(
    "call", [lambda: region(2), lambda: other(-1), lambda: KindRegion(3, "10.1.0.0/16", "10.2.0.0/16")]
)
def test_only_regions_0_and_1_exist(call: Any) -> None:
    with pytest.raises(ValueError, match="Expected region 0 or 1"):
        call()


def test_a_subnet_with_host_bits_is_refused() -> None:
    with pytest.raises(ValueError, match="host bits"):
        KindRegion(0, pod_subnet="10.10.0.1/16", service_subnet="10.11.0.0/16")


# -- kind cluster configs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind_region", REGIONS, ids=lambda r: f"region{r.region}")
def test_config_names_the_cluster_and_sets_both_subnets(kind_region: KindRegion) -> None:
    config = yaml.safe_load(render_config(kind_region))
    assert config == cluster_config(kind_region)
    assert (config["kind"], config["apiVersion"], config["name"]) == (
        "Cluster",
        "kind.x-k8s.io/v1alpha4",
        kind_region.cluster,
    )
    assert config["networking"] == {
        "ipFamily": "ipv4",
        "podSubnet": kind_region.pod_subnet,
        "serviceSubnet": kind_region.service_subnet,
        "kubeProxyMode": "iptables",
    }


def test_both_clusters_have_one_pinned_node_mounting_the_same_snapshot_directory() -> None:
    nodes = [cluster_config(r)["nodes"] for r in REGIONS]
    assert all(len(n) == 1 and n[0]["role"] == "control-plane" for n in nodes)
    assert {n[0]["image"] for n in nodes} == {NODE_IMAGE}
    assert re.fullmatch(r"kindest/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}", NODE_IMAGE)
    mounts = [n[0]["extraMounts"] for n in nodes]
    assert mounts[0] == mounts[1] == [{"hostPath": SNAPSHOT_HOST_DIR, "containerPath": SNAPSHOT_NODE_DIR}]


def test_image_and_snapshot_directory_can_be_chosen() -> None:
    node = cluster_config(REGIONS[0], node_image="kindest/node:v1.35.0", snapshot_dir="/srv/snaps")["nodes"][0]
    assert node["image"] == "kindest/node:v1.35.0"
    assert node["extraMounts"][0]["hostPath"] == "/srv/snaps"


def test_the_snapshot_directory_is_where_the_shared_values_mount_it() -> None:
    base = yaml.safe_load((ROOT / "fixtures" / "values" / "camunda-base.yaml").read_text(encoding="utf-8"))
    volumes = base["elasticsearch"]["master"]["extraVolumes"]
    assert {"path": SNAPSHOT_NODE_DIR, "type": "Directory"} in [v.get("hostPath") for v in volumes]


# -- the checked-in files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(generated_files(ROOT / "kind-configs")), ids=lambda p: p.name)
def test_each_checked_in_file_is_exactly_what_the_code_renders(path: Path) -> None:
    expected = generated_files(ROOT / "kind-configs")[path]
    assert path.read_text(encoding="utf-8") == expected, "regenerate with: python -m drill.kind.config"


@pytest.mark.parametrize("kind_region", REGIONS, ids=lambda r: f"region{r.region}")
def test_a_config_file_is_a_comment_then_the_rendering(kind_region: KindRegion) -> None:
    text = config_file_text(kind_region)
    header, _, body = text.partition("\nkind: Cluster\n")
    assert all(line.startswith("# ") for line in header.splitlines())
    assert text.endswith(render_config(kind_region))
    assert yaml.safe_load(text) == cluster_config(kind_region)
    assert body


def test_writing_the_files_writes_every_generated_file(tmp_path: Path) -> None:
    written = write_generated_files(tmp_path / "out")
    assert sorted(p.name for p in written) == ["camunda-kind-s3.yaml", "region0.yaml", "region1.yaml"]
    assert all(p.read_text(encoding="utf-8") == text for p, text in generated_files(tmp_path / "out").items())


# -- the S3 overlay ----------------------------------------------------------------------------------------------------


def test_the_s3_overlay_points_the_client_at_the_minio_container_by_name() -> None:
    elasticsearch = yaml.safe_load(s3_values_path(ROOT / "kind-configs").read_text(encoding="utf-8"))["elasticsearch"]
    assert elasticsearch == s3_values()["elasticsearch"]
    assert elasticsearch["extraConfig"] == {
        "s3.client.camunda.endpoint": f"{S3_CONTAINER}:{S3_PORT}",
        "s3.client.camunda.protocol": "http",
        "s3.client.camunda.path_style_access": True,
    }
    assert elasticsearch["extraEnvVarsSecret"] == S3_SECRET_NAME


def test_the_s3_overlay_puts_both_keys_in_the_keystore_from_the_secret() -> None:
    script = s3_values()["elasticsearch"]["initScripts"]["init-keystore.sh"]
    assert script.startswith("#!/bin/bash\nset -e\n")
    for key, variable in (("access_key", "S3_ACCESS_KEY"), ("secret_key", "S3_SECRET_KEY")):
        assert f'echo "${variable}" | elasticsearch-keystore add -x s3.client.camunda.{key}' in script


def test_the_s3_names_match_the_procedures_repository_defaults() -> None:
    settings = Repository(type="s3").settings
    assert (settings["bucket"], settings["client"]) == (S3_BUCKET, S3_CLIENT)


def test_block_strings_are_dumped_literally_and_shared_dicts_are_not_aliased() -> None:
    shared = {"a": "b"}
    text = dump_yaml({"x": Literal("line 1\nline 2\n"), "one": shared, "two": shared})
    assert "x: |\n  line 1\n  line 2\n" in text
    assert "&" not in text and "*" not in text
