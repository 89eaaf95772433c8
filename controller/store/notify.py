"""Wake the workers after a write commits, with as few NOTIFYs as the load allows.

A NOTIFY holds a server-wide lock through its transaction's commit, so one per
write caps the whole server's write rate. Writers instead `poke` this notifier
after committing: while one NOTIFY is being sent, further pokes are collected
and sent together once it returns — one NOTIFY per kind per round trip, however
many writes. A poke lost to a crash costs at most one poll interval of the workers.
"""

import asyncio

import asyncpg
import structlog

from controller.store.pool import DATABASE_ERRORS
from controller.store.queries import QUERIES

log = structlog.get_logger("berth.notify")


class CoalescingNotifier:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool
        self._pending: set[str] = set()
        self._sender: asyncio.Task | None = None

    def poke(self, *kinds: str) -> None:
        self._pending.update(kinds)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self._pending:
            kinds, self._pending = sorted(self._pending), set()
            try:
                await self._pool.execute(QUERIES.notify, kinds)
            except DATABASE_ERRORS as error:
                log.warning("notify_failed", kinds=kinds, error=str(error))
                return

    async def flush(self) -> None:
        """Wait for pokes in flight (at shutdown, and in tests)."""
        if self._sender is not None:
            await asyncio.shield(self._sender)
