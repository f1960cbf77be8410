"""Parse types for the feature files' numbers and regions, with errors that say what was expected."""

from __future__ import annotations

import parse

ROLE_WORDS = {"lost": "lost", "recreated": "lost", "surviving": "surviving"}


@parse.with_pattern(r"\w+")
def region_role(text: str) -> str:
    """A region by its part in the drill (lost, recreated, surviving): the feature never hard-codes 0 or 1."""
    role = ROLE_WORDS.get(text.lower())
    if role is None:
        raise ValueError(f"Expected a region role ({', '.join(ROLE_WORDS)}), got {text!r}")
    return role


@parse.with_pattern(r"-?\d+")
def count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"Expected a count of at least 1, got {value}")
    return value


PARSE_TYPES = {"Role": region_role, "Count": count}
