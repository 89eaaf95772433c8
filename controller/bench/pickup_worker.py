"""The controller side of `berth bench pickup`, run as its own process.

It runs the real `Worker` (pool, claims, LISTEN/NOTIFY listener, poll timer,
the runtime settings the bench was started with, as `berth controller` would) with a no-op reconciler for
every kind the API's create enqueues. The reconciler notes `time.time()` when a
pass starts; the bench process, on the same machine, notes when each write
committed. Prints "ready" once the pool is up; when its stdin closes, stops the
worker and prints one JSON object: {"passes": [[kind, key, started, woken_by], …]}.
"""

import argparse
import asyncio
import sys
import time
from collections import Counter
from typing import Literal

import orjson

from controller.logging import configure
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.store.applications import ENVIRONMENT_KINDS
from controller.store.pool import create_pool
from reconcilers.ports import ReconcileContext
from reconcilers.results import Done, Result

# What set the worker's wake event, by the name of the function that set it.
WAKERS = {"notified": "notify", "finished": "pass finished", "listen": "listener connected"}


class WakeLedger(asyncio.Event):
    """The worker's wake event, remembering what woke the loop before each claim.

    Bench instrumentation only: the loop clears the event right before it claims,
    so at that moment the first `set()` since the last clear (or, failing that,
    the poll timer, or a claim that filled every slot) is why the claim ran.
    """

    def __init__(self) -> None:
        super().__init__()
        self._cause: str | None = None
        self._waited = False
        self.current = "start"
        self.claims: Counter[str] = Counter()

    def set(self) -> None:
        if self._cause is None:
            caller = sys._getframe(1).f_code.co_name
            self._cause = WAKERS.get(caller, caller)
        super().set()

    async def wait(self) -> Literal[True]:
        self._waited = True
        return await super().wait()

    def clear(self) -> None:
        if self._cause is not None and self.is_set():
            self.current = self._cause
        elif self._waited:
            self.current = "poll"
        elif self.current != "start":
            self.current = "backlog"
        self.claims[self.current] += 1
        self._cause, self._waited = None, False
        super().clear()


class Recorder:
    """A no-op reconciler that notes when each of its passes started."""

    def __init__(self, kind: str, passes: list, ledger: WakeLedger):
        self.kind = kind
        self._passes = passes
        self._ledger = ledger

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        self._passes.append((ctx.kind, ctx.key, time.time(), self._ledger.current))
        return Done()


async def _until_stdin_closes() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.buffer.read)


async def run(dsn: str, listen_dsn: str, settings: RuntimeSettings) -> dict:
    passes: list = []
    pool = await create_pool(dsn, min_size=2, max_size=settings.concurrency * 2 + 4)
    try:
        ledger = WakeLedger()
        worker = Worker(pool, listen_dsn, [Recorder(k, passes, ledger) for k in ENVIRONMENT_KINDS], settings)
        if isinstance(getattr(worker, "_wake", None), asyncio.Event):
            worker._wake = ledger  # noqa: SLF001 — instrumentation, see WakeLedger
        else:  # the runtime changed shape: measure without attribution
            ledger.current = "unknown"
            ledger.claims.clear()
        print("ready", flush=True)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await _until_stdin_closes()
        stop.set()
        await running
    finally:
        await pool.close()
    return {
        "passes": passes,
        "claims": dict(ledger.claims),
        "poll_seconds": settings.poll_seconds,
        "concurrency": settings.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--listen-dsn", help="where the listener connects (default: --dsn)")
    parser.add_argument("--runtime", default="{}", help="RuntimeSettings fields as JSON (the bench's own)")
    args = parser.parse_args()
    # A listener pointed at nothing complains once a second; that is the point of --no-notify.
    configure("ERROR" if args.listen_dsn else "WARNING")
    settings = RuntimeSettings(**orjson.loads(args.runtime))
    result = asyncio.run(run(args.dsn, args.listen_dsn or args.dsn, settings))
    sys.stdout.buffer.write(orjson.dumps(result) + b"\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
