"""Benchmarks, run as commands (`berth bench api`, `berth bench pickup`), not as timed tests.

Each makes a fresh database on the configured PostgreSQL server, measures, prints a
table (or JSON with `--json`), drops the database, and returns its numbers.
`python -m controller.bench` takes the same commands plus the options the `berth`
CLI does not (yet) expose: `--json`, `--no-notify`, warm-up and pacing figures.
"""

from typing import Any

import orjson

from controller.settings import Settings

UNKNOWN = "unknown benchmark {action!r}: choose api or pickup"


async def run_benchmark(args: Any, settings: Settings) -> dict:
    """Run `args.action` ("api" or "pickup"), print its report, return its numbers."""
    if args.action == "api":
        from controller.bench.api import bench_api, render_api

        result, render = await bench_api(args, settings), render_api
    elif args.action == "pickup":
        from controller.bench.pickup import bench_pickup, render_pickup

        result, render = await bench_pickup(args, settings), render_pickup
    else:
        raise ValueError(UNKNOWN.format(action=args.action))
    if getattr(args, "json", False):
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        print(render(result))
    return result
