"""The work queue's operations, each one named SQL statement."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.kinds import ENVIRONMENT_KINDS
from controller.store.queries import QUERIES

CHANNEL = "berth_work"


_ENVIRONMENT_FIELDS = (
    "id", "application_id", "organisation", "application", "name", "spec", "generation", "deleting", "finalizers",
)  # as `environment_record` names them  # fmt: skip
_STATUS_FIELDS = ("observed_generation", "conditions", "outputs")


@dataclass(frozen=True, slots=True)
class Preload:
    """What the claim read for the pass under its lease: the key's status row of this
    kind (None: no row) and, for environment kinds, the environment's row (None: none)."""

    status: dict[str, Any] | None
    environment: dict[str, Any] | None = None
    has_environment: bool = False  # False: not read (not an environment kind)


@dataclass(frozen=True, slots=True)
class Lease:
    kind: str
    key: str
    token: UUID
    attempts: int
    enqueued_at: datetime
    claimed_at: datetime
    preload: Preload | None = field(default=None, compare=False, repr=False)


def _preload(row: asyncpg.Record, environment_kind: bool) -> Preload | None:
    if not row["fresh"]:
        return None  # the row moved on after the claim's snapshot: the pass reads for itself
    status = {name: row[name] for name in _STATUS_FIELDS} if row["has_status"] else None
    if not environment_kind:
        return Preload(status)
    environment = None
    if row["id"] is not None:
        environment = {name: row[name] for name in _ENVIRONMENT_FIELDS}
    return Preload(status, environment, has_environment=True)


class WorkQueue:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def enqueue(self, kind: str, key: str) -> None:
        await self._pool.execute(QUERIES.enqueue, kind, key)

    async def ensure(self, kind: str, key: str) -> None:
        """Queue the key unless it is already queued (its schedule is left alone)."""
        await self._pool.execute(QUERIES.ensure_queued, kind, key)

    async def claim(self, kind: str, limit: int, worker: str, lease_seconds: float) -> list[Lease]:
        """Lease up to `limit` due keys, each with the first reads of its pass (`Preload`)."""
        environment_kind = kind in ENVIRONMENT_KINDS
        rows = await self._pool.fetch(QUERIES.claim, kind, limit, worker, lease_seconds, environment_kind)
        return [
            Lease(kind, r["key"], r["lease_token"], r["attempts"], r["enqueued_at"], r["claimed_at"],
                  _preload(r, environment_kind))
            for r in rows
        ]  # fmt: skip

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
