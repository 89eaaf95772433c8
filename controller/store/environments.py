"""Desired-state writes and reads for an application's environments, as the API needs them.

Each write is one transaction: it locks what it reads, then writes the spec, the
generation and the queue rows in one statement. The caller pokes the notifier
after it returns (after the commit).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from controller.store.kinds import WORKLOAD_KIND, kinds_for
from controller.store.outcomes import LimitReached, NameTaken, NoApplication, Written
from controller.store.queries import QUERIES
from controller.store.versions import Matches, PreconditionFailed, locked_environment_matches

# Environments per application, production and those being deleted included.
ENVIRONMENT_LIMIT = 5
NAME_CONSTRAINT = "environments_application_id_name_key"


@dataclass(frozen=True, slots=True)
class NoEnvironment:
    pass


@dataclass(frozen=True, slots=True)
class Deleting:
    """The application (on create) or the environment (on update) is being deleted."""


@dataclass(frozen=True, slots=True)
class IsProduction:
    pass


class Sources:
    """The specs a new environment may start from, read inside the create's transaction."""

    def __init__(self, connection: asyncpg.Connection, application_id: UUID):
        self._connection = connection
        self._application_id = application_id

    async def spec(self, name: str) -> dict | None:
        """The spec of a live environment of this application, or None."""
        row = await self._connection.fetchrow(QUERIES.environment_spec, self._application_id, name)
        return None if row is None or row["deleting"] else row["spec"]


async def create_environment(
    pool: asyncpg.Pool,
    organisation_id: int,
    application: str,
    name: str,
    make_spec: Callable[[Sources], Awaitable[dict]],
    *,
    limit: int = ENVIRONMENT_LIMIT,
) -> Written | NoApplication | Deleting | LimitReached | NameTaken:
    """`make_spec(sources)` is awaited inside the transaction and returns the spec to store;
    an exception it raises rolls the transaction back."""
    try:
        return await _create(pool, organisation_id, application, name, make_spec, limit)
    except asyncpg.UniqueViolationError as error:  # a safety net: the name is checked under the lock
        if error.constraint_name != NAME_CONSTRAINT:
            raise
        return NameTaken()


async def _create(
    pool: asyncpg.Pool,
    organisation_id: int,
    application: str,
    name: str,
    make_spec: Callable[[Sources], Awaitable[dict]],
    limit: int,
) -> Written | NoApplication | Deleting | LimitReached | NameTaken:
    async with pool.acquire() as connection, connection.transaction():
        app = await connection.fetchrow(QUERIES.lock_application, organisation_id, application)
        if app is None:
            return NoApplication()
        if app["deleting"]:
            return Deleting()
        if await connection.fetchrow(QUERIES.environment_spec, app["id"], name) is not None:
            return NameTaken()
        count = await connection.fetchval(QUERIES.environment_count, app["id"])
        if count >= limit:
            return LimitReached(count, limit)
        spec = await make_spec(Sources(connection, app["id"]))
        row = await connection.fetchrow(QUERIES.create_environment, app["id"], name, spec, kinds_for(spec))
        return Written(row["id"], row["generation"])


async def update_environment(
    pool: asyncpg.Pool,
    organisation_id: int,
    application: str,
    name: str,
    make_spec: Callable[[dict], dict],
    matches: Matches | None = None,
) -> Written | NoEnvironment | Deleting | PreconditionFailed:
    """`make_spec(current_spec)` returns the spec to store; the generation moves only if it differs.
    `matches` (If-Match) is asked about the locked row's version first."""
    async with pool.acquire() as connection, connection.transaction():
        env = await connection.fetchrow(QUERIES.lock_environment, organisation_id, application, name)
        if env is None:
            return NoEnvironment()
        if not locked_environment_matches(env, matches):
            return PreconditionFailed()
        if env["deleting"]:
            return Deleting()
        spec = make_spec(env["spec"])
        row = await connection.fetchrow(QUERIES.update_environment, env["id"], spec, kinds_for(spec))
        return Written(row["id"], row["generation"])


async def delete_environment(
    pool: asyncpg.Pool, organisation_id: int, application: str, name: str, *, skip_final_snapshot: bool = False
) -> bool | IsProduction:
    """Mark it deleted and queue the teardown; False when there is no such environment."""
    row = await pool.fetchrow(
        QUERIES.delete_environment, organisation_id, application, name, skip_final_snapshot
    )
    if row is None:
        return False
    if row["name"] == "production":
        return IsProduction()
    return True


async def environment_views(
    pool: asyncpg.Pool, organisation_id: int, application: str, name: str | None = None
) -> list[asyncpg.Record]:
    return await pool.fetch(QUERIES.environment_views, organisation_id, application, name, WORKLOAD_KIND)
