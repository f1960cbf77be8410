"""Helm values semantics and helm command lines: pure functions, exact values, properties over many inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drill.platform.base import HelmRequest
from drill.platform.helm_values import (
    ValuesFileError,
    duration_seconds,
    env_set_strings,
    escape_set_value,
    helm_argv,
    helm_status_argv,
    load_values_files,
    lookup,
    merge_values,
    split_set_argument,
)
from drill.sim.model import helm as sim_helm

KEYS = st.sampled_from(["a", "b", "c", "env", "size"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)),
    max_leaves=6,
)
DOCS = st.dictionaries(KEYS, VALUES, max_size=3)
ENV_NAMES = st.text(alphabet="ABCDEFGHIJ_", min_size=1, max_size=6)
PROPERTY = settings(max_examples=100, deadline=None)
ENV_VALUES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def expected_merge(base: Any, overlay: Any) -> Any:
    """Reference semantics: two maps merge key by key; anything else (lists, scalars) is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = expected_merge(base[key], value) if key in base else value
        return merged
    return overlay


# -- merge_values ----------------------------------------------------------------------------------------------


def test_maps_are_merged_lists_replaced_and_the_later_document_wins() -> None:
    base = {"orchestration": {"clusterSize": "8", "env": [{"name": "A", "value": "1"}], "profiles": {"operate": True}}}
    overlay = {"orchestration": {"env": [{"name": "B", "value": "2"}], "profiles": {"tasklist": False}}}

    merged = merge_values(base, overlay)

    assert merged == {
        "orchestration": {
            "clusterSize": "8",
            "env": [{"name": "B", "value": "2"}],
            "profiles": {"operate": True, "tasklist": False},
        }
    }


def test_merging_never_aliases_or_changes_the_inputs() -> None:
    base = {"a": {"list": [1, 2]}}
    overlay = {"a": {"map": {"x": 1}}}

    merged = merge_values(base, overlay)
    merged["a"]["list"].append(3)
    merged["a"]["map"]["x"] = 2

    assert base == {"a": {"list": [1, 2]}}
    assert overlay == {"a": {"map": {"x": 1}}}


@PROPERTY
@given(st.lists(DOCS, max_size=3))
def test_merging_many_documents_is_merging_them_pairwise_in_order(docs: list[dict[str, Any]]) -> None:
    expected: dict[str, Any] = {}
    for doc in docs:
        expected = expected_merge(expected, doc)

    assert merge_values(*docs) == expected


@PROPERTY
@given(DOCS, DOCS)
def test_every_key_of_the_later_document_that_is_not_a_map_wins(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    merged = merge_values(base, overlay)

    assert set(merged) == set(base) | set(overlay)
    for key, value in overlay.items():
        if not (isinstance(value, dict) and isinstance(base.get(key), dict)):
            assert merged[key] == value


# -- lookup and values files -----------------------------------------------------------------------------------


def test_lookup_follows_maps_and_list_indices() -> None:
    values = {"orchestration": {"clusterSize": "8", "env": [{"name": "A"}, {"name": "B"}]}}

    assert lookup(values, "orchestration.clusterSize") == "8"
    assert lookup(values, "orchestration.env[1].name") == "B"
    assert lookup(values, "orchestration.env[2].name", "none") == "none"
    assert lookup(values, "orchestration.missing.deeper") is None
    assert lookup(values, "orchestration.clusterSize.deeper", 0) == 0


def test_values_files_merge_in_order_and_an_empty_file_counts_as_no_values(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    region = tmp_path / "region1.yaml"
    empty = tmp_path / "empty.yaml"
    base.write_text("orchestration:\n  clusterSize: '8'\n  env:\n    - name: A\n      value: '1'\n")
    region.write_text("global:\n  multiregion:\n    regionId: 1\norchestration:\n  env: []\n")
    empty.write_text("")

    values = load_values_files([base, empty, region])

    assert values == {"orchestration": {"clusterSize": "8", "env": []}, "global": {"multiregion": {"regionId": 1}}}


def test_a_values_file_that_is_missing_or_not_a_mapping_is_named(tmp_path: Path) -> None:
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")

    with pytest.raises(ValuesFileError, match=r"^values file .*list\.yaml: expected a YAML mapping, got list$"):
        load_values_files([listed])
    with pytest.raises(ValuesFileError, match=r"^values file .*nope\.yaml: No such file or directory$"):
        load_values_files([tmp_path / "nope.yaml"])


# -- --set strings -------------------------------------------------------------------------------------------------


def test_env_entries_are_appended_after_the_existing_array() -> None:
    values = {"orchestration": {"env": [{"name": f"E{i}", "value": "x"} for i in range(6)]}}

    assert env_set_strings(values, {"CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA": "false", "B": "2"}) == (
        "orchestration.env[6].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",
        "orchestration.env[6].value=false",
        "orchestration.env[7].name=B",
        "orchestration.env[7].value=2",
    )


def test_an_env_name_that_exists_is_overwritten_at_its_index() -> None:
    values = {"orchestration": {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}}

    assert env_set_strings(values, {"B": "3", "C": "4"}) == (
        "orchestration.env[1].name=B",
        "orchestration.env[1].value=3",
        "orchestration.env[2].name=C",
        "orchestration.env[2].value=4",
    )


def test_without_an_env_array_entries_start_at_index_0_and_commas_are_escaped() -> None:
    assert env_set_strings({}, {"HOSTS": "a:1,b:2"}) == (
        "orchestration.env[0].name=HOSTS",
        "orchestration.env[0].value=a:1\\,b:2",
    )


def test_an_env_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^Expected orchestration.env to be a list of \{name, value\}, got dict$"):
        env_set_strings({"orchestration": {"env": {"A": "1"}}}, {"B": "2"})


@PROPERTY
@given(
    st.lists(st.fixed_dictionaries({"name": ENV_NAMES, "value": st.text(max_size=3)}), max_size=8),
    st.dictionaries(ENV_NAMES, ENV_VALUES, max_size=5),
)
def test_applying_env_set_strings_as_helm_would_sets_every_entry_and_keeps_the_rest(
    existing: list[dict[str, str]], env: dict[str, str]
) -> None:
    values = {"orchestration": {"env": existing}}
    assignments = [a for argument in env_set_strings(values, env) for a in split_set_argument(argument)]

    result = sim_helm.merged(values, [], assignments)["orchestration"]["env"]

    new_names = [name for name in env if name not in {e["name"] for e in existing}]
    assert len(result) == len(existing) + len(new_names)
    assert [e["name"] for e in result[len(existing) :]] == new_names
    for name, value in env.items():
        assert sim_helm.env_value({"orchestration": {"env": result}}, name) == value
    untouched = [e for e in existing if e["name"] not in env]
    assert all(e in result for e in untouched)


@PROPERTY
@given(ENV_VALUES)
def test_an_escaped_value_is_read_back_by_helm_as_one_unchanged_assignment(value: str) -> None:
    assert split_set_argument(f"a.b={escape_set_value(value)}") == (f"a.b={value}",)


def test_one_set_argument_may_hold_several_assignments_and_lists_keep_their_commas() -> None:
    assert split_set_argument("a=1,b=x\\,y,c={1,2}") == ("a=1", "b=x,y", "c={1,2}")


# -- helm command lines ----------------------------------------------------------------------------------------------

REQUEST = HelmRequest(
    values_files=(Path("values/base.yaml"), Path("values/region1.yaml")),
    sets=("orchestration.profiles.operate=false", "orchestration.profiles.tasklist=false"),
    set_strings=("orchestration.env[6].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",),
)
TARGET = {"version": "13.12.7", "kube_context": "kind-c8-region1", "namespace": "camunda-region1"}
REQUEST_FLAGS = [
    "-f", "values/base.yaml", "-f", "values/region1.yaml",
    "--set", "orchestration.profiles.operate=false", "--set", "orchestration.profiles.tasklist=false",
    "--set-string", "orchestration.env[6].name=CAMUNDA_DATABASE_SCHEMAMANAGER_CREATESCHEMA",
]  # fmt: skip
CONTEXT_FLAGS = ["--kube-context", "kind-c8-region1", "--namespace", "camunda-region1"]


def test_helm3_install_with_wait() -> None:
    argv = helm_argv("install", "camunda", "camunda/camunda-platform", request=REQUEST, wait=True, **TARGET)

    assert argv == [
        "helm", "install", "camunda", "camunda/camunda-platform", *CONTEXT_FLAGS, "--version", "13.12.7",
        "--create-namespace", *REQUEST_FLAGS, "--wait", "--timeout", "10m",
    ]  # fmt: skip


def test_helm4_install_spells_wait_as_a_strategy_and_atomic_as_rollback_on_failure() -> None:
    argv = helm_argv(
        "install", "camunda", "camunda/camunda-platform", request=REQUEST, helm_major=4, wait=True, atomic=True,
        timeout="15m", output="json", **TARGET,
    )  # fmt: skip

    assert argv == [
        "helm", "install", "camunda", "camunda/camunda-platform", *CONTEXT_FLAGS, "--version", "13.12.7",
        "--create-namespace", *REQUEST_FLAGS, "--wait=watcher", "--rollback-on-failure", "--timeout", "15m",
        "--output", "json",
    ]  # fmt: skip


def test_helm3_upgrade_install_with_atomic() -> None:
    argv = helm_argv(
        "upgrade", "camunda", "camunda/camunda-platform", request=REQUEST, install=True, atomic=True, **TARGET
    )

    assert argv == [
        "helm", "upgrade", "camunda", "camunda/camunda-platform", "--install", *CONTEXT_FLAGS,
        "--version", "13.12.7", "--create-namespace", *REQUEST_FLAGS, "--atomic", "--timeout", "10m",
    ]  # fmt: skip


def test_a_plain_upgrade_neither_installs_nor_creates_the_namespace_and_omits_an_unknown_version() -> None:
    argv = helm_argv(
        "upgrade", "camunda", "camunda/camunda-platform", version=None, kube_context="c", namespace="n",
        request=HelmRequest(sets=("a=1",)), helm_major=4,
    )  # fmt: skip

    assert argv == [
        "helm", "upgrade", "camunda", "camunda/camunda-platform", "--kube-context", "c", "--namespace", "n",
        "--set", "a=1", "--timeout", "10m",
    ]  # fmt: skip


@pytest.mark.parametrize(("major", "wait_flag"), [(3, "--wait"), (4, "--wait=watcher")])
def test_uninstall_names_only_the_release_and_where_it_is(major: int, wait_flag: str) -> None:
    argv = helm_argv("uninstall", "camunda", None, request=REQUEST, helm_major=major, wait=True, **TARGET)

    assert argv == ["helm", "uninstall", "camunda", *CONTEXT_FLAGS, wait_flag, "--timeout", "10m"]


def test_status_asks_for_json() -> None:
    assert helm_status_argv("camunda", kube_context="kind-c8-region0", namespace="camunda-region0") == [
        "helm", "status", "camunda", "--kube-context", "kind-c8-region0", "--namespace", "camunda-region0",
        "--output", "json",
    ]  # fmt: skip


def test_unknown_majors_verbs_and_missing_charts_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^Expected helm major version 3 or 4, got 2$"):
        helm_argv("install", "camunda", "chart", helm_major=2, **TARGET)
    with pytest.raises(ValueError, match=r"^Expected verb install, upgrade or uninstall, got 'rollback'$"):
        helm_argv("rollback", "camunda", "chart", **TARGET)
    with pytest.raises(ValueError, match=r"^helm install needs a chart$"):
        helm_argv("install", "camunda", None, **TARGET)


def test_go_durations_become_seconds() -> None:
    assert duration_seconds("10m") == 600.0
    assert duration_seconds("1h30m5s") == 5405.0
    assert duration_seconds("1.5s") == 1.5
    with pytest.raises(ValueError, match=r"^Expected a Go duration like 10m or 1h30m, got '10 minutes'$"):
        duration_seconds("10 minutes")
