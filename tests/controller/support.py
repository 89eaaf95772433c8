"""Driving the real `Worker` against PostgreSQL: fake reconcilers, a background
worker, bounded waits, and reads of the `work_queue` row and its history."""

import asyncio
import inspect
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from reconcilers.ports import ReconcileContext
from reconcilers.results import Done, Result

KIND = "app"
WAIT_SECONDS = 10.0


async def wait_until(predicate: Callable[[], Any], *, timeout: float = WAIT_SECONDS, what: str = "") -> Any:
    """Poll `predicate` (sync or async) until it returns something truthy; return that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def fast_settings(**overrides: Any) -> RuntimeSettings:
    figures = dict(
        lease_seconds=2.0,
        poll_seconds=0.05,
        resync_seconds=3600.0,
        resync_cohort_seconds=0.0,  # resyncs exactly as drawn (tests replay the draws)
        concurrency=4,
        shutdown_grace_seconds=1.0,
    )
    return RuntimeSettings(**{**figures, **overrides})


# --- fake reconcilers -------------------------------------------------------------

Step = Callable[[ReconcileContext, int], Awaitable[Result]]


async def done(ctx: ReconcileContext, n: int) -> Result:
    return Done()


@dataclass
class Tracker:
    """What happened to each key, across every reconciler (and worker) sharing it."""

    passes: Counter = field(default_factory=Counter)
    running: Counter = field(default_factory=Counter)
    completed: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    cancelled: Counter = field(default_factory=Counter)
    overlaps: list[str] = field(default_factory=list)

    @contextmanager
    def entering(self, key: str):
        self.passes[key] += 1
        if self.running[key]:
            self.overlaps.append(key)
        self.running[key] += 1
        try:
            yield self.passes[key]
        except asyncio.CancelledError:
            self.cancelled[key] += 1
            raise
        except BaseException:
            self.failed[key] += 1
            raise
        else:
            self.completed[key] += 1
        finally:
            self.running[key] -= 1


class FakeReconciler:
    """Runs `step(ctx, n)` for the n-th pass of a key and records every pass."""

    def __init__(
        self,
        step: Step = done,
        *,
        kind: str = KIND,
        tracker: Tracker | None = None,
        concurrency: int | None = None,
    ):
        self.kind = kind
        self.step = step
        self.tracker = tracker or Tracker()
        if concurrency is not None:
            self.concurrency = concurrency
        self.runs = 0  # passes run by this reconciler (that is, by its worker)
        self.in_flight = 0
        self.max_in_flight = 0

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        self.runs += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            with self.tracker.entering(ctx.key) as n:
                return await self.step(ctx, n)
        finally:
            self.in_flight -= 1


# --- the worker in the background ------------------------------------------------


@dataclass
class RunningWorker:
    worker: Worker
    stop_event: asyncio.Event
    task: asyncio.Task

    async def stop(self, timeout: float = WAIT_SECONDS) -> None:
        self.stop_event.set()
        await asyncio.wait_for(asyncio.shield(self.task), timeout)


@asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[RunningWorker]:
    stop = asyncio.Event()
    handle = RunningWorker(worker, stop, asyncio.create_task(worker.run(stop)))
    try:
        yield handle
    finally:
        await handle.stop()


@asynccontextmanager
async def run_worker(
    pool: asyncpg.Pool, dsn: str, reconcilers: list, settings: RuntimeSettings | None = None, **options: Any
) -> AsyncIterator[RunningWorker]:
    async with running(Worker(pool, dsn, reconcilers, settings or fast_settings(), **options)) as handle:
        yield handle


class ClaimSpy:
    """Counts the worker's claims, so a test can wait until it has looked for work
    again (and found none) instead of sleeping."""

    def __init__(self, worker: Worker):
        queue = worker._queue
        self._claim = queue.claim
        self.started = 0
        self.found: dict[int, int] = {}  # claim number -> leases it returned
        queue.claim = self._spied  # an instance attribute shadows the method

    async def _spied(self, *args: Any, **kwargs: Any):
        number = self.started
        self.started += 1
        leases = await self._claim(*args, **kwargs)
        self.found[number] = len(leases)
        return leases

    async def claimed(self, at_least: int) -> None:
        """Wait until the worker has made `at_least` claims in all and none is running."""
        await wait_until(
            lambda: self.started >= at_least and len(self.found) == self.started,
            what=f"{at_least} claims",
        )

    async def idle_rounds(self, rounds: int = 3) -> None:
        """Wait until `rounds` claims started from now on have all come back empty."""
        first = self.started
        later = lambda: [n for number, n in self.found.items() if number >= first]  # noqa: E731
        await wait_until(lambda: len(later()) >= rounds, what=f"{rounds} more claims")
        assert not any(later()), f"the worker found more work: {later()}"


# --- the queue row and its history -------------------------------------------------

ROW = """
SELECT kind, key, attempts, dirty, leased_by, lease_token, lease_expires, last_error, not_before,
       enqueued_at, extract(epoch FROM not_before - now())::float8 AS due_in
FROM work_queue WHERE kind = $1 AND key = $2
"""


async def queue_row(pool: asyncpg.Pool, key: str, kind: str = KIND) -> asyncpg.Record | None:
    return await pool.fetchrow(ROW, kind, key)


async def stored_row(pool: asyncpg.Pool, key: str, kind: str = KIND) -> asyncpg.Record | None:
    """The row exactly as stored (for before/after comparisons)."""
    return await pool.fetchrow("SELECT * FROM work_queue WHERE kind = $1 AND key = $2", kind, key)


async def settled_row(pool: asyncpg.Pool, key: str, kind: str = KIND) -> asyncpg.Record | None:
    """The row once a pass has finished and nothing is due: unleased, next pass in the
    future (None while due, leased or absent)."""
    row = await queue_row(pool, key, kind)
    return row if row is not None and row["lease_token"] is None and row["due_in"] > 0 else None


async def make_due(pool: asyncpg.Pool, key: str, kind: str = KIND) -> None:
    """Let the clock run out on an unleased row's schedule, as waiting would."""
    await pool.execute(
        "UPDATE work_queue SET not_before = now() WHERE kind = $1 AND key = $2 AND lease_token IS NULL",
        kind,
        key,
    )


HISTORY_DDL = """
CREATE TABLE queue_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    event         text NOT NULL,
    kind          text NOT NULL,
    key           text NOT NULL,
    leased_by     text,
    attempts      integer,
    dirty         boolean,
    not_before    timestamptz,
    lease_expires timestamptz,
    last_error    text
);

CREATE FUNCTION record_queue_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r work_queue;
    happened text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
        happened := 'deleted';
    ELSE
        r := NEW;
        happened := CASE
            WHEN TG_OP = 'INSERT' THEN 'inserted'
            WHEN NEW.lease_token IS NOT NULL AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN 'claimed'
            WHEN OLD.lease_token IS NOT NULL AND NEW.lease_token IS NULL THEN 'unleased'
            WHEN NEW.lease_expires IS DISTINCT FROM OLD.lease_expires THEN 'renewed'
            ELSE 'updated'
        END;
    END IF;
    INSERT INTO queue_history (event, kind, key, leased_by, attempts, dirty, not_before, lease_expires, last_error)
    VALUES (happened, r.kind, r.key, r.leased_by, r.attempts, r.dirty, r.not_before, r.lease_expires, r.last_error);
    RETURN NULL;
END $$;

CREATE TRIGGER work_queue_history AFTER INSERT OR UPDATE OR DELETE ON work_queue
    FOR EACH ROW EXECUTE FUNCTION record_queue_history();
"""


class QueueHistory:
    """Every change to `work_queue` rows, stamped with its transaction's `now()`:
    the exact delay a pass scheduled is `not_before - at` of its 'unleased' row."""

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def install(self) -> "QueueHistory":
        await self._pool.execute(HISTORY_DDL)
        return self

    async def events(self, key: str, *, event: str | None = None, kind: str = KIND) -> list[asyncpg.Record]:
        return await self._pool.fetch(
            """
            SELECT *, extract(epoch FROM not_before - at)::float8 AS delay FROM queue_history
            WHERE kind = $1 AND key = $2 AND ($3::text IS NULL OR event = $3) ORDER BY id
            """,
            kind,
            key,
            event,
        )

    async def story(self, key: str, kind: str = KIND) -> list[tuple[str, str | None]]:
        """(event, leased_by) for every change but lease renewals, whose number depends on timing."""
        return [(e["event"], e["leased_by"]) for e in await self.events(key, kind=kind) if e["event"] != "renewed"]

    async def finishes(self, key: str, kind: str = KIND) -> list[asyncpg.Record]:
        """Each time a pass let go of the key (finish, forget-while-dirty, release)."""
        return await self.events(key, event="unleased", kind=kind)

    async def wait_for_finishes(self, key: str, count: int, kind: str = KIND) -> list[asyncpg.Record]:
        async def enough():
            found = await self.finishes(key, kind)
            return found if len(found) >= count else None

        return await wait_until(enough, what=f"{count} finished passes of {key}")
