"""`berth bench reconciles`: no-change reconciles/s per controller process, and 2 (3) vs 1.

A fresh database gets N applications through the store's real write path (one
production environment each, so three queue rows: ecs-environment,
environment-network, ecs-autoscaling) and a Ready status at its generation for
every (environment, kind): all converged. Then, for each number of controller
processes in `--processes` (default 1 and 2; each its own OS process, `controller.bench.reconciles_worker`: the real
`Worker` with no-change reconcilers over a fake cloud that already matches), the
bench makes every key due at once (`requeue_all`, what a restart does) and times
how long the processes take to give every key its pass. The resync period is set
beyond the run, so each key gets exactly one pass per round. The workers record
every pass's start and end, and the bench checks that each key ran exactly once per
round and never on two processes at once.
"""

import asyncio
import dataclasses
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import asyncpg
import orjson

from controller.bench import database
from controller.bench.pickup import UNDRAINED, _specs
from controller.bench.reconciles_worker import ready
from controller.bench.report import number, table, verdict
from controller.bench.worker_process import (
    WORKER_START_SECONDS,
    start_worker,
    stop_worker,
)
from controller.settings import Settings
from controller.store.applications import create_application
from controller.store.kinds import kinds_for
from controller.store.outcomes import Written
from controller.store.pool import create_pool
from controller.store.queries import QUERIES

DEFAULT_APPLICATIONS = 10_000
DEFAULT_ROUNDS = 2
DEFAULT_PROCESSES = "1,2"
TARGET_PER_PROCESS = 2000.0
TARGET_SCALING = 1.7
NO_RESYNC_SECONDS = 7 * 24 * 3600.0
WRITERS = 8
ROUND_TIMEOUT_SECONDS = 600.0
NOT_WRITTEN = "application {name} was not written: {outcome!r}"
NOT_DRAINED = "round did not finish within {seconds:g} s"
KEYS = "SELECT id AS environment_id, generation FROM environments"
PARK = "UPDATE work_queue SET not_before = now() + interval '1 day'"
KINDS = "SELECT array_agg(DISTINCT kind) FROM work_queue"



async def _seed(pool: asyncpg.Pool, organisation_id: int, applications: int) -> list[str]:
    spec, production = _specs()
    names = [f"app-{n}" for n in range(applications)]
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in names:
        queue.put_nowait(name)

    async def writer() -> None:
        while not queue.empty():
            name = queue.get_nowait()
            outcome = await create_application(pool, organisation_id, name, {**spec, "appName": name}, production)
            if not isinstance(outcome, Written):
                raise RuntimeError(NOT_WRITTEN.format(name=name, outcome=outcome))

    await asyncio.gather(*(writer() for _ in range(WRITERS)))
    kinds = kinds_for(production)
    rows: list[tuple[Any, ...]] = []
    for row in await pool.fetch(KEYS):
        update = ready(row["generation"])
        conditions = [c.to_wire() for c in update.conditions]
        rows += [(kind, str(row["environment_id"]), update.observed_generation, conditions, {}) for kind in kinds]
    await pool.executemany(QUERIES.write_status, rows)
    await pool.execute(PARK)
    return kinds


def overlapping(records_by_process: Iterable[list]) -> list[str]:
    """The keys (kind/key) whose passes overlapped in time, on one process or across
    processes, from the workers' records ([kind, key, start, end] each)."""
    by_key: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for records in records_by_process:
        for kind, key, start, end in records:
            by_key[f"{kind}/{key}"].append((start, end))
    found = []
    for key, intervals in by_key.items():
        intervals.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(intervals, intervals[1:])):
            found.append(key)
    return sorted(found)


def passes_per_key(records_by_process: Iterable[list]) -> Counter:
    return Counter(f"{kind}/{key}" for records in records_by_process for kind, key, _, _ in records)


def parse_processes(text: str | None) -> list[int]:
    counts = [int(part) for part in (text or DEFAULT_PROCESSES).split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise ValueError(f"--processes wants counts of at least 1, like 1,2,3: {text!r}")
    return counts


async def _start(dsn: str, runtime: dict, output, profile: str | None) -> asyncio.subprocess.Process:
    arguments = ["--dsn", dsn, "--runtime", orjson.dumps(runtime).decode(), "--record"]
    if profile:
        arguments += ["--profile", profile]
    return await start_worker("controller.bench.reconciles_worker", arguments, output, WORKER_START_SECONDS * 4)


async def _round(pool: asyncpg.Pool) -> float:
    """Make every key due; the seconds until every key has had its pass."""
    began = time.perf_counter()
    await pool.execute(QUERIES.requeue_all)
    await pool.execute(QUERIES.notify, await pool.fetchval(KINDS))  # as a restart's writes would, not the poll
    deadline = time.monotonic() + ROUND_TIMEOUT_SECONDS
    while await pool.fetchval(UNDRAINED):
        if time.monotonic() > deadline:
            raise RuntimeError(NOT_DRAINED.format(seconds=ROUND_TIMEOUT_SECONDS))
        await asyncio.sleep(0.02)
    return time.perf_counter() - began


async def _measure(dsn: str, pool: asyncpg.Pool, processes: int, runtime: dict, rounds: int,
                   keys: int, profile: str | None) -> dict:  # fmt: skip
    outputs = [tempfile.TemporaryFile() for _ in range(processes)]
    try:
        workers = []
        for index, output in enumerate(outputs):
            workers.append(await _start(dsn, runtime, output, f"{profile}.{index}" if profile else None))
        try:
            await _round(pool)  # warm-up: connections, prepared statements, caches
            seconds = [await _round(pool) for _ in range(rounds)]
        finally:
            tallies = [await stop_worker(w, o) for w, o in zip(workers, outputs, strict=True)]
    finally:
        for output in outputs:
            output.close()
    best = min(seconds)
    records = [t.pop("record", []) for t in tallies]
    counts = passes_per_key(records)
    return {
        "processes": processes,
        "rounds_seconds": [round(s, 3) for s in seconds],
        "passes_per_second": round(keys / best, 1),
        "per_process": round(keys / best / processes, 1),
        "passes": [t["passes"] for t in tallies],
        "changes": sum(t["changes"] for t in tallies),
        "errors": sum(t["errors"] for t in tallies),
        # the warm-up round and the measured ones: every key exactly once in each
        "each_key_once_per_round": len(counts) == keys and set(counts.values()) == {rounds + 1},
        "keys_run_at_once_twice": len(overlapping(records)),
    }


async def bench_reconciles(args: Any, settings: Settings) -> dict:
    applications = int(getattr(args, "applications", None) or DEFAULT_APPLICATIONS)
    rounds = int(getattr(args, "rounds", None) or DEFAULT_ROUNDS)
    concurrency = int(getattr(args, "concurrency", None) or settings.runtime.concurrency)
    runtime = {**dataclasses.asdict(settings.runtime), "resync_seconds": NO_RESYNC_SECONDS, "concurrency": concurrency}
    profile = getattr(args, "profile", None)
    process_counts = parse_processes(getattr(args, "processes", None))
    load = os.getloadavg()[0]
    async with database.bench_database(database.server_dsn(settings)) as dsn:
        (tenant,) = await database.seed_tenants(dsn)
        pool = await create_pool(dsn, min_size=2, max_size=WRITERS)
        try:
            started = time.perf_counter()
            kinds = await _seed(pool, tenant.organisation.id, applications)
            seeded = time.perf_counter() - started
            keys = applications * len(kinds)
            await database.checkpoint(dsn)
            runs = [
                await _measure(dsn, pool, count, runtime, rounds, keys, profile if count == 1 else None)
                for count in process_counts
            ]
            version = await database.server_version(dsn)
        finally:
            await pool.close()
    by_count = {run["processes"]: run for run in runs}
    one = by_count.get(1)
    scalings = {
        str(count): round(run["passes_per_second"] / one["passes_per_second"], 2)
        for count, run in by_count.items() if one is not None and count != 1
    }  # fmt: skip
    scaling = scalings.get("2")
    return {
        "benchmark": "reconciles",
        "applications": applications,
        "kinds": kinds,
        "keys": keys,
        "concurrency_per_kind": concurrency,
        "seed_seconds": round(seeded, 1),
        "postgres": version,
        "cpus": os.cpu_count(),
        "load_average_before": round(load, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "runs": runs,
        "scaling": scaling,
        "scalings": scalings,
        "target": {
            "per_process": TARGET_PER_PROCESS,
            "per_process_met": one is not None and one["passes_per_second"] >= TARGET_PER_PROCESS,
            "scaling": TARGET_SCALING,
            "scaling_met": scaling is not None and scaling >= TARGET_SCALING,
        },
    }


def render_reconciles(result: dict) -> str:
    headers = ["controller processes", "rounds (s)", "passes/s", "per process", "passes by process",
               "each key once a round", "keys run twice at once", "changes", "errors"]  # fmt: skip
    rows = [
        [str(r["processes"]), " / ".join(f"{s:.2f}" for s in r["rounds_seconds"]), number(r["passes_per_second"]),
         number(r["per_process"]), " + ".join(f"{p:,}" for p in r["passes"]),
         "yes" if r["each_key_once_per_round"] else "NO", str(r["keys_run_at_once_twice"]),
         str(r["changes"]), str(r["errors"])]
        for r in result["runs"]
    ]  # fmt: skip
    target = result["target"]
    one = next((r for r in result["runs"] if r["processes"] == 1), None)
    lines = [
        f"berth bench reconciles — {result['applications']:,} converged applications × {len(result['kinds'])} kinds "
        f"= {result['keys']:,} keys made due at once per round (best round counts); no-change reconcilers over a "
        f"fake cloud; {result['concurrency_per_kind']} passes in flight per kind per process; PostgreSQL "
        f"{result['postgres']} on the same {result['cpus']}-CPU machine; 1-min load average before: "
        f"{result['load_average_before']:g}, after: {result['load_average_after']:g}",
        "",
        table(headers, rows),
        "",
    ]  # fmt: skip
    if one is not None:
        lines.append(f"no-change reconciles/s, one process ≥ {target['per_process']:,.0f}: "
                     f"{one['passes_per_second']:,.0f}  {verdict(target['per_process_met'])}")  # fmt: skip
    for count, scaling in result["scalings"].items():
        wanted = f" ≥ {target['scaling']:g}×" if count == "2" else ""
        judged = f"  {verdict(target['scaling_met'])}" if count == "2" else ""
        lines.append(f"{count} processes vs 1{wanted}: {scaling:.2f}×{judged}")
    return "\n".join(lines)
