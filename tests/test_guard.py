"""The production guard: destructive steps run freely on the simulator and on kind clusters only; anywhere else the
operator must name each context with --allow-production, exactly."""

from __future__ import annotations

import pytest

from drill.guard import refusal

KIND = {0: "kind-c8-region0", 1: "kind-c8-region1"}


def test_the_embedded_simulator_has_no_contexts_and_is_allowed() -> None:
    assert refusal({}, []) is None


def test_kind_contexts_are_allowed() -> None:
    assert refusal(KIND, []) is None
    assert refusal({0: "kind-other", 1: "kind-x"}, []) is None


def test_names_decide_not_the_target_a_simulator_named_like_production_is_refused() -> None:
    assert refusal({0: "prod-eu", 1: "prod-us"}, []) is not None


def test_a_non_kind_context_is_refused_naming_it_and_the_exact_flag() -> None:
    message = refusal({0: "kind-c8-region0", 1: "prod-eu"}, [])
    assert message is not None
    assert "region 1 (prod-eu)" in message
    assert message.endswith("--allow-production prod-eu")
    assert "kind-c8-region0" not in message


def test_every_refused_context_is_named_with_its_own_flag() -> None:
    message = refusal({1: "prod-us", 0: "prod-eu"}, [])
    assert message == (
        "guard: region 0 (prod-eu), region 1 (prod-us) is not a kind cluster; "
        "destructive steps there need --allow-production prod-eu --allow-production prod-us"
    )


def test_allowing_a_context_lets_destructive_steps_run_there() -> None:
    assert refusal({0: "prod-eu", 1: "prod-us"}, ["prod-us", "prod-eu"]) is None
    assert refusal({0: "kind-c8-region0", 1: "prod-eu"}, ("prod-eu",)) is None


def test_allowing_one_of_two_contexts_still_refuses_the_other() -> None:
    message = refusal({0: "prod-eu", 1: "prod-us"}, ["prod-eu"])
    assert message is not None
    assert "region 1 (prod-us)" in message and "--allow-production prod-us" in message
    assert "prod-eu" not in message


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ("prod-eu", "prod"),  # a prefix is not the context
        ("prod", "prod-eu"),
        ("Prod-EU", "prod-eu"),  # nor another case
        ("prod-eu", " prod-eu"),
        ("prod-eu", "prod-*"),  # nor a pattern
    ],
)
def test_only_the_exact_context_name_allows_it(context: str, allowed: str) -> None:
    message = refusal({0: context}, [allowed])
    assert message is not None and f"--allow-production {context}" in message


@pytest.mark.parametrize("context", ["kind", "Kind-c8", "c8-kind-region0", "xkind-c8"])
def test_only_a_kind_prefix_makes_a_kind_context(context: str) -> None:
    assert refusal({0: context}, []) is not None


def test_allowed_may_be_a_one_shot_iterable() -> None:
    assert refusal({0: "prod-eu", 1: "prod-us"}, iter(["prod-eu", "prod-us"])) is None
