"""Applying an environment's plan on ECS, and tearing it down.

Every call goes through `calls.call` (transient errors retried, rejections made
permanent). Each step is safe to replay: registration happens only when the
latest revision differs, creation carries a deterministic client token, and the
teardown skips whatever is already gone.
"""

from dataclasses import dataclass
from enum import Enum
from typing import Any

from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.aws.environment_observe import active_revisions
from reconcilers.aws.service import (
    ACTIVE,
    DRAINING,
    CreateService,
    ServiceAction,
    UpdateService,
    create_service_request,
    update_service_request,
)
from reconcilers.aws.task_definition import RegisterTaskDefinition

SERVICE_GONE_CODES = ("ServiceNotFoundException", "ServiceNotActiveException")


async def register_task_definition(ecs: Any, action: RegisterTaskDefinition) -> dict[str, Any]:
    answer = await call(ecs.register_task_definition, **action.request)
    return answer["taskDefinition"]


async def apply_service_action(ecs: Any, action: ServiceAction) -> dict[str, Any]:
    """The service's description as ECS answered the create or update."""
    if isinstance(action, CreateService):
        answer = await call(ecs.create_service, **create_service_request(action.desired))
    else:
        answer = await call(ecs.update_service, **update_service_request(action))
    return answer["service"]


def describe_action(action: ServiceAction | RegisterTaskDefinition) -> str:
    if isinstance(action, RegisterTaskDefinition):
        return f"register {action.family} ({', '.join(action.changed)})"
    if isinstance(action, CreateService):
        return f"create service {action.desired.name}"
    assert isinstance(action, UpdateService)
    return f"update service {action.desired.name} ({', '.join(sorted(action.fields))})"


class TeardownState(Enum):
    GONE = "gone"
    DRAINING = "draining"


@dataclass(frozen=True, slots=True)
class TeardownProgress:
    state: TeardownState
    deleted_service: bool = False
    deregistered: tuple[str, ...] = ()


async def tear_down(
    ecs: Any, *, cluster: str, service_name: str, family: str, service: dict | None
) -> TeardownProgress:
    """Delete the service (forced: ECS stops its tasks, no scaling to 0 first), deregister
    the family's ACTIVE revisions. `service` is the service's current description (None
    when ECS does not know it)."""
    deleted = False
    status = service.get("status") if service else None
    if status == ACTIVE:
        answer = await call_unless_absent(
            ecs.delete_service, absent=SERVICE_GONE_CODES, cluster=cluster, service=service_name, force=True
        )
        deleted = answer is not None
        status = answer["service"].get("status") if answer else None
    deregistered = []
    for arn in await active_revisions(ecs, family):
        await call(ecs.deregister_task_definition, taskDefinition=arn)
        deregistered.append(arn)
    state = TeardownState.DRAINING if status == DRAINING else TeardownState.GONE
    return TeardownProgress(state, deleted_service=deleted, deregistered=tuple(deregistered))
