"""An application's configuration: plain values as given, secret values sealed before
they reach PostgreSQL (controller/store/v1/sealing.py). Each write bumps the
application's generation and queues `kube-application` in the same statement."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg

from controller.store.outcomes import NameTaken, NoApplication
from controller.store.queries import QUERIES
from controller.store.v1.sealing import Sealer

NAME_CONSTRAINT = "configurations_application_id_name_key"


@dataclass(frozen=True, slots=True)
class NoConfiguration:
    pass


@dataclass(frozen=True, slots=True)
class Imported:
    created: list[asyncpg.Record]


def _stored(sealer: Sealer, value: str, secret: bool) -> tuple[str, str | None]:
    """(value column, sealed_value column): a secret only ever as its sealed form."""
    return ("", sealer.seal(value)) if secret else (value, None)


async def configurations(
    pool: asyncpg.Pool, token_hash: bytes, application_id: UUID, configuration_id: UUID | None = None
) -> list[asyncpg.Record] | NoApplication:
    """Rows: id, name, value ('' for a secret), secret, buildtime, created_at, updated_at."""
    async with pool.acquire() as connection:
        if await connection.fetchval(QUERIES.v1_visible_application, token_hash, application_id) is None:
            return NoApplication()
        return await connection.fetch(QUERIES.v1_configurations, application_id, configuration_id)


async def import_configurations(
    pool: asyncpg.Pool,
    sealer: Sealer,
    token_hash: bytes,
    application_id: UUID,
    entries: list[tuple[str, str]],
    *,
    secret: bool,
    buildtime: bool,
) -> Imported | NoApplication:
    """Inserts the entries whose names are new; those already present stay as they are."""
    stored = [_stored(sealer, value, secret) for _, value in entries]  # sealed before any IO
    async with pool.acquire() as connection, connection.transaction():
        if await connection.fetchrow(QUERIES.v1_lock_application, token_hash, application_id) is None:
            return NoApplication()
        rows = await connection.fetch(
            QUERIES.v1_insert_configurations,
            application_id,
            [name for name, _ in entries],
            [value for value, _ in stored],
            [sealed for _, sealed in stored],
            secret,
            buildtime,
        )
        return Imported(list(rows))


async def create_configuration(
    pool: asyncpg.Pool,
    sealer: Sealer,
    token_hash: bytes,
    application_id: UUID,
    name: str,
    value: str,
    *,
    secret: bool,
    buildtime: bool,
) -> asyncpg.Record | NoApplication | NameTaken:
    outcome = await import_configurations(
        pool, sealer, token_hash, application_id, [(name, value)], secret=secret, buildtime=buildtime
    )
    if isinstance(outcome, NoApplication):
        return outcome
    return outcome.created[0] if outcome.created else NameTaken()


async def update_configuration(
    pool: asyncpg.Pool,
    sealer: Sealer,
    token_hash: bytes,
    application_id: UUID,
    configuration_id: UUID,
    value: str,
    *,
    secret: bool | None,
    buildtime: bool | None,
) -> asyncpg.Record | NoApplication | NoConfiguration:
    """`secret`/`buildtime` None keep the configuration's own."""
    async with pool.acquire() as connection, connection.transaction():
        if await connection.fetchrow(QUERIES.v1_lock_application, token_hash, application_id) is None:
            return NoApplication()
        current = await connection.fetchrow(QUERIES.v1_lock_configuration, application_id, configuration_id)
        if current is None:
            return NoConfiguration()
        secret = current["secret"] if secret is None else secret
        buildtime = current["buildtime"] if buildtime is None else buildtime
        plain, sealed = _stored(sealer, value, secret)
        return await connection.fetchrow(
            QUERIES.v1_update_configuration, application_id, configuration_id, plain, sealed, secret, buildtime
        )


async def delete_configuration(
    pool: asyncpg.Pool, token_hash: bytes, application_id: UUID, configuration_id: UUID
) -> bool | NoApplication:
    """True when deleted, False when the application has no such configuration."""
    async with pool.acquire() as connection, connection.transaction():
        if await connection.fetchrow(QUERIES.v1_lock_application, token_hash, application_id) is None:
            return NoApplication()
        return await connection.fetchrow(QUERIES.v1_delete_configuration, application_id, configuration_id) is not None
