import asyncio
import uuid

import asyncpg
import pytest

from controller.store.migrations import available, migrate
from tests import postgres

SCHEMA = """
SELECT 'column' AS what, table_name || '.' || column_name AS name,
       concat_ws(' ', data_type, is_nullable, column_default) AS detail
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass || '.' || conname, pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'function', proname, pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = 'public'::regnamespace
UNION ALL
SELECT 'trigger', tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
ORDER BY 1, 2, 3
"""


@pytest.fixture
async def empty_database(pg_admin):
    """A database with nothing in it yet (not cloned from the migrated template)."""
    name = f"berth_empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_admin)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield postgres.with_database(pg_admin, name)
    await postgres.drop(pg_admin, name)


async def test_migrate_twice_applies_everything_once_and_leaves_the_schema_alone(empty_database):
    every = [f"{version:04d}_{name}" for version, name, _ in available()]
    connection = await asyncpg.connect(empty_database)
    try:
        assert await migrate(connection) == every
        schema = await connection.fetch(SCHEMA)
        assert await migrate(connection) == []
        assert await connection.fetch(SCHEMA) == schema
        ledger = await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in ledger] == [version for version, _, _ in available()]
    finally:
        await connection.close()


async def test_concurrent_migrations_apply_each_version_exactly_once(empty_database):
    every = [f"{version:04d}_{name}" for version, name, _ in available()]
    connections = [await asyncpg.connect(empty_database) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in connections))
        assert sorted(results) == [[], [], [], every]
        assert await connections[0].fetchval("SELECT count(*) FROM schema_migrations") == len(every)
        assert await connections[0].fetchval("SELECT to_regclass('work_queue') IS NOT NULL")
    finally:
        await asyncio.gather(*(c.close() for c in connections))


async def test_the_test_template_is_already_up_to_date(database_url):
    connection = await asyncpg.connect(database_url)
    try:
        assert await migrate(connection) == []
    finally:
        await connection.close()
