"""Each controller process says it is alive, so that processes sharing an AWS account share its limits.

Every `HEARTBEAT_SECONDS` a process upserts its row in `controllers` (migration 0008)
and counts the rows refreshed within the last `LIVE_BEATS` beats: itself and the
other live processes. `on_live` gets that count — the controller process sets its AWS
limiter's share to 1 / count, so N processes together stay within AWS's limits. A
process that stops deletes its row (the others take its share back at their next
beat); one that dies is ignored once its row is stale. When PostgreSQL cannot be
reached the last count stands.
"""

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg
import structlog

from controller.store.pool import DATABASE_ERRORS
from reconcilers.aws.rate_limits import ClientRateLimiter

HEARTBEAT_SECONDS = 5.0
LIVE_BEATS = 3  # a row not refreshed for this many beats belongs to a process that died
FORGOTTEN_AFTER = "1 day"  # rows this stale are deleted by any beat

# A data-modifying CTE's row is not visible to its own statement: count the others.
BEAT = f"""
WITH beat AS (
    INSERT INTO controllers (name, last_seen) VALUES ($1, now())
    ON CONFLICT (name) DO UPDATE SET last_seen = now()
), forgotten AS (
    DELETE FROM controllers WHERE last_seen < now() - interval '{FORGOTTEN_AFTER}'
)
SELECT count(*) FROM controllers
WHERE name <> $1 AND last_seen > now() - make_interval(secs => $2)
"""
LEAVE = "DELETE FROM controllers WHERE name = $1"

log = structlog.get_logger("berth.controller")


def process_name() -> str:
    """Unique per process: the host (the pod's name on Kubernetes), the pid, a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def beat(pool: asyncpg.Pool, name: str, seconds: float = HEARTBEAT_SECONDS) -> int:
    """One heartbeat: the live controller processes, this one included."""
    return 1 + await pool.fetchval(BEAT, name, seconds * LIVE_BEATS)


def share_limits(limiter: ClientRateLimiter | None) -> Callable[[int], None]:
    """`on_live` for a process's AWS limiter: 1 / (live processes) of the limits each."""

    def on_live(live: int) -> None:
        if limiter is not None:
            limiter.share = 1 / max(1, live)

    return on_live


@contextlib.asynccontextmanager
async def heartbeat(
    pool: asyncpg.Pool, name: str, on_live: Callable[[int], None], seconds: float = HEARTBEAT_SECONDS
) -> AsyncIterator[None]:
    """Beats every `seconds` while the block runs (the first before it starts); leaves
    the table on the way out."""
    stop = asyncio.Event()

    async def beating() -> None:
        live = None
        while not stop.is_set():
            try:
                counted = await beat(pool, name, seconds)
            except DATABASE_ERRORS as exc:
                log.warning("controller heartbeat failed; the last count stands", error=str(exc))
            else:
                if counted != live:
                    log.info("live controller processes", count=counted)
                live = counted
                on_live(counted)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seconds)

    with contextlib.suppress(*DATABASE_ERRORS):
        on_live(await beat(pool, name, seconds))
    task = asyncio.create_task(beating())
    try:
        yield
    finally:
        stop.set()
        await task
        with contextlib.suppress(*DATABASE_ERRORS):
            await pool.execute(LEAVE, name)
