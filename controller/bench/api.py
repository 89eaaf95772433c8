"""`berth bench api`: desired-state writes/s through berth's API next to bare handlers.

Three servers run one uvicorn worker each in their own process against the same
fresh database (the bare INSERT first, then the compared pair below) and get
byte-identical requests (but for the unique names):
`POST /api/v3/organizations/bench/applications` with a valid create request whose
`appName` is unique per request. Each is warmed up, then measured closed-loop
(N connections, each sending as soon as it is answered), then open-loop at a
fixed rate (berth's issue-5 target is p99 ≤ 15 ms at 500 writes/s).

The ratio compares berth with a bare handler making the same desired-state write
(`controller/bench/bare.py`); a bare single INSERT is shown for scale.

`organisations` (default 100) spreads the writes round-robin over that many
organisations, each with its own token: a diagnostic for per-organisation locking.

The two servers the ratio compares (the bare desired-state write and berth) run side
by side and take turns: the closed loop is cut into `ROUNDS` chunks served in the
order bare, berth, berth, bare, …, so that a change in the machine's other load
during the run weighs on both alike (on a shared two-core machine it moved the ratio
by a third between runs when the servers ran one after the other).
"""

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from typing import Any

import asyncpg

from controller.bench import database
from controller.bench.bare import DESIRED_STATE, INSERT_ONLY
from controller.bench.bare import SCHEMA as BARE_SCHEMA
from controller.bench.load import Sample, bodies, closed_loop, in_load_thread, open_loop, post_request
from controller.bench.report import cpu_seconds, cpu_share, latency_summary, number, table, verdict
from controller.bench.servers import BARE_APP, BERTH_APP, HOST, POOL_SIZE, Server, serving
from controller.settings import Settings

PATH = "/api/v3/organizations/{organisation}/applications"
WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
BODY = {"appName": "", "composeDefinition": {"containers": [WEB]}, "minCapacity": 1, "maxCapacity": 2}

TARGET_WRITES = 2_500
TARGET_RATIO = 0.6
TARGET_PACED_P99_MS = 15.0
DEFAULT_PACED_RATE = 500.0
DEFAULT_PACED_SECONDS = 5.0
PHASES = ("closed_loop", "paced")
# Closed-loop chunks per server for the compared pair, taken in turns (an even number:
# each server goes first in half of the pairs of turns).
ROUNDS = 4


@dataclass(frozen=True, slots=True)
class Plan:
    requests: int
    concurrency: int
    warmup: int
    paced_rate: float
    paced_seconds: float
    organisations: int


def plan_from(args: Any) -> Plan:
    """The benchmark's figures from the command line, defaults where not given."""
    return Plan(
        requests=args.requests,
        concurrency=args.concurrency,
        warmup=getattr(args, "warmup", None) or min(500, max(50, args.requests // 10)),
        paced_rate=getattr(args, "paced_rate", None) or DEFAULT_PACED_RATE,
        paced_seconds=getattr(args, "paced_seconds", None) or DEFAULT_PACED_SECONDS,
        organisations=getattr(args, "organisations", None) or 1,
    )


def _requests(tenants: list[database.Tenant], names: list[str]) -> list[bytes]:
    """Prebuilt requests, the n-th for the n-th name, organisations taken in turn."""
    built = []
    for index, body in enumerate(bodies(names, BODY)):
        tenant = tenants[index % len(tenants)]
        path = PATH.format(organisation=tenant.organisation.slug)
        built.append(post_request(path, body, host=HOST, token=tenant.token))
    return built


def _phase(sample: Sample, cpu: dict[str, float | None]) -> dict:
    return {
        "completed": sample.completed,
        "errors": sample.errors,
        "first_error": sample.first_error,
        "seconds": round(sample.elapsed, 3),
        "writes_per_s": round(sample.throughput, 1),
        **latency_summary(sample.latencies),
        "cpu_pct": cpu,
    }


async def _measure(server: Server, dsn: str, load) -> dict:
    """Run one load phase, noting the CPU used by the server, its database sessions and the client."""
    processes = {"server": [server.pid], "db": await database.backend_pids(dsn), "client": [os.getpid()]}
    before = {name: cpu_seconds(pids) for name, pids in processes.items()}
    sample: Sample = await in_load_thread(load)
    after = {name: cpu_seconds(pids) for name, pids in processes.items()}
    return _phase(sample, {name: cpu_share(before[name], after[name], sample.elapsed) for name in processes})


@dataclass
class _Turns:
    """What one server's closed-loop turns added up to."""

    sample: Sample = dataclasses.field(default_factory=Sample)
    cpu: dict[str, float | None] = dataclasses.field(default_factory=dict)  # seconds; None: unknown

    def add(self, sample: Sample, cpu: dict[str, float | None]) -> None:
        self.sample.elapsed += sample.elapsed
        self.sample.latencies.extend(sample.latencies)
        self.sample.statuses.update(sample.statuses)
        self.sample.errors += sample.errors
        self.sample.first_error = self.sample.first_error or sample.first_error
        for name, seconds in cpu.items():
            known = self.cpu.get(name, 0.0)
            self.cpu[name] = None if known is None or seconds is None else known + seconds

    def phase(self) -> dict:
        elapsed = self.sample.elapsed
        shares = {name: round(100 * seconds / elapsed, 1) if seconds is not None and elapsed else None
                  for name, seconds in self.cpu.items()}
        return _phase(self.sample, shares)


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


async def _turn(server: Server, dsn: str, requests: list[bytes], concurrency: int) -> tuple[Sample, dict]:
    """One closed-loop chunk; the CPU seconds the server, the database and the client used."""
    processes = {"server": [server.pid], "db": await database.backend_pids(dsn), "client": [os.getpid()]}
    before = {name: cpu_seconds(pids) for name, pids in processes.items()}
    sample: Sample = await in_load_thread(closed_loop(server.host, server.port, requests, concurrency))
    after = {name: cpu_seconds(pids) for name, pids in processes.items()}
    used = {name: _difference(before[name], after[name]) for name in processes}
    return sample, used


async def _bench_pair(servers: list[tuple[str, str, dict, str]], dsn: str, tenants, plan: Plan) -> list[dict]:
    """The compared servers side by side, their closed loops in alternating turns, then
    each one's paced phase."""
    async with contextlib.AsyncExitStack() as stack:
        running = []
        for label, app, env, prefix in servers:
            server = await stack.enter_async_context(serving(app, env, "/healthz"))

            def requests(kind: str, count: int, prefix: str = prefix) -> list[bytes]:
                return _requests(tenants, [f"{prefix}{kind}-{n}" for n in range(count)])

            chunks = [requests(f"app{r}", plan.requests // ROUNDS) for r in range(ROUNDS)]
            paced = requests("p", max(1, round(plan.paced_rate * plan.paced_seconds)))
            running.append((label, server, chunks, paced, _Turns()))
            await in_load_thread(closed_loop(server.host, server.port, requests("w", plan.warmup), plan.concurrency))
        await database.checkpoint(dsn)
        for round_ in range(ROUNDS):
            order = running if round_ % 2 == 0 else running[::-1]
            for _, server, chunks, _, turns in order:
                turns.add(*await _turn(server, dsn, chunks[round_], plan.concurrency))
        results = []
        for label, server, _, paced, turns in running:
            await database.checkpoint(dsn)
            at_rate = await _measure(
                server, dsn, open_loop(server.host, server.port, paced, plan.paced_rate, plan.concurrency)
            )
            results.append({"server": label, "app": server.app, "closed_loop": turns.phase(), "paced": at_rate})
    return results


async def _bench_server(label: str, app: str, env: dict, dsn: str, prefix: str, tenants, plan: Plan) -> dict:
    def requests(kind: str, count: int) -> list[bytes]:
        return _requests(tenants, [f"{prefix}{kind}-{n}" for n in range(count)])

    warmup = requests("w", plan.warmup)
    measured = requests("app", plan.requests)
    paced = requests("p", max(1, round(plan.paced_rate * plan.paced_seconds)))
    await database.forget_writes(dsn)
    async with serving(app, env, "/healthz") as server:
        await in_load_thread(closed_loop(server.host, server.port, warmup, plan.concurrency))
        await database.checkpoint(dsn)
        throughput = await _measure(server, dsn, closed_loop(server.host, server.port, measured, plan.concurrency))
        await database.checkpoint(dsn)
        at_rate = await _measure(
            server, dsn, open_loop(server.host, server.port, paced, plan.paced_rate, plan.concurrency)
        )
    return {"server": label, "app": app, "closed_loop": throughput, "paced": at_rate}


async def _create_bare_table(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(BARE_SCHEMA)
    finally:
        await connection.close()


async def bench_api(args: Any, settings: Settings) -> dict:
    plan = plan_from(args)
    load = os.getloadavg()[0]  # others' work on this machine shows up in every number below
    async with database.bench_database(database.server_dsn(settings)) as dsn:
        tenants = await database.seed_tenants(dsn, plan.organisations)
        await _create_bare_table(dsn)
        bare_env = {"BERTH_BENCH_DSN": dsn, "BERTH_BENCH_POOL_SIZE": str(POOL_SIZE)}
        insert = await _bench_server(
            "bare INSERT", BARE_APP, {**bare_env, "BERTH_BENCH_WRITE": INSERT_ONLY}, dsn, "insert-", tenants, plan
        )
        # The rate limiter runs (its cost is measured) but never refuses: one token drives the load.
        berth_env = {"DATABASE_URL": dsn, "BERTH_RATE_LIMIT": "1000000000"}
        await database.forget_writes(dsn)
        bare, berth = await _bench_pair([
            ("bare desired-state write", BARE_APP, {**bare_env, "BERTH_BENCH_WRITE": DESIRED_STATE}, "bare-"),
            ("berth API", BERTH_APP, berth_env, ""),
        ], dsn, tenants, plan)  # fmt: skip
        version = await database.server_version(dsn)
    bare_rate, berth_rate = bare["closed_loop"]["writes_per_s"], berth["closed_loop"]["writes_per_s"]
    ratio = berth_rate / bare_rate if bare_rate else 0.0
    insert_rate = insert["closed_loop"]["writes_per_s"]
    return {
        "benchmark": "api",
        "postgres": version,
        "load_average_before": round(load, 2),
        "plan": dataclasses.asdict(plan),
        "pool_size": POOL_SIZE,
        "insert": insert,
        "bare": bare,
        "berth": berth,
        "ratio": round(ratio, 3),
        "ratio_to_insert": round(berth_rate / insert_rate, 3) if insert_rate else 0.0,
        "targets": {
            "writes_per_s": {"target": TARGET_WRITES, "met": berth_rate >= TARGET_WRITES},
            "ratio": {"target": TARGET_RATIO, "met": ratio >= TARGET_RATIO},
            "paced_p99_ms": {"target": TARGET_PACED_P99_MS, "met": berth["paced"]["p99_ms"] <= TARGET_PACED_P99_MS},
        },
    }


def render_api(result: dict) -> str:
    plan, berth, targets = result["plan"], result["berth"], result["targets"]
    loads = {"closed_loop": f"{plan['concurrency']} conns", "paced": f"{plan['paced_rate']:g}/s"}
    headers = [
        "server (load)", "answered", "errors", "writes/s", "p50 ms", "p99 ms", "max ms", "CPU % server", "db", "client",
    ]  # fmt: skip
    rows = [
        [
            f"{entry['server']} ({loads[phase]})", number(m["completed"]), number(m["errors"]),
            number(m["writes_per_s"]), number(m["p50_ms"], 2), number(m["p99_ms"], 2), number(m["max_ms"], 2),
            *(number(m["cpu_pct"][p]) for p in ("server", "db", "client")),
        ]  # fmt: skip
        for entry in (result["insert"], result["bare"], berth)
        for phase in PHASES
        for m in [entry[phase]]
    ]
    organisations = "one organisation" if plan["organisations"] == 1 else f"{plan['organisations']} organisations"
    lines = [
        f"berth bench api — {plan['requests']:,} writes ({organisations}) after {plan['warmup']:,} warm-up, "
        f"{plan['concurrency']} connections; then {plan['paced_rate']:g} writes/s open loop for "
        f"{plan['paced_seconds']:g} s; bare desired-state write and berth in {ROUNDS} alternating turns each; "
        f"one uvicorn worker per server, pool {result['pool_size']}; "
        f"PostgreSQL {result['postgres']}; 1-min load average before: {result['load_average_before']:g}",
        "",
        table(headers, rows),
        "",
        f"ratio berth / bare desired-state write (closed-loop writes/s): {result['ratio']:.2f}"
        f"   (berth / bare INSERT, for scale: {result['ratio_to_insert']:.2f})",
        "",
        "targets:",
        f"  berth writes/s ≥ {TARGET_WRITES:,}: {number(berth['closed_loop']['writes_per_s'])}  "
        f"{verdict(targets['writes_per_s']['met'])}",
        f"  ratio ≥ {TARGET_RATIO}: {result['ratio']:.2f}  {verdict(targets['ratio']['met'])}",
        f"  berth p99 at {plan['paced_rate']:g}/s ≤ {TARGET_PACED_P99_MS:g} ms: {berth['paced']['p99_ms']:.2f} ms  "
        f"{verdict(targets['paced_p99_ms']['met'])}",
    ]
    for entry in (result["insert"], result["bare"], berth):
        for phase in PHASES:
            if entry[phase]["first_error"]:
                lines.append(f"first error, {entry['server']} {phase}: {entry[phase]['first_error']}")
    lines.append(
        f"(CPU % of one core; this machine has {os.cpu_count()}. server: its process; db: the bench database's "
        "sessions, without PostgreSQL's WAL writer and other helpers; client: this process, the load generator)"
    )
    return "\n".join(lines)
