"""The live side of a drill: one handle per region (its platform and API clients), the journal, the probes.

Clients are built lazily from the platform's service URLs and rebuilt when those URLs change: a lost region has
no services until it is recreated, and a kube port-forward may come back on another local port.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from drill.api.elasticsearch import ElasticsearchClient
from drill.api.gateway import GatewayClient
from drill.api.management import ManagementClient
from drill.api.retry import RetryEvent, RetryPolicy
from drill.api.transport import http_transport
from drill.evidence.http import JournalTransport
from drill.evidence.journal import Journal
from drill.platform.base import Platform, PublicRouter, ServiceUrls
from drill.platform.commands import CommandRunner
from drill.procedure.params import DrillParams, Timeouts

TransportFactory = Callable[[], httpx.BaseTransport]


@dataclass
class ClientOptions:
    """How the API clients connect: gateway auth, per-request timeout, the transport (the evidence seam), and how
    transient failures are retried (every retry is journaled, so a flaky region shows in the evidence)."""

    gateway_auth: httpx.Auth | None = None
    timeout: float = 30.0
    transport: TransportFactory = http_transport
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class RegionHandle:
    def __init__(self, region: int, platform: Platform, options: ClientOptions, journal: Journal | None) -> None:
        self.region, self.platform, self.options, self.journal = region, platform, options, journal
        self._urls: ServiceUrls | None = None
        self._clients: tuple[GatewayClient, ManagementClient, ElasticsearchClient] | None = None

    def _transport(self) -> httpx.BaseTransport:
        inner = self.options.transport()
        return JournalTransport(inner, self.journal) if self.journal is not None else inner

    def _on_retry(self, event: RetryEvent) -> None:
        """A retry is evidence: the journal puts it in the step that was running, next to its http records."""
        if self.journal is not None:
            self.journal.append(
                "retry",
                call=event.call,
                attempt=event.attempt,
                error=event.error,
                delay_s=round(event.delay_s, 3),
                reason=event.reason,
                adopted=event.adopted,
            )

    def clients(self) -> tuple[GatewayClient, ManagementClient, ElasticsearchClient]:
        urls = self.platform.service_urls()
        if self._clients is None or urls != self._urls:
            self.close()
            common: dict[str, Any] = {
                "timeout": self.options.timeout,
                "retry": self.options.retry,
                "on_retry": self._on_retry,
            }
            self._clients = (
                GatewayClient(urls.gateway, auth=self.options.gateway_auth, transport=self._transport(), **common),
                ManagementClient(urls.management, transport=self._transport(), **common),
                ElasticsearchClient(urls.elasticsearch, transport=self._transport(), **common),
            )
            self._urls = urls
        return self._clients

    @property
    def gateway(self) -> GatewayClient:
        return self.clients()[0]

    @property
    def management(self) -> ManagementClient:
        return self.clients()[1]

    @property
    def es(self) -> ElasticsearchClient:
        return self.clients()[2]

    def close(self) -> None:
        if self._clients is not None:
            for client in self._clients:
                client.close()
        self._clients = None


@dataclass(frozen=True)
class Confirmation:
    """A person's answer to what the drill cannot see itself ("is the DNS switched?"): who answered, and what."""

    confirmed: bool
    by: str
    answer: str = ""


# Asks a person `question`, showing `instructions` (what to do or check first); blocks until they answer.
Confirm = Callable[[str, list[str]], Confirmation]


@dataclass
class DrillContext:
    params: DrillParams
    regions: dict[int, RegionHandle]
    journal: Journal
    timeouts: Timeouts = field(default_factory=Timeouts)
    # What steps learn and later steps need, e.g. the probe instance created while exporting was paused; journaled,
    # so a resumed drill gets it back.
    memory: dict[str, Any] = field(default_factory=dict)
    # What only the target has, for the stages that move users' traffic (drill/procedure/traffic.py): its command
    # runner (every command journaled), the simulator's public endpoint, and a person to ask.
    runner: CommandRunner | None = None
    router: PublicRouter | None = None
    confirm: Confirm | None = None

    @classmethod
    def build(
        cls,
        params: DrillParams,
        platforms: dict[int, Platform],
        journal: Journal,
        *,
        options: ClientOptions | None = None,
        timeouts: Timeouts | None = None,
    ) -> DrillContext:
        options = options or ClientOptions()
        from drill.procedure.memory import Memory

        regions = {r: RegionHandle(r, platforms[r], options, journal) for r in sorted(platforms)}
        return cls(params, regions, journal, timeouts or Timeouts(), Memory(journal))

    @property
    def surviving(self) -> RegionHandle:
        return self.regions[self.params.surviving_region]

    @property
    def recreated(self) -> RegionHandle:
        """The lost region; after failback-1 it holds the recreated deployment."""
        return self.regions[self.params.lost_region]

    def both(self) -> tuple[RegionHandle, RegionHandle]:
        return self.surviving, self.recreated

    def close(self) -> None:
        for handle in self.regions.values():
            handle.close()
