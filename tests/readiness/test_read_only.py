"""The read-only transport: reads pass, anything else is refused before it is sent, naming method and path; and a
readiness concern that tries to write fails naming the request while the deployment stays as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from drill.api.elasticsearch import ElasticsearchClient
from drill.api.read_only import ReadOnlyTransport, WriteRefused
from drill.api.retry import RetryPolicy
from drill.cli_check import register_repository
from drill.procedure.checks import Check, holds
from drill.procedure.context import DrillContext
from drill.procedure.params import DrillParams, Repository
from drill.readiness.base import Concern
from drill.readiness.session import check_readiness
from drill.sim.runtime import SimRuntime
from drill.targets import SIM_TIMEOUTS, sim_target


class Recorder:
    """An inner transport that answers 200 and remembers what reached it."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self) -> httpx.BaseTransport:
        return httpx.MockTransport(self.answer)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path))
        return httpx.Response(200, json={})


def client(recorder: Recorder) -> httpx.Client:
    return httpx.Client(base_url="http://region0:9600", transport=ReadOnlyTransport(recorder))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/actuator/cluster"),
        ("PUT", "/_snapshot/camunda_backup"),
        ("DELETE", "/operate-list-view-8.3.0_"),
        ("POST", "/actuator/exporters/camundaregion1/disable"),
        ("POST", "/actuator/exporting/pause"),
        ("POST", "/_snapshot/camunda_backup/failback/_restore"),
        ("POST", "/v2/process-instances"),
        ("POST", "/v2/process-instances/search/../../deployments"),
    ],
)
def test_a_write_is_refused_naming_method_and_path_and_never_sent(method: str, path: str) -> None:
    recorder = Recorder()
    with pytest.raises(WriteRefused) as refused, client(recorder) as http:
        http.request(method, path, json={})
    sent = httpx.URL(f"http://region0:9600{path}").path
    assert (refused.value.method, refused.value.path) == (method, sent)
    assert f"{method} {sent}" in str(refused.value) and "refused, not sent" in str(refused.value)
    assert not refused.value.transient and recorder.seen == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/actuator/cluster"),
        ("HEAD", "/operate-list-view-8.3.0_"),
        ("POST", "/_search"),
        ("POST", "/operate-list-view-*/_count"),
        ("POST", "/operate-list-view-8.3.0_/_mget"),
        ("POST", "/v2/process-instances/search"),
        ("POST", "/v2/user-tasks/123/variables/search"),
    ],
)
def test_reads_pass(method: str, path: str) -> None:
    recorder = Recorder()
    with client(recorder) as http:
        assert http.request(method, path, json={} if method == "POST" else None).status_code == 200
    assert recorder.seen == [(method, path)]


def test_an_oauth_token_request_passes_it_changes_nothing() -> None:
    recorder = Recorder()
    with client(recorder) as http:
        http.post("http://idp/oauth/token", data={"grant_type": "client_credentials", "client_id": "drill"})
        with pytest.raises(WriteRefused):
            http.post("http://idp/oauth/token", data={"grant_type": "password", "username": "demo"})
    assert recorder.seen == [("POST", "/oauth/token")]


def test_a_client_write_is_refused_once_not_retried() -> None:
    recorder = Recorder()
    es = ElasticsearchClient("http://region1:9200", transport=ReadOnlyTransport(recorder), retry=RetryPolicy())
    with pytest.raises(WriteRefused, match=r"PUT http://region1:9200/_snapshot/camunda_backup"):
        es.put_repository("camunda_backup", {"type": "fs", "settings": {"location": "/tmp"}})
    assert recorder.seen == []


class WritingConcern(Concern):
    """A concern someone got wrong: it registers a repository while it should only look."""

    id = "ready-writes"
    title = "A concern that writes"
    desired_state = ("Nothing.",)

    def verify_desired(self, ctx: DrillContext) -> list[Check]:
        ctx.regions[1].es.put_repository("other", {"type": "fs", "settings": {"location": "/tmp/other"}})
        return [holds("wrote", "never", "wrote", True)]


def test_a_concern_that_writes_fails_naming_the_request_and_changes_nothing(
    make_runtime: Callable[..., SimRuntime], tmp_path: Path
) -> None:
    runtime = make_runtime()
    register_repository(runtime, Repository())
    control = runtime.endpoints()["control"]
    before = httpx.get(f"{control}/state", timeout=10).json()
    target = sim_target(runtime.endpoints(), timeouts=SIM_TIMEOUTS, auth=httpx.BasicAuth("demo", "demo"))
    outcome = check_readiness(target, DrillParams(lost_region=1), tmp_path / "check", sequence=[WritingConcern()])
    assert not outcome.ready
    [result] = outcome.results
    assert "PUT " in str(result.error) and "/_snapshot/other" in str(result.error), result.error
    assert httpx.get(f"{control}/state", timeout=10).json() == before
    assert outcome.written.report["steps"][0]["verdict"] == "failed"
