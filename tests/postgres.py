"""Databases for tests: the machine's PostgreSQL when it answers, else an embedded one.

Each test gets a fresh database cloned from a migrated template, as procrastinate does.
"""

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg

from controller.store.migrations import migrate

DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


async def admin_dsn() -> tuple[str, object | None]:
    dsn = os.environ.get("BERTH_TEST_DATABASE_URL", DEFAULT_ADMIN_DSN)
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
        await connection.close()
        return dsn, None
    except (OSError, asyncpg.PostgresError, TimeoutError):
        from controller.database import EmbeddedPostgres

        embedded = await asyncio.to_thread(EmbeddedPostgres, Path(tempfile.mkdtemp(prefix="berth-pg-")))
        return embedded.dsn, embedded


def with_database(dsn: str, name: str) -> str:
    """The same server, another database (works for host URLs and socket URLs alike)."""
    base, _, query = dsn.partition("?")
    scheme_host, _, _ = base.rpartition("/")
    return f"{scheme_host}/{name}" + (f"?{query}" if query else "")


async def create_template(admin: str) -> str:
    name = f"berth_template_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    migrated = await asyncpg.connect(with_database(admin, name))
    try:
        await migrate(migrated)
    finally:
        await migrated.close()
    return name


async def clone(admin: str, template: str) -> str:
    name = f"berth_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await connection.close()
    return name


async def drop(admin: str, name: str) -> None:
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
