"""Organisations as the v1 routes see them: the caller's token's own and those granted to it."""

from dataclasses import dataclass

import asyncpg

from controller.store.queries import QUERIES


@dataclass(frozen=True, slots=True)
class OrganisationView:
    id: int
    name: str
    slug: str
    project_count: int
    application_count: int


def _view(row: asyncpg.Record) -> OrganisationView:
    return OrganisationView(row["id"], row["name"], row["slug"], row["project_count"], row["application_count"])


async def visible_organisations(pool: asyncpg.Pool, token_hash: bytes) -> list[OrganisationView]:
    return [_view(r) for r in await pool.fetch(QUERIES.v1_organisations, token_hash, None)]


async def visible_organisation(pool: asyncpg.Pool, token_hash: bytes, slug: str) -> OrganisationView | None:
    row = await pool.fetchrow(QUERIES.v1_organisations, token_hash, slug)
    return None if row is None else _view(row)


async def create_organisation(pool: asyncpg.Pool, token_hash: bytes, slug: str, name: str) -> OrganisationView | None:
    """The new organisation, granted to the caller's token; None when the slug is taken."""
    row = await pool.fetchrow(QUERIES.v1_create_organisation, token_hash, slug, name)
    if row is None:
        return None
    return OrganisationView(row["id"], name, row["slug"], 0, 0)
