"""Deterministic names, ownership tags and idempotency tokens: how a replay finds what a
crashed pass made."""

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import NAMESPACE_URL, uuid5

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


SERVICE_TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "berth:ecs:CreateService")


def service_client_token(request: Mapping[str, Any], replaces: str = "") -> str:
    """A hash of the CreateService request (without its token) and of the not-ACTIVE
    service of that name it replaces, if any (`replaces`: its ARN and creation time).

    The same create, replayed after a lost answer, sends the same token and gets the
    first service back rather than a second. A different request gets a different
    token: ECS rejects a token reused with other parameters. And a service deleted out
    of band and created again, even with the same parameters, gets a new token: ECS
    would answer a reused token with the deleted service and create nothing."""
    wanted = {key: value for key, value in request.items() if key != "clientToken"}
    text = json.dumps(wanted, sort_keys=True, separators=(",", ":"), default=str)
    return str(uuid5(SERVICE_TOKEN_NAMESPACE, f"{text}\n{replaces}"))  # 36 characters, as ECS allows
