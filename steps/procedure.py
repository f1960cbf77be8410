"""The procedure's own words as steps: every Given is a row of a step's current state, every Then a row of its
desired state, every When its action, generated from drill.procedure so the feature files cannot drift from the
code that checks them (tests/features checks the other direction: every row is in a feature file).

Each Given runs the stage's current-state checks once (the first Given runs them; the rest confirm the same
verdict) and fails naming every check that did not hold; Then does the same with the desired state.
"""

from __future__ import annotations

from pytest_bdd import given, then, when

from drill.drill_session import DrillSession
from drill.procedure.params import VARIANTS
from drill.procedure.stages import MODES, drill_sequence


def current_state_holds(drill: DrillSession) -> None:
    drill.current()


def action_is_done(drill: DrillSession) -> None:
    drill.act()


def desired_state_holds(drill: DrillSession) -> None:
    drill.desired()


def _rows() -> tuple[set[str], set[str], set[str]]:
    givens: set[str] = set()
    whens: set[str] = set()
    thens: set[str] = set()
    for variant in VARIANTS:
        for step in (step for mode in MODES for step in drill_sequence(variant, mode)):
            givens.update(step.current_state)
            thens.update(step.desired_state)
            if step.when:
                whens.add(step.when)
    return givens, whens, thens


GIVENS, WHENS, THENS = _rows()
for _text in sorted(GIVENS):
    given(_text)(current_state_holds)
for _text in sorted(WHENS):
    when(_text)(action_is_done)
for _text in sorted(THENS):
    then(_text)(desired_state_holds)
