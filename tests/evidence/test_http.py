"""JournalTransport (drill.evidence.http): every exchange recorded, redacted and bounded; the client unaffected.

Header values below are what httpx 0.28.1 (pinned in pyproject) sends by default.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from drill.evidence import Journal, JournalTransport, read_journal

CLIENT_HEADERS = {
    "accept": "*/*",
    "accept-encoding": "gzip, deflate",
    "connection": "keep-alive",
    "user-agent": "python-httpx/0.28.1",
}


def counter(*values: float) -> Callable[[], float]:
    it: Iterator[float] = iter(values)
    return lambda: next(it)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.create(tmp_path / "j.jsonl", durable=False) as journal:
        yield journal


def client_for(
    journal: Journal,
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    timer: Callable[[], float] | None = None,
    max_body: int | None = None,
) -> httpx.Client:
    transport = JournalTransport(httpx.MockTransport(handler), journal, timer=timer or (lambda: 1.0), max_body=max_body)
    return httpx.Client(transport=transport)


def exchanges(journal: Journal) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if k not in ("seq", "ts", "prev", "kind")}
        for r in read_journal(journal.path)
        if r["kind"] == "http"
    ]


def test_records_the_whole_exchange(journal: Journal) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"key": 2251799813685249}, headers={"x-region": "0"})

    with client_for(journal, handler, timer=counter(10.0, 10.0425)) as client:
        response = client.post("http://gw:8080/v2/process-instances", json={"processDefinitionId": "order"})
    assert response.status_code == 201
    assert response.json() == {"key": 2251799813685249}
    assert response.elapsed.total_seconds() >= 0
    assert exchanges(journal) == [
        {
            "method": "POST",
            "url": "http://gw:8080/v2/process-instances",
            "request_headers": {
                "host": "gw:8080",
                **CLIENT_HEADERS,
                "content-length": "31",
                "content-type": "application/json",
            },
            "request_body": '{"processDefinitionId":"order"}',
            "status": 201,
            "response_headers": {
                "x-region": "0",
                "content-length": "24",
                "content-type": "application/json",
            },
            "response_body": '{"key":2251799813685249}',
            "duration_ms": 42.5,
        }
    ]


def test_streaming_client_still_reads_the_body(journal: Journal) -> None:
    with (
        client_for(journal, lambda request: httpx.Response(200, content=b"line1\nline2\n")) as client,
        client.stream("GET", "http://gw/logs") as response,
    ):
        assert list(response.iter_lines()) == ["line1", "line2"]
    assert exchanges(journal)[0]["response_body"] == "line1\nline2\n"


def test_transport_error_is_recorded_and_reraised(journal: Journal) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused")

    with (
        client_for(journal, handler, timer=counter(5.0, 5.003)) as client,
        pytest.raises(httpx.ConnectError, match="Connection refused"),
    ):
        client.get("http://127.0.0.11:9600/actuator/cluster")
    [exchange] = exchanges(journal)
    assert {k: exchange[k] for k in ("method", "url", "request_body", "duration_ms", "error")} == {
        "method": "GET",
        "url": "http://127.0.0.11:9600/actuator/cluster",
        "request_body": "",
        "duration_ms": 3.0,
        "error": {"type": "ConnectError", "message": "[Errno 111] Connection refused"},
    }
    assert "status" not in exchange


def test_error_while_reading_the_body_keeps_the_status(journal: Journal) -> None:
    class Torn(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"partial"
            raise httpx.ReadError("connection reset")

    with (
        client_for(journal, lambda request: httpx.Response(200, stream=Torn())) as client,
        pytest.raises(httpx.ReadError),
    ):
        client.get("http://es:9200/_cat/indices")
    [exchange] = exchanges(journal)
    assert (exchange["status"], exchange["error"]) == (200, {"type": "ReadError", "message": "connection reset"})


def test_basic_auth_header_is_redacted(journal: Journal) -> None:
    with client_for(journal, lambda request: httpx.Response(200)) as client:
        client.get("http://gw/v2/topology", auth=("demo", "demo"))
    assert exchanges(journal)[0]["request_headers"]["authorization"] == "Basic ***"
    assert "ZGVtbzpkZW1v" not in journal.path.read_text()


def test_binary_bodies_are_summarised(journal: Journal) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    with client_for(journal, lambda request: httpx.Response(200, content=png)) as client:
        response = client.put("http://x/blob", content=b"\xff\xfe\x00\x01")
    assert response.content == png
    exchange = exchanges(journal)[0]
    assert (exchange["request_body"], exchange["response_body"]) == ("<4 bytes binary>", "<264 bytes binary>")


def test_multipart_upload_is_summarised(journal: Journal) -> None:
    bpmn = b"<definitions>" + b"x" * 5000 + b"</definitions>"
    with client_for(journal, lambda request: httpx.Response(200, json={})) as client:
        client.post(
            "http://gw/v2/deployments",
            data={"tenantId": "<default>"},
            files={"resources": ("order.bpmn", bpmn, "application/xml")},
        )
    exchange = exchanges(journal)[0]
    length = int(exchange["request_headers"]["content-length"])
    assert exchange["request_body"] == f"<multipart/form-data: 2 parts, {length} bytes>"
    assert exchange["request_parts"] == [
        {"name": "tenantId", "bytes": 9, "value": "<default>"},
        {"name": "resources", "bytes": 5027, "filename": "order.bpmn", "content_type": "application/xml"},
    ]
    assert "xxxxxxxxxx" not in journal.path.read_text()


def test_bodies_are_trimmed_with_a_marker(journal: Journal) -> None:
    with client_for(journal, lambda request: httpx.Response(200, text="a" * 100), max_body=16) as client:
        response = client.post("http://x/", content="b" * 40)
    assert response.text == "a" * 100
    exchange = exchanges(journal)[0]
    assert exchange["response_body"] == "a" * 16 + "...[trimmed 84 bytes]"
    assert exchange["request_body"] == "b" * 16 + "...[trimmed 24 bytes]"


def test_compressed_response_is_recorded_decoded(journal: Journal) -> None:
    body = json.dumps({"status": "UP"}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=gzip.compress(body), headers={"content-encoding": "gzip"})

    with client_for(journal, handler) as client:
        response = client.get("http://x/actuator/health")
    assert response.json() == {"status": "UP"}
    assert exchanges(journal)[0]["response_body"] == '{"status": "UP"}'


def test_exchange_is_attributed_to_the_running_step(journal: Journal) -> None:
    with client_for(journal, lambda request: httpx.Response(204)) as client, journal.step("failback-3", "Pause"):
        client.post("http://x/actuator/exporting/pause")
    assert [r.get("step") for r in read_journal(journal.path) if r["kind"] == "http"] == ["failback-3"]


def test_oidc_token_exchange_is_redacted(journal: Journal) -> None:
    """The token request carries client_secret in its form; the answer carries the tokens."""
    client_secret = "cs-7Hq2Lw9xPz"
    access_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkcmlsbCJ9.c2lnbmF0dXJl"
    refresh_token = "rt-Q1w2E3r4T5"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(
                200,
                json={
                    "access_token": access_token,
                    "refresh_token": refresh_token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                },
            )
        return httpx.Response(200, json={"brokers": []})

    with client_for(journal, handler) as client:
        token = client.post(
            "http://kc/realms/camunda/protocol/openid-connect/token",
            data={"grant_type": "client_credentials", "client_id": "drill", "client_secret": client_secret},
        ).json()["access_token"]
        client.get("http://gw/v2/topology", headers={"Authorization": f"Bearer {token}"})
    text = journal.path.read_text()
    for secret in (client_secret, access_token, refresh_token, "eyJ"):
        assert secret not in text
    token_exchange, api_exchange = exchanges(journal)
    assert token_exchange["request_body"] == "grant_type=client_credentials&client_id=drill&client_secret=***"
    assert json.loads(token_exchange["response_body"]) == {
        "access_token": "***",
        "refresh_token": "***",
        "token_type": "Bearer",
        "expires_in": 300,
    }
    assert api_exchange["request_headers"]["authorization"] == "Bearer ***"
