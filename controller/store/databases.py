"""Databases on a server: make one (empty, or cloned from a template), migrate it, drop it.

Used by whatever needs a throwaway database next to the configured one: the
benchmarks and the tests.
"""

import contextlib
from collections.abc import AsyncIterator

import asyncpg

from controller.store.migrations import migrate


def with_database(dsn: str, name: str) -> str:
    """The same server, another database (host URLs and socket URLs alike)."""
    base, _, query = dsn.partition("?")
    scheme, separator, rest = base.partition("://")
    authority = rest.partition("/")[0]
    return f"{scheme}{separator}{authority}/{name}" + (f"?{query}" if query else "")


@contextlib.asynccontextmanager
async def connected(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def create_database(server: str, name: str, *, template: str | None = None) -> str:
    """Create `name` on `server` (a copy of `template` if given); return its DSN."""
    clause = f' TEMPLATE "{template}"' if template else ""
    async with connected(server) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    return with_database(server, name)


async def migrate_database(dsn: str) -> list[str]:
    async with connected(dsn) as connection:
        return await migrate(connection)


async def drop_database(server: str, name: str) -> None:
    async with connected(server) as admin:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
