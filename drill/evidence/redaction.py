"""Removing credentials from evidence before it is written.

The journal goes to auditors and into CI artefacts, so a credential that reaches it has leaked. The journal
applies `Redactor.redact` to every record itself (no writer can forget it), and the rules are deliberately
broad: a masked value that was harmless costs a little evidence, an unmasked secret costs a rotation.

What is recognised:
- structure: dict keys that name a secret (`password`, `clientSecret`, `access_token`, ...), HTTP header names
  in any `...headers` mapping, env entries `{"name": "X_PASSWORD", "value": ...}`;
- argument lists: `--set a.b.secret=v`, `--password v`, `-u user:pass`, helm `env[i].name=X_TOKEN` paired
  with `env[i].value=v`;
- free text: `Authorization: Bearer ...`, Basic credentials, URL userinfo, `key=value` pairs (query strings,
  form bodies, helm flags in a command line), JSON and Python-dict pairs, YAML `key: value` lines;
- literals registered with `add_secret`, wherever they appear (also URL- and JSON-escaped).

A masked value becomes `***` and its key stays, so the evidence still shows that a value was present.
Empty values (None, "") are kept: that a password was empty is a finding, not a secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LENGTH = 4
"""Shorter literals would shred unrelated evidence (every `id`, every `2026`) without protecting anything."""

_SECRET_SUFFIXES = ("password", "passwd", "secret", "token", "apikey", "credentials", "credential", "privatekey")
_AUTH_NAMES = frozenset({"authorization", "proxyauthorization", "cookie", "setcookie"})
_USER_FLAGS = frozenset({"-u", "--user", "--proxy-user"})
_EMPTY_YAML = frozenset({"~", "null", "''", '""', "{}", "[]"})


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@functools.lru_cache(maxsize=4096)  # a journal asks about the same few hundred keys tens of thousands of times
def is_sensitive_key(name: str) -> bool:
    """True for names of secrets in any spelling: `client_secret`, `clientSecret`, `X_PASSWORD`, `x-api-key`.

    Matching the end of the name (not any substring) keeps `tokenUrl`, `token_type` and `secretName` visible:
    they describe a secret without being one.
    """
    norm = _norm(name)
    return bool(norm) and (norm in _AUTH_NAMES or norm.endswith(_SECRET_SUFFIXES))


def is_sensitive_header(name: str) -> bool:
    """Header names are matched more broadly than keys: a custom `X-Token-Expiry` header is still masked."""
    low = name.lower()
    return is_sensitive_key(name) or "token" in low or "secret" in low


def _last_segment(key: str) -> str:
    parts = [p for p in re.split(r"[.\[\]]", key) if p]
    return parts[-1] if parts else key


def mask_value(key: str, value: Any) -> Any:
    """The masked form of `value` under `key`; an Authorization value keeps its scheme (`Basic ***`)."""
    if value is None or value == "":
        return value
    if isinstance(value, str):
        if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0]:
            return value[0] + mask_value(key, value[1:-1] or MASK) + value[0]
        if _norm(key) in {"authorization", "proxyauthorization"}:
            scheme = re.match(r"\s*([A-Za-z][\w-]*)\s+\S", value)
            if scheme:
                return f"{scheme.group(1)} {MASK}"
    return MASK


# Free-text rules, applied in order to every string. Each maps a match to its replacement and leaves `***`
# unchanged when run again, so redacting twice is harmless.
_AUTH_TEXT = re.compile(
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|digest|token|negotiate)\s+)?([^\s\"',;]+)"
)
# A token ends where token68 characters end; `Bearer tokenUrl=x` is a key=value pair, not a token.
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)(?![\w\-.~+/=])")
_BASIC = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/]{4,}={0,2})(?![\w+/=])")
# The lookbehinds keep these linear: without them a long run of letters is rescanned from every position.
_USERINFO = re.compile(r"(?<![A-Za-z0-9+.\-])([A-Za-z][A-Za-z0-9+.\-]*://[^\s/:@?#]*):([^\s/@?#]+)@")
_CURL_USER = re.compile(r"(?<!\S)(-u|--user|--proxy-user)(\s+|=)([\"']?)([^\s:\"']*):([^\s\"']+)")
_QUOTED_PAIR = re.compile(
    r"([\"'])([^\"'\\\n]{1,100})\1(\s*:\s*)"
    r"(\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|-?\d[\w.+-]*|true|false|True|False)"
)
_PAIR = re.compile(r"(?<![\w.\-\[\]%])([\w.\-\[\]]*[\w\]])=(\"[^\"]*\"|'[^']*'|[^&\s,;\"'<>]*)")
_YAML_LINE = re.compile(r"(?m)^([ \t]*(?:-[ \t]+)?)([\w.\-]+)([ \t]*:[ \t]+)(\S[^\n]*)$")

# Argument-list rules: an element is one argument, so a value may hold spaces and runs to the end (or to the
# next unescaped comma, which separates helm `--set a=1,b=2` pairs).
_FLAG_EQ = re.compile(r"^(--?\w[\w-]*)=(.*)$", re.S)
_PAIR_START = re.compile(r"^([\w.\-\[\]/]+)=")
_HELM_SEPARATOR = re.compile(r"(?<!\\),")
_FORM = re.compile(r"^[\w.%\-\[\]]+=[^&]*(?:&[\w.%\-\[\]]+=[^&]*)+$")


def _sub_auth(m: re.Match[str]) -> str:
    return m.group(1) + (m.group(2) or "") + MASK


def _sub_basic(m: re.Match[str]) -> str:
    try:
        decoded = base64.b64decode(m.group(2), validate=True)
    except (binascii.Error, ValueError):
        return m.group(0)
    return m.group(1) + MASK if b":" in decoded else m.group(0)


def _sub_quoted_pair(m: re.Match[str]) -> str:
    quote_char, key, colon, value = m.groups()
    if not is_sensitive_key(key) or value in ('""', "''"):
        return m.group(0)
    masked = mask_value(key, value) if value[0] in "\"'" else f'"{MASK}"'
    return f"{quote_char}{key}{quote_char}{colon}{masked}"


def _sub_pair(m: re.Match[str]) -> str:
    key, value = m.groups()
    if not value or not is_sensitive_key(_last_segment(key)):
        return m.group(0)
    return f"{key}={mask_value(key, value)}"


def _sub_yaml(m: re.Match[str]) -> str:
    indent, key, colon, line_rest = m.groups()
    value = line_rest.rstrip(" \t")
    if not is_sensitive_key(key) or value in _EMPTY_YAML:
        return m.group(0)
    return f"{indent}{key}{colon}{mask_value(key, value)}{line_rest[len(value) :]}"


# Each rule with what any match of it must contain (in the text, and in the text lowered): most strings of a
# journal (ids, states, URLs, JSON without a secret-shaped pair) contain none of it, and a substring test is
# far cheaper than a regex scan. Replacements only add `***`, so what a later rule needs is never created.
# The last three mask a value only under a key that `is_sensitive_key` names; such a key's letters stand together
# in the text once everything but letters and digits is removed, so a text where none of those words does
# (`_may_name_a_secret`) is left to them untouched: a 4 KB topology answer has hundreds of `"key": value` pairs.
_TEXT_RULES: tuple[
    tuple[re.Pattern[str], str | Callable[[re.Match[str]], str], Callable[[str, str], bool], bool], ...
] = (
    (_AUTH_TEXT, _sub_auth, lambda text, low: "authorization" in low, False),
    (_BEARER, rf"\g<1>{MASK}", lambda text, low: "bearer" in low, False),
    (_BASIC, _sub_basic, lambda text, low: "basic" in low, False),
    (_USERINFO, rf"\g<1>:{MASK}@", lambda text, low: "://" in text and "@" in text, False),
    (_CURL_USER, rf"\g<1>\g<2>\g<3>\g<4>:{MASK}", lambda text, low: "-u" in text, False),
    (_QUOTED_PAIR, _sub_quoted_pair, lambda text, low: ":" in text and ('"' in text or "'" in text), True),
    (_PAIR, _sub_pair, lambda text, low: "=" in text, True),
    (_YAML_LINE, _sub_yaml, lambda text, low: ":" in text, True),
)
_SECRET_KEY_WORDS = (*_SECRET_SUFFIXES, *sorted(_AUTH_NAMES))
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _may_name_a_secret(low: str) -> bool:
    squashed = _NOT_ALNUM.sub("", low)
    return any(word in squashed for word in _SECRET_KEY_WORDS)


# Short strings repeat (keys, states, ids): their redaction is remembered until a secret literal is added.
_CACHED_TEXT_LENGTH = 256
_CACHE_ENTRIES = 8192


class Redactor:
    """Masks credentials in JSON-like values; thread-safe, and never mutates what it is given."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._literals: set[str] = set()
        self._literal_re: re.Pattern[str] | None = None
        self._cache: dict[str, str] = {}
        self._generation = 0  # grows with every secret added
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, value: str) -> None:
        """Mask `value` wherever it appears from now on (also percent- and JSON-escaped).

        Raises ValueError for literals shorter than MIN_SECRET_LENGTH rather than silently not protecting them.
        """
        if len(value) < MIN_SECRET_LENGTH:
            raise ValueError(f"a registered secret must have at least {MIN_SECRET_LENGTH} characters")
        forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
        forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
        with self._lock:
            self._literals |= forms
            ordered = sorted(self._literals, key=lambda s: (-len(s), s))
            self._literal_re = re.compile("|".join(re.escape(s) for s in ordered))
            self._cache = {}  # a string redacted before may hold the new secret
            self._generation += 1

    def redact(self, value: Any) -> Any:
        """A redacted copy of a JSON-like value (dicts, lists, tuples, strings; other leaves are kept)."""
        return self._walk(value, headers=False)

    def redact_text(self, text: str) -> str:
        """Apply the free-text rules and the registered literals to one string."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        original, generation = text, self._generation
        text = self._strip_literals(text)
        low = text.lower()
        keys: bool | None = None  # whether a sensitive key could be named here, worked out when first needed
        for pattern, replacement, applies, needs_key in _TEXT_RULES:
            if not applies(text, low):
                continue
            if needs_key:
                keys = _may_name_a_secret(low) if keys is None else keys
                if not keys:
                    continue
            text = pattern.sub(replacement, text)
        text = self._strip_literals(text)
        if len(original) <= _CACHED_TEXT_LENGTH and len(self._cache) < _CACHE_ENTRIES:
            with self._lock:  # not if a secret was added meanwhile: this result may not mask it
                if generation == self._generation:
                    self._cache[original] = text
        return text

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """A copy of an HTTP header mapping with credential-bearing headers masked."""
        return self._walk_dict(headers, headers=True)

    def _strip_literals(self, text: str) -> str:
        literal_re = self._literal_re
        if literal_re is None:
            return text
        # Repeat until stable: a replacement can join surrounding text into a new occurrence (`ab` + `ab**`).
        while True:
            replaced = literal_re.sub(MASK, text)
            if replaced == text:
                return text
            text = replaced

    def _walk(self, value: Any, *, headers: bool) -> Any:
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, dict | Mapping):  # dict first: its check is fast, the ABC's is not
            return self._walk_dict(value, headers=headers)
        if isinstance(value, list | tuple):
            return self._walk_list(value, headers=headers)
        return value

    def _walk_dict(self, mapping: Mapping[Any, Any], *, headers: bool) -> dict[Any, Any]:
        name = mapping.get("name")
        env_secret = isinstance(name, str) and "value" in mapping and is_sensitive_key(name)
        out: dict[Any, Any] = {}
        for key, value in mapping.items():
            if not isinstance(key, str):
                out[key] = self._walk(value, headers=False)
                continue
            if env_secret and key == "value":
                out[key] = mask_value(str(name), value)
            elif is_sensitive_key(key) or (headers and is_sensitive_header(key)):
                out[self.redact_text(key)] = mask_value(key, value)
            else:
                out[self.redact_text(key)] = self._walk(value, headers=key.lower().endswith("headers"))
        return out

    def _walk_list(self, items: list[Any] | tuple[Any, ...], *, headers: bool) -> list[Any]:
        strings = [self._strip_literals(item) for item in items if isinstance(item, str)]
        env_prefixes = _secret_env_prefixes(strings)
        out: list[Any] = []
        previous: str | None = None
        for item in items:
            if isinstance(item, str):
                argument = self._strip_literals(item)
                out.append(self.redact_text(_redact_argument(argument, previous, env_prefixes)))
                previous = argument
                continue
            previous = None
            if headers and isinstance(item, list | tuple) and len(item) == 2 and isinstance(item[0], str):
                name, value = item
                if is_sensitive_header(name):
                    out.append([self.redact_text(name), mask_value(name, value)])
                    continue
            out.append(self._walk(item, headers=headers))
        return out


def _pairs(argument: str) -> Iterable[tuple[str, str]]:
    for segment in _HELM_SEPARATOR.split(argument.partition("=")[2] if _FLAG_EQ.match(argument) else argument):
        m = _PAIR_START.match(segment)
        if m:
            yield m.group(1), segment[m.end() :]


def _secret_env_prefixes(arguments: Iterable[str]) -> set[str]:
    """Prefixes `p` of helm pairs `p.name=X_PASSWORD`: their `p.value=...` sibling holds the secret."""
    return {
        key.removesuffix(".name")
        for argument in arguments
        for key, value in _pairs(argument)
        if key.endswith(".name") and is_sensitive_key(value)
    }


def _is_secret_pair_key(key: str, env_prefixes: set[str]) -> bool:
    if is_sensitive_key(_last_segment(key)):
        return True
    return key.endswith(".value") and key.removesuffix(".value") in env_prefixes


def _redact_pairs(argument: str, env_prefixes: set[str]) -> str:
    """Mask the values of secret keys in `a=1,b.password=x` (one helm `--set` argument)."""
    if not _PAIR_START.match(argument) or _FORM.match(argument):
        return argument
    out: list[str] = []
    masking = False
    for segment in _HELM_SEPARATOR.split(argument):
        m = _PAIR_START.match(segment)
        if m:
            masking = _is_secret_pair_key(m.group(1), env_prefixes)
            out.append(f"{m.group(1)}={MASK}" if masking and segment[m.end() :] else segment)
        elif not masking:
            out.append(segment)
    return ",".join(out)


def _redact_argument(argument: str, previous: str | None, env_prefixes: set[str]) -> str:
    """One element of an argument list, knowing the element before it (`--password` `x`, `-u` `user:pass`)."""
    if previous is not None:
        if previous in _USER_FLAGS:
            user, sep, password = argument.partition(":")
            return f"{user}:{MASK}" if sep and password else argument
        if previous.startswith("-") and "=" not in previous and is_sensitive_key(previous):
            return MASK if argument else argument
    flag = _FLAG_EQ.match(argument)
    if flag:
        name, rest = flag.groups()
        if is_sensitive_key(name):
            return f"{name}={MASK}" if rest else argument
        if name in _USER_FLAGS:
            user, sep, password = rest.partition(":")
            return f"{name}={user}:{MASK}" if sep and password else argument
        return f"{name}={_redact_pairs(rest, env_prefixes)}"
    return _redact_pairs(argument, env_prefixes)
