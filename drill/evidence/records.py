"""Turning arbitrary Python values into the JSON a journal line holds, and bounding its size.

Writers hand the journal whatever they have (paths, bytes, tuples, datetimes, exceptions); the journal must
never fail to write evidence because a value is not JSON, and must write the same bytes for the same value so
the hash chain is reproducible. Hence one normalisation step before redaction, and a byte bound after it (after,
so a cut can never leave the prefix of a secret that redaction would no longer recognise).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

DEFAULT_MAX_BODY = 16 * 1024
"""Longest string (in UTF-8 bytes) kept whole in a record; longer ones are cut and marked."""

TEXT_PART_LIMIT = 1024
"""A multipart field without a filename and at most this many bytes is recorded by value (it is a parameter)."""


def iso_utc(ts: datetime) -> str:
    """The record timestamp: UTC, microseconds, trailing Z. A naive datetime is refused, not guessed at."""
    if ts.tzinfo is None:
        raise ValueError(f"journal clock returned a naive datetime {ts!r}; it must be timezone-aware")
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of `value` (never the caller's object), deterministic for equal inputs."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Mapping):
        return {str(to_json(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_json(v) for v in value), key=repr)
    if isinstance(value, bytes | bytearray | memoryview):
        return describe_bytes(bytes(value))
    if isinstance(value, datetime):
        return iso_utc(value) if value.tzinfo is not None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    return str(value)


def describe_bytes(data: bytes) -> str:
    """Text when the bytes are UTF-8 text, otherwise only their size: binary is noise to an auditor."""
    if not data:
        return ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(data)} bytes binary>"
    return f"<{len(data)} bytes binary>" if "\x00" in text else text


def trim_text(text: str, max_bytes: int) -> str:
    """Cut `text` to `max_bytes` UTF-8 bytes (never inside a character) and say how many bytes were cut."""
    encoded = text.encode("utf-8", errors="surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    cut = max_bytes
    while cut > 0 and encoded[cut] & 0xC0 == 0x80:  # a continuation byte: the cut would split a character
        cut -= 1
    kept = encoded[:cut].decode("utf-8", errors="surrogatepass")
    return f"{kept}...[trimmed {len(encoded) - cut} bytes]"


def trim_strings(value: Any, max_bytes: int) -> Any:
    """Apply `trim_text` to every string value in a JSON structure (keys are left whole)."""
    if isinstance(value, str):
        return trim_text(value, max_bytes)
    if isinstance(value, dict):
        return {k: trim_strings(v, max_bytes) for k, v in value.items()}
    if isinstance(value, list):
        return [trim_strings(v, max_bytes) for v in value]
    return value


_PARAM = re.compile(r'(?i);\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def header_params(value: str) -> dict[str, str]:
    """The `; name=value` parameters of a header such as Content-Type or Content-Disposition."""
    return {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(value)}


def multipart_parts(body: bytes, content_type: str) -> list[dict[str, Any]]:
    """One entry per part (name, filename, content type, size): what was uploaded, without dumping the file.

    Small text fields without a filename keep their value, because they are parameters the auditor needs
    (a tenant id, a flag); the redactor sees them as `{"name": ..., "value": ...}` like any env entry.
    """
    boundary = header_params(content_type).get("boundary")
    if not boundary:
        return []
    parts: list[dict[str, Any]] = []
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").split("\r\n"):
            name, sep, val = line.partition(":")
            if sep:
                headers[name.strip().lower()] = val.strip()
        disposition = header_params(headers.get("content-disposition", ""))
        part: dict[str, Any] = {"name": disposition.get("name"), "bytes": len(content)}
        if "filename" in disposition:
            part["filename"] = disposition["filename"]
        if "content-type" in headers:
            part["content_type"] = headers["content-type"]
        if "filename" not in disposition and len(content) <= TEXT_PART_LIMIT:
            part["value"] = describe_bytes(content)
        parts.append(part)
    return parts
