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
from controller.store.databases import connected, create_database, drop_database, migrate_database
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


@contextlib.asynccontextmanager
async def bench_database(server: str) -> AsyncIterator[str]:
    """Yield the DSN of a fresh, migrated database; drop it (WITH (FORCE)) afterwards."""
    name = f"berth_bench_{secrets.token_hex(5)}"
    dsn = await create_database(server, name)
    try:
        await migrate_database(dsn)
        yield dsn
    finally:
        await drop_database(server, name)


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
    async with connected(dsn) as connection:
        with contextlib.suppress(asyncpg.PostgresError):
            await connection.execute("CHECKPOINT")


async def backend_pids(dsn: str) -> list[int]:
    """The server processes serving this database's other sessions (for their CPU time)."""
    async with connected(dsn) as connection:
        rows = await connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    return [r["pid"] for r in rows]


async def server_version(dsn: str) -> str:
    async with connected(dsn) as connection:
        return await connection.fetchval("SHOW server_version")


async def forget_writes(dsn: str) -> None:
    """Empty what the previous server wrote, so each server starts from the same tables."""
    async with connected(dsn) as connection:
        await connection.execute(
            "TRUNCATE applications, environments, work_queue, statuses, deployments, events, bench_bare;"
            "UPDATE organisations SET application_count = 0"
        )
