"""OIDC client credentials: against the simulated identity provider, and with a mock IdP for what it cannot do."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest

from drill.api import (
    ApiError,
    BasicAuth,
    GatewayClient,
    HttpStatusError,
    OidcClientCredentials,
    ProtocolError,
    RetryPolicy,
    TransportError,
    auth_from,
)
from drill.sim.model.deployment import SimSettings
from drill.sim.runtime import SimRuntime

SECRET = "drill-secret"
WRONG_SECRET = "not-the-drill-secret-4711"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recording(httpx.BaseTransport):
    """The real transport, recording each request's method and path (what the evidence layer would see)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def oidc_runtime(make_runtime: Callable[..., SimRuntime], **settings: object) -> SimRuntime:
    return make_runtime(SimSettings(auth="oidc", **settings))  # type: ignore[arg-type]


def token_url(runtime: SimRuntime) -> str:
    return f"{runtime.endpoints()['identity']}/oauth/token"


def test_one_token_serves_many_calls_and_travels_through_the_api_clients_transport(
    make_runtime: Callable[..., SimRuntime],
) -> None:
    runtime = oidc_runtime(make_runtime)
    auth = OidcClientCredentials(token_url(runtime), "drill", SECRET)
    transport = Recording()

    with GatewayClient(runtime.endpoints()["region0"]["gateway"], auth=auth, transport=transport) as gateway:
        sizes = [gateway.topology().cluster_size for _ in range(5)]

    assert sizes == [8] * 5
    assert auth.fetches == 1
    assert runtime.gate.call(lambda: runtime.tokens.issued) == 1
    assert transport.seen == ["POST /oauth/token"] + ["GET /v2/topology"] * 5


def test_the_token_is_refreshed_before_it_expires(make_runtime: Callable[..., SimRuntime]) -> None:
    runtime = oidc_runtime(make_runtime, oidc_token_seconds=60)
    clock = FakeClock()
    auth = OidcClientCredentials(token_url(runtime), "drill", SECRET, clock=clock, refresh_margin=10.0)

    with GatewayClient(runtime.endpoints()["region0"]["gateway"], auth=auth) as gateway:
        gateway.topology()
        clock.now += 49.0  # 11 s left: still used
        gateway.topology()
        fetches_before_margin = auth.fetches
        clock.now += 2.0  # 9 s left: inside the margin, refreshed
        gateway.topology()
        gateway.topology()

    assert fetches_before_margin == 1
    assert auth.fetches == 2
    assert runtime.gate.call(lambda: runtime.tokens.issued) == 2


def test_a_revoked_token_is_refreshed_once_and_the_call_retried(make_runtime: Callable[..., SimRuntime]) -> None:
    runtime = oidc_runtime(make_runtime)
    auth = OidcClientCredentials(token_url(runtime), "drill", SECRET)

    with GatewayClient(runtime.endpoints()["region0"]["gateway"], auth=auth) as gateway:
        gateway.topology()
        runtime.gate.call(runtime.tokens.revoke_all)
        topology = gateway.topology()

    assert topology.cluster_size == 8
    assert auth.fetches == 2


def test_a_wrong_secret_is_a_clear_error_naming_the_token_url_but_not_the_secret(
    make_runtime: Callable[..., SimRuntime],
) -> None:
    runtime = oidc_runtime(make_runtime)
    auth = OidcClientCredentials(token_url(runtime), "drill", WRONG_SECRET)

    gateway_url = runtime.endpoints()["region0"]["gateway"]
    with GatewayClient(gateway_url, auth=auth) as gateway, pytest.raises(HttpStatusError) as caught:
        gateway.topology()

    message = str(caught.value)
    assert caught.value.status == 401
    assert message == (
        f"POST {token_url(runtime)}: expected HTTP 200 with an access token, "
        "got HTTP 401 invalid_client: Invalid client or Invalid client credentials"
    )
    assert WRONG_SECRET not in message + repr(caught.value) + caught.value.body + repr(auth)


def test_an_unreachable_identity_provider_is_a_transport_error_naming_it(runtime: SimRuntime) -> None:
    url = "http://127.0.0.1:9/oauth/token"  # discard port: nothing listens
    auth = OidcClientCredentials(url, "drill", SECRET)

    gateway_url = runtime.endpoints()["region0"]["gateway"]
    retry = RetryPolicy(sleep=lambda seconds: None)
    with GatewayClient(gateway_url, auth=auth, retry=retry) as gateway, pytest.raises(TransportError) as caught:
        gateway.topology()

    assert str(caught.value).startswith(f"POST {url}: expected HTTP 200, got ConnectError")
    assert "; gave up after 4 attempts in " in str(caught.value)
    assert caught.value.transient


# -- with a mock identity provider ------------------------------------------------------------------------------


def mock_idp(
    token_responses: list[httpx.Response], api: Callable[[httpx.Request], httpx.Response]
) -> httpx.MockTransport:
    forms: list[dict[str, list[str]]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            forms.append(parse_qs(request.content.decode()))
            return token_responses.pop(0)
        return api(request)

    transport = httpx.MockTransport(handle)
    transport.forms = forms  # type: ignore[attr-defined]
    return transport


def token(value: str = "t1", expires_in: object = 300, token_type: str = "Bearer") -> httpx.Response:
    return httpx.Response(200, json={"access_token": value, "token_type": token_type, "expires_in": expires_in})


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"auth": request.headers["authorization"]})


def test_the_token_request_is_a_client_credentials_form_with_audience_and_scope() -> None:
    transport = mock_idp([token()], ok)
    auth = OidcClientCredentials(
        "http://idp/oauth/token", "drill", SECRET, audience="zeebe-api", scope="camunda", transport=transport
    )

    with httpx.Client(auth=auth, transport=transport) as client:
        answer = client.get("http://gw/v2/topology").json()

    assert answer == {"auth": "Bearer t1"}
    assert transport.forms == [  # type: ignore[attr-defined]
        {
            "grant_type": ["client_credentials"],
            "client_id": ["drill"],
            "client_secret": [SECRET],
            "audience": ["zeebe-api"],
            "scope": ["camunda"],
        }
    ]


def test_a_second_401_after_refreshing_is_the_apis_answer() -> None:
    calls: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["authorization"])
        return httpx.Response(401, json={"title": "Unauthorized", "detail": "token not accepted", "status": 401})

    transport = mock_idp([token("t1"), token("t2")], refuse)
    auth = OidcClientCredentials("http://idp/oauth/token", "drill", SECRET)

    with (
        GatewayClient("http://gw", auth=auth, transport=transport) as gateway,
        pytest.raises(HttpStatusError) as caught,
    ):
        gateway.topology()

    assert calls == ["Bearer t1", "Bearer t2"]
    assert auth.fetches == 2
    assert (
        str(caught.value)
        == "GET http://gw/v2/topology: expected HTTP 200, got HTTP 401 Unauthorized: token not accepted"
    )


def test_a_token_shorter_than_the_margin_is_still_reused_for_half_its_life() -> None:
    clock = FakeClock()
    transport = mock_idp([token("t1", expires_in=20), token("t2", expires_in=20)], ok)
    auth = OidcClientCredentials("http://idp/oauth/token", "drill", SECRET, clock=clock, refresh_margin=30.0)

    with httpx.Client(auth=auth, transport=transport) as client:
        first = client.get("http://gw/").json()["auth"]
        clock.now += 9.0
        second = client.get("http://gw/").json()["auth"]
        clock.now += 2.0
        third = client.get("http://gw/").json()["auth"]

    assert (first, second, third) == ("Bearer t1", "Bearer t1", "Bearer t2")


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        pytest.param(token(expires_in="300"), "expected expires_in to be an integer, got a string", id="expires-text"),
        pytest.param(token(expires_in=True), "expected expires_in to be an integer, got a boolean", id="expires-bool"),
        pytest.param(token(token_type="mac"), "expected token_type Bearer, got 'mac'", id="not-bearer"),
        pytest.param(
            httpx.Response(200, json={"token_type": "Bearer"}),
            "expected access_token to be a string, got nothing (field missing)",
            id="no-token",
        ),
        pytest.param(httpx.Response(200, text="<html>login</html>"), "got a body that is not JSON", id="html"),
        pytest.param(
            httpx.Response(400, json={"error": "unsupported_grant_type"}),
            "got HTTP 400 unsupported_grant_type",
            id="oauth-error",
        ),
        pytest.param(httpx.Response(502, text="bad gateway"), "got HTTP 502 no OAuth error in the body", id="proxy"),
    ],
)
def test_a_bad_token_response_names_the_token_url_and_leaks_no_secret(response: httpx.Response, fragment: str) -> None:
    transport = mock_idp([response], ok)
    auth = OidcClientCredentials("http://idp/oauth/token", "drill", SECRET)

    once = RetryPolicy.none()  # the 502 is transient: retried, it would ask the IdP again
    client = GatewayClient("http://gw", auth=auth, transport=transport, retry=once)
    with client as gateway, pytest.raises(ApiError) as caught:
        gateway.topology()

    message = str(caught.value)
    assert message.startswith("POST http://idp/oauth/token: expected ")
    assert fragment in message
    assert SECRET not in message
    assert isinstance(caught.value, ProtocolError | HttpStatusError)


def test_a_token_response_never_echoes_the_token_in_errors() -> None:
    transport = mock_idp([httpx.Response(200, json={"access_token": "s3cr3t-token", "token_type": 7})], ok)
    auth = OidcClientCredentials("http://idp/oauth/token", "drill", SECRET)

    with GatewayClient("http://gw", auth=auth, transport=transport) as gateway, pytest.raises(ProtocolError) as caught:
        gateway.topology()

    assert "s3cr3t-token" not in str(caught.value)
    assert "expected token_type to be a string, got a number" in str(caught.value)


def test_auth_from_builds_each_kind_and_refuses_bad_settings() -> None:
    basic = auth_from("basic", username="demo", password="demo")
    oidc = auth_from("oidc", token_url="http://idp/oauth/token", client_id="drill", client_secret=SECRET, audience="a")

    assert auth_from("none") is None
    assert isinstance(basic, BasicAuth)
    assert isinstance(oidc, OidcClientCredentials)
    assert (oidc.audience, oidc.client_id) == ("a", "drill")
    assert SECRET not in repr(oidc)
    with pytest.raises(ValueError, match="auth 'oidc' needs client_secret"):
        auth_from("oidc", token_url="http://idp/oauth/token", client_id="drill")
    with pytest.raises(ValueError, match="auth 'basic' does not take token_url"):
        auth_from("basic", username="demo", password="demo", token_url="x")
    with pytest.raises(ValueError, match="auth must be 'none', 'basic' or 'oidc', got 'kerberos'"):
        auth_from("kerberos")


def test_basic_auth_sends_the_demo_user() -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(204)

    with GatewayClient(
        "http://gw", auth=auth_from("basic", username="demo", password="demo"), transport=httpx.MockTransport(record)
    ) as gateway:
        assert gateway.ready() is True

    assert seen == ["Basic ZGVtbzpkZW1v"]
