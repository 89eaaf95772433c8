"""A throwaway database for one benchmark run: created, migrated, seeded, dropped.

The server is DATABASE_URL's, else the sandbox's (`<data-dir>/database-url`), else
the machine's PostgreSQL; the benchmark never touches the database it was pointed
at beyond creating and dropping its own `berth_bench_<random>` next to it.
"""

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from controller.settings import Settings
from controller.store.migrations import migrate
from controller.store.organisations import Organisation, add_token, create_organisation, new_token
from controller.store.pool import create_pool

MACHINE_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_ORGANISATION = "bench"
# applications.application_limit is an integer column: as large as it holds.
HUGE_LIMIT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Tenant:
    organisation: Organisation
    token: str


def server_dsn(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    sandbox = settings.data_dir / "database-url"
    if sandbox.exists():
        return sandbox.read_text().strip()
    return MACHINE_DSN


def with_database(dsn: str, name: str) -> str:
    """The same server, another database (host URLs and socket URLs alike)."""
    base, _, query = dsn.partition("?")
    scheme, separator, rest = base.partition("://")
    authority = rest.partition("/")[0]
    return f"{scheme}{separator}{authority}/{name}" + (f"?{query}" if query else "")


@contextlib.asynccontextmanager
async def bench_database(server: str) -> AsyncIterator[str]:
    """Yield the DSN of a fresh, migrated database; drop it (WITH (FORCE)) afterwards."""
    name = f"berth_bench_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = with_database(server, name)
    try:
        connection = await asyncpg.connect(dsn)
        try:
            await migrate(connection)
        finally:
            await connection.close()
        yield dsn
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def seed_tenants(dsn: str, count: int = 1) -> list[Tenant]:
    """Organisations that never reach their application limit, with a token each:
    `bench`, then `bench-2`, `bench-3`, …"""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    tenants = []
    try:
        for index in range(count):
            slug = BENCH_ORGANISATION if index == 0 else f"{BENCH_ORGANISATION}-{index + 1}"
            organisation = await create_organisation(pool, slug, HUGE_LIMIT)
            token = new_token()
            await add_token(pool, organisation, token, "bench")
            tenants.append(Tenant(organisation, token))
    finally:
        await pool.close()
    return tenants


async def checkpoint(dsn: str) -> None:
    """Flush dirty buffers before a measured phase, so a checkpoint lands in none of them.

    Needs superuser (or pg_checkpoint); without it the phase simply runs as it is.
    """
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("CHECKPOINT")
    except asyncpg.PostgresError:
        pass
    finally:
        await connection.close()


async def backend_pids(dsn: str) -> list[int]:
    """The server processes serving this database's other sessions (for their CPU time)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    return [r["pid"] for r in rows]


async def server_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
