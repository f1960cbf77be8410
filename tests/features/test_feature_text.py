"""The feature files and the procedure's code cannot drift: every stage of the drill is one scenario whose title,
Given, When and Then lines are the Step's own words, in the drill's order, tagged as the plugin expects.

The files are parsed with pytest-bdd's own parser (what the drill runs), and with its Gherkin document for the
comments, which pytest-bdd drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from pytest_bdd.gherkin_parser import GherkinDocument, get_gherkin_document
from pytest_bdd.parser import Feature, FeatureParser, ScenarioTemplate
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from drill.procedure.continuity import WriteMarkers
from drill.procedure.params import VARIANTS, DrillParams
from drill.procedure.stages import MODES, drill_sequence
from drill.procedure.step import Step
from steps import markers

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"
FEATURE_FILES = sorted(path.name for path in FEATURES_DIR.glob("*.feature"))
SEED = drill_sequence("seed")
# Every stage of every mode (an incident confirms the loss where a drill causes it).
STAGES = {step.id: step for mode in MODES for step in drill_sequence("seed", mode)}
PARAMS = DrillParams(lost_region=1)
# The When line of the marker stages carries numbers and a region role: steps/markers.py parses it.
MARKER_STAGES = tuple(markers.MARKER_STAGES)
# Steps whose notes correct the official document, and a phrase of that correction that the comment above the
# scenario must carry too.
DOCUMENT_CORRECTIONS = {
    "failover-1": "split the brain",
    "failback-1": "CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA=false",
    "failback-3": "204",
    "failback-4": "snapshot_restore_exception",
    "failback-8": "Cannot force add brokers",
}


@dataclass(frozen=True)
class Parsed:
    name: str
    feature: Feature
    document: GherkinDocument


def _parse(name: str) -> Parsed:
    # FeatureParser, not get_feature: the latter caches by path for the whole process.
    feature = FeatureParser(str(FEATURES_DIR), name).parse()
    document = get_gherkin_document(str(FEATURES_DIR / name))
    return Parsed(name, feature, document)


PARSED = {name: _parse(name) for name in FEATURE_FILES}


def _stage_tags(scenario: ScenarioTemplate) -> list[str]:
    return sorted(tag for tag in scenario.tags if tag in STAGES)


@cache
def _scenarios() -> dict[str, tuple[Parsed, ScenarioTemplate]]:
    """Every scenario by its stage tag; a scenario without exactly one stage tag, or a stage tagged twice, fails."""
    found: dict[str, tuple[Parsed, ScenarioTemplate]] = {}
    for parsed in PARSED.values():
        for scenario in parsed.feature.scenarios.values():
            tags = _stage_tags(scenario)
            assert len(tags) == 1, f"{parsed.name}: scenario {scenario.name!r} has stage tags {tags}, expected one"
            assert tags[0] not in found, f"stage {tags[0]} tagged on more than one scenario"
            found[tags[0]] = (parsed, scenario)
    return found


def _lines(scenario: ScenarioTemplate, kind: str) -> list[str]:
    return [step.name for step in scenario.steps if step.type == kind]


def _comment_above(parsed: Parsed, scenario: ScenarioTemplate) -> str:
    """The comment lines directly above the scenario's tags (or its keyword), joined; "" when there are none."""
    gherkin = next(
        child.scenario
        for child in parsed.document.feature.children
        if child.scenario is not None and child.scenario.location.line == scenario.line_number
    )
    first = min([tag.location.line for tag in gherkin.tags] + [scenario.line_number])
    comments = {comment.location.line: comment.text.strip().lstrip("#").strip() for comment in parsed.document.comments}
    block: list[str] = []
    line = first - 1
    while line in comments:
        block.insert(0, comments[line])
        line -= 1
    return " ".join(block)


def _header_comment(parsed: Parsed) -> str:
    feature_line = parsed.document.feature.location.line
    tag_lines = [tag.location.line for tag in parsed.document.feature.tags]
    first = min([*tag_lines, feature_line])
    return " ".join(c.text.lstrip("#").strip() for c in parsed.document.comments if c.location.line < first)


def test_every_feature_file_is_bound_by_the_drill() -> None:
    bound = (FEATURES_DIR / "test_drill.py").read_text(encoding="utf-8")
    assert FEATURE_FILES == ["drill.feature", "failback.feature", "failover.feature"]
    assert all(f'"{name}"' in bound for name in FEATURE_FILES)


def test_no_scenario_is_lost_to_a_duplicate_title() -> None:
    # pytest-bdd keys scenarios by title: two scenarios with one title would silently become one.
    for parsed in PARSED.values():
        in_document = [c.scenario.name for c in parsed.document.feature.children if c.scenario is not None]
        assert len(in_document) == len(parsed.feature.scenarios), f"{parsed.name}: duplicate titles {in_document}"


def test_every_stage_of_every_variant_is_exactly_one_scenario() -> None:
    assert sorted(_scenarios()) == sorted(STAGES)
    for variant in VARIANTS:
        every = {step.id for mode in MODES for step in drill_sequence(variant, mode)}
        assert every == set(STAGES), variant
        assert len(drill_sequence(variant)) == len(SEED), variant


@pytest.mark.parametrize("stage", list(STAGES))
def test_scenario_says_what_the_step_checks_and_does(stage: str) -> None:
    step = STAGES[stage]
    parsed, scenario = _scenarios()[stage]
    where = f"{parsed.name}:{scenario.line_number} ({stage})"
    assert scenario.name == step.title, where
    kinds = [s.type for s in scenario.steps]
    assert kinds == sorted(kinds, key=["given", "when", "then"].index), f"{where}: Given, When, Then out of order"
    assert _lines(scenario, "given") == list(step.current_state), where
    assert _lines(scenario, "then") == list(step.desired_state), where
    whens = _lines(scenario, "when")
    if step.when:
        assert whens == [step.when], where
    elif stage in MARKER_STAGES:
        _assert_markers_when(step, whens, where)
    else:
        assert whens == [], f"{where}: the stage has no action, its scenario no When"


def _markers_step() -> StepFunctionContext:
    (context,) = [c for c in step_function_context_registry.values() if c.step_func is markers.write_markers]
    return context


def _assert_markers_when(step: Step, whens: list[str], where: str) -> None:
    assert len(whens) == 1, where
    context = _markers_step()
    assert context.type == "when"
    assert context.parser.is_matching(whens[0]), f"{where}: {whens[0]!r} does not match {context.parser.name!r}"
    arguments = context.parser.parse_arguments(whens[0])
    (default,) = step.actions(PARAMS)
    assert isinstance(default, WriteMarkers), where
    # The feature's numbers are what the drill writes when run without the feature files (c8-drill run).
    assert arguments == {"count": default.count, "role": default.via}, where


@pytest.mark.parametrize("stage", list(STAGES))
def test_destructive_tag_iff_the_step_changes_the_system(stage: str) -> None:
    step = STAGES[stage]
    _, scenario = _scenarios()[stage]
    changes = any(action.destructive for action in step.actions(PARAMS))
    assert ("destructive" in scenario.tags) == changes, f"{stage}: destructive actions {changes}, tags {scenario.tags}"


def test_every_scenario_is_written_for_camunda_8_8_and_its_phase() -> None:
    for stage, (parsed, scenario) in _scenarios().items():
        tags = parsed.feature.tags | scenario.tags
        assert "c8.8" in tags, stage
        phase = STAGES[stage].phase
        assert phase in parsed.feature.tags, f"{stage} (phase {phase}) is in {parsed.name}"


def test_each_file_lists_its_scenarios_in_the_drill_order() -> None:
    for mode in MODES:
        order = [step.id for step in drill_sequence("seed", mode)]
        for parsed in PARSED.values():
            in_file = [t for t in (_stage_tags(s)[0] for s in parsed.feature.scenarios.values()) if t in order]
            assert in_file == [stage for stage in order if stage in in_file], (mode, parsed.name)
    assert [s.phase for s in SEED].count("failover") == len(PARSED["failover.feature"].feature.scenarios)
    assert [s.phase for s in SEED].count("failback") == len(PARSED["failback.feature"].feature.scenarios)


@pytest.mark.parametrize("stage", sorted(DOCUMENT_CORRECTIONS))
def test_a_correction_of_the_document_is_commented_above_its_scenario(stage: str) -> None:
    step = STAGES[stage]
    parsed, scenario = _scenarios()[stage]
    phrase = DOCUMENT_CORRECTIONS[stage]
    assert phrase in " ".join(step.notes), f"{stage}: the step's notes no longer say {phrase!r}"
    comment = _comment_above(parsed, scenario)
    assert phrase in comment, f"{parsed.name}:{scenario.line_number}: comment {comment!r} does not say {phrase!r}"


def test_every_procedure_step_with_notes_is_commented_in_its_feature_file() -> None:
    """Above the scenario, or (failback-5, whose note is about the variant order) in the file's header."""
    for step in SEED:
        if step.phase not in ("failover", "failback") or not step.notes:
            continue
        parsed, scenario = _scenarios()[step.id]
        assert _comment_above(parsed, scenario) or step.id in _header_comment(parsed), step.id


def test_the_comment_reader_sees_comments_and_their_absence() -> None:
    parsed, scenario = _scenarios()["failback-2"]
    assert _comment_above(parsed, scenario) == ""
    parsed, scenario = _scenarios()["failover-2"]
    assert _comment_above(parsed, scenario).startswith("The document only states that exporting stalls")
    assert "failback-5" in _header_comment(PARSED["failback.feature"])


def test_every_scenario_is_tagged_for_both_camunda_versions() -> None:
    """Every stage's logic covers 8.8 and 8.8-migrated-from-8.7 (the exporter steps act on every family)."""
    for stage, (parsed, scenario) in _scenarios().items():
        assert {"c8.8", "c8.7"} <= parsed.feature.tags | scenario.tags, stage


@pytest.mark.parametrize("stage", list(STAGES))
def test_a_step_that_acts_on_the_legacy_exporters_says_so_above_its_scenario(stage: str) -> None:
    migrated = DrillParams(lost_region=1, camunda_version="8.7")
    step = STAGES[stage]
    acts_on_legacy = any("elasticsearchregion" in repr(action) for action in step.actions(migrated))
    parsed, scenario = _scenarios()[stage]
    says = "legacy exporters" in _comment_above(parsed, scenario)
    assert says == acts_on_legacy, f"{stage}: acts on the legacy exporters {acts_on_legacy}, comment says so {says}"
