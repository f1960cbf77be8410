"""The step library: the parse types for regions and counts, and one step definition for every row of the procedure
(so no Given, When or Then line of a feature file is left without code, and none is matched twice)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from pytest_bdd.parser import FeatureParser
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from drill.procedure.params import VARIANTS
from drill.procedure.stages import MODES, drill_sequence
from steps import markers, procedure
from steps.parsers import PARSE_TYPES, count, region_role

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"
MARKERS_LINE = "the drill writes {n} uniquely tagged marker instances through the {role} region's gateway"


def _definitions() -> list[StepFunctionContext]:
    """The step definitions of the step library (the registry also holds other modules' steps)."""
    return [
        context
        for context in step_function_context_registry.values()
        if context.step_func.__module__ in (procedure.__name__, markers.__name__)
    ]


def _markers_step() -> StepFunctionContext:
    (context,) = [c for c in _definitions() if c.step_func is markers.write_markers]
    return context


# -- parse types ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("lost", "lost"),
        ("surviving", "surviving"),
        ("recreated", "lost"),  # the recreated region is the lost one, back
        ("Lost", "lost"),
        ("SURVIVING", "surviving"),
        ("Recreated", "lost"),
    ],
)
def test_a_role_word_names_the_lost_or_the_surviving_region(word: str, role: str) -> None:
    assert region_role(word) == role


@pytest.mark.parametrize("word", ["0", "1", "region0", "failed", "primary", ""])
def test_an_unknown_role_says_which_words_were_expected(word: str) -> None:
    with pytest.raises(ValueError, match=r"Expected a region role \(lost, recreated, surviving\)") as caught:
        region_role(word)
    assert repr(word) in str(caught.value)


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("3", 3), ("5", 5), ("12", 12), ("007", 7)])
def test_a_count_is_a_positive_integer(text: str, value: int) -> None:
    assert count(text) == value


@pytest.mark.parametrize("text", ["0", "-1", "-5", "00"])
def test_zero_and_negative_counts_are_rejected_naming_the_value(text: str) -> None:
    with pytest.raises(ValueError, match=rf"Expected a count of at least 1, got {int(text)}$"):
        count(text)


def test_the_parse_types_are_registered_under_the_names_the_steps_use() -> None:
    assert {"Role": region_role, "Count": count} == PARSE_TYPES
    assert "{count:Count}" in _markers_step().parser.name
    assert "{role:Role}" in _markers_step().parser.name


@pytest.mark.parametrize(
    ("n", "role", "arguments"),
    [
        ("5", "lost", {"count": 5, "role": "lost"}),
        ("3", "surviving", {"count": 3, "role": "surviving"}),
        ("2", "Recreated", {"count": 2, "role": "lost"}),
    ],
)
def test_the_markers_step_reads_its_count_and_role(n: str, role: str, arguments: dict[str, object]) -> None:
    parser = _markers_step().parser
    line = MARKERS_LINE.format(n=n, role=role)
    assert parser.is_matching(line)
    assert parser.parse_arguments(line) == arguments


@pytest.mark.parametrize(
    ("n", "role", "expected"),
    [
        ("0", "lost", "a count of at least 1"),
        ("-2", "surviving", "a count of at least 1"),
        ("3", "eastern", "a region role"),
    ],
)
def test_the_markers_step_never_accepts_a_bad_count_or_role(n: str, role: str, expected: str) -> None:
    """Not matched, or refused saying what was expected; never read as a marker count and a region."""
    line = MARKERS_LINE.format(n=n, role=role)
    try:
        matched = _markers_step().parser.is_matching(line)
    except ValueError as exc:
        assert f"Expected {expected}" in str(exc)
    else:
        assert not matched


def test_the_markers_step_does_not_match_words_for_numbers() -> None:
    assert not _markers_step().parser.is_matching(MARKERS_LINE.format(n="three", role="lost"))


# -- one definition per row -----------------------------------------------------------------------------------


def _rows(kind: str) -> set[str]:
    rows: set[str] = set()
    for variant in VARIANTS:
        for step in (step for mode in MODES for step in drill_sequence(variant, mode)):
            if kind == "given":
                rows.update(step.current_state)
            elif kind == "then":
                rows.update(step.desired_state)
            elif step.when:
                rows.add(step.when)
    return rows


def test_the_module_rows_are_every_row_of_the_drill() -> None:
    assert _rows("given") == procedure.GIVENS
    assert _rows("when") == procedure.WHENS
    assert _rows("then") == procedure.THENS


@pytest.mark.parametrize("kind", ["given", "when", "then"])
def test_one_definition_per_unique_row(kind: str) -> None:
    ours = [c for c in _definitions() if c.type == kind and c.step_func.__module__ == procedure.__name__]
    named = Counter(c.parser.name for c in ours)
    assert set(named) == _rows(kind)
    assert [name for name, times in named.items() if times > 1] == []


def test_every_line_of_every_feature_file_has_exactly_one_definition() -> None:
    definitions = _definitions()
    lines = 0
    for path in sorted(FEATURES_DIR.glob("*.feature")):
        feature = FeatureParser(str(FEATURES_DIR), path.name).parse()
        for scenario in feature.scenarios.values():
            for step in scenario.steps:
                lines += 1
                matching = [c for c in definitions if c.type == step.type and c.parser.is_matching(step.name)]
                assert len(matching) == 1, f"{path.name}:{step.line_number} {step.type} {step.name!r}: {matching}"
    assert lines > 3 * len(drill_sequence())
