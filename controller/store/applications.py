"""Desired-state writes and reads for applications, as the API needs them."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES

# The reconciler kinds that act on every environment; each gets a queue row per environment.
ENVIRONMENT_KINDS = ("ecs-environment",)
WORKLOAD_KIND = "ecs-environment"


@dataclass(frozen=True, slots=True)
class Created:
    id: UUID
    generation: int


@dataclass(frozen=True, slots=True)
class LimitReached:
    count: int
    limit: int


@dataclass(frozen=True, slots=True)
class NameTaken:
    pass


async def create_application(
    pool: asyncpg.Pool, organisation_id: int, name: str, spec: dict, production_spec: dict
) -> Created | LimitReached | NameTaken:
    row = await pool.fetchrow(
        QUERIES.create_application, organisation_id, name, spec, production_spec, list(ENVIRONMENT_KINDS)
    )
    if row["id"] is not None:
        return Created(row["id"], row["generation"])
    if row["application_count"] >= row["application_limit"]:
        return LimitReached(row["application_count"], row["application_limit"])
    return NameTaken()


async def delete_application(pool: asyncpg.Pool, organisation_id: int, name: str) -> bool:
    """Mark it deleted and queue the teardown; False when there is no such application."""
    row = await pool.fetchrow(QUERIES.delete_application, organisation_id, name, list(ENVIRONMENT_KINDS))
    return row is not None


async def application_views(
    pool: asyncpg.Pool, organisation_id: int, name: str | None = None
) -> list[asyncpg.Record]:
    return await pool.fetch(QUERIES.application_views, organisation_id, name, WORKLOAD_KIND)
