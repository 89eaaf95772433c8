"""The client commands' flags, and running one: configuration, the API, output and exit code.

Every failure ends as one line on stderr (`berth: …`) and an exit code, never a traceback.
"""

import argparse
import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import httpx

from controller.client import applying, reading
from controller.client.api_client import Api
from controller.client.config import resolve
from controller.client.manifests import load
from controller.client.outcomes import ClientError, Exit
from controller.client.render import Output
from controller.cli_options import default

COMMANDS = ("apply", "diff", "status", "events", "logs")
DEFAULT_TIMEOUT = 600.0
INTERRUPTED = "interrupted"


CONNECTION_GROUP = "connection (flag, else environment, else config file, else the sandbox)"
ORGANISATION_FLAGS = ("--org", "--organisation", "--organization")
# Defaults of the connection options: given to the top-level parser, SUPPRESS below it.
CONNECTION_DEFAULTS = {"server": None, "token": None, "organisation": None, "output": "text"}


def add_organisation_option(parser: argparse.ArgumentParser, below: bool, group=None, required=False) -> None:
    """`--org` / `--organisation` / `--organization`: one option, whichever spelling."""
    (group or parser).add_argument(*ORGANISATION_FLAGS, dest="organisation", required=required,
                                   default=default(None, below),
                                   help="the organisation's slug (BERTH_ORG, else the config file's org)")


def add_connection_options(parser: argparse.ArgumentParser, below: bool) -> None:
    """--server, --token, --org and -o: on `berth` itself (below=False) and on each client command."""
    group = parser.add_argument_group(CONNECTION_GROUP)
    group.add_argument("--server", default=default(None, below), help="the API's address (BERTH_SERVER)")
    group.add_argument("--token", default=default(None, below), help="an API token (BERTH_TOKEN)")
    add_organisation_option(parser, below, group)
    group.add_argument("-o", "--output", choices=("text", "json"), default=default("text", below),
                       help="text for people, json for machines")


def _files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-f", "--filename", dest="files", action="append", required=True, metavar="PATH",
                        help="a YAML/JSON file of one or many applications, a directory of them, or - for stdin; repeatable")


def _usage_is_bad_input(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """argparse exits 2 on a usage error; here 2 means "timed out", so usage says 3."""

    def error(message: str):
        parser.print_usage(sys.stderr)
        parser.exit(int(Exit.BAD_INPUT), f"{parser.prog}: error: {message}\n")

    parser.error = error  # type: ignore[method-assign]
    return parser


def _command(commands: argparse._SubParsersAction, name: str, help: str, description: str | None = None):
    parser = commands.add_parser(name, help=help, description=description or help)
    add_connection_options(parser, below=True)
    return _usage_is_bad_input(parser)


def add_client_commands(commands: argparse._SubParsersAction) -> None:
    """Register `apply`, `diff`, `status`, `events` and `logs` on `berth`'s subcommands."""
    apply = _command(commands, "apply", "show the diff, apply applications, follow them until ready",
                     "Exit codes: 0 converged, 1 failed, 2 timed out, 3 bad input or usage, 4 API or auth error.")
    _files(apply)
    apply.add_argument("--dry-run", action="store_true", help="show the diff only; write nothing")
    apply.add_argument("--no-wait", dest="wait", action="store_false", help="apply and exit; do not follow convergence")
    apply.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                       help=f"how long to follow convergence (default {DEFAULT_TIMEOUT:.0f})")
    apply.add_argument("--interval", type=float, default=1.0, metavar="SECONDS", help=argparse.SUPPRESS)

    diff = _command(commands, "diff", "the field-level changes an apply would make",
                    "Exit codes: 0 no changes, 1 changes, 3 bad input or usage, 4 API or auth error.")
    _files(diff)

    status = _command(commands, "status", "applications; or one application: conditions, outputs, deployments")
    status.add_argument("application", nargs="?")

    events = _command(commands, "events", "reconcile events of an application, or of the organisation")
    events.add_argument("application", nargs="?")
    events.add_argument("--follow", action="store_true", help="keep streaming new events (Server-Sent Events)")
    events.add_argument("--environment", help="one environment's events only")
    events.add_argument("--limit", type=int, default=50, help="how many of the newest events to show first (1–500)")

    logs = _command(commands, "logs", "an environment's container logs")
    logs.add_argument("application", nargs="?", help="default: the organisation's only application")
    logs.add_argument("environment", nargs="?", default="production")
    logs.add_argument("-c", "--container", help="one container's lines only")
    logs.add_argument("--since", help="how far back: 30s, 10m, 2h, 1d (default: what the API gives)")
    logs.add_argument("--filter", dest="filter_pattern", help="a CloudWatch Logs filter pattern")
    logs.add_argument("--limit", type=int, default=100, help="lines to show (without --follow)")
    logs.add_argument("--follow", action="store_true", help="keep polling for new lines (every 3 s)")


async def run(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str],
    data_dir: Path,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    """Run one client command; returns its exit code."""
    output = Output(stdout, stderr, as_json=args.output == "json")
    try:
        config = resolve({"server": args.server, "token": args.token, "organisation": args.organisation},
                         environ, data_dir)
        async with Api(config, transport) as api:
            return int(await _dispatch(args, api, output, stdin))
    except ClientError as error:
        output.error(str(error))
        return int(error.exit_code)


async def _dispatch(args: argparse.Namespace, api: Api, output: Output, stdin: TextIO) -> Exit:
    match args.command:
        case "apply":
            return await applying.apply(api, output, load(args.files, stdin), dry_run=args.dry_run,
                                        wait=args.wait, timeout=args.timeout, interval=args.interval)
        case "diff":
            return await applying.diff(api, output, load(args.files, stdin))
        case "status":
            return await reading.status(api, output, args.application)
        case "events":
            return await reading.events(api, output, args.application, follow=args.follow, limit=args.limit,
                                       environment=args.environment)
        case "logs":
            return await reading.logs(api, output, args.application, args.environment, container=args.container,
                                      since=args.since, filter_pattern=args.filter_pattern, limit=args.limit,
                                      follow=args.follow)
    raise AssertionError(args.command)


def run_client_command(args: argparse.Namespace, environ: Mapping[str, str], data_dir: Path) -> int:
    """`berth <client command>` from the command line."""
    try:
        return asyncio.run(run(args, environ=environ, data_dir=data_dir,
                               stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr))
    except KeyboardInterrupt:
        print(f"berth: {INTERRUPTED}", file=sys.stderr)
        return int(Exit.INTERRUPTED)
