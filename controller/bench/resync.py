"""`berth bench resync`: AWS calls per converged application per resync.

A fresh database gets N applications (each one production environment; with
`--with-database` / `--with-filesystem` each also asks for an RDS instance / an EFS
file system). A simulated AWS account runs in its own process (moto's server and the
sandbox's ECS rollout simulator: `controller.bench.resync_aws`). The real `Worker`
runs here with the real AWS reconcilers (`aws_reconcilers`) on clients that count
every API call (`controller.bench.call_counts`), until every kind of every
environment is Ready at its generation and nothing is due. Then the queue's
`requeue_all` makes every key due at once (one full resync, as after a controller
restart), and the calls of the first pass of each key are counted, by kind and
operation, until every key has had its pass. The resync period is set far beyond the
run, so no other pass is due meanwhile; passes a key gets after its first (a
`RequeueAfter`) are reported, not counted.
"""

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from typing import Any

import aioboto3
import asyncpg

from controller.bench import database
from controller.bench.api import BODY
from controller.bench.call_counts import OUTSIDE, CountedReconciler, CountingClients, Ledger, is_read
from controller.bench.report import number, table, verdict
from controller.logging import configure
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.sandbox.aws import SIMULATED_CREDENTIALS
from controller.settings import Settings
from controller.store.applications import create_application
from controller.store.outcomes import Written
from controller.store.pool import DATABASE_ERRORS, create_pool
from controller.store.queries import QUERIES
from controller.store.queue import WorkQueue
from reconcilers.aws import AwsConfig, aws_reconcilers
from schemas.v3.applications import CreateApplicationRequest
from schemas.v3.plan import requested_workload
from schemas.kinds import SHARED_KEY, Kind

DEFAULT_APPLICATIONS = 1000
DEFAULT_CONCURRENCY = 16
DEFAULT_CONVERGE_SECONDS = 3600.0
RESYNC_TIMEOUT_SECONDS = 900.0
TARGET_WRITES_PER_APP = 0.0
TARGET_READS_PER_APP = 0.2
# Far beyond any run: no resync is due except the one the bench asks for.
NO_RESYNC_SECONDS = 7 * 24 * 3600.0
QUIET_SECONDS = 60.0  # converged: no key due within this long
WRITERS = 8
DATABASE = {"engine": "postgres"}
FILESYSTEM = {"required": True, "mountPath": "/mnt/data"}

AWS_START_SECONDS = 60.0
AWS_FAILED = "the simulated AWS process did not start: {output}"
NOT_WRITTEN = "application {name} was not written: {outcome!r}"
NOT_CONVERGED = "not converged after {seconds:g} s: {ready} of {pairs} (environment, kind) pairs Ready; {detail}"
NOT_RESYNCED = "the resync did not finish in {seconds:g} s: {done} of {keys} keys passed"

CONVERGENCE = """
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE s.observed_generation >= e.generation
                          AND s.conditions @> '[{"type": "Ready", "status": true}]') AS ready
FROM environments e CROSS JOIN LATERAL unnest(e.finalizers) AS f(kind)
LEFT JOIN statuses s ON s.kind = f.kind AND s.key = e.id::text
WHERE e.deleted_at IS NULL
"""
NOT_READY = """
SELECT f.kind, coalesce(s.conditions::text, 'no status') AS conditions, count(*) AS n
FROM environments e CROSS JOIN LATERAL unnest(e.finalizers) AS f(kind)
LEFT JOIN statuses s ON s.kind = f.kind AND s.key = e.id::text
WHERE e.deleted_at IS NULL
  AND NOT coalesce(s.observed_generation >= e.generation
                   AND s.conditions @> '[{"type": "Ready", "status": true}]', false)
GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3
"""
NETWORK_READY = """
SELECT coalesce((SELECT conditions @> '[{"type": "Ready", "status": true}]'
                 FROM statuses WHERE kind = $1 AND key = $2), false)
"""
BUSY = """
SELECT count(*) FROM work_queue
WHERE lease_expires IS NOT NULL OR not_before < now() + make_interval(secs => $1)
"""
QUEUED_KEYS = "SELECT kind, key FROM work_queue"


def _spec(name: str, with_database: bool, with_filesystem: bool) -> tuple[dict, dict]:
    body = {**BODY, "appName": name}
    if with_database:
        body["database"] = DATABASE
    if with_filesystem:
        body["filesystem"] = FILESYSTEM
    request = CreateApplicationRequest.model_validate(body)
    return request.to_wire(), requested_workload(request).to_wire()


async def _create_applications(pool: asyncpg.Pool, organisation_id: int, count: int, args: Any) -> None:
    names = iter(f"app-{n:05d}" for n in range(count))

    async def writer() -> None:
        for name in names:
            spec, production = _spec(name, args.with_database, args.with_filesystem)
            outcome = await create_application(pool, organisation_id, name, spec, production)
            if not isinstance(outcome, Written):
                raise RuntimeError(NOT_WRITTEN.format(name=name, outcome=outcome))

    await asyncio.gather(*(writer() for _ in range(WRITERS)))


async def _start_aws(output, module: str = "controller.bench.resync_aws") -> tuple[asyncio.subprocess.Process, str]:
    """The simulated AWS account in its own process (`module` prints its endpoint);
    moto's own complaints (its server logs every 500 it answers) go to `output`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=output,
    )  # fmt: skip
    assert process.stdout is not None  # PIPE
    try:
        line = await asyncio.wait_for(process.stdout.readline(), AWS_START_SECONDS)
    except TimeoutError:
        line = b""
    endpoint = line.decode().strip()
    if not endpoint.startswith("http"):
        process.kill()
        await process.wait()
        output.seek(0)
        raise RuntimeError(AWS_FAILED.format(output=endpoint or output.read()[-2000:].decode(errors="replace")))
    return process, endpoint


def simulated_account(endpoint: str) -> tuple[AwsConfig, aioboto3.Session]:
    """berth's AWS settings and a session for the simulated account at `endpoint`;
    rollouts are re-observed every second, so a bench waits on AWS, not on the poll."""
    config = AwsConfig.from_env(
        {"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": SIMULATED_CREDENTIALS["AWS_REGION"],
         "BERTH_ROLLOUT_POLL_SECONDS": "1"}
    )  # fmt: skip
    session = aioboto3.Session(
        aws_access_key_id=SIMULATED_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=SIMULATED_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=config.region,
    )
    return config, session


async def _stop_aws(process: asyncio.subprocess.Process) -> None:
    assert process.stdin is not None  # PIPE (_start_aws)
    process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _converge(pool: asyncpg.Pool, seconds: float) -> float:
    """Wait until every environment's every kind is Ready at its generation, the shared
    network too, and no key is due soon; the seconds it took."""
    began = time.perf_counter()
    deadline = time.monotonic() + seconds
    row = {"pairs": 0, "ready": 0}
    while True:
        try:
            row = await pool.fetchrow(CONVERGENCE)
            network = await pool.fetchval(NETWORK_READY, Kind.AWS_NETWORK, SHARED_KEY)
            if row["pairs"] and row["ready"] == row["pairs"] and network:
                if await pool.fetchval(BUSY, QUIET_SECONDS) == 0:
                    return time.perf_counter() - began
        except DATABASE_ERRORS:  # a shared server out of connections for a moment: look again
            pass
        if time.monotonic() > deadline:
            detail = [f"{r['kind']} ×{r['n']}: {r['conditions'][:300]}" for r in await pool.fetch(NOT_READY)]
            raise RuntimeError(
                NOT_CONVERGED.format(seconds=seconds, ready=row["ready"], pairs=row["pairs"], detail=detail)
            )
        await asyncio.sleep(1.0)


async def _resync(pool: asyncpg.Pool, ledger: Ledger) -> tuple[set[tuple[str, str]], float]:
    """Every key due at once; wait until each has had its first pass. The keys and the
    seconds from the requeue to the last first pass's end."""
    keys = {(r["kind"], r["key"]) for r in await pool.fetch(QUEUED_KEYS)}
    started = ledger.mark()
    await pool.execute(QUERIES.requeue_all)
    await pool.execute(QUERIES.notify, sorted({kind for kind, _ in keys}))
    deadline = time.monotonic() + RESYNC_TIMEOUT_SECONDS
    while not keys <= ledger.finished_at.keys():
        if time.monotonic() > deadline:
            done = len(keys & ledger.finished_at.keys())
            raise RuntimeError(NOT_RESYNCED.format(seconds=RESYNC_TIMEOUT_SECONDS, done=done, keys=len(keys)))
        await asyncio.sleep(0.1)
    return keys, max(ledger.finished_at.values()) - started


async def bench_resync(args: Any, settings: Settings) -> dict:
    args.applications = int(getattr(args, "applications", None) or DEFAULT_APPLICATIONS)
    # Given: every kind runs this many passes at once; else each its product setting
    # (the runtime's default, or the reconciler's own `concurrency`).
    args.concurrency = int(getattr(args, "concurrency", None) or 0) or None
    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    args.converge_timeout = float(getattr(args, "converge_timeout", None) or DEFAULT_CONVERGE_SECONDS)
    args.with_database = bool(getattr(args, "with_database", False))
    args.with_filesystem = bool(getattr(args, "with_filesystem", False))
    runtime = RuntimeSettings(
        lease_seconds=settings.runtime.lease_seconds,
        poll_seconds=settings.runtime.poll_seconds,
        resync_seconds=NO_RESYNC_SECONDS,
        concurrency=concurrency,
        shutdown_grace_seconds=settings.runtime.shutdown_grace_seconds,
    )
    load = os.getloadavg()[0]
    # One log line per pass would bury the table: passes log only when something is wrong.
    configure("WARNING", json=settings.log_json)
    ledger = Ledger()
    with tempfile.TemporaryFile() as aws_output:
        return await _measure(args, settings, runtime, ledger, aws_output, load)


async def _measure(args: Any, settings: Settings, runtime: RuntimeSettings, ledger: Ledger, aws_output, load) -> dict:
    applications, concurrency = args.applications, runtime.concurrency
    aws, endpoint = await _start_aws(aws_output)
    try:
        config, session = simulated_account(endpoint)
        async with database.bench_database(database.server_dsn(settings)) as dsn:
            (tenant,) = await database.seed_tenants(dsn)
            pool = await create_pool(dsn, min_size=2, max_size=concurrency * 2 + 8)
            try:
                await _create_applications(pool, tenant.organisation.id, applications, args)
                async with CountingClients(config, session, ledger=ledger) as clients:
                    reconcilers = [CountedReconciler(r, ledger) for r in aws_reconcilers(clients, config)]
                    for reconciler in reconcilers:
                        if args.concurrency:
                            reconciler.concurrency = args.concurrency
                    per_kind = {str(r.kind): getattr(r, "concurrency", concurrency) for r in reconcilers}
                    await WorkQueue(pool).ensure(Kind.AWS_NETWORK, SHARED_KEY)
                    stop = asyncio.Event()
                    worker = asyncio.create_task(Worker(pool, dsn, reconcilers, runtime).run(stop))
                    try:
                        converged_in = await _converge(pool, args.converge_timeout)
                        converge_calls = ledger.all_calls
                        keys, resync_wall = await _resync(pool, ledger)
                    finally:
                        stop.set()
                        await worker
                version = await database.server_version(dsn)
            finally:
                await pool.close()
    finally:
        await _stop_aws(aws)
    run = {
        "applications": applications,
        "with_database": args.with_database,
        "with_filesystem": args.with_filesystem,
        "concurrency_per_kind": per_kind,
        "converge_seconds": round(converged_in, 1),
        "converge_calls": converge_calls,
        "resync_wall_seconds": round(resync_wall, 2),
        "keys": len(keys),
        "postgres": version,
        "load_average_before": round(load, 2),
    }
    return _result(ledger, run)


def _figures(reads: int, writes: int, applications: int) -> dict:
    return {
        "reads": reads,
        "writes": writes,
        "reads_per_app": round(reads / applications, 3),
        "writes_per_app": round(writes / applications, 3),
    }


def _result(ledger: Ledger, run: dict) -> dict:
    applications = run["applications"]
    by_operation: Counter = Counter()  # (kind, service, operation) -> calls
    passes: Counter = Counter()
    for (kind, _), tally in ledger.measured.items():
        passes[kind] += 1
        for (service, operation), calls in tally.calls.items():
            by_operation[(kind, service, operation)] += calls
    for (service, operation), calls in ledger.outside.items():
        by_operation[(OUTSIDE, service, operation)] += calls
    per_kind: dict[str, dict] = {}
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (kind, _, operation), calls in by_operation.items():
        sums[kind][0 if is_read(operation) else 1] += calls
    for kind in sorted(passes.keys() | sums.keys()):
        reads, writes = sums[kind]
        per_kind[str(kind)] = {"passes": passes[kind], **_figures(reads, writes, applications)}
    total_reads = sum(k["reads"] for k in per_kind.values())
    total_writes = sum(k["writes"] for k in per_kind.values())
    total = {"passes": sum(passes.values()), **_figures(total_reads, total_writes, applications)}
    operations = [
        {"kind": kind, "service": service, "operation": operation, "read": is_read(operation),
         "calls": calls, "per_app": round(calls / applications, 3)}
        for (kind, service, operation), calls in sorted(by_operation.items(), key=lambda kv: (-kv[1], kv[0]))
    ]  # fmt: skip
    met = total["writes_per_app"] <= TARGET_WRITES_PER_APP and total["reads_per_app"] <= TARGET_READS_PER_APP
    return {
        "benchmark": "resync",
        **run,
        "per_kind": per_kind,
        "total": total,
        "operations": operations,
        "outcomes": {f"{kind} {outcome}": n for (kind, outcome), n in sorted(ledger.outcomes.items())},
        "passes_after_the_first": dict(ledger.extra_passes),
        "target": {
            "writes_per_app": TARGET_WRITES_PER_APP,
            "reads_per_app": TARGET_READS_PER_APP,
            "met": met,
        },
    }


def _concurrency(per_kind: dict | int) -> str:
    if isinstance(per_kind, int):
        return str(per_kind)
    return ", ".join(f"{kind} {n}" for kind, n in sorted(per_kind.items()))


def render_resync(result: dict) -> str:
    kinds = [
        [kind, number(k["passes"]), number(k["reads"]), number(k["writes"]),
         number(k["reads_per_app"], 3), number(k["writes_per_app"], 3)]
        for kind, k in result["per_kind"].items()
    ]  # fmt: skip
    total = result["total"]
    kinds.append(["total", number(total["passes"]), number(total["reads"]), number(total["writes"]),
                  number(total["reads_per_app"], 3), number(total["writes_per_app"], 3)])  # fmt: skip
    operations = [
        [f"{o['service']} {o['operation']}", o["kind"], "read" if o["read"] else "WRITE",
         number(o["calls"]), number(o["per_app"], 3)]
        for o in result["operations"]
    ]  # fmt: skip
    extras = " · ".join(f"{k} {v:,}" for k, v in sorted(result["passes_after_the_first"].items())) or "none"
    outcomes = " · ".join(f"{k} {v:,}" for k, v in result["outcomes"].items()) or "—"
    met = result["target"]["met"]
    with_kinds = [w for w, on in (("database", result["with_database"]), ("filesystem", result["with_filesystem"])) if on]
    return "\n".join([
        f"berth bench resync — {result['applications']:,} converged applications"
        f"{' with ' + ' and '.join(with_kinds) if with_kinds else ''}; {result['keys']:,} keys; "
        f"moto + ECS rollout simulator in a separate process; real Worker and reconcilers, "
        f"passes in flight per kind: {_concurrency(result['concurrency_per_kind'])}; PostgreSQL {result['postgres']}; "
        f"1-min load average before: {result['load_average_before']:g}",
        f"converged in {result['converge_seconds']:g} s ({result['converge_calls']:,} AWS calls); "
        f"one full resync took {result['resync_wall_seconds']:g} s",
        "",
        table(["kind", "passes", "reads", "writes", "reads/app", "writes/app"], kinds),
        "",
        table(["operation", "kind", "", "calls", "per app"], operations),
        "",
        f"measured passes by outcome: {outcomes}",
        f"passes after a key's first (not counted): {extras}",
        f"target ≤ {TARGET_WRITES_PER_APP:g} writes and ≤ {TARGET_READS_PER_APP:g} reads per application: "
        f"{total['writes_per_app']:g} writes, {total['reads_per_app']:g} reads  {verdict(met)}",
    ])  # fmt: skip
