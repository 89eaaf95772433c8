"""The asyncpg pool: JSON codecs and connection setup in one place."""

import asyncpg
import orjson

# What a lost or refused connection raises, whatever the server was doing: refused or reset
# (OSError, TimeoutError among them), closed under a query (InterfaceError), ended by a
# shutdown or a crash (57P01-57P03, class 08). asyncpg 0.32 also raises InternalClientError
# ("cannot switch to state …; another operation (2) is in progress") on a connection a fast
# shutdown ended at the wrong moment — a few times per shutdown under load; the pool drops
# that connection once it sees it closed (tests/resilience/test_postgres_restart.py).
CONNECTION_ERRORS = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)
# What a database call may raise that is not a bug: retry later.
DATABASE_ERRORS = (*CONNECTION_ERRORS, asyncpg.PostgresError)


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
