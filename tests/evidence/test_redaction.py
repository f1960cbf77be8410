"""Credentials never reach the journal file: each planted secret is searched for in the raw bytes written.

Unit tests pin the exact masked form for each rule; the journal tests check the file, because the file is
what leaks.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from drill.evidence import Journal, Redactor

SECRET = "s3cr3t-Planted-9f2"


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


FREE_TEXT = [
    ("curl -H 'Authorization: Bearer eyJhbGciOi.x.y' http://h", "curl -H 'Authorization: Bearer ***' http://h"),
    ("Authorization: Basic ZGVtbzpkZW1v", "Authorization: Basic ***"),
    ('"authorization": "Token abc123"', '"authorization": "Token ***"'),
    ("got bearer eyJhbGciOiJIUzI1NiJ9 from cache", "got bearer *** from cache"),
    ("header was Basic ZGVtbzpkZW1v today", "header was Basic *** today"),
    ("basic authentication is enabled", "basic authentication is enabled"),
    ("GET http://admin:hunter2@es:9200/_cat", "GET http://admin:***@es:9200/_cat"),
    ("http://es:9200/_cat?format=json", "http://es:9200/_cat?format=json"),
    ("/cb?code=1&access_token=abc.def&state=x", "/cb?code=1&access_token=***&state=x"),
    ("/cb?token=abc&client_secret=zz", "/cb?token=***&client_secret=***"),
    (
        "grant_type=client_credentials&client_id=drill&client_secret=cs1",
        "grant_type=client_credentials&client_id=drill&client_secret=***",
    ),
    (
        "helm upgrade --set identity.secret=abc,a.b=1 --set-string x.password='p w'",
        "helm upgrade --set identity.secret=***,a.b=1 --set-string x.password='***'",
    ),
    ("a.b.clientSecret=abc", "a.b.clientSecret=***"),
    ("curl -u demo:demo http://h", "curl -u demo:*** http://h"),
    (
        '{"access_token":"eyJ","token_type":"Bearer","expires_in":300}',
        '{"access_token":"***","token_type":"Bearer","expires_in":300}',
    ),
    ("{'password': 'x1', 'user': 'u'}", "{'password': '***', 'user': 'u'}"),
    ('{"api_key": 12345, "password": ""}', '{"api_key": "***", "password": ""}'),
    (
        'auth:\n  password: hunter2\n  tokenUrl: http://kc\n  - secret: "x"\n',
        'auth:\n  password: ***\n  tokenUrl: http://kc\n  - secret: "***"\n',
    ),
    ("DB_PASSWORD=hunter2 ./run", "DB_PASSWORD=*** ./run"),
    (
        "token_type=Bearer tokenUrl=http://kc secretName=camunda",
        "token_type=Bearer tokenUrl=http://kc secretName=camunda",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FREE_TEXT)
def test_free_text_rules(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected
    assert redactor.redact_text(expected) == expected  # idempotent


def test_keys_are_masked_case_insensitively_and_kept(redactor: Redactor) -> None:
    value = {
        "Password": "p",
        "clientSecret": "c",
        "ACCESS_TOKEN": "a",
        "refresh-token": "r",
        "id_token": "i",
        "apiKey": "k",
        "credentials": {"user": "u", "pass": "p"},
        "private_key": "-----BEGIN",
        "passwd": "x",
        "token_type": "Bearer",
        "secretName": "camunda-credentials",
        "password_empty": None,
        "nested": [{"token": "t"}],
    }
    assert redactor.redact(value) == {
        "Password": "***",
        "clientSecret": "***",
        "ACCESS_TOKEN": "***",
        "refresh-token": "***",
        "id_token": "***",
        "apiKey": "***",
        "credentials": "***",
        "private_key": "***",
        "passwd": "***",
        "token_type": "Bearer",
        "secretName": "camunda-credentials",
        "password_empty": None,
        "nested": [{"token": "***"}],
    }


def test_headers_mappings_use_header_rules(redactor: Redactor) -> None:
    value = {
        "request_headers": {
            "authorization": "Basic ZGVtbzpkZW1v",
            "Proxy-Authorization": "Bearer abc",
            "cookie": "session=1",
            "x-api-key": "k",
            "X-Auth-Token-Expiry": "k",
            "x-client-secret-id": "k",
            "content-type": "application/json",
        },
        "response_headers": [["set-cookie", "sid=2"], ["etag", "W/1"]],
        "tokenUrl": "http://kc/token",
    }
    assert redactor.redact(value) == {
        "request_headers": {
            "authorization": "Basic ***",
            "Proxy-Authorization": "Bearer ***",
            "cookie": "***",
            "x-api-key": "***",
            "X-Auth-Token-Expiry": "***",
            "x-client-secret-id": "***",
            "content-type": "application/json",
        },
        "response_headers": [["set-cookie", "***"], ["etag", "W/1"]],
        "tokenUrl": "http://kc/token",
    }
    assert redactor.redact_headers({"Cookie": "a=b", "Accept": "*/*"}) == {"Cookie": "***", "Accept": "*/*"}


def test_env_arrays(redactor: Redactor) -> None:
    env = [
        {"name": "ZEEBE_BROKER_CLUSTER_SIZE", "value": "8"},
        {"name": "ES_PASSWORD", "value": "p"},
        {"name": "OIDC_CLIENT_SECRET", "value": "c"},
        {"name": "GITHUB_TOKEN", "value": "t"},
        {"name": "X_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
    ]
    assert redactor.redact({"env": env}) == {
        "env": [
            {"name": "ZEEBE_BROKER_CLUSTER_SIZE", "value": "8"},
            {"name": "ES_PASSWORD", "value": "***"},
            {"name": "OIDC_CLIENT_SECRET", "value": "***"},
            {"name": "GITHUB_TOKEN", "value": "***"},
            {"name": "X_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
        ]
    }


def test_argument_lists(redactor: Redactor) -> None:
    argv = [
        "helm", "upgrade", "camunda", "camunda/camunda-platform",
        "--set", "identity.secret=abc,global.replicas=2",
        "--set-string", "x.password=with space",
        "--set=a.b.clientSecret=abc",
        "--set", "orchestration.env[6].name=CAMUNDA_DATABASE_PASSWORD",
        "--set", "orchestration.env[6].value=pw",
        "--set", "orchestration.env[7].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",
        "--set", "orchestration.env[7].value=false",
        "--password", "p1", "--client-secret=p2", "-u", "demo:demo", "--from-literal=token=t1",
        "-H", "Authorization: Bearer abcdefghijkl",
    ]  # fmt: skip
    assert redactor.redact(argv) == [
        "helm", "upgrade", "camunda", "camunda/camunda-platform",
        "--set", "identity.secret=***,global.replicas=2",
        "--set-string", "x.password=***",
        "--set=a.b.clientSecret=***",
        "--set", "orchestration.env[6].name=CAMUNDA_DATABASE_PASSWORD",
        "--set", "orchestration.env[6].value=***",
        "--set", "orchestration.env[7].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",
        "--set", "orchestration.env[7].value=false",
        "--password", "***", "--client-secret=***", "-u", "demo:***", "--from-literal=token=***",
        "-H", "Authorization: Bearer ***",
    ]  # fmt: skip


def test_registered_literals_are_masked_everywhere(redactor: Redactor) -> None:
    redactor.add_secret("pa ss/wörd")
    value = {"k pa ss/wörd": ["xpa ss/wördy", "pa%20ss%2Fw%C3%B6rd", "pa+ss%2Fw%C3%B6rd", "pa ss/w\\u00f6rd"]}
    assert redactor.redact(value) == {"k ***": ["x***y", "***", "***", "***"]}


def test_short_literals_are_refused(redactor: Redactor) -> None:
    with pytest.raises(ValueError, match="at least 4 characters"):
        redactor.add_secret("abc")


def test_literal_masking_reaches_a_fixpoint() -> None:
    # "abab**" -> "ab***", which contains "ab**" again -> "****".
    assert Redactor(["ab**"]).redact_text("abab**") == "****"
    assert "ab**" not in Redactor(["ab**"]).redact_text("abab**ab**")


def test_redaction_does_not_mutate_the_input(redactor: Redactor) -> None:
    value: dict[str, Any] = {"password": "p", "argv": ["--set", "a.token=t"], "h": ("x", {"secret": "s"})}
    before = copy.deepcopy(value)
    redactor.redact(value)
    assert value == before


def test_nothing_planted_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    redactor = Redactor()
    redactor.add_secret("LITERAL-" + SECRET)
    with Journal.create(path, redactor=redactor, durable=False) as journal:
        journal.append("http", request_headers={"Authorization": f"Bearer {SECRET}1"})
        journal.append("http", response_body=f'{{"access_token": "{SECRET}2"}}', parsed={"client_secret": SECRET + "3"})
        journal.append("k8s", spec={"containers": [{"env": [{"name": "ES_PASSWORD", "value": SECRET + "4"}]}]})
        journal.command(
            argv=["helm", "upgrade", "--set", f"identity.secret={SECRET}5"], exit_code=0, stdout="", stderr="",
            duration_s=0.1,
        )  # fmt: skip
        journal.note("connect", url=f"http://elastic:{SECRET}6@es:9200/?token={SECRET}7")
        journal.append("http", request_body=f"grant_type=client_credentials&client_secret={SECRET}8")
        journal.note(f"log: sent 'Authorization: Basic {SECRET}9' to gateway")
        journal.note("unrelated", deployment={"description": f"uses LITERAL-{SECRET} somewhere"})
    text = path.read_text("utf-8")
    assert SECRET not in text
    assert text.count("***") == 10


def test_a_secret_added_later_is_masked_in_text_redacted_before() -> None:
    """Redacted short strings are remembered; adding a secret must forget them, or the new secret would pass."""
    redactor = Redactor()
    text = "login as drill-operator-7 done"
    assert redactor.redact_text(text) == text
    assert redactor.redact({"message": text}) == {"message": text}

    redactor.add_secret("drill-operator-7")

    assert redactor.redact_text(text) == "login as *** done"
    assert redactor.redact({"message": text}) == {"message": "login as *** done"}
