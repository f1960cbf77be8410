"""How the concerns judge what they read: values that must catch up within a bound, and the legacy exporter pair."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from drill.api.errors import TransportError
from drill.readiness.observations import catch_up, legacy_pair


class Reads:
    """Each call answers the next of `answers` (an exception is raised); the last one repeats."""

    def __init__(self, *answers: Mapping[str, int | None] | Exception) -> None:
        self.answers, self.calls = answers, 0

    def __call__(self) -> Mapping[str, int | None]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_values_that_catch_up_within_the_bound_are_not_behind() -> None:
    read = Reads({"a": 1, "b": None}, {"a": 3, "b": 2}, {"a": 5, "b": 9})
    assert catch_up({"a": 4, "b": 2}, read, what="documents", timeout=5.0) == {}
    assert read.calls == 3


def test_a_transient_read_error_is_not_yet_and_the_last_values_seen_are_what_is_behind() -> None:
    blip = TransportError("GET http://es1:9200/_cat/indices", "HTTP 200", "refused", kind="ConnectError")
    read = Reads({"a": 1}, blip, {"a": 2})
    assert catch_up({"a": 4, "b": 1}, read, what="documents", timeout=0.2) == {
        "a": (2, 4),
        "b": (None, 1),
    }


@pytest.mark.parametrize(
    ("statuses", "paired"),
    [
        ({}, True),
        ({"elasticsearchregion0": "DISABLED", "elasticsearchregion1": "DISABLED"}, True),
        ({"elasticsearchregion0": "DISABLED"}, True),
        ({"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "ENABLED"}, True),
        ({"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "DISABLED"}, False),
        ({"elasticsearchregion1": "ENABLED"}, False),
        ({"elasticsearchregion0": "ENABLED", "elasticsearchregion1": "CONFIG_NOT_FOUND"}, False),
    ],
)
def test_legacy_exporters_must_be_a_pair_or_ignored(statuses: dict[str, str], paired: bool) -> None:
    listed, ok = legacy_pair({"camundaregion0": "ENABLED", "camundaregion1": "ENABLED", **statuses})
    assert (listed, ok) == (statuses, paired)
