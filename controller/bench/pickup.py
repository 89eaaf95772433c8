"""`berth bench pickup`: how soon after a write commits does its reconcile pass start?

The writer (this process) creates applications through the store's real write
path (`create_application`: desired state and queue rows in one statement, hence
one transaction, with its NOTIFY) at a fixed open-loop rate, and notes
`time.time()` when each statement returns. The real `Worker` runs in a separate
process on the same machine (`controller.bench.pickup_worker`) with a no-op
reconciler that notes `time.time()` when its pass for a key starts. Keys are the
new environments' ids, unique per write. With `no_notify` the worker's listener
is pointed at nothing, so only its poll timer (and passes finishing) wake it.
"""

import asyncio
import dataclasses
import os
import tempfile
import time
from collections import Counter
from typing import Any

import asyncpg
import orjson

from controller.bench import database
from controller.bench.api import BODY
from controller.bench.report import latency_summary, number, table, verdict
from controller.bench.worker_process import (
    WORKER_START_SECONDS,
    start_worker,
    stop_worker,
)
from controller.runtime.settings import RuntimeSettings
from controller.settings import Settings
from controller.store.applications import ENVIRONMENT_KINDS, create_application
from controller.store.kinds import kinds_for
from controller.store.notify import CoalescingNotifier
from controller.store.outcomes import Written
from controller.store.pool import create_pool
from schemas.desired import EnvironmentSpec
from schemas.v3.applications import CreateApplicationRequest

TARGET_P99_MS = 25.0
TARGET_P99_MS_WITHOUT_NOTIFY = 1000.0  # issue 5: ≤ 1 s with notifications lost
WRITER_POOL = 4
NOWHERE = "postgresql://nobody@127.0.0.1:1/nowhere"  # connection refused: no listener
UNDRAINED = "SELECT count(*) FROM work_queue WHERE not_before <= now() OR lease_expires IS NOT NULL"
LISTENING = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
KEYS = "SELECT e.id::text AS key, a.name FROM environments e JOIN applications a ON a.id = e.application_id"


def _specs() -> tuple[dict, dict]:
    """The stored shapes of one valid create request, as the API would write them."""
    wanted = CreateApplicationRequest.model_validate({**BODY, "appName": "x"})
    production = EnvironmentSpec(
        compose=wanted.compose_definition,
        min_capacity=wanted.desired_min_capacity,
        max_capacity=wanted.desired_max_capacity,
    )
    return wanted.to_wire(), production.to_wire()


class Writer:
    def __init__(self, pool: asyncpg.Pool, organisation_id: int):
        self._pool = pool
        self._notifier = CoalescingNotifier(pool)
        self._organisation_id = organisation_id
        self._spec, self._production = _specs()
        self.production_spec = self._production
        self.committed: dict[str, float] = {}
        self.statement_seconds: dict[str, float] = {}
        self.errors = 0

    async def _write(self, name: str) -> None:
        started = time.perf_counter()
        try:
            outcome = await create_application(
                self._pool, self._organisation_id, name, {**self._spec, "appName": name}, self._production
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self.errors += 1
            return
        self.committed[name] = time.time()
        self.statement_seconds[name] = time.perf_counter() - started
        self._notifier.poke(*ENVIRONMENT_KINDS)  # as the API does after each write
        if not isinstance(outcome, Written):
            self.errors += 1

    async def at_rate(self, prefix: str, rate: float, seconds: float) -> list[str]:
        """Open loop: write `rate`/s for `seconds` whatever the answers take; the names written."""
        names = [f"{prefix}-{n}" for n in range(max(1, round(rate * seconds)))]
        began = time.perf_counter()
        tasks = []
        for index, name in enumerate(names):
            delay = began + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._write(name)))
        await asyncio.gather(*tasks)
        return names


async def _start_worker(dsn: str, runtime: RuntimeSettings, no_notify: bool, output) -> asyncio.subprocess.Process:
    arguments = ["--dsn", dsn, "--runtime", orjson.dumps(dataclasses.asdict(runtime)).decode()]
    if no_notify:
        arguments += ["--listen-dsn", NOWHERE]
    return await start_worker("controller.bench.pickup_worker", arguments, output)


async def _until(pool: asyncpg.Pool, query: str, done, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done(await pool.fetchval(query)):
            return True
        await asyncio.sleep(0.05)
    return False


async def bench_pickup(args: Any, settings: Settings) -> dict:
    rate, seconds = float(args.rate), float(args.seconds)
    no_notify = bool(getattr(args, "no_notify", False))
    warmup_seconds = getattr(args, "warmup_seconds", None) or 1.0
    drain_seconds = 2 * settings.runtime.poll_seconds + 10.0
    load = os.getloadavg()[0]  # others' work on this machine shows up in every number below
    async with database.bench_database(database.server_dsn(settings)) as dsn:
        (tenant,) = await database.seed_tenants(dsn)
        pool = await create_pool(dsn, min_size=WRITER_POOL, max_size=WRITER_POOL)
        try:
            writer = Writer(pool, tenant.organisation.id)
            with tempfile.TemporaryFile() as output:
                worker = await _start_worker(dsn, settings.runtime, no_notify, output)
                try:
                    if not no_notify:
                        await _until(pool, LISTENING, lambda n: n > 0, WORKER_START_SECONDS)
                    await writer.at_rate("warm", rate, warmup_seconds)
                    await _until(pool, UNDRAINED, lambda n: n == 0, drain_seconds)
                    await database.checkpoint(dsn)
                    began = time.perf_counter()
                    measured = await writer.at_rate("app", rate, seconds)
                    wrote_for = time.perf_counter() - began
                    drained = await _until(pool, UNDRAINED, lambda n: n == 0, drain_seconds)
                finally:
                    seen = await stop_worker(worker, output)
            keys = {r["key"]: r["name"] for r in await pool.fetch(KEYS)}
            version = await database.server_version(dsn)
        finally:
            await pool.close()
    run = {
        "rate": rate,
        "seconds": seconds,
        "warmup_seconds": warmup_seconds,
        "achieved_rate": round(len(measured) / wrote_for, 1),
        "notify": not no_notify,
        "drained": drained,
        "postgres": version,
        "load_average_before": round(load, 2),
    }
    return _result(seen, keys, writer, set(measured), run)


def _result(seen: dict, keys: dict[str, str], writer: Writer, measured: set[str], run: dict) -> dict:
    first: dict[tuple[str, str], tuple[float, str]] = {}
    for kind, key, started, woken_by in seen["passes"]:
        first.setdefault((kind, key), (started, woken_by))
    latencies: list[float] = []
    woken: Counter[str] = Counter()
    for (_, key), (started, woken_by) in first.items():
        name = keys.get(key)
        if name in measured and name in writer.committed:
            latencies.append(started - writer.committed[name])
            woken[woken_by] += 1
    expected = len([n for n in measured if n in writer.committed]) * len(kinds_for(writer.production_spec))
    statements = [writer.statement_seconds[n] for n in measured if n in writer.statement_seconds]
    written = {"count": len(statements), **latency_summary(statements)}
    result = {
        "benchmark": "pickup",
        **run,
        "worker": "separate process, same machine (time.time() on both sides)",
        "poll_seconds": seen["poll_seconds"],
        "concurrency": seen["concurrency"],
        "kinds": kinds_for(writer.production_spec),
        "count": len(latencies),
        "expected": expected,
        "missed": expected - len(latencies),
        "write_errors": writer.errors,
        "negative": sum(1 for x in latencies if x < 0),
        **latency_summary(latencies),
        "write_statement": written,
        "woken_by": dict(woken),
        "claims_by_wake": seen["claims"],
    }
    target = TARGET_P99_MS if run["notify"] else TARGET_P99_MS_WITHOUT_NOTIFY
    result["target"] = {"p99_ms": target, "met": result["p99_ms"] <= target}
    return result


def _row(label: str, summary: dict) -> list[str]:
    figures = (number(summary[f"{p}_ms"], 2) for p in ("p50", "p90", "p99", "max"))
    return [label, number(summary["count"]), *figures]


def _tally(counts: dict[str, int]) -> str:
    return " · ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "—"


def render_pickup(result: dict) -> str:
    headers = ["", "count", "p50 ms", "p90 ms", "p99 ms", "max ms"]
    rows = [_row("commit → reconcile start", result), _row("write statement (for scale)", result["write_statement"])]
    notify = "on" if result["notify"] else "OFF (listener pointed at nothing)"
    return "\n".join([
        f"berth bench pickup — {result['rate']:g} writes/s for {result['seconds']:g} s "
        f"(achieved {result['achieved_rate']:g}/s, after {result['warmup_seconds']:g} s warm-up); "
        f"real Worker in a separate process on this machine; NOTIFY {notify}, poll {result['poll_seconds']:g} s, "
        f"concurrency {result['concurrency']}; PostgreSQL {result['postgres']}; "
        f"1-min load average before: {result['load_average_before']:g}",
        "",
        table(headers, rows),
        "",
        f"missed (never started): {result['missed']:,}   write errors: {result['write_errors']:,}   "
        f"started before the writer's statement returned: {result['negative']:,}",
        f"passes, by what woke the claim that found them: {_tally(result['woken_by'])}",
        f"all worker claims, by what woke them: {_tally(result['claims_by_wake'])}",
        f"target p99 ≤ {result['target']['p99_ms']:g} ms: {result['p99_ms']:.2f} ms  {verdict(result['target']['met'])}",
    ])  # fmt: skip
