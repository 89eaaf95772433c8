"""Projects of the organisations a token sees."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES


@dataclass(frozen=True, slots=True)
class NoOrganisation:
    pass


@dataclass(frozen=True, slots=True)
class SlugTaken:
    pass


async def visible_projects(
    pool: asyncpg.Pool,
    token_hash: bytes,
    *,
    organisation_slug: str | None = None,
    project_slug: str | None = None,
    project_id: UUID | None = None,
) -> list[asyncpg.Record]:
    """Rows: id, name, slug, organisation_id, organisation_slug, organisation_name,
    application_count, created_at, updated_at."""
    return await pool.fetch(QUERIES.v1_projects, token_hash, organisation_slug, project_slug, project_id)


async def create_project(
    pool: asyncpg.Pool, token_hash: bytes, organisation: str, slug: str, name: str
) -> asyncpg.Record | NoOrganisation | SlugTaken:
    """`organisation` is the organisation's id (as text) or its slug."""
    row = await pool.fetchrow(QUERIES.v1_create_project, token_hash, organisation, slug, name)
    if not row["organisation_found"]:
        return NoOrganisation()
    if row["id"] is None:
        return SlugTaken()
    return (await visible_projects(pool, token_hash, project_id=row["id"]))[0]
