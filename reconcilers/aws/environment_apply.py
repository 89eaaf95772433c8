"""Applying an environment's plan on ECS (its teardown is `environment_teardown`).

Every call goes through `calls.call` (transient errors retried, rejections made
permanent), except RegisterTaskDefinition: it takes no client token, so it is sent
once (`call_once`, on a client without SDK retries) and a lost answer is left for
the next pass to observe. Each step is safe to replay: registration happens only
when the latest revision differs, and creation carries a deterministic client token.
"""

from typing import Any

from reconcilers.aws.calls import call, call_once
from reconcilers.aws.service import (
    CreateService,
    ServiceAction,
    UpdateService,
    create_service_request,
    update_service_request,
)
from reconcilers.aws.task_definition import RegisterTaskDefinition

async def register_task_definition(ecs_once: Any, action: RegisterTaskDefinition) -> dict[str, Any]:
    """`ecs_once`: an ECS client that makes one attempt (`AwsClients.ecs_once`)."""
    answer = await call_once(ecs_once.register_task_definition, **action.request)
    return answer["taskDefinition"]


async def apply_service_action(ecs: Any, action: ServiceAction) -> dict[str, Any]:
    """The service's description as ECS answered the create or update."""
    if isinstance(action, CreateService):
        answer = await call(ecs.create_service, **create_service_request(action.desired, action.replaces))
    else:
        answer = await call(ecs.update_service, **update_service_request(action))
    return answer["service"]


def describe_action(action: ServiceAction | RegisterTaskDefinition) -> str:
    if isinstance(action, RegisterTaskDefinition):
        return f"register {action.family} ({', '.join(action.changed)})"
    if isinstance(action, CreateService):
        return f"create service {action.desired.name}"
    assert isinstance(action, UpdateService)
    parts = sorted(action.fields) + (["forced new deployment"] if action.force_new_deployment else [])
    return f"update service {action.desired.name} ({', '.join(parts)})"
