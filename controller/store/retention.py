"""Deleting what is only kept for a while: reconcile events and Kubernetes metric samples."""

from datetime import datetime

import asyncpg

from controller.store.queries import QUERIES

PRUNE_BATCH = 5_000


async def _prune(pool: asyncpg.Pool, query: str, before: datetime, batch: int) -> int:
    deleted = 0
    while True:
        status = await pool.execute(query, before, batch)
        count = int(status.rsplit(" ", 1)[-1])
        deleted += count
        if count < batch:
            return deleted


async def prune_events(pool: asyncpg.Pool, before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Deletes events recorded before `before`, one bounded statement at a time."""
    return await _prune(pool, QUERIES.prune_events, before, batch)


async def prune_metric_samples(pool: asyncpg.Pool, before: datetime, batch: int = PRUNE_BATCH) -> int:
    """Deletes metric samples taken before `before`, one bounded statement at a time."""
    return await _prune(pool, QUERIES.prune_metric_samples, before, batch)
