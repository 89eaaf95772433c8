"""`python -m controller.bench api|pickup`: the `berth bench` commands with every option."""

import argparse
import asyncio
import dataclasses
from pathlib import Path

from controller.bench import run_benchmark
from controller.logging import configure
from controller.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m controller.bench", description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None, help="sandbox data (default ./.berth or BERTH_DATA_DIR)")
    commands = parser.add_subparsers(dest="action", required=True)
    api = commands.add_parser("api", help="desired-state writes/s through the API vs a bare handler")
    api.add_argument("--requests", type=int, default=20_000)
    api.add_argument("--concurrency", type=int, default=64)
    api.add_argument("--warmup", type=int, default=None, help="warm-up requests (default: a tenth, 50…500)")
    api.add_argument("--paced-rate", type=float, default=None, help="open-loop writes/s (default 500)")
    api.add_argument("--paced-seconds", type=float, default=None, help="open-loop duration (default 5)")
    api.add_argument(
        "--organisations", type=int, default=None, help="spread writes over this many organisations (default 1)"
    )
    pickup = commands.add_parser("pickup", help="commit → reconcile-start latency at a fixed write rate")
    pickup.add_argument("--rate", type=float, default=200.0)
    pickup.add_argument("--seconds", type=float, default=10.0)
    pickup.add_argument("--warmup-seconds", type=float, default=None, help="default 1")
    pickup.add_argument("--no-notify", action="store_true", help="point the worker's listener at nothing")
    for command in (api, pickup):
        command.add_argument("--json", action="store_true", help="print the numbers as JSON")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=args.data_dir)
    configure("WARNING", json=settings.log_json)
    asyncio.run(run_benchmark(args, settings))


if __name__ == "__main__":
    main()
