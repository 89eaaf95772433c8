"""Deterministic names, ownership tags and idempotency tokens: how a replay finds what a
crashed pass made."""

import re
from uuid import UUID, uuid5

from reconcilers.ports import EnvironmentRecord

MANAGED_BY_KEY = "berth:managed-by"
MANAGED_BY = "berth"
APP_ID_KEY = "berth:app-id"
ENVIRONMENT_ID_KEY = "berth:environment-id"

ECS_NAME_LIMIT = 255
NOT_ECS_NAME = re.compile(r"[^A-Za-z0-9_-]")


def workload_name(env: EnvironmentRecord) -> str:
    """`{organisation}-{application}-{environment}`: the task-definition family and the
    service name. Characters ECS refuses become `-`."""
    name = f"{env.organisation}-{env.application}-{env.name}"
    return NOT_ECS_NAME.sub("-", name)[:ECS_NAME_LIMIT]


def ownership_tags(env: EnvironmentRecord) -> dict[str, str]:
    return {
        MANAGED_BY_KEY: MANAGED_BY,
        APP_ID_KEY: str(env.application_id),
        ENVIRONMENT_ID_KEY: str(env.id),
    }


def ecs_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]


def ec2_tag_specification(resource_type: str, name: str) -> list[dict]:
    tags = {MANAGED_BY_KEY: MANAGED_BY, "Name": name}
    return [
        {
            "ResourceType": resource_type,
            "Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())],
        }
    ]


def service_client_token(environment_id: UUID, generation: int) -> str:
    """The same (environment, generation) always sends the same token, so a create whose
    answer was lost and is retried returns the first service rather than a second."""
    return str(uuid5(environment_id, f"ecs-service/{generation}"))
