"""What the logs and metrics routes need to know about an environment before they read the cloud."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES
from schemas.kinds import Kind
from schemas.outputs import WorkloadOutputs

@dataclass(frozen=True, slots=True)
class ObservedEnvironment:
    id: UUID
    spec: dict[str, Any]
    workload_outputs: WorkloadOutputs | None  # they name the ECS cluster and service


async def observed_environment(
    pool: asyncpg.Pool, organisation_id: int, application: str, environment: str
) -> ObservedEnvironment | None:
    """None when the organisation has no such application or environment."""
    row = await pool.fetchrow(
        QUERIES.observed_environment, organisation_id, application, environment, Kind.ECS_ENVIRONMENT.value
    )
    if row is None:
        return None
    outputs = WorkloadOutputs.stored(row["outputs"])
    return ObservedEnvironment(id=row["id"], spec=row["spec"], workload_outputs=outputs)
