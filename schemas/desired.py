"""The desired state of one environment: what its reconcilers make real."""

from typing import Annotated

from pydantic import Field

from schemas.v3.compose import Compose, EnvironmentVariable
from schemas.wire import CamelModel


class EnvironmentSpec(CamelModel):
    """Stored as `environments.spec`; `generation` goes up whenever it changes."""

    compose: Compose
    min_capacity: Annotated[int, Field(ge=0, le=1000)] = 1
    max_capacity: Annotated[int, Field(ge=0, le=1000)] = 1
    variables: list[EnvironmentVariable] = Field(default_factory=list)
    # The contract's `imageSuffix`: kept for the image-tag work; nothing acts on it yet.
    image_suffix: str | None = None
