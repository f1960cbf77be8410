"""The few Docker CLI calls the kind target needs, each one argv through a `CommandRunner` so it is evidence.

kind's nodes are plain Docker containers, so losing a region for real means stopping them or cutting them off the
`kind` network, and proving it means `docker container inspect`. The CLI rather than a Docker SDK keeps the
journal readable (the exact command a person would type) and keeps this package free of another client library.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any

from drill.api.errors import excerpt
from drill.platform.base import PlatformError
from drill.platform.commands import CommandRunner

DOCKER = "docker"
TARGET = "docker"
INSPECT_TIMEOUT_SECONDS = 30.0
_NO_SUCH_CONTAINER = ("no such container", "no such object")


class ContainerNotFound(PlatformError):
    """`docker container inspect` knows no container by that name (a typo, or a kind cluster that is gone)."""


def docker_argv(*args: str, docker: str = DOCKER) -> tuple[str, ...]:
    return (docker, *args)


def stop_argv(names: Sequence[str], *, grace_seconds: int = 10, docker: str = DOCKER) -> tuple[str, ...]:
    """`--time` rather than `--timeout`: Docker 20.10 (Debian 12's) knows only `--time`; newer CLIs accept both."""
    return docker_argv("stop", "--time", str(grace_seconds), *names, docker=docker)


def disconnect_argv(network: str, name: str, *, docker: str = DOCKER) -> tuple[str, ...]:
    """`--force` so a node whose endpoint is already half torn down is still cut off, not an error."""
    return docker_argv("network", "disconnect", "--force", network, name, docker=docker)


def connect_argv(network: str, name: str, *, docker: str = DOCKER) -> tuple[str, ...]:
    return docker_argv("network", "connect", network, name, docker=docker)


def inspect_container(
    runner: CommandRunner, name: str, *, docker: str = DOCKER, timeout: float = INSPECT_TIMEOUT_SECONDS
) -> dict[str, Any]:
    """The container's `docker container inspect` object; `container` so an image of that name never answers."""
    argv = docker_argv("container", "inspect", name, docker=docker)
    operation = shlex.join(argv)
    result = runner.run(argv, timeout=timeout)
    if not result.ok:
        output = (result.stderr or result.stdout).strip()
        seen = f"exit code {result.exit_code}" + (f": {excerpt(output)}" if output else "")
        if any(marker in output.lower() for marker in _NO_SUCH_CONTAINER):
            raise ContainerNotFound(TARGET, operation, f"a container named {name}", seen)
        raise PlatformError(TARGET, operation, "exit code 0", seen)
    try:
        found = json.loads(result.stdout)
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], dict):
        raise PlatformError(TARGET, operation, "a JSON list of one container", repr(excerpt(result.stdout)))
    container: dict[str, Any] = found[0]
    return container


def is_running(runner: CommandRunner, name: str, *, docker: str = DOCKER) -> bool:
    state = inspect_container(runner, name, docker=docker).get("State") or {}
    return bool(state.get("Running"))


def networks_of(runner: CommandRunner, name: str, *, docker: str = DOCKER) -> set[str]:
    return set(_networks(inspect_container(runner, name, docker=docker)))


def container_ip(runner: CommandRunner, name: str, network: str, *, docker: str = DOCKER) -> str:
    """The container's IPv4 address on `network`; an error when it is not attached or has no address (stopped)."""
    networks = _networks(inspect_container(runner, name, docker=docker))
    operation = f"IP address of {name} on {network}"
    if network not in networks:
        raise PlatformError(TARGET, operation, f"{name} attached to {network}", f"networks {sorted(networks)}")
    address = str((networks[network] or {}).get("IPAddress") or "")
    if not address:
        raise PlatformError(TARGET, operation, "an IPv4 address", "none (is the container running?)")
    return address


def _networks(container: dict[str, Any]) -> dict[str, Any]:
    networks = (container.get("NetworkSettings") or {}).get("Networks") or {}
    return dict(networks) if isinstance(networks, dict) else {}
