"""The work queue's operations, each one named SQL statement."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES

CHANNEL = "berth_work"


@dataclass(frozen=True, slots=True)
class Lease:
    kind: str
    key: str
    token: UUID
    attempts: int
    enqueued_at: datetime
    claimed_at: datetime


class WorkQueue:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def enqueue(self, kind: str, key: str) -> None:
        await self._pool.execute(QUERIES.enqueue, kind, key)

    async def ensure(self, kind: str, key: str) -> None:
        """Queue the key unless it is already queued (its schedule is left alone)."""
        await self._pool.execute(QUERIES.ensure_queued, kind, key)

    async def claim(self, kind: str, limit: int, worker: str, lease_seconds: float) -> list[Lease]:
        rows = await self._pool.fetch(QUERIES.claim, kind, limit, worker, lease_seconds)
        return [
            Lease(kind, r["key"], r["lease_token"], r["attempts"], r["enqueued_at"], r["claimed_at"])
            for r in rows
        ]

    async def finish(
        self, lease: Lease, *, delay: float, attempts: int = 0, error: str | None = None
    ) -> bool:
        """Schedule the next pass; False when the lease had already been lost."""
        row = await self._pool.fetchrow(
            QUERIES.finish, lease.kind, lease.key, lease.token, delay, attempts, error
        )
        return row is not None

    async def finish_many(self, finished: list[tuple[Lease, float, int, str | None]]) -> set[UUID]:
        """`finish` for many passes in one statement: (lease, delay, attempts, error) each;
        the tokens whose leases were still held."""
        rows = await self._pool.fetch(
            QUERIES.finish_many,
            [lease.kind for lease, *_ in finished],
            [lease.key for lease, *_ in finished],
            [lease.token for lease, *_ in finished],
            [float(delay) for _, delay, _, _ in finished],
            [attempts for _, _, attempts, _ in finished],
            [error for *_, error in finished],
        )
        return {r["lease_token"] for r in rows}

    async def forget(self, lease: Lease) -> None:
        """The object is gone: drop its key, unless it was written again during the pass
        (then it is due at once instead)."""
        async with self._pool.acquire() as connection, connection.transaction():
            dirty = await connection.fetchval(QUERIES.lock_leased, lease.kind, lease.key, lease.token)
            if dirty is None:
                return
            if dirty:
                await connection.execute(QUERIES.finish, lease.kind, lease.key, lease.token, 0.0, 0, None)
            else:
                await connection.execute(QUERIES.forget, lease.kind, lease.key, lease.token)

    async def renew(self, tokens: list[UUID], lease_seconds: float) -> set[UUID]:
        """Extend these leases; return the tokens still held."""
        rows = await self._pool.fetch(QUERIES.renew_leases, tokens, lease_seconds)
        return {r["lease_token"] for r in rows}

    async def release(self, tokens: list[UUID]) -> None:
        await self._pool.execute(QUERIES.release_leases, tokens)
