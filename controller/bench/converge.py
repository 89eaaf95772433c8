"""`berth bench converge`: N new applications against a rate-limited AWS, vs the floor its limits impose.

A fresh database; moto's server and the sandbox's ECS rollout simulator in their own
process (`controller.bench.converge_aws`: moto keeps a new service's capacity provider
strategy and deployment configuration, as AWS does), behind the hostile proxy
(`controller.bench.aws_limits.HostileAws`) enforcing AWS's published per-account
limits; the real `Worker` with the real AWS reconcilers on `AwsClients` with the real
client-side limiter (`reconcilers.aws.rate_limits.ClientRateLimiter`). At t=0, N
applications are written through the store's write path (`create_application`); the
run ends when every kind of every environment, and the shared network, is Ready at
its generation.

The floor: the proxy counts the calls it served per bucket; AWS cannot serve
`calls_b` calls of bucket b faster than `(calls_b − burst_b) / rate_b` seconds, so the
floor is the largest of these (the binding bucket). The ratio is wall time / floor.
Throttles the proxy answered are retried inside botocore (or the single-attempt
client's throttle resends); throttling SURFACED means a pass that failed with a
throttling error, or a status condition that mentions throttling — the target is 0.

`--limit-scale K` multiplies every bucket (burst and refill) in the proxy and in the
limiter's table alike: the same shape K times faster, for development runs.
`--neighbour F` adds another caller in the account spending F × the RegisterTaskDefinition
refill (`controller.bench.neighbour`); its served calls count towards that bucket's
floor (AWS served them too), its throttles are reported apart from berth's.
"""

import asyncio
import os
import re
import sys
import tempfile
import time
from collections import Counter
from typing import Any

import asyncpg

from controller.bench import database
from controller.bench.aws_limits import HostileAws, serving
from controller.bench.neighbour import OPERATION as NEIGHBOUR_OPERATION
from controller.bench.neighbour import Neighbour
from controller.bench.report import number, table, verdict
from controller.bench.resync import CONVERGENCE, NETWORK_READY, NOT_READY
from controller.bench.call_counts import keep_loop_settings
from controller.bench.resync import _create_applications, _start_aws, _stop_aws, simulated_account
from controller.logging import configure
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.settings import Settings
from controller.store.pool import DATABASE_ERRORS, create_pool
from controller.store.queue import WorkQueue
from reconcilers.aws import AwsClients, aws_reconcilers
from reconcilers.aws.rate_limits import DEFAULT_RATE_SCALE, THROTTLE_CODES, ClientRateLimiter
from reconcilers.ports import ReconcileContext, Reconciler
from reconcilers.results import RequeueAfter, Result
from schemas.kinds import SHARED_KEY, Kind

DEFAULT_APPLICATIONS = 1000
DEFAULT_CONCURRENCY = 16
TARGET_RATIO = 1.05
TARGET_SURFACED = 0
NO_RESYNC_SECONDS = 7 * 24 * 3600.0  # no periodic resync inside the run
POLL_SECONDS = 0.5
PROGRESS_SECONDS = 60.0
TIMEOUT_SLACK_SECONDS = 900.0
THROTTLE_TEXT = re.compile(r"throttl|rate exceeded|request ?limit ?exceeded", re.IGNORECASE)
NOT_CONVERGED = "not converged after {seconds:g} s: {ready} of {pairs} (environment, kind) pairs Ready; {detail}"
THROTTLE_CONDITIONS = """
SELECT kind, key FROM statuses
WHERE conditions::text ~* 'throttl|rate exceeded|request ?limit ?exceeded'
"""


def is_throttling(exc: BaseException | None) -> bool:
    """Whether an exception (or one it was raised from) is AWS throttling."""
    seen = 0
    while exc is not None and seen < 10:
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") in THROTTLE_CODES:
            return True
        if THROTTLE_TEXT.search(str(exc)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


class PassWatch:
    """Every pass's outcome by kind, and the passes that surfaced throttling."""

    def __init__(self) -> None:
        self.outcomes: Counter = Counter()  # (kind, outcome) -> passes
        self.surfaced: Counter = Counter()  # kind -> passes that failed (or requeued) on throttling
        self.examples: list[str] = []
        self.other_failures: list[str] = []  # the first few passes that failed otherwise


class WatchedReconciler:
    """The product reconciler, each pass's outcome recorded."""

    def __init__(self, inner: Reconciler, watch: PassWatch):
        self._inner = inner
        self._watch = watch
        self.kind = inner.kind
        keep_loop_settings(self, inner)

    async def reconcile(self, ctx: ReconcileContext) -> Result:
        try:
            result = await self._inner.reconcile(ctx)
        except BaseException as exc:
            self._watch.outcomes[(ctx.kind, type(exc).__name__)] += 1
            if is_throttling(exc):
                self._surfaced(ctx, f"{type(exc).__name__}: {exc}")
            elif len(self._watch.other_failures) < 5:
                self._watch.other_failures.append(f"{ctx.kind} {ctx.key}: {type(exc).__name__}: {str(exc)[:300]}")
            raise
        self._watch.outcomes[(ctx.kind, type(result).__name__)] += 1
        if isinstance(result, RequeueAfter) and THROTTLE_TEXT.search(result.reason):
            self._surfaced(ctx, f"RequeueAfter: {result.reason}")
        return result

    def _surfaced(self, ctx: ReconcileContext, text: str) -> None:
        self._watch.surfaced[ctx.kind] += 1
        if len(self._watch.examples) < 5:
            self._watch.examples.append(f"{ctx.kind} {ctx.key}: {text[:300]}")


async def _converge(
    pool: asyncpg.Pool, began: float, timeout: float, proxy: HostileAws, throttled_keys: set
) -> float:
    """Until every (environment, kind) and the network are Ready at their generation:
    the seconds since `began`. Samples the conditions for throttling on the way."""
    deadline = began + timeout
    next_progress = began + PROGRESS_SECONDS
    row = {"pairs": 0, "ready": 0}
    while True:
        now = time.perf_counter()
        try:
            row = await pool.fetchrow(CONVERGENCE)
            throttled_keys.update((r["kind"], r["key"]) for r in await pool.fetch(THROTTLE_CONDITIONS))
            network = await pool.fetchval(NETWORK_READY, Kind.AWS_NETWORK, SHARED_KEY)
            if row["pairs"] and row["ready"] == row["pairs"] and network:
                return now - began
        except DATABASE_ERRORS:  # a shared server out of connections for a moment: look again
            pass
        if now > next_progress:
            next_progress += PROGRESS_SECONDS
            served = sum(proxy.served_by_bucket.values())
            print(
                f"  {now - began:6.0f} s: {row['ready']:,} of {row['pairs']:,} Ready; proxy served {served:,}, "
                f"throttled {sum(proxy.throttled_by_bucket.values()):,}",
                file=sys.stderr,
                flush=True,
            )
        if now > deadline:
            detail = [f"{r['kind']} ×{r['n']}: {r['conditions'][:300]}" for r in await pool.fetch(NOT_READY)]
            raise RuntimeError(
                NOT_CONVERGED.format(seconds=timeout, ready=row["ready"], pairs=row["pairs"], detail=detail)
            )
        await asyncio.sleep(POLL_SECONDS)


def floors(proxy: HostileAws, began: float) -> list[dict]:
    """Per bucket the proxy limited: calls served and throttled, the floor
    `max(0, (served − burst) / rate)`, and when its first and last calls were served
    (seconds since `began`, on the proxy's monotonic clock); the binding bucket first."""
    rows = []
    for bucket, limit in proxy.bucket_limits.items():
        served = proxy.served_by_bucket[bucket]
        first, last = proxy.first_served.get(bucket), proxy.last_served.get(bucket)
        rows.append({
            "bucket": bucket,
            "burst": limit.burst,
            "rate": limit.rate,
            "served": served,
            "throttled": proxy.throttled_by_bucket[bucket],
            "floor_seconds": round(max(0.0, (served - limit.burst) / limit.rate), 2),
            "first_served_at": round(first - began, 2) if first is not None else None,
            "last_served_at": round(last - began, 2) if last is not None else None,
        })  # fmt: skip
    return sorted(rows, key=lambda r: (-r["floor_seconds"], r["bucket"]))


async def bench_converge(args: Any, settings: Settings) -> dict:
    applications = int(getattr(args, "applications", None) or DEFAULT_APPLICATIONS)
    limit_scale = float(getattr(args, "limit_scale", None) or 1.0)
    rate_scale = float(getattr(args, "rate_scale", None) or DEFAULT_RATE_SCALE)
    concurrency = int(getattr(args, "concurrency", None) or DEFAULT_CONCURRENCY)
    neighbour_fraction = float(getattr(args, "neighbour", None) or 0.0)
    # RegisterTaskDefinition (one per application, 1/s) binds: room for that and more.
    timeout = float(getattr(args, "converge_timeout", None) or 2 * applications / limit_scale + TIMEOUT_SLACK_SECONDS)
    args.with_database = args.with_filesystem = False  # what `_create_applications` reads
    runtime = RuntimeSettings(
        lease_seconds=settings.runtime.lease_seconds,
        poll_seconds=settings.runtime.poll_seconds,
        resync_seconds=NO_RESYNC_SECONDS,
        concurrency=concurrency,
        shutdown_grace_seconds=settings.runtime.shutdown_grace_seconds,
    )
    load = os.getloadavg()
    configure("WARNING", json=settings.log_json)
    watch = PassWatch()
    throttled_keys: set = set()
    with tempfile.TemporaryFile() as aws_output:
        aws, moto = await _start_aws(aws_output, "controller.bench.converge_aws")
        try:
            proxy = HostileAws(moto, limit_scale=limit_scale)
            neighbour = Neighbour(proxy, neighbour_fraction)
            limiter = ClientRateLimiter(rate_scale, limit_scale=limit_scale)
            async with serving(proxy) as endpoint:
                config, session = simulated_account(endpoint)
                async with database.bench_database(database.server_dsn(settings)) as dsn:
                    (tenant,) = await database.seed_tenants(dsn)
                    pool = await create_pool(dsn, min_size=2, max_size=concurrency * 2 + 8)
                    try:
                        async with AwsClients(config, session, rate_limiter=limiter) as clients:
                            reconcilers = [WatchedReconciler(r, watch) for r in aws_reconcilers(clients, config)]
                            await WorkQueue(pool).ensure(Kind.AWS_NETWORK, SHARED_KEY)
                            stop = asyncio.Event()
                            worker = asyncio.create_task(Worker(pool, dsn, reconcilers, runtime).run(stop))
                            other = asyncio.create_task(neighbour.run(stop)) if neighbour_fraction else None
                            try:
                                began, began_monotonic = time.perf_counter(), time.monotonic()
                                await _create_applications(pool, tenant.organisation.id, applications, args)
                                written = time.perf_counter() - began
                                wall = await _converge(pool, began, timeout, proxy, throttled_keys)
                            finally:
                                stop.set()
                                await worker
                                if other is not None:
                                    await other
                        version = await database.server_version(dsn)
                    finally:
                        await pool.close()
        finally:
            await _stop_aws(aws)
    buckets = floors(proxy, began_monotonic)
    binding = buckets[0] if buckets else None
    floor = binding["floor_seconds"] if binding else 0.0
    ratio = wall / floor if floor > 0 else None
    surfaced = sum(watch.surfaced.values())
    met = ratio is not None and ratio <= TARGET_RATIO and surfaced + len(throttled_keys) <= TARGET_SURFACED
    return {
        "benchmark": "converge",
        "applications": applications,
        "limit_scale": limit_scale,
        "rate_scale": rate_scale,
        "concurrency_per_kind": concurrency,
        "written_seconds": round(written, 2),
        "wall_seconds": round(wall, 2),
        "floor_seconds": floor,
        "binding_bucket": binding["bucket"] if binding else None,
        "ratio": round(ratio, 4) if ratio is not None else None,
        "buckets": buckets,
        "throttles_answered": sum(proxy.throttled_by_bucket.values()) - neighbour.throttled,
        "neighbour": {"fraction": neighbour_fraction, "operation": NEIGHBOUR_OPERATION,
                      "served": neighbour.served, "throttled": neighbour.throttled},  # fmt: skip
        "limiter_cuts": sum(b.throttles for b in limiter._buckets.values()),
        "limiter_waited_seconds": round(limiter.waited_seconds, 1),
        "surfaced_passes": surfaced,
        "surfaced_by_kind": dict(watch.surfaced),
        "surfaced_examples": watch.examples,
        "throttling_conditions": len(throttled_keys),
        "other_failures": watch.other_failures,
        "outcomes": {f"{kind} {outcome}": n for (kind, outcome), n in sorted(watch.outcomes.items())},
        "postgres": version,
        "load_average_before": [round(x, 2) for x in load],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "target": {"ratio": TARGET_RATIO, "surfaced": TARGET_SURFACED, "met": met},
    }


def render_converge(result: dict) -> str:
    rows = [
        [b["bucket"], number(b["burst"], 0), number(b["rate"], 2), number(b["served"]), number(b["throttled"]),
         number(b["floor_seconds"], 1), number(b["first_served_at"], 1), number(b["last_served_at"], 1)]
        for b in result["buckets"]
    ]  # fmt: skip
    outcomes = " · ".join(f"{k} {v:,}" for k, v in result["outcomes"].items()) or "—"
    ratio = result["ratio"]
    surfaced = result["surfaced_passes"] + result["throttling_conditions"]
    lines = [
        f"berth bench converge — {result['applications']:,} new applications against the hostile proxy "
        f"(AWS's limits × {result['limit_scale']:g}); client limiter at scale {result['rate_scale']:g}; "
        f"moto + ECS rollout simulator in a separate process; real Worker and reconcilers, concurrency "
        f"{result['concurrency_per_kind']} per kind; PostgreSQL {result['postgres']}; load average before "
        f"{' '.join(f'{x:g}' for x in result['load_average_before'])}, after "
        f"{' '.join(f'{x:g}' for x in result['load_average_after'])}",
        f"written in {result['written_seconds']:g} s; every kind of every environment Ready after "
        f"{result['wall_seconds']:g} s",
        "",
        table(["bucket", "burst", "rate/s", "served", "throttled", "floor s", "first at s", "last at s"], rows),
        "",
        f"floor {result['floor_seconds']:g} s ({result['binding_bucket']} binds); wall / floor = "
        f"{number(ratio, 3)}  (target ≤ {TARGET_RATIO:g})",
        *(
            [f"a neighbour in the account spent {n['fraction']:g} × the {n['operation']} refill: "
             f"{n['served']:,} served (counted in the floor), {n['throttled']:,} throttled (not counted below)"]
            if (n := result["neighbour"])["fraction"] else []
        ),  # fmt: skip
        f"throttles answered by the proxy to berth (retried inside botocore): {result['throttles_answered']:,}; "
        f"limiter rate cuts {result['limiter_cuts']:,}; calls waited {result['limiter_waited_seconds']:g} s "
        f"in the limiter in all",
        f"throttling SURFACED: {result['surfaced_passes']:,} passes, {result['throttling_conditions']:,} "
        f"conditions (target {TARGET_SURFACED})",
        *(f"  {example}" for example in result["surfaced_examples"]),
        f"passes by outcome: {outcomes}",
        *(f"  failed otherwise: {failure}" for failure in result["other_failures"]),
        f"target: ratio ≤ {TARGET_RATIO:g} and {TARGET_SURFACED} surfaced: ratio {number(ratio, 3)}, "
        f"{surfaced} surfaced  {verdict(result['target']['met'])}",
    ]
    return "\n".join(lines)
