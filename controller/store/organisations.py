"""Organisations and their API tokens. Only a token's SHA-256 is ever stored."""

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

from controller.store.queries import QUERIES

TOKEN_PREFIX = "berth_"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    slug: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_organisation(
    pool: asyncpg.Pool, slug: str, application_limit: int | None = None
) -> Organisation:
    """Create it (limit 10 unless given), or set the limit of an existing one when given."""
    row = await pool.fetchrow(QUERIES.create_organisation, slug, application_limit)
    return Organisation(row["id"], row["slug"])


async def organisation_by_slug(pool: asyncpg.Pool, slug: str) -> Organisation | None:
    row = await pool.fetchrow(QUERIES.organisation_by_slug, slug)
    return None if row is None else Organisation(row["id"], row["slug"])


async def add_token(pool: asyncpg.Pool, organisation: Organisation, token: str, name: str = "") -> None:
    await pool.execute(QUERIES.create_token, organisation.id, token_hash(token), name)


async def organisation_for_token(pool: asyncpg.Pool, token: str) -> Organisation | None:
    row = await pool.fetchrow(QUERIES.organisation_by_token, token_hash(token))
    return None if row is None else Organisation(row["id"], row["slug"])
