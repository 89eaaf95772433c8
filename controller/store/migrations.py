"""Versioned SQL migrations: `NNNN_name.sql` files applied in order, each exactly once."""

from importlib import resources

import asyncpg

MIGRATION_LOCK = 0x62657274  # "bert": one migrator at a time, across processes

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


def available() -> list[tuple[int, str, str]]:
    folder = resources.files("controller.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(version), name, entry.read_text()))
    return sorted(found)


async def migrate(connection: asyncpg.Connection) -> list[str]:
    """Apply what is missing; return the names applied (empty when up to date)."""
    applied_now = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(_CREATE_LEDGER)
        done = {r["version"] for r in await connection.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in available():
            if version in done:
                continue
            await connection.execute(sql)
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
            )
            applied_now.append(f"{version:04d}_{name}")
    return applied_now
