"""Property: a secret planted anywhere in an arbitrary nested record never appears in the written line.

Two families: registered literals (any text, any position, also as a dict key) and unregistered secrets that
only their context identifies (a secret key, env entry, helm flag, URL, form, header, JSON text).
Filler strings never contain the secret (see each strategy), so any occurrence in the file is a leak.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drill.evidence import Journal, Redactor, read_journal

PROPERTY = settings(max_examples=150, deadline=None)

# Filler never contains "§" (literal secrets start with it) and is shorter than any unregistered secret.
FILLER_TEXT = st.text(alphabet=st.characters(exclude_characters="§", codec="utf-8"), max_size=8)
SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | FILLER_TEXT
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(FILLER_TEXT, children, max_size=4),
    max_leaves=15,
)
SECRET_WORDS = [
    "password", "passwd", "secret", "token", "access_token", "refresh_token", "id_token",
    "client_secret", "api_key", "apikey", "credentials", "private_key",
]  # fmt: skip

Planter = Callable[[Any], Any]


def camel(word: str) -> str:
    head, *rest = word.split("_")
    return head + "".join(part.title() for part in rest)


SPELLINGS = st.sampled_from([str.lower, str.upper, camel, lambda w: w.replace("_", "-"), str.title])
SECRET_KEYS = st.builds(lambda word, spell: spell(word), st.sampled_from(SECRET_WORDS), SPELLINGS)


@st.composite
def planted(draw: st.DrawFn, structure: Any, leaf: Any, *, as_entry: tuple[str, Any] | None = None) -> Any:
    """A copy of `structure` with `leaf` put at a random depth (or `as_entry` added to a random dict)."""
    if isinstance(structure, dict) and structure and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(structure)))
        return {**structure, key: draw(planted(structure[key], leaf, as_entry=as_entry))}
    if isinstance(structure, list) and structure and draw(st.booleans()):
        i = draw(st.integers(0, len(structure) - 1))
        return [*structure[:i], draw(planted(structure[i], leaf, as_entry=as_entry)), *structure[i + 1 :]]
    if as_entry is not None:
        return {**structure, as_entry[0]: as_entry[1]} if isinstance(structure, dict) else {as_entry[0]: as_entry[1]}
    if isinstance(structure, list):
        i = draw(st.integers(0, len(structure)))
        return [*structure[:i], leaf, *structure[i:]]
    if isinstance(structure, dict):
        return {**structure, draw(FILLER_TEXT): leaf}
    return [structure, leaf]


def strings_of(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def write_and_read(record: Any, redactor: Redactor) -> tuple[str, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "j.jsonl"
        with Journal.create(path, redactor=redactor, durable=False) as journal:
            journal.append("x", data=record)
        return path.read_text("utf-8"), read_journal(path)[1]


def assert_not_leaked(secret: str, text: str, record: dict[str, Any]) -> None:
    assert secret not in text
    assert json.dumps(secret, ensure_ascii=False)[1:-1] not in text
    assert not [s for s in strings_of(record) if secret in s]


@PROPERTY
@given(
    structure=STRUCTURES,
    secret=st.text(alphabet=st.characters(codec="utf-8"), min_size=3, max_size=12).map("§".__add__),
    prefix=FILLER_TEXT,
    suffix=FILLER_TEXT,
    as_key=st.booleans(),
    data=st.data(),
)
def test_registered_literal_never_leaks(
    structure: Any, secret: str, prefix: str, suffix: str, as_key: bool, data: st.DataObject
) -> None:
    text = prefix + secret + suffix
    entry = (text, data.draw(SCALARS)) if as_key else None
    record = data.draw(planted(structure, text, as_entry=entry))
    written, read_back = write_and_read(record, Redactor([secret]))
    assert_not_leaked(secret, written, read_back)


def contextual(secret: str, key: str) -> st.SearchStrategy[tuple[str, Any]]:
    """(how, fragment): a fragment holding `secret` that only its surroundings mark as secret."""
    last = camel(key.replace("-", "_"))
    env_name = key.upper().replace("-", "_")
    param = last if last in ("token", "accessToken") else "access_token"
    return st.sampled_from(
        [
            ("key", {key: secret}),
            ("env", {"name": f"APP_{env_name}", "value": secret}),
            ("helm", ["helm", "upgrade", "--set", f"global.a.{last}={secret}"]),
            ("helm-env", ["--set", f"e[3].name=X_{env_name}", "--set", f"e[3].value={secret}"]),
            ("flag", ["cmd", f"--{key.replace('_', '-')}", secret]),
            ("userinfo", f"http://elastic:{secret}@es:9200/_snapshot"),
            ("query", f"http://kc/cb?state=1&{param}={secret}&x=2"),
            ("form", f"grant_type=client_credentials&client_secret={secret}&scope=x"),
            ("authz", f"curl -H 'Authorization: Bearer {secret}' http://gw/v2/topology"),
            ("basic-user", ["curl", "-u", f"demo:{secret}", "http://gw"]),
            ("basic-user-text", f"curl -u demo:{secret} http://gw/v2/topology"),
            ("header", {"request_headers": {f"X-{key}": secret}}),
            ("json-text", {"body": json.dumps({"outer": {key: secret}})}),
            ("yaml-text", f"identity:\n  {key}: {secret}\n"),
        ]
    )


@PROPERTY
@given(
    structure=STRUCTURES,
    secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=8, max_size=16),
    key=SECRET_KEYS,
    data=st.data(),
)
def test_contextual_secret_never_leaks(structure: Any, secret: str, key: str, data: st.DataObject) -> None:
    secret = "Zq9" + secret  # longer than any filler string, and not hex, digits or a timestamp
    _how, fragment = data.draw(contextual(secret, key))
    record = data.draw(planted(structure, fragment))
    written, read_back = write_and_read(record, Redactor())
    assert_not_leaked(secret, written, read_back)
