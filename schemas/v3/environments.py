"""Environments as Quant Cloud's contract shapes them: create and update requests, read models."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from schemas.status import Condition
from schemas.v3.applications import APP_NAME_PATTERN
from schemas.v3.compose import Compose, EnvironmentVariable, SpotConfiguration, SpotStrategy
from schemas.wire import CamelModel

# An environment's name is part of its ECS service name and, later, of DNS names.
ENVIRONMENT_NAME_PATTERN = APP_NAME_PATTERN
IMAGE_SUFFIX_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
Capacity = Annotated[int, Field(ge=0, le=1000)]

# A mixed spot strategy runs an on-demand base plus spot beyond it: at least two instances.
MIXED_STRATEGIES = (SpotStrategy.MIXED_SAFE, SpotStrategy.MIXED_AGGRESSIVE)
MIXED_MINIMUM = 2
MIXED_TOO_SMALL = "spot strategy {strategy} needs minCapacity of at least {minimum}, not {min_capacity}"


def mixed_too_small(compose: Compose, min_capacity: int) -> str | None:
    """Why the compose's spot strategy cannot run at `min_capacity`, or None when it can.
    Production runs on-demand whatever it asks, so callers check other environments only."""
    strategy = compose.spot_configuration.strategy if compose.spot_configuration else None
    if strategy in MIXED_STRATEGIES and min_capacity < MIXED_MINIMUM:
        return MIXED_TOO_SMALL.format(strategy=strategy.value, minimum=MIXED_MINIMUM, min_capacity=min_capacity)
    return None


class CreateEnvironmentRequest(CamelModel):
    """`createEnvironment_request`: the body of `POST …/environments`."""

    env_name: Annotated[str, Field(pattern=ENVIRONMENT_NAME_PATTERN)]
    min_capacity: Capacity | None = None
    max_capacity: Capacity | None = None
    clone_configuration_from: Annotated[str, Field(min_length=1)] | None = None
    compose_definition: Compose | None = None
    image_suffix: Annotated[str, Field(pattern=IMAGE_SUFFIX_PATTERN, max_length=63)] | None = None
    spot_configuration: SpotConfiguration | None = None
    environment: list[EnvironmentVariable] | None = None
    merge_environment: bool | None = False


class UpdateEnvironmentRequest(CamelModel):
    """`updateEnvironment_request`: the body of `PUT …/environments/{environment}`.

    Root-level capacities win over the compose definition's own.
    """

    compose_definition: Compose
    min_capacity: Capacity | None = None
    max_capacity: Annotated[int, Field(ge=1, le=1000)] | None = None


class EnvironmentSummary(CamelModel):
    env_name: str | None = None
    status: str | None = None
    deployment_status: str | None = None
    running_count: int | None = None
    desired_count: int | None = None
    min_capacity: int | None = None
    max_capacity: int | None = None


class EnvironmentResponse(CamelModel):
    """`EnvironmentResponse`: desired state plus what the reconcilers last observed."""

    env_name: str
    status: str | None = None
    running_count: int | None = None
    desired_count: int | None = None
    min_capacity: int | None = None
    max_capacity: int | None = None
    public_ip_address: str | None = None
    deployment_status: str | None = None
    deployment_failure_type: str | None = None
    deployment_failure_reason: str | None = None
    task_definition: dict[str, Any] | None = None
    service: dict[str, Any] | None = None
    container_names: list[str] | None = None
    compose_definition: Compose | None = None
    image_suffix: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # berth's additions: how far the workload reconciler has got with the stored spec
    # (converged when observedGeneration reaches generation), and its conditions.
    generation: int | None = None
    observed_generation: int | None = None
    conditions: list[Condition] | None = None


class EnvironmentLimitReached(CamelModel):
    """`createEnvironment_403_response`."""

    message: str
    error: str
