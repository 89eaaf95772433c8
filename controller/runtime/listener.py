"""LISTEN on the queue's channel and wake the worker; reconnect when the link drops.

Notifications are only a hint that work is due: the worker polls as well, so a
notification lost while reconnecting costs at most one poll interval.
"""

import asyncio
import contextlib

import asyncpg
import structlog

from controller.store.pool import DATABASE_ERRORS
from controller.store.queue import CHANNEL

log = structlog.get_logger("berth.listener")
RECONNECT_SECONDS = 1.0


async def listen(dsn: str, wake: asyncio.Event, stop: asyncio.Event) -> None:
    def notified(*_: object) -> None:
        wake.set()

    while not stop.is_set():
        dropped = asyncio.Event()
        try:
            connection = await asyncpg.connect(dsn)
        except DATABASE_ERRORS as error:
            log.warning("listen_connect_failed", error=str(error))
            await _sleep_unless(stop, RECONNECT_SECONDS)
            continue
        try:
            connection.add_termination_listener(lambda _: dropped.set())
            await connection.add_listener(CHANNEL, notified)
            log.info("listening", channel=CHANNEL)  # after a reconnect too: operators (and tests) see it is back
            wake.set()  # anything sent while we were not listening is due now
            await _first(dropped.wait(), stop.wait())
        except DATABASE_ERRORS as error:
            log.warning("listen_failed", error=str(error))
        finally:
            if not connection.is_closed():
                # A close on a connection the server just dropped raises: that must not
                # end this loop, or the worker is left polling alone for good.
                with contextlib.suppress(*DATABASE_ERRORS):
                    await connection.close(timeout=2)
        if not stop.is_set():
            await _sleep_unless(stop, RECONNECT_SECONDS)


async def _first(*awaitables) -> None:
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
