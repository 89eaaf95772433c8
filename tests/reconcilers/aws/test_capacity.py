"""The spot strategy as ECS's capacity provider strategy (pure): table cases."""

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.capacity import (
    INVALID_SPOT_STRATEGY,
    MIXED,
    capacity_provider_strategy,
    choose_capacity,
    environment_capacity,
)
from reconcilers.aws.service import CapacityProviderItem as Item
from reconcilers.results import PermanentError
from schemas.v3.compose import SpotStrategy
from tests.reconcilers.aws.factories import environment

ON_DEMAND = (Item("FARGATE", 1, 0),)
SPOT = (Item("FARGATE_SPOT", 1, 0),)
SAFE = (Item("FARGATE", 1, 1), Item("FARGATE_SPOT", 1, 0))
AGGRESSIVE = (Item("FARGATE", 1, 1), Item("FARGATE_SPOT", 4, 0))


@dataclass(frozen=True)
class Case:
    reason: str
    strategy: SpotStrategy | None
    environment: str
    min_capacity: int
    want: tuple[Item, ...]
    overridden: bool = False


CASES = [
    Case("off: on-demand only", SpotStrategy.OFF, "staging", 1, ON_DEMAND),
    Case("spot-only: spot only", SpotStrategy.SPOT_ONLY, "staging", 1, SPOT),
    Case("spot-only with no task at all is still valid", SpotStrategy.SPOT_ONLY, "staging", 0, SPOT),
    Case("unset: the contract's default, spot-only", None, "staging", 1, SPOT),
    Case("mixed-safe: one on-demand task, the rest 1:1", SpotStrategy.MIXED_SAFE, "staging", 2, SAFE),
    Case(
        "mixed-aggressive: one on-demand task, the rest 1:4",
        SpotStrategy.MIXED_AGGRESSIVE,
        "pr-1",
        5,
        AGGRESSIVE,
    ),
    Case("production, unset: on-demand, nothing to explain", None, "production", 1, ON_DEMAND),
    Case("production, off: on-demand, as asked", SpotStrategy.OFF, "production", 1, ON_DEMAND),
    Case(
        "production asks spot-only: on-demand, and says why",
        SpotStrategy.SPOT_ONLY,
        "production",
        3,
        ON_DEMAND,
        True,
    ),
    Case(
        "production asks mixed-safe: on-demand, and says why",
        SpotStrategy.MIXED_SAFE,
        "production",
        2,
        ON_DEMAND,
        True,
    ),
    Case(
        "production asks mixed with one instance: on-demand, no error (the mix is not used)",
        SpotStrategy.MIXED_AGGRESSIVE,
        "production",
        1,
        ON_DEMAND,
        True,
    ),
    Case("only the exact name production is production", SpotStrategy.SPOT_ONLY, "production-2", 1, SPOT),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_capacity_provider_strategy(case: Case):
    got = capacity_provider_strategy(case.strategy, case.environment, case.min_capacity)
    assert got == case.want, case.reason
    choice = choose_capacity(case.strategy, case.environment, case.min_capacity)
    assert bool(choice.overridden) is case.overridden, case.reason
    if case.overridden:
        assert case.strategy.value in choice.overridden and "production" in choice.overridden


@pytest.mark.parametrize(
    ("strategy", "min_capacity", "reason"),
    [
        (SpotStrategy.MIXED_SAFE, 1, "a mix needs an on-demand base and spot beside it: two instances"),
        (SpotStrategy.MIXED_AGGRESSIVE, 1, "the same for the aggressive mix"),
        (SpotStrategy.MIXED_SAFE, 0, "and no instance at all is no mix either"),
    ],
)
def test_a_mixed_strategy_with_fewer_than_two_instances_is_refused(strategy, min_capacity, reason):
    with pytest.raises(PermanentError) as raised:
        capacity_provider_strategy(strategy, "staging", min_capacity)
    assert raised.value.reason == INVALID_SPOT_STRATEGY, reason
    assert strategy.value in str(raised.value) and f"minCapacity is {min_capacity}" in str(raised.value)


def test_the_environment_record_supplies_strategy_name_and_minimum():
    mixed = {"spotConfiguration": {"strategy": "mixed-safe"}}
    staging = environment(name="staging", min_capacity=2, compose=mixed)
    assert environment_capacity(staging).strategy == SAFE
    assert environment_capacity(environment(name="staging")).strategy == SPOT
    production = environment(compose={"spotConfiguration": {}})  # {} means the default, spot-only
    choice = environment_capacity(production)
    assert (choice.requested, choice.applied) == (SpotStrategy.SPOT_ONLY, SpotStrategy.OFF)
    assert choice.strategy == ON_DEMAND
    assert choice.to_output() == {
        "requested": "spot-only",
        "applied": "off",
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}],
        "overridden": choice.overridden,
    }


@given(
    strategy=st.none() | st.sampled_from(list(SpotStrategy)),
    name=st.sampled_from(["production", "staging", "pr-1"]),
    min_capacity=st.integers(0, 1000),
)
def test_every_strategy_is_valid_for_ecs_or_refused(strategy, name, min_capacity):
    """Production is always on-demand; otherwise one or two distinct providers, some weight,
    at most one base, and a base only beside spot."""
    try:
        choice = choose_capacity(strategy, name, min_capacity)
    except PermanentError as refused:
        assert name != "production" and strategy in MIXED and min_capacity < 2, refused
        return
    items = choice.strategy
    if name == "production":
        assert items == ON_DEMAND
    assert 1 <= len(items) == len({i.capacity_provider for i in items}) <= 2
    assert any(i.weight for i in items) and sum(1 for i in items if i.base) <= 1
    assert all(i.base <= min_capacity for i in items)
