"""Kube applications: create, read, and the writes that change what runs (scale,
settings). Each write bumps the generation when something changed and queues
`kube-application` in the same statement; callers poke the notifier after it returns."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.outcomes import NoApplication, Written
from controller.store.queries import QUERIES

APPLICATION_KIND = "kube-application"

# The settings PATCH …/settings may change, in v1_write_application's parameter order.
SETTINGS = (
    "github_repository",
    "github_repository_is_private",
    "auto_deploy_branch",
    "subdirectory",
    "github_app_installation_id",
    "github_environment_name",
    "deployment_timeout",
    "health_check_path",
    "health_check_host",
)
WHAT_RUNS = ("process_counts", "process_pod_classes")


@dataclass(frozen=True, slots=True)
class NoProject:
    pass


@dataclass(frozen=True, slots=True)
class SlugTaken:
    pass


async def application_views(
    pool: asyncpg.Pool,
    token_hash: bytes,
    *,
    application_id: UUID | None = None,
    organisation_slug: str | None = None,
    project_slug: str | None = None,
    application_slug: str | None = None,
) -> list[asyncpg.Record]:
    return await pool.fetch(
        QUERIES.v1_applications, token_hash, application_id, organisation_slug, project_slug, application_slug
    )


async def create_application(
    pool: asyncpg.Pool, token_hash: bytes, project_id: UUID, slug: str, name: str
) -> Written | NoProject | SlugTaken:
    row = await pool.fetchrow(QUERIES.v1_create_application, token_hash, project_id, slug, name)
    if not row["project_found"]:
        return NoProject()
    if row["id"] is None:
        return SlugTaken()
    return Written(row["id"], 1)


async def update_application(
    pool: asyncpg.Pool,
    token_hash: bytes,
    application_id: UUID,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> Written | NoApplication:
    """`change(current)` returns the new values of WHAT_RUNS + SETTINGS (it may raise to
    refuse); read under the row lock, written in one statement."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(QUERIES.v1_lock_application, token_hash, application_id)
        if row is None:
            return NoApplication()
        current = {name: row[name] for name in WHAT_RUNS + SETTINGS}
        wanted = {**current, **change(dict(current))}
        written = await connection.fetchrow(
            QUERIES.v1_write_application,
            application_id,
            *(wanted[name] for name in WHAT_RUNS + SETTINGS),
            wanted != current,
        )
        return Written(written["id"], written["generation"])
