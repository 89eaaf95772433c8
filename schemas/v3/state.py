"""`PUT …/environments/{environment}/state`: start, stop, restart or redeploy an environment.

Each action is a change to the desired state (`EnvironmentSpec.state`, `restarts`,
`image_tag`), never a call to the cloud; `next_spec` is that change, pure.
"""

from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from schemas.desired import IMAGE_TAG_PATTERN, EnvironmentSpec, RunState
from schemas.wire import CamelModel

IMAGE_TAG_ONLY_FOR_REDEPLOY = "imageTag is used only by the redeploy action, not by {action}"
NOTHING_RUNS = "The environment {name!r} is stopped, so there is nothing to {action}; start it first."


class StateAction(StrEnum):
    START = "start"
    STOP = "stop"
    RESTART = "restart"
    REDEPLOY = "redeploy"


class UpdateEnvironmentStateRequest(CamelModel):
    """`updateEnvironmentState_request`. berth requires `action` (a body without one asks for nothing)."""

    action: StateAction
    image_tag: Annotated[str, Field(pattern=IMAGE_TAG_PATTERN)] | None = None

    @field_validator("image_tag")
    @classmethod
    def _only_with_redeploy(cls, tag: str | None, info: ValidationInfo) -> str | None:
        # A tag sent with start, stop or restart would be silently ignored or silently
        # deploy a new image; neither is what the caller can expect, so it is refused.
        action = info.data.get("action")
        if tag is not None and action is not None and action != StateAction.REDEPLOY:
            raise ValueError(IMAGE_TAG_ONLY_FOR_REDEPLOY.format(action=action.value))
        return tag


class StoppedEnvironment(Exception):
    """restart or redeploy asked of a stopped environment."""


def next_spec(current: EnvironmentSpec, request: UpdateEnvironmentStateRequest) -> EnvironmentSpec:
    """The spec after `request`. start/stop set the run state (unchanged when already so);
    restart and redeploy raise `restarts` by one, so the workload forces one new
    deployment; redeploy with `imageTag` also pins the tag internal images run."""
    match request.action:
        case StateAction.START:
            return current.model_copy(update={"state": RunState.RUNNING})
        case StateAction.STOP:
            return current.model_copy(update={"state": RunState.STOPPED})
    if current.state == RunState.STOPPED:
        raise StoppedEnvironment(request.action.value)
    changes: dict = {"restarts": current.restarts + 1}
    if request.image_tag is not None:
        changes["image_tag"] = request.image_tag
    return current.model_copy(update=changes)
