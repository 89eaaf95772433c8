"""Where an environment's tasks run: its spot strategy as ECS's capacity provider strategy.

Pure. The rules, in order:

1. A production environment runs on-demand (FARGATE) whatever its spec asks: the
   contract says production runs on-demand, and Fargate Spot may reclaim a task with
   two minutes' warning and no fallback to on-demand. When its spec does ask for spot,
   the choice carries the reason (`overridden`), which the reconciler shows in the
   status outputs and says once in a warning event. The mixed minimum below is not
   checked for production: the strategy it would apply to is not used.
2. A strategy left unset means the contract's default, `spot-only`.
3. `off` → FARGATE; `spot-only` → FARGATE_SPOT; `mixed-safe` and `mixed-aggressive` →
   an on-demand base of one task (`ON_DEMAND_BASE`) on FARGATE, and the tasks beyond it
   split FARGATE 1 : FARGATE_SPOT 1 (50 % spot) or 1 : 4 (80 % spot). The percentages
   apply beyond the base, as ECS's weights do.
4. A mixed strategy needs at least two instances (`MIXED_MINIMUM`); fewer is invalid
   desired state. The API is meant to refuse it (400); should such a spec reach the
   reconciler anyway it raises `PermanentError("InvalidSpotStrategy", …)` before
   changing anything.
"""

from dataclasses import dataclass
from typing import Any

from reconcilers.aws.service import CapacityProviderItem
from reconcilers.ports import EnvironmentRecord
from reconcilers.results import PermanentError
from schemas.desired import EnvironmentSpec
from schemas.v3.applications import PRODUCTION
from schemas.v3.compose import SpotConfiguration, SpotStrategy
from schemas.v3.environments import MIXED_MINIMUM  # the API's 400 and this refusal share it

FARGATE = "FARGATE"
FARGATE_SPOT = "FARGATE_SPOT"
DEFAULT_STRATEGY = SpotConfiguration().strategy  # the contract's default: spot-only
ON_DEMAND_BASE = 1

INVALID_SPOT_STRATEGY = "InvalidSpotStrategy"
MIXED_TOO_SMALL = (
    "spot strategy {strategy} needs at least {minimum} instances (an on-demand base and spot "
    "beside it); minCapacity is {min_capacity}"
)
PRODUCTION_ON_DEMAND = (
    "the production environment runs on-demand (FARGATE); its requested spot strategy "
    "{strategy} is not applied"
)

STRATEGIES: dict[SpotStrategy, tuple[CapacityProviderItem, ...]] = {
    SpotStrategy.OFF: (CapacityProviderItem(FARGATE, weight=1),),
    SpotStrategy.SPOT_ONLY: (CapacityProviderItem(FARGATE_SPOT, weight=1),),
    SpotStrategy.MIXED_SAFE: (
        CapacityProviderItem(FARGATE, weight=1, base=ON_DEMAND_BASE),
        CapacityProviderItem(FARGATE_SPOT, weight=1),
    ),
    SpotStrategy.MIXED_AGGRESSIVE: (
        CapacityProviderItem(FARGATE, weight=1, base=ON_DEMAND_BASE),
        CapacityProviderItem(FARGATE_SPOT, weight=4),
    ),
}
MIXED = frozenset({SpotStrategy.MIXED_SAFE, SpotStrategy.MIXED_AGGRESSIVE})


@dataclass(frozen=True, slots=True)
class CapacityChoice:
    requested: SpotStrategy | None  # as the spec says; None when it says nothing
    applied: SpotStrategy
    strategy: tuple[CapacityProviderItem, ...]
    overridden: str = ""  # why `applied` is not what was asked for; "" when it is

    def to_output(self) -> dict[str, Any]:
        return {
            "requested": self.requested.value if self.requested else None,
            "applied": self.applied.value,
            "capacityProviderStrategy": [
                {"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base}
                for i in self.strategy
            ],
            "overridden": self.overridden or None,
        }


def choose_capacity(
    strategy: SpotStrategy | None, environment_name: str, min_capacity: int
) -> CapacityChoice:
    if environment_name == PRODUCTION:
        asks_for_spot = strategy is not None and strategy is not SpotStrategy.OFF
        reason = PRODUCTION_ON_DEMAND.format(strategy=strategy.value) if asks_for_spot else ""
        return CapacityChoice(strategy, SpotStrategy.OFF, STRATEGIES[SpotStrategy.OFF], reason)
    applied = strategy or DEFAULT_STRATEGY
    if applied in MIXED and min_capacity < MIXED_MINIMUM:
        raise PermanentError(
            INVALID_SPOT_STRATEGY,
            MIXED_TOO_SMALL.format(strategy=applied.value, minimum=MIXED_MINIMUM, min_capacity=min_capacity),
        )
    return CapacityChoice(strategy, applied, STRATEGIES[applied])


def capacity_provider_strategy(
    strategy: SpotStrategy | None, environment_name: str, min_capacity: int
) -> tuple[CapacityProviderItem, ...]:
    """ECS's `capacityProviderStrategy` for the spot strategy (see the module's rules)."""
    return choose_capacity(strategy, environment_name, min_capacity).strategy


def requested_spot_strategy(spec: EnvironmentSpec) -> SpotStrategy | None:
    configuration = spec.compose.spot_configuration
    return configuration.strategy if configuration else None


def environment_capacity(env: EnvironmentRecord) -> CapacityChoice:
    return choose_capacity(requested_spot_strategy(env.spec), env.name, env.spec.min_capacity)
