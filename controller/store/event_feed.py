"""One poller per API process that hands new events to every open stream.

Why a poller, not NOTIFY: the reconcilers write events inside their fenced
transactions, and a NOTIFY there would take PostgreSQL's server-wide notify lock at
every commit (see `notify.py`). Polling costs the writers nothing; the reader pays one
indexed query per interval, for all of the process's streams together, and none at all
while nobody is subscribed.

Identity values are handed out at insert but become visible at commit, so a smaller id
can appear after a larger one. The feed keeps a *floor* (every id at or below it was
delivered or given up on) and the ids above it it has delivered; an id missing above
the floor is waited for `gap_seconds` (an insert still committing) and then given up
(a rolled-back insert leaves a hole forever).
"""

import asyncio
import time
from collections.abc import Callable

import asyncpg
import structlog

from controller.store.events import Event, EventFilter
from controller.store.pool import DATABASE_ERRORS
from controller.store.queries import QUERIES

log = structlog.get_logger("berth.events")

POLL_SECONDS = 1.0
GAP_SECONDS = 5.0
BATCH = 1000
SUBSCRIBER_BUFFER = 10_000


class Subscription:
    """A stream's view of the feed: events of one organisation that pass its filter."""

    def __init__(self, organisation_id: int, wanted: EventFilter):
        self.organisation_id = organisation_id
        self.wanted = wanted
        self.queue: asyncio.Queue[Event] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        if event.organisation_id != self.organisation_id or not self.wanted.keeps(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A reader this far behind ends its stream; it resumes with Last-Event-ID.
            self.overflowed = True


class Gaps:
    """The floor-and-seen bookkeeping, apart from IO so it can be tested alone."""

    def __init__(self, floor: int, gap_seconds: float = GAP_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.floor = floor
        self._seen: set[int] = set()
        self._missing_since: dict[int, float] = {}
        self._gap_seconds = gap_seconds
        self._clock = clock

    def fresh(self, ids: list[int]) -> list[int]:
        """The ids not delivered before; records them as delivered and moves the floor."""
        new = [i for i in ids if i > self.floor and i not in self._seen]
        self._seen.update(new)
        self._advance()
        return new

    def _advance(self) -> None:
        now = self._clock()
        while self._seen:
            following = self.floor + 1
            if following in self._seen:
                self._seen.remove(following)
                self._missing_since.pop(following, None)
                self.floor = following
                continue
            since = self._missing_since.setdefault(following, now)
            if now - since < self._gap_seconds:
                return
            self._missing_since.pop(following)
            self.floor = following  # given up: rolled back, or committed very late


class EventFeed:
    def __init__(self, pool: asyncpg.Pool, *, poll_seconds: float = POLL_SECONDS, gap_seconds: float = GAP_SECONDS):
        self._pool = pool
        self._poll_seconds = poll_seconds
        self._gap_seconds = gap_seconds
        self._subscribers: set[Subscription] = set()
        self._someone = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._gaps: Gaps | None = None

    async def subscribe(self, organisation_id: int, wanted: EventFilter) -> Subscription:
        """Events committed from now on reach the subscription (a stream catches up on
        older ones itself)."""
        if self._gaps is None:
            self._gaps = Gaps(await self._pool.fetchval(QUERIES.last_event_id), self._gap_seconds)
        subscription = Subscription(organisation_id, wanted)
        self._subscribers.add(subscription)
        self._someone.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)
        if not self._subscribers:
            self._someone.clear()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            if not self._subscribers:
                self._gaps = None  # idle: start again from the newest event
                await self._someone.wait()
            try:
                await self.poll()
            except DATABASE_ERRORS as error:
                log.warning("event_feed_poll_failed", error=str(error))
            await asyncio.sleep(self._poll_seconds)

    async def poll(self) -> None:
        if self._gaps is None:
            return
        rows = await self._pool.fetch(QUERIES.feed_events, self._gaps.floor, BATCH)
        events = {row["id"]: Event.of(row) for row in rows}
        for event_id in self._gaps.fresh(list(events)):
            for subscription in list(self._subscribers):
                subscription.offer(events[event_id])
