"""The desired state of one environment: what its reconcilers make real."""

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from schemas.v3.applications import DatabaseRequest, FilesystemRequest
from schemas.v3.compose import Compose, EnvironmentVariable
from schemas.v3.scaling import ScalingPolicy
from schemas.wire import CamelModel

IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"


class RunState(StrEnum):
    """`stopped` keeps every resource but runs no task (desiredCount 0)."""

    RUNNING = "running"
    STOPPED = "stopped"


class DriftPolicy(StrEnum):
    """What a resync does about a cloud resource changed outside berth: `correct` puts
    it back and records DriftCorrected, `report` records DriftDetected and leaves it."""

    CORRECT = "correct"
    REPORT = "report"


class EnvironmentSpec(CamelModel):
    """Stored as `environments.spec`; `generation` goes up whenever it changes."""

    compose: Compose
    min_capacity: Annotated[int, Field(ge=0, le=1000)] = 1
    max_capacity: Annotated[int, Field(ge=0, le=1000)] = 1
    variables: list[EnvironmentVariable] = Field(default_factory=list)
    # The contract's `imageSuffix`: appended to internal images' tags (`tag-suffix`).
    image_suffix: str | None = None
    # Each environment gets its own instance and file system; new environments inherit
    # the application's request.
    database: DatabaseRequest | None = None
    filesystem: FilesystemRequest | None = None
    state: RunState = RunState.RUNNING
    # `PUT …/state` restart/redeploy raise it; the workload reconciler forces one new
    # deployment each time it moves past the value it last acted on.
    restarts: Annotated[int, Field(ge=0)] = 0
    # `PUT …/state` `imageTag`: the tag internal images run, in place of their own.
    image_tag: Annotated[str, Field(pattern=IMAGE_TAG_PATTERN)] | None = None
    # `…/scaling-policies`: target-tracking policies, at most one per metric and per name.
    scaling_policies: list[ScalingPolicy] = Field(default_factory=list)
    # `PUT …/applications/{application}/drift-policy`, on every environment of the
    # application; absent means `correct` (and keeps specs written before it unchanged).
    drift_policy: DriftPolicy | None = None
