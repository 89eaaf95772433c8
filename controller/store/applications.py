"""Desired-state writes and reads for applications, as the API needs them."""

import asyncpg

from controller.store.kinds import ENVIRONMENT_KINDS, WORKLOAD_KIND, kinds_for
from controller.store.outcomes import LimitReached, NameTaken, Written
from controller.store.queries import QUERIES

__all__ = [
    "ENVIRONMENT_KINDS", "WORKLOAD_KIND", "application_views", "create_application", "delete_application", "kinds_for",
]
NAME_CONSTRAINT = "applications_organisation_id_name_key"


async def create_application(
    pool: asyncpg.Pool, organisation_id: int, name: str, spec: dict, production_spec: dict
) -> Written | LimitReached | NameTaken:
    try:
        row = await pool.fetchrow(
            QUERIES.create_application, organisation_id, name, spec, production_spec, kinds_for(production_spec)
        )
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name != NAME_CONSTRAINT:
            raise
        return NameTaken()
    if row["id"] is not None:
        return Written(row["id"], row["generation"])
    counted = await pool.fetchrow(QUERIES.application_count, organisation_id)
    return LimitReached(counted["application_count"], counted["application_limit"])


async def delete_application(
    pool: asyncpg.Pool, organisation_id: int, name: str, *, skip_final_snapshot: bool = False
) -> bool:
    """Mark it deleted and queue the teardown; False when there is no such application."""
    row = await pool.fetchrow(QUERIES.delete_application, organisation_id, name, skip_final_snapshot)
    return row is not None


async def application_views(
    pool: asyncpg.Pool, organisation_id: int, name: str | None = None
) -> list[asyncpg.Record]:
    return await pool.fetch(QUERIES.application_views, organisation_id, name, WORKLOAD_KIND)
