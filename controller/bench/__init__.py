"""Benchmarks, run as commands (`berth bench api|pickup|resync|reconciles|converge`), not as timed tests.

Each makes a fresh database on the configured PostgreSQL server, measures, prints a
table (or JSON with `--json`), drops the database, and returns its numbers.
"""

import argparse
from typing import Any

import orjson

from controller.settings import Settings

UNKNOWN = "unknown benchmark {action!r}: choose api, pickup, resync, reconciles or converge"
DEFAULT_ORGANISATIONS = 100


def add_bench_commands(commands: argparse._SubParsersAction) -> None:
    """`berth bench api|pickup|resync|reconciles` and their options."""
    bench = commands.add_parser("bench", help="benchmarks").add_subparsers(dest="action", required=True)
    api = bench.add_parser("api", help="desired-state writes/s through the API vs a bare handler")
    api.add_argument("--requests", type=int, default=20_000)
    api.add_argument("--concurrency", type=int, default=64)
    api.add_argument("--warmup", type=int, default=None, help="warm-up requests (default: a tenth, 50…500)")
    api.add_argument("--paced-rate", type=float, default=None, help="open-loop writes/s (default 500)")
    api.add_argument("--paced-seconds", type=float, default=None, help="open-loop duration (default 5)")
    api.add_argument(
        "--organisations",
        type=int,
        default=DEFAULT_ORGANISATIONS,
        help=f"spread writes over this many organisations (default {DEFAULT_ORGANISATIONS}; "
        "1 measures one organisation's creates, which its limit check serialises)",
    )
    pickup = bench.add_parser("pickup", help="commit → reconcile-start latency at a fixed write rate")
    pickup.add_argument("--rate", type=float, default=200.0)
    pickup.add_argument("--seconds", type=float, default=10.0)
    pickup.add_argument("--warmup-seconds", type=float, default=None, help="default 1")
    pickup.add_argument("--no-notify", action="store_true", help="point the worker's listener at nothing")
    resync = bench.add_parser("resync", help="AWS calls per converged application per resync")
    resync.add_argument("--applications", type=int, default=1000)
    resync.add_argument("--with-database", action="store_true", help="each application asks for an RDS instance")
    resync.add_argument("--with-filesystem", action="store_true", help="each application asks for an EFS file system")
    resync.add_argument(
        "--concurrency", type=int, default=None,
        help="passes in flight for every kind (default: each kind's own, as in the product: 16, or 64 "
        "for the kinds whose reads are batched)",
    )  # fmt: skip
    resync.add_argument("--converge-timeout", type=float, default=None, help="seconds (default 3600)")
    reconciles = bench.add_parser(
        "reconciles", help="no-change reconciles/s per controller process; 2 (3) processes vs 1"
    )
    reconciles.add_argument("--applications", type=int, default=None, help="converged applications (default 10,000)")
    reconciles.add_argument("--rounds", type=int, default=None, help="measured rounds per setting (default 2)")
    reconciles.add_argument("--concurrency", type=int, default=None, help="passes in flight per kind (default 16)")
    reconciles.add_argument("--profile", default=None, help="cProfile the one-process run into this file")
    reconciles.add_argument(
        "--processes", default=None, help="controller process counts to measure, comma-separated (default 1,2)"
    )
    for command in (api, pickup, resync, reconciles):
        command.add_argument("--json", action="store_true", help="print the numbers as JSON")
    converge = bench.add_parser("converge", help="N new applications against the rate-limited proxy vs the floor")
    converge.add_argument("--applications", type=int, default=1000)
    converge.add_argument(
        "--limit-scale", type=float, default=1.0,
        help="multiply every AWS bucket (burst and refill) in the proxy and the limiter: K times faster (default 1)",
    )  # fmt: skip
    converge.add_argument(
        "--rate-scale", type=float, default=None, help="the client limiter's BERTH_AWS_RATE_SCALE (default 1)"
    )
    converge.add_argument("--concurrency", type=int, default=None, help="passes in flight per kind (default 16)")
    converge.add_argument(
        "--neighbour", type=float, default=None,
        help="another caller in the account spends this fraction of the RegisterTaskDefinition refill (default 0)",
    )  # fmt: skip
    converge.add_argument("--converge-timeout", type=float, default=None, help="seconds (default 2 × N / K + 900)")
    converge.add_argument("--json", action="store_true", help="print the numbers as JSON")


async def run_benchmark(args: Any, settings: Settings) -> dict:
    """Run `args.action` ("api", "pickup" or "resync"), print its report, return its numbers."""
    if args.action == "api":
        from controller.bench.api import bench_api, render_api

        result, render = await bench_api(args, settings), render_api
    elif args.action == "pickup":
        from controller.bench.pickup import bench_pickup, render_pickup

        result, render = await bench_pickup(args, settings), render_pickup
    elif args.action == "resync":
        from controller.bench.resync import bench_resync, render_resync

        result, render = await bench_resync(args, settings), render_resync
    elif args.action == "reconciles":
        from controller.bench.reconciles import bench_reconciles, render_reconciles

        result, render = await bench_reconciles(args, settings), render_reconciles
    elif args.action == "converge":
        from controller.bench.converge import bench_converge, render_converge

        result, render = await bench_converge(args, settings), render_converge
    else:
        raise ValueError(UNKNOWN.format(action=args.action))
    if getattr(args, "json", False):
        # Kinds (`Kind`, a str enum) key some reports: orjson takes only plain str keys unless told.
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())
    else:
        print(render(result))
    return result
