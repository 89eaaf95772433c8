"""The controller side of `berth bench reconciles`, run as its own process.

It runs the real `Worker` (pool, claims, leases and their renewal, LISTEN/NOTIFY,
the fenced state store, the pass summary) with one no-change reconciler per kind
the API's create enqueues. Each pass does what a real reconciler's pass over a
converged application does, minus the network: it reads the environment and its
own status from PostgreSQL, "observes" a fake cloud (an in-memory map seeded at
start from the stored specs, so it already matches), plans (compares desired with
observed) and, finding nothing to do, returns `Done` without a write. A pass that
does find a difference applies it to the fake cloud and writes its status, and is
counted: a converged run must count none.

Prints "ready" once the fake cloud is seeded and the pool is up; when its stdin
closes, stops the worker and prints one JSON object:
{"passes": n, "changes": n, "errors": n, "first": t, "last": t} (`time.time()` of the first and
last pass start), and with `--record` also "record": [[kind, key, start, end], ...], every
pass's `time.time()` at its start and end, for checking that no key ran on two processes at once.
"""

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import orjson

from controller.logging import configure
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.store.applications import ENVIRONMENT_KINDS
from controller.store.pool import create_pool
from reconcilers.ports import ReconcileContext, StatusUpdate
from reconcilers.results import Done, Result
from schemas.status import Condition, ConditionType

SPECS = "SELECT id::text AS key, spec FROM environments WHERE deleted_at IS NULL"
CONVERGED = "Converged"
POOL_SIZE = 10


class FakeCloud:
    """What each environment looks like in the cloud: here, exactly its desired spec."""

    def __init__(self) -> None:
        self.observed: dict[str, dict] = {}

    async def seed(self, pool: asyncpg.Pool) -> None:
        for row in await pool.fetch(SPECS):
            self.observed[row["key"]] = row["spec"]

    def describe(self, key: str) -> dict | None:
        return self.observed.get(key)


def ready(generation: int) -> StatusUpdate:
    now = datetime.now(UTC)
    condition = Condition(type=ConditionType.READY, status=True, reason=CONVERGED, last_transition_time=now)
    return StatusUpdate(observed_generation=generation, conditions=[condition])


class NoChange:
    """Observe → plan → (nothing to apply) → Done; counts its passes and the changes it had to make."""

    def __init__(self, kind: str, cloud: FakeCloud, tally: dict):
        self.kind = kind
        self._cloud = cloud
        self._tally = tally

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        record = self._tally.get("record")
        if record is None:
            return await self._reconcile(ctx)
        started = time.time()
        try:
            return await self._reconcile(ctx)
        finally:
            record.append([ctx.kind, ctx.key, started, time.time()])

    async def _reconcile(self, ctx: ReconcileContext) -> Result:
        now = time.time()
        self._tally["first"] = self._tally["first"] or now
        self._tally["last"] = now
        self._tally["passes"] += 1
        try:
            environment = await ctx.store.environment(UUID(ctx.key))
            status = await ctx.store.status(ctx.kind, ctx.key)
        except Exception:
            self._tally["errors"] += 1  # the worker retries the key: a pass more than the keys
            raise
        if environment is None:
            return Done()
        desired = environment.spec.to_wire()
        observed = self._cloud.describe(ctx.key)
        converged = status is not None and status.observed_generation >= environment.generation and any(
            c.type == ConditionType.READY and c.status for c in status.conditions
        )
        if observed != desired or not converged:
            self._cloud.observed[ctx.key] = desired
            await ctx.store.write_status(ready(environment.generation))
            self._tally["changes"] += 1
        return Done()


async def _until_stdin_closes() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)


async def run(dsn: str, settings: RuntimeSettings, *, record: bool = False) -> dict:
    tally = {"passes": 0, "changes": 0, "errors": 0, "first": 0.0, "last": 0.0, **({"record": []} if record else {})}
    # Few connections: the database has as many cores as this machine (and, in CI, other users).
    pool = await create_pool(dsn, min_size=2, max_size=POOL_SIZE)
    try:
        cloud = FakeCloud()
        await cloud.seed(pool)
        worker = Worker(pool, dsn, [NoChange(k, cloud, tally) for k in ENVIRONMENT_KINDS], settings)
        print("ready", flush=True)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await _until_stdin_closes()
        stop.set()
        await running
    finally:
        await pool.close()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--runtime", default="{}", help="RuntimeSettings fields as JSON")
    parser.add_argument("--profile", help="write cProfile stats here")
    parser.add_argument("--record", action="store_true", help="report every pass's start and end")
    args = parser.parse_args()
    configure("WARNING")
    settings = RuntimeSettings(**orjson.loads(args.runtime))
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(asyncio.run, run(args.dsn, settings, record=args.record))
        profiler.dump_stats(args.profile)
    else:
        result = asyncio.run(run(args.dsn, settings, record=args.record))
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
