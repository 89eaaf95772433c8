"""What the logs and metrics routes need to know about an environment before they read the cloud."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES

# The workload reconciler's status: its outputs name the ECS cluster and service.
WORKLOAD_KIND = "ecs-environment"


@dataclass(frozen=True, slots=True)
class ObservedEnvironment:
    id: UUID
    spec: dict[str, Any]
    workload_outputs: dict[str, Any] | None


async def observed_environment(
    pool: asyncpg.Pool, organisation_id: int, application: str, environment: str
) -> ObservedEnvironment | None:
    """None when the organisation has no such application or environment."""
    row = await pool.fetchrow(QUERIES.observed_environment, organisation_id, application, environment, WORKLOAD_KIND)
    if row is None:
        return None
    return ObservedEnvironment(id=row["id"], spec=row["spec"], workload_outputs=row["outputs"])
