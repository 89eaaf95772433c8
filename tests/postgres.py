"""Databases for tests: the machine's PostgreSQL when it answers, else an embedded one.

Each test gets a fresh database cloned from a migrated template, as procrastinate does.
"""

import asyncio
import os
import tempfile
import uuid
from pathlib import Path

import asyncpg

from controller.store.databases import create_database, drop_database, migrate_database, with_database

__all__ = ["admin_dsn", "clone", "create_template", "drop", "with_database"]

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


async def create_template(admin: str) -> str:
    name = f"berth_template_{uuid.uuid4().hex[:10]}"
    await migrate_database(await create_database(admin, name))
    return name


async def clone(admin: str, template: str) -> str:
    name = f"berth_test_{uuid.uuid4().hex[:12]}"
    await create_database(admin, name, template=template)
    return name


async def drop(admin: str, name: str) -> None:
    await drop_database(admin, name)
