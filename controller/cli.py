"""`berth`: the sandbox, the API and controller processes, administration and benchmarks."""

import argparse
import asyncio
import dataclasses
import os
import sys
from importlib.metadata import version
from pathlib import Path

import asyncpg

from controller.bench import add_bench_commands, run_benchmark
from controller.client.commands import COMMANDS as CLIENT_COMMANDS
from controller.client.commands import (
    add_client_commands,
    add_connection_options,
    add_organisation_option,
    run_client_command,
)
from controller.client.config import NO_ORGANISATION, config_path, first_given
from controller.cli_options import add_data_dir, add_everywhere
from controller.logging import configure
from controller.settings import Settings
from schemas.kind_graph import graph_lines

NO_DATABASE = (
    "berth: no database. Set DATABASE_URL, or start the sandbox with `berth up` "
    "(its address is kept in {path})."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="berth", description=__doc__)
    parser.add_argument("--version", action="version", version=f"berth {version('berth')}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("kinds", help="the reconciler kinds: what each needs from which, and who needs it")

    up = commands.add_parser("up", help="run the whole sandbox: database, simulated AWS, API, controller")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=8080)

    api = commands.add_parser("api", help="serve the HTTP API (DATABASE_URL)")
    api.add_argument("--host", default="0.0.0.0")
    api.add_argument("--port", type=int, default=8080)
    api.add_argument("--workers", type=int, default=1)

    commands.add_parser("controller", help="run the reconcilers (DATABASE_URL, AWS_*); run as many as you like")
    commands.add_parser("migrate", help="apply database migrations (a no-op when up to date)")

    org = commands.add_parser("org", help="organisations").add_subparsers(dest="action", required=True)
    org_create = org.add_parser("create", help="create an organisation, or change its application limit")
    org_create.add_argument("slug")
    org_create.add_argument("--app-limit", type=int, default=None)

    token = commands.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    token_create = token.add_parser("create", help="create a token; it is printed once and only its hash is kept")
    add_organisation_option(token_create, below=True)
    token_create.add_argument("--name", default="")

    add_bench_commands(commands)
    add_client_commands(commands)
    add_everywhere(parser, add_data_dir)
    add_connection_options(parser, below=False)
    return parser


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    path = settings.data_dir / "database-url"
    if not path.exists():
        sys.exit(NO_DATABASE.format(path=path))
    return path.read_text().strip()


async def _with_pool(dsn: str, work):
    from controller.store.pool import create_pool

    try:
        pool = await create_pool(dsn, min_size=1, max_size=2)
    except (OSError, asyncpg.PostgresError) as error:
        sys.exit(f"berth: cannot reach the database: {error}")
    try:
        return await work(pool)
    finally:
        await pool.close()


async def _migrate(dsn: str) -> None:
    from controller.store.migrations import migrate

    connection = await asyncpg.connect(dsn)
    try:
        applied = await migrate(connection)
    finally:
        await connection.close()
    print("applied: " + ", ".join(applied) if applied else "up to date")


async def _org_create(dsn: str, slug: str, limit: int | None) -> None:
    from controller.store.organisations import create_organisation

    organisation = await _with_pool(dsn, lambda pool: create_organisation(pool, slug, limit))
    print(f"organisation {organisation.slug} ready")


async def _token_create(dsn: str, slug: str, name: str) -> None:
    from controller.store.organisations import add_token, new_token, organisation_by_slug

    async def work(pool):
        organisation = await organisation_by_slug(pool, slug)
        if organisation is None:
            sys.exit(f"berth: no organisation {slug!r}; create it with `berth org create {slug}`")
        token = new_token()
        await add_token(pool, organisation, token, name)
        return token

    print(await _with_pool(dsn, work))


async def _controller(settings: Settings) -> None:
    from controller.process import run_controller
    from controller.signals import stop_on_signals

    stop = asyncio.Event()
    stop_on_signals(stop)
    await run_controller(_database_url(settings), stop, runtime=settings.runtime, environ=os.environ)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.data_dir is not None:
        settings = dataclasses.replace(settings, data_dir=args.data_dir)
    configure(settings.log_level, json=settings.log_json)
    match args.command:
        case "kinds":
            print("\n".join(graph_lines()))
        case "up":
            from controller.sandbox.up import up

            asyncio.run(up(settings, host=args.host, port=args.port, data_dir=settings.data_dir))
        case "api":
            import uvicorn

            os.environ.setdefault("DATABASE_URL", _database_url(settings))
            uvicorn.run("controller.api_main:app", host=args.host, port=args.port, workers=args.workers,
                        log_level="warning", access_log=False, log_config=None)
        case "controller":
            asyncio.run(_controller(settings))
        case "migrate":
            asyncio.run(_migrate(_database_url(settings)))
        case "org":
            asyncio.run(_org_create(_database_url(settings), args.slug, args.app_limit))
        case "token":
            found = first_given("organisation", args.organisation, os.environ)
            if found is None:
                sys.exit(f"berth: token create: {NO_ORGANISATION.format(path=config_path(os.environ))}")
            asyncio.run(_token_create(_database_url(settings), found[0], args.name))
        case "bench":
            asyncio.run(run_benchmark(args, settings))
        case command if command in CLIENT_COMMANDS:
            sys.exit(run_client_command(args, os.environ, settings.data_dir))


if __name__ == "__main__":
    main()
