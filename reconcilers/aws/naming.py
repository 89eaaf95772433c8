"""Deterministic names, ownership tags and idempotency tokens: how a replay finds what a
crashed pass made."""

import re
from collections.abc import Iterable, Mapping
from uuid import UUID, uuid5

from reconcilers.ports import EnvironmentRecord

MANAGED_BY_KEY = "berth:managed-by"
MANAGED_BY = "berth"
APP_ID_KEY = "berth:app-id"
ENVIRONMENT_ID_KEY = "berth:environment-id"

ECS_NAME_LIMIT = 255
NOT_ECS_NAME = re.compile(r"[^A-Za-z0-9_-]")


NAME_SEPARATOR = "_"


def workload_name(env: EnvironmentRecord) -> str:
    """`{organisation}_{application}_{environment}` (`acme_shop_production`): the
    task-definition family and the service name.

    The parts are joined with `_`, which ECS allows in both names and no part may
    contain (organisation slugs, application and environment names are lowercase
    letters, digits and `-`), so two environments never share a name: with `-`,
    organisation `a-b`'s application `c` and organisation `a`'s application `b-c`
    did. Characters ECS refuses would become `-`; the API admits none."""
    name = NAME_SEPARATOR.join((env.organisation, env.application, env.name))
    return NOT_ECS_NAME.sub("-", name)[:ECS_NAME_LIMIT]


def ownership_tags(env: EnvironmentRecord) -> dict[str, str]:
    return {
        MANAGED_BY_KEY: MANAGED_BY,
        APP_ID_KEY: str(env.application_id),
        ENVIRONMENT_ID_KEY: str(env.id),
    }


def ecs_tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in sorted(tags.items())]


def environment_owner(tags: Iterable[Mapping[str, str]] | None) -> str:
    """The `berth:environment-id` among ECS tags (`[{key, value}]`); "" when untagged."""
    return next((t.get("value", "") for t in tags or () if t.get("key") == ENVIRONMENT_ID_KEY), "")


def owner_name(owner: str) -> str:
    return f"environment {owner}" if owner else f"no berth environment (it has no {ENVIRONMENT_ID_KEY} tag)"


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
