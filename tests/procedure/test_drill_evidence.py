"""What the journal of a drill holds about the drill itself, and what it never holds: credentials."""

from __future__ import annotations

import json
from typing import Any

import httpx
from support.drill_harness import MakeDrill, run_until

from drill.api.auth import OidcClientCredentials
from drill.procedure import session
from drill.sim.model.deployment import SimSettings


def test_the_drill_is_framed_by_start_and_end_records(make_drill: MakeDrill) -> None:
    drill = make_drill(0)
    start = session.begin(drill.ctx, target="sim", operator="game-day-lead")
    run_until(drill.ctx, stop_before="failback-1")
    end = session.finish(drill.ctx, verdict="passed")

    assert start["kind"] == "drill_start"
    assert start["target"] == "sim"
    assert start["lost_region"] == 0
    assert start["operator"] == "game-day-lead"
    assert start["versions"] == {"gateway": "8.8.0", "brokers": ["8.8.0"]}
    assert start["chart_version"] == {"0": "13.12.7", "1": "13.12.7"}
    assert start["procedure"][:3] == ["failover-1", "failover-2", "failback-1"]
    assert start["shape"] == {"clusterSize": 8, "partitions": 8, "replicationFactor": 4}
    assert set(start["contexts"]) == {"0", "1"} and start["host"]
    assert end["kind"] == "drill_end" and end["verdict"] == "passed" and end["error"] is None
    assert drill.records()[-1]["seq"] == end["seq"]


class CapturingTransport(httpx.BaseTransport):
    """The real transport, remembering every access token the identity provider hands out."""

    tokens: list[str] = []

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path == "/oauth/token":
            body = response.read()
            self.tokens.append(json.loads(body)["access_token"])
            return httpx.Response(response.status_code, headers=response.headers, content=body)
        return response

    def close(self) -> None:
        self.inner.close()


def test_oidc_tokens_and_the_client_secret_never_reach_the_journal(make_drill: MakeDrill) -> None:
    CapturingTransport.tokens = []

    def oidc(endpoints: dict[str, Any]) -> httpx.Auth:
        return OidcClientCredentials(f"{endpoints['identity']}/oauth/token", "drill", "drill-secret")

    drill = make_drill(1, settings=SimSettings(auth="oidc"), gateway_auth=oidc, transport=CapturingTransport)
    run_until(drill.ctx, stop_before="failback-1")
    drill.ctx.journal.close()

    text = drill.ctx.journal.path.read_text()
    assert CapturingTransport.tokens, "the drill should have fetched a token"
    for token in CapturingTransport.tokens:
        assert token not in text
    assert "drill-secret" not in text
    token_calls = [r for r in drill.records("http") if r["url"].endswith("/oauth/token")]
    assert token_calls and all(r["status"] == 200 for r in token_calls)
    bearer = [r for r in drill.records("http") if "/v2/" in r["url"]]
    assert bearer and all(r["request_headers"].get("authorization") == "Bearer ***" for r in bearer)


def test_basic_credentials_never_reach_the_journal(make_drill: MakeDrill) -> None:
    drill = make_drill(1)
    run_until(drill.ctx, stop_before="failover-2")
    drill.ctx.journal.close()
    text = drill.ctx.journal.path.read_text()
    assert "ZGVtbzpkZW1v" not in text  # base64("demo:demo")
    gateway_calls = [r for r in drill.records("http") if "/v2/" in r["url"]]
    assert gateway_calls and all(r["request_headers"]["authorization"] == "Basic ***" for r in gateway_calls)
