"""`patchEnvironmentCompose_request`: a partial update of an environment's compose definition."""

from typing import Annotated, Any

from pydantic import Field

from schemas.v3.compose import SpotConfiguration
from schemas.wire import CamelModel


class PatchComposeRequest(CamelModel):
    """Only the fields given (and not null) change; `containers`, when given, replaces
    the containers. The merged definition is validated as a whole `Compose`."""

    architecture: str | None = None
    task_cpu: int | None = None
    task_memory: int | None = None
    min_capacity: Annotated[int, Field(ge=0, le=1000)] | None = None
    max_capacity: Annotated[int, Field(ge=1, le=1000)] | None = None
    containers: list[dict[str, Any]] | None = None
    spot_configuration: SpotConfiguration | None = None
    enable_cross_env_networking: bool | None = None
    enable_cross_app_networking: bool | None = None

    def applied_to(self, compose: dict) -> dict:
        """`compose` (wire form) with this patch's fields laid over it."""
        return {**compose, **self.to_wire()}


class InvalidCompose(CamelModel):
    """`patchEnvironmentCompose_400_response` (sent as problem+json, so `type`, `title`,
    `status` and `detail` come with it): every bad field, named by its dotted path."""

    message: str
    errors: dict[str, str]
