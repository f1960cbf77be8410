"""Both regions' kube contexts must exist in the kubeconfig before a drill starts.

The Kubernetes client would only find a missing context when the drill first talks to that region: after the
report directory is archived, the journal opened and, for the lost region, possibly after the other region was
already changed. A typo in `--context` is bad input and is refused before anything happens, from the kubeconfig
alone (no network), naming what exists.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import yaml

from drill.procedure.params import ParameterError

DEFAULT_KUBECONFIG = "~/.kube/config"


class KubeContextError(ParameterError):
    """A region's kube context is missing, repeated, or the kubeconfig cannot be read; one line says which."""


def kubeconfig_paths() -> str:
    """$KUBECONFIG as kubectl reads it (a path list), read now rather than when the kubernetes client was imported."""
    return os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG


def check_contexts(contexts: Sequence[str], *, hint: str = "") -> None:
    """Raise KubeContextError unless region 0 and region 1 name two different contexts the kubeconfig defines."""
    if len(contexts) == 2 and contexts[0] == contexts[1]:
        raise KubeContextError(
            f"the lost region would equal the surviving one: both regions name context {contexts[0]!r}"
        )
    available = available_contexts()
    for region, context in enumerate(contexts):
        if context not in available:
            names = ", ".join(available) or "none"
            raise KubeContextError(
                f"kube context {context!r} (region {region}) is not in the kubeconfig {kubeconfig_paths()}; "
                f"it defines: {names}{hint}"
            )


def available_contexts() -> list[str]:
    """Context names of the kubeconfig, merged over $KUBECONFIG's path list as kubectl does (first one wins).

    The kubernetes client's own merger reads the files; its `list_kube_config_contexts` is not used because it
    also demands a `current-context`, which `--context` makes unnecessary and kubectl does not require.
    """
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import ENV_KUBECONFIG_PATH_SEPARATOR, KubeConfigMerger

    paths = kubeconfig_paths()
    existing = [p for p in paths.split(ENV_KUBECONFIG_PATH_SEPARATOR) if p and Path(p).expanduser().exists()]
    if not existing:
        source = f"$KUBECONFIG={paths}" if os.environ.get("KUBECONFIG") else paths
        raise KubeContextError(f"expected a kubeconfig with the regions' contexts at {source}, found no such file")
    try:
        merged = KubeConfigMerger(paths).config
        contexts = [] if merged is None else merged.value.get("contexts") or []
        names = [str(context.value["name"]) for context in contexts]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.name} line {mark.line + 1} column {mark.column + 1}" if mark is not None else paths
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise KubeContextError(f"kubeconfig is not valid YAML at {where}: {problem}") from None
    except OSError as exc:
        raise KubeContextError(f"cannot read kubeconfig {exc.filename or paths}: {exc.strerror or exc}") from None
    except ConfigException as exc:
        raise KubeContextError(f"kubeconfig {paths} is not a kubeconfig: {' '.join(str(exc).split())}") from None
    except (AttributeError, KeyError, TypeError) as exc:  # a YAML document of another shape
        raise KubeContextError(
            f"kubeconfig {paths} is not a kubeconfig: expected a mapping with a list of named contexts "
            f"({type(exc).__name__}: {exc})"
        ) from None
    return names
