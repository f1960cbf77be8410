"""The files the kind topology implies: each region's kind cluster config, and the values `--snapshot-repo s3` adds.

One node per cluster, on purpose. A region's whole pod subnet then lives on one node container, so one route per
subnet reaches it (with workers, every node owns its own /24 podCIDR, known only at run time, and each needs its own
route on every node of the other cluster). A worker would not add isolation either: every kind node sees the
whole host's CPU and memory. kind untaints a lone control-plane node, so workloads schedule on it; the shared values
(fixtures/values/camunda-base.yaml) turn the chart's hard broker and Elasticsearch anti-affinity into preferences,
without which all but one broker would stay Pending. kube-proxy is pinned to iptables because the service routes
rely on it translating ClusterIP traffic that arrives from the other cluster.

Both clusters mount the same host directory at SNAPSHOT_NODE_DIR, so an Elasticsearch `fs` snapshot repository
written in one region is readable in the other, as the S3 bucket is in the documented procedure. The S3 overlay is
a checked-in values file rather than `--set`s so that the procedure's own reinstall of a region can pass it too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drill.kind.topology import REGIONS, KindRegion

# kind v0.32.0's default node image (pkg/apis/config/defaults/image.go at tag v0.32.0, commit 645b868), by digest
# as kind's release notes ask, so both clusters and every rerun get the same Kubernetes.
NODE_IMAGE = "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
SNAPSHOT_HOST_DIR = "/tmp/c8-dr-drill-snapshots"
SNAPSHOT_NODE_DIR = "/var/c8-snapshots"
CONFIG_DIR = Path("kind-configs")

SNAPSHOT_REPOS = ("fs", "s3")
# The S3 store for `--snapshot-repo s3`: a MinIO container on the `kind` network, which pods resolve by name
# through kind's node DNS. Repository settings on kind: {"bucket": S3_BUCKET, "client": S3_CLIENT}.
S3_CONTAINER = "c8dr-s3"
S3_PORT = 9000
S3_BUCKET = "camunda-drill"
S3_CLIENT = "camunda"
S3_SECRET_NAME = "c8-drill-s3"  # holds S3_ACCESS_KEY / S3_SECRET_KEY for the keystore init script

# Camunda's own way of putting S3 keys into the Bitnami Elasticsearch keystore (c8-multi-region
# aws/dual-region/kubernetes/camunda-values.yml, `elasticsearch.initScripts`).
_KEYSTORE_SCRIPT = f"""\
#!/bin/bash
set -e
echo "$S3_SECRET_KEY" | elasticsearch-keystore add -x s3.client.{S3_CLIENT}.secret_key
echo "$S3_ACCESS_KEY" | elasticsearch-keystore add -x s3.client.{S3_CLIENT}.access_key
"""


class Literal(str):
    """A string dumped as a YAML block scalar, so a Corefile or script in a file or dry run reads as itself."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a manifest reused a dict (labels as selector): spell it out, no &id001 anchors


_Dumper.add_representer(Literal, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|"))


def dump_yaml(*documents: dict[str, Any]) -> str:
    return yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, default_flow_style=False)


# -- kind cluster configs ----------------------------------------------------------------------------------------------


def cluster_config(
    region: KindRegion, *, node_image: str = NODE_IMAGE, snapshot_dir: str = SNAPSHOT_HOST_DIR
) -> dict[str, Any]:
    return {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": region.cluster,
        "networking": {
            "ipFamily": "ipv4",
            "podSubnet": region.pod_subnet,
            "serviceSubnet": region.service_subnet,
            "kubeProxyMode": "iptables",
        },
        "nodes": [
            {
                "role": "control-plane",
                "image": node_image,
                "extraMounts": [{"hostPath": snapshot_dir, "containerPath": SNAPSHOT_NODE_DIR}],
            }
        ],
    }


def render_config(region: KindRegion, *, node_image: str = NODE_IMAGE, snapshot_dir: str = SNAPSHOT_HOST_DIR) -> str:
    return dump_yaml(cluster_config(region, node_image=node_image, snapshot_dir=snapshot_dir))


def config_path(region: KindRegion, directory: Path = CONFIG_DIR) -> Path:
    return directory / f"region{region.region}.yaml"


# -- the S3 overlay -------------------------------------------------------------------------------------------------


def s3_values() -> dict[str, Any]:
    """What `--snapshot-repo s3` adds to the shared values, which already carry the `fs` repository's mount.

    Additive only (maps merge): the S3 client's endpoint, and its keys put into the keystore at first boot from the
    Secret `S3_SECRET_NAME`. The `fs` plumbing stays, harmless, since every kind node mounts the directory anyway.
    """
    return {
        "elasticsearch": {
            "extraConfig": {
                f"s3.client.{S3_CLIENT}.endpoint": f"{S3_CONTAINER}:{S3_PORT}",
                f"s3.client.{S3_CLIENT}.protocol": "http",
                f"s3.client.{S3_CLIENT}.path_style_access": True,
            },
            "initScripts": {"init-keystore.sh": Literal(_KEYSTORE_SCRIPT)},
            "extraEnvVarsSecret": S3_SECRET_NAME,
        }
    }


def render_s3_values() -> str:
    return dump_yaml(s3_values())


def s3_values_path(directory: Path = CONFIG_DIR) -> Path:
    return directory / "camunda-kind-s3.yaml"


# -- the checked-in files ----------------------------------------------------------------------------------------------

_GENERATED = (
    "# Generated from drill/kind/config.py; a test fails when this file and the code differ.\n"
    "# Regenerate: python -m drill.kind.config\n"
)


def config_file_text(region: KindRegion) -> str:
    """The checked-in file: a header saying where it comes from, then exactly `render_config(region)`."""
    header = f"# kind cluster for Camunda region {region.region} (kube context {region.context}).\n"
    return header + _GENERATED + render_config(region)


def s3_values_file_text() -> str:
    header = (
        "# Camunda values both regions get on kind with `--snapshot-repo s3`, after the profile's values and\n"
        "# before the region's own (drill/kind/plan.py values_files). Secret and MinIO: drill/kind/plan.py.\n"
    )
    return header + _GENERATED + render_s3_values()


def generated_files(directory: Path = CONFIG_DIR) -> dict[Path, str]:
    files = {config_path(region, directory): config_file_text(region) for region in REGIONS}
    files[s3_values_path(directory)] = s3_values_file_text()
    return files


def write_generated_files(directory: Path = CONFIG_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in generated_files(directory).items():
        path.write_text(text, encoding="utf-8")
    return list(generated_files(directory))


if __name__ == "__main__":
    for written in write_generated_files():
        print(written)
