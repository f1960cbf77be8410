"""The drill's marker instances, in words with numbers and region roles."""

from __future__ import annotations

from pytest_bdd import parsers, when

from drill.drill_session import DrillSession
from drill.procedure.continuity import WriteMarkers
from drill.procedure.stages import BEFORE_LOSS, FAILOVER
from steps.parsers import PARSE_TYPES

MARKER_STAGES = {"steady-before": BEFORE_LOSS, "failover-markers": FAILOVER}


class typed(parsers.cfparse):
    """cfparse whose parse types may refuse a value: the refusal (which says what was expected) reaches the
    operator instead of pytest-bdd's "step definition is not found" (is_matching turns a ValueError into no match).
    """

    def is_matching(self, name: str) -> bool:
        return bool(self.parser.parse(name))


@when(
    typed(
        "the drill writes {count:Count} uniquely tagged marker instances through the {role:Role} region's gateway",
        extra_types=PARSE_TYPES,
    )
)
def write_markers(drill: DrillSession, count: int, role: str) -> None:
    stage = drill.current_stage
    if stage not in MARKER_STAGES:
        raise ValueError(f"Expected markers to be written in {' or '.join(MARKER_STAGES)}, not in {stage}")
    drill.act([WriteMarkers(count, MARKER_STAGES[stage], via=role)])
