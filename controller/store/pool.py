"""The asyncpg pool: JSON codecs and connection setup in one place."""

import asyncpg
import orjson

# What a lost or refused database connection raises: retry later, it is not a bug.
DATABASE_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def _encode_json(value: object) -> str:
    return orjson.dumps(value).decode()


async def _setup_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


async def _keep_session(connection: asyncpg.Connection) -> None:
    """berth's pooled connections keep no session state (no LISTEN, session locks or
    SETs; the listener has its own connection), so asyncpg's reset query — an extra
    round trip on every release — has nothing to undo. An open transaction is still
    rolled back by asyncpg before this is called."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_setup_connection,
        reset=_keep_session,
        # Each statement is prepared once per connection; the queue's claims run hot.
        statement_cache_size=256,
    )
