"""The loop runner: claim due keys, run one pass per key, schedule the next pass.

One process runs one `Worker` for all its reconciler kinds. Keys are leased
in PostgreSQL, so a key never runs twice at once across any number of
processes; each kind has its own bound on passes in flight here.
"""

import asyncio
import math
import random
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

import asyncpg
import structlog

from controller.runtime import metrics
from controller.runtime.backoff import COHORT_JITTER_SECONDS, failure_delay, on_cohort, resync_delay
from controller.runtime.context import PassContext, PassReconciler
from controller.runtime.pass_events import CountingStore, summarise
from controller.runtime.listener import listen
from controller.runtime.settings import RuntimeSettings
from controller.store.kube_observed import KubeFencedStateStore
from controller.store.pool import DATABASE_ERRORS, create_pool
from controller.store.queue import Lease, WorkQueue
from reconcilers.ports import LeaseLost, StatusUpdate
from reconcilers.results import Done, Forget, PermanentError, RequeueAfter, TemporaryError
from schemas.kind_graph import watchers
from schemas.status import Condition, ConditionType, set_condition

log = structlog.get_logger("berth.controller")

# A kind whose last claim filled every slot has a backlog: it claims again once half its
# slots are free, or this long after the first one freed, so that passes arrive in waves
# (and their cloud reads batch) instead of one or two at a time. A kind with no backlog
# claims at once, so a write's pass starts without this wait.
WAVE_WAIT_SECONDS = 0.02

# A pass stops by this fraction of its lease unless renewed: the lease began in
# PostgreSQL before our clock read `asked`, and must not run out under a live pass.
LEASE_SAFETY = 0.8


def worker_name() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        reconcilers: Sequence[PassReconciler],
        settings: RuntimeSettings,
        *,
        name: str | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        watching: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ):
        """`watching`: kind → {the kinds that read its outputs: the outputs they read};
        the declared graph's (`kind_graph.watchers`) unless a test names its own."""
        self._pool = pool
        self._dsn = dsn
        self._queue = WorkQueue(pool)
        self._renewals = self._queue  # until `run` opens the renewals' own connection
        self._reconcilers = {r.kind: r for r in reconcilers}
        # kind -> {the kinds that need its outputs: the outputs they read}, from the
        # declared graph, whichever process runs the dependents
        self._watchers: dict[str, dict[str, tuple[str, ...]]] = {
            kind: {reader: tuple(read) for reader, read in readers.items()}
            for kind, readers in (watchers() if watching is None else watching).items()
        }
        self._settings = settings
        self.name = name or worker_name()
        self._rng = rng or random.Random()
        self._clock = clock
        # This process's offset from the shared resync boundaries: its own generator,
        # so that `rng`'s sequence (which tests replay) is the passes' alone.
        self._cohort_offset = random.Random().uniform(0.0, COHORT_JITTER_SECONDS)
        self._wake = asyncio.Event()
        self._in_flight: dict[uuid.UUID, tuple[Lease, asyncio.Task]] = {}
        self._deadlines: dict[uuid.UUID, float] = {}  # monotonic time a lease may run out
        self._running: dict[str, int] = dict.fromkeys(self._reconcilers, 0)
        self._backlog: dict[str, bool] = dict.fromkeys(self._reconcilers, False)
        self._freed_at: dict[str, float] = {}  # kind -> when its first slot freed in a backlog
        # Passes that ended wait here for the next batched `finish_many` (one commit for many).
        self._finishing: list[tuple[tuple[Lease, float, int, str | None], asyncio.Future]] = []
        self._finisher: asyncio.Task | None = None
        for kind, reconciler in self._reconcilers.items():
            metrics.known(kind, getattr(reconciler, "concurrency", settings.concurrency))

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then finish what is in flight (or hand it back)."""
        log.info("controller_started", worker=self.name, kinds=sorted(self._reconcilers))
        stop_helpers = asyncio.Event()
        # Renewals get a connection of their own: passes queueing for the shared pool
        # must never delay the renewal that keeps their leases alive.
        renewal_pool = await create_pool(self._dsn, min_size=0, max_size=1)
        self._renewals = WorkQueue(renewal_pool)
        helpers = [
            asyncio.create_task(listen(self._dsn, self._wake, stop_helpers), name="listener"),
            asyncio.create_task(self._renew_leases(stop_helpers), name="lease renewal"),
        ]
        for helper in helpers:
            helper.add_done_callback(lambda _: self._wake.set())
        grace = self._settings.shutdown_grace_seconds
        try:
            while not stop.is_set():
                _raise_if_stopped(helpers)
                self._wake.clear()
                try:
                    more_due, wave_in = await self._claim_all()
                except DATABASE_ERRORS as error:
                    log.warning("claim_failed", worker=self.name, error=str(error))
                    more_due, wave_in = False, None
                if not more_due:
                    poll = self._settings.poll_seconds
                    await _first_of(self._wake, stop, timeout=poll if wave_in is None else min(wave_in, poll))
        except HelperStopped:
            grace = 0.0  # nothing renews or watches the leases any more: stop the passes now
            raise
        finally:
            await self._drain(grace)
            stop_helpers.set()
            await asyncio.gather(*helpers, return_exceptions=True)
            await renewal_pool.close()
            log.info("controller_stopped", worker=self.name)

    async def _claim_all(self) -> tuple[bool, float | None]:
        """Fill free slots of every kind, in waves while a kind has a backlog. Returns
        whether a kind filled up (more may be due) and, when a kind is waiting for its
        wave, the seconds until its timer runs out."""
        filled, wave_in = False, None
        for kind, reconciler in self._reconcilers.items():
            concurrency = getattr(reconciler, "concurrency", self._settings.concurrency)
            free = concurrency - self._running[kind]
            if free <= 0:
                continue
            if self._backlog[kind] and self._running[kind] and free < math.ceil(concurrency / 2):
                waited = time.monotonic() - self._freed_at.setdefault(kind, time.monotonic())
                if waited < WAVE_WAIT_SECONDS:
                    remaining = WAVE_WAIT_SECONDS - waited
                    wave_in = remaining if wave_in is None else min(wave_in, remaining)
                    continue
            asked = time.monotonic()
            leases = await self._queue.claim(kind, free, self.name, self._settings.lease_seconds)
            for lease in leases:
                self._start(reconciler, lease, asked)
            self._backlog[kind] = len(leases) == free
            self._freed_at.pop(kind, None)
            filled |= len(leases) == free
        return filled, wave_in

    def _start(self, reconciler: PassReconciler, lease: Lease, asked: float) -> None:
        self._running[lease.kind] += 1
        metrics.claimed(lease.kind, (lease.claimed_at - lease.enqueued_at).total_seconds())
        task = asyncio.create_task(self._pass(reconciler, lease))
        self._in_flight[lease.token] = (lease, task)
        self._deadlines[lease.token] = asked + self._settings.lease_seconds * LEASE_SAFETY

        def finished(_: asyncio.Task) -> None:
            self._running[lease.kind] -= 1
            if self._backlog[lease.kind]:
                self._freed_at.setdefault(lease.kind, time.monotonic())
            metrics.released(lease.kind)
            self._in_flight.pop(lease.token, None)
            self._deadlines.pop(lease.token, None)
            self._wake.set()

        task.add_done_callback(finished)

    async def _pass(self, reconciler: PassReconciler, lease: Lease) -> None:
        store = CountingStore(
            KubeFencedStateStore(
                self._pool, lease.kind, lease.key, lease.token, preload=lease.preload, watchers=self._watchers.get(lease.kind, {})
            )
        )
        ctx = PassContext(lease.kind, lease.key, uuid.uuid4().hex[:16], store)
        started = time.perf_counter()
        outcome, attempts, delay, error = "done", 0, 0.0, None
        try:
            result = await reconciler.reconcile(ctx)
            if isinstance(result, Forget):
                outcome = "forget"
            elif isinstance(result, RequeueAfter):
                outcome, delay = "requeue", result.seconds
                ctx.bind(requeue_reason=result.reason)
            else:
                assert isinstance(result, Done), f"{reconciler.kind} returned {result!r}"
                delay = self._resync_delay()
        except LeaseLost:
            outcome = "lease_lost"
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except TemporaryError as exc:
            attempts = lease.attempts + 1
            outcome, error = "temporary_error", str(exc)
            # At least its own delay; more when it keeps happening (throttling, say).
            delay = max(exc.delay, failure_delay(attempts, self._rng))
        except PermanentError as exc:
            outcome, error = "permanent_error", f"{exc.reason}: {exc}"
            delay = self._resync_delay()
            try:
                await self._record_permanent(ctx, exc)
            except LeaseLost:
                outcome = "lease_lost"
            except DATABASE_ERRORS as record_error:
                # Not recorded: retry soon rather than wait a whole resync to say why.
                outcome, attempts = "error", lease.attempts + 1
                delay = failure_delay(attempts, self._rng)
                error = f"{error} (not recorded: {record_error})"
        except Exception as exc:  # noqa: BLE001 — one place maps every failure to backoff
            attempts = lease.attempts + 1
            outcome, delay = "error", failure_delay(attempts, self._rng)
            error = f"{type(exc).__name__}: {exc}"
            ctx.bind(exc_info=exc)
        finally:
            # The pass has stopped acting on the cloud: what is left (its events, its
            # finish) is fenced in PostgreSQL, so its lease no longer needs watching, and
            # a renewal racing its finish must not cancel it as "lease lost".
            self._deadlines.pop(lease.token, None)
            elapsed = time.perf_counter() - started
            metrics.finished(lease.kind, outcome, elapsed)
            ctx.log(
                "reconcile",
                outcome=outcome,
                duration_ms=round(elapsed * 1000, 2),
                queue_ms=round((lease.claimed_at - lease.enqueued_at).total_seconds() * 1000, 2),
                attempts=attempts,
                **({"next_in_s": round(delay, 3)} if outcome not in ("forget", "lease_lost") else {}),
                **({"error": error} if error else {}),
            )
        await summarise(store, lease.key, outcome, elapsed, delay=delay, error=error,
                        first_failure=lease.attempts == 0, requeue_reason=ctx.fields.get("requeue_reason"))
        await self._schedule_next(lease, outcome, delay, attempts, error)

    def _resync_delay(self) -> float:
        drawn = resync_delay(self._settings.resync_seconds, self._rng)
        return on_cohort(drawn, time.time(), self._settings.resync_cohort_seconds, self._cohort_offset)

    async def _schedule_next(
        self, lease: Lease, outcome: str, delay: float, attempts: int, error: str | None
    ) -> None:
        if outcome == "lease_lost":
            return
        try:
            if outcome == "forget":
                await self._queue.forget(lease)
            else:
                await self._finish(lease, delay, attempts, error)
        except DATABASE_ERRORS as exc:
            # The lease expires and another pass runs; nothing is lost.
            log.warning("finish_failed", kind=lease.kind, key=lease.key, error=str(exc))

    async def _finish(self, lease: Lease, delay: float, attempts: int, error: str | None) -> None:
        """Schedule the next pass, batched with every other pass that ends meanwhile:
        per-pass commits were the no-change reconcile's largest cost (docs/benchmarks.md)."""
        future = asyncio.get_running_loop().create_future()
        self._finishing.append(((lease, delay, attempts, error), future))
        if self._finisher is None or self._finisher.done():
            self._finisher = asyncio.create_task(self._flush_finishes())
        await future

    async def _flush_finishes(self) -> None:
        while self._finishing:
            batch, self._finishing = self._finishing, []
            try:
                await self._queue.finish_many([finished for finished, _ in batch])
            except DATABASE_ERRORS:
                # One at a time instead (a batch may meet a multi-row enqueue in a deadlock).
                for (lease, delay, attempts, error), future in batch:
                    try:
                        await self._queue.finish(lease, delay=delay, attempts=attempts, error=error)
                    except DATABASE_ERRORS as exc:
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(None)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _record_permanent(self, ctx: PassContext, exc: PermanentError) -> None:
        now = self._clock()
        previous = await ctx.store.status(ctx.kind, ctx.key)
        conditions = previous.conditions if previous else []
        for condition in (
            Condition(type=ConditionType.READY, status=False, reason=exc.reason, message=str(exc), last_transition_time=now),
            Condition(type=ConditionType.DEGRADED, status=True, reason=exc.reason, message=str(exc), last_transition_time=now),
        ):
            conditions = set_condition(conditions, condition)
        await ctx.store.write_status(
            StatusUpdate(
                observed_generation=ctx.fields.get("generation", previous.observed_generation if previous else 0),
                conditions=conditions,
                outputs=previous.outputs if previous else {},
            )
        )

    async def _renew(self, tokens: list[uuid.UUID], lease_seconds: float) -> set[uuid.UUID]:
        return await self._renewals.renew(tokens, lease_seconds)

    async def _renew_leases(self, stop: asyncio.Event) -> None:
        """Extend the leases of passes in flight every third of the lease.

        Fencing keeps a pass that lost its lease out of PostgreSQL, but not out of
        the cloud; so a pass is also cancelled here once its lease may have run out
        — renewed or not — before anyone else can claim the key. While renewals
        fail, they are retried often, so a passing fault costs no pass.
        """
        lease = self._settings.lease_seconds
        interval = lease / 3
        while not stop.is_set():
            await _first_of(stop, timeout=interval)
            interval = lease / 3
            tokens = list(self._in_flight)
            if tokens:
                asked = time.monotonic()
                try:
                    held = await self._renew(tokens, lease)
                except DATABASE_ERRORS as error:
                    log.warning("renew_failed", worker=self.name, error=str(error))
                    interval = lease / 10
                else:
                    for token in held:
                        if token in self._deadlines:
                            self._deadlines[token] = asked + lease * LEASE_SAFETY
                    for token in set(tokens) - held:
                        if token in self._deadlines:  # still acting, not already finishing
                            self._abandon(token, "lease_lost")
            now = time.monotonic()
            for token, deadline in list(self._deadlines.items()):
                if deadline <= now:
                    self._abandon(token, "lease_expiring")

    def _abandon(self, token: uuid.UUID, why: str) -> None:
        entry = self._in_flight.get(token)
        if entry is not None:
            log.warning(why, kind=entry[0].kind, key=entry[0].key, worker=self.name)
            entry[1].cancel()
            self._deadlines.pop(token, None)

    async def _drain(self, grace: float) -> None:
        """Give passes in flight `grace` seconds, then cancel them and hand their keys back."""
        if self._in_flight and grace > 0:
            tasks = [task for _, task in self._in_flight.values()]
            await asyncio.wait(tasks, timeout=grace)
        leftover = dict(self._in_flight)
        for _, task in leftover.values():
            task.cancel()
        if leftover:
            await asyncio.gather(*(t for _, t in leftover.values()), return_exceptions=True)
            try:
                await self._queue.release(list(leftover))
            except DATABASE_ERRORS as error:
                log.warning("release_failed", error=str(error), keys=len(leftover))


class HelperStopped(RuntimeError):
    """The listener or the lease renewal ended while the worker runs: going on without
    them would let leases lapse under live passes, so the process stops (and restarts)."""


def _raise_if_stopped(helpers: list[asyncio.Task]) -> None:
    for helper in helpers:
        if helper.done():
            error = None if helper.cancelled() else helper.exception()
            log.error("helper_stopped", helper=helper.get_name(), error=repr(error))
            raise HelperStopped(f"the worker's {helper.get_name()} stopped: {error!r}") from error


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
