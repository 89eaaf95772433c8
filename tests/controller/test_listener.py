"""The listener on its own: it keeps (re)connecting until stopped, whatever the link does."""

import asyncio

import asyncpg

from controller.runtime import listener
from controller.store.queue import CHANNEL
from tests.controller.support import wait_until


async def test_a_connection_lost_before_listening_is_retried(pool, database_url, monkeypatch):
    """The server drops the link between connect and LISTEN (a failover, an idle killer)."""
    connect, attempts = asyncpg.connect, []

    async def dropped_once(dsn, *args, **kwargs):
        connection = await connect(dsn, *args, **kwargs)
        attempts.append(connection)
        if len(attempts) == 1:
            await pool.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())
            await wait_until(connection.is_closed, what="the client to see the link drop")
        return connection

    monkeypatch.setattr(listener.asyncpg, "connect", dropped_once)
    monkeypatch.setattr(listener, "RECONNECT_SECONDS", 0.05)
    wake, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(listener.listen(database_url, wake, stop))
    try:
        await wait_until(lambda: len(attempts) >= 2 or task.done(), what="a second attempt")
        assert not task.done(), f"the listener gave up: {task.exception()!r}"
        await wait_until(wake.is_set, what="the listener to connect")
        wake.clear()
        await pool.execute("SELECT pg_notify($1, 'app')", CHANNEL)
        await wait_until(wake.is_set, what="the notification")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
