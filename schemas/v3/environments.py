"""Environments as Quant Cloud's contract shapes them: create and update requests, read models."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from schemas.v3.applications import APP_NAME_PATTERN
from schemas.v3.compose import Compose, EnvironmentVariable, SpotConfiguration
from schemas.wire import CamelModel

# An environment's name is part of its ECS service name and, later, of DNS names.
ENVIRONMENT_NAME_PATTERN = APP_NAME_PATTERN
IMAGE_SUFFIX_PATTERN = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
Capacity = Annotated[int, Field(ge=0, le=1000)]


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


class EnvironmentLimitReached(CamelModel):
    """`createEnvironment_403_response`."""

    message: str
    error: str
