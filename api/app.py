"""The Starlette application: routes, the one error map, and the pool's lifespan."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from api import health
from api.auth import TokenCache
from api.openapi import build_document, openapi
from api.problems import (
    Problem,
    on_http_exception,
    on_problem,
    on_unavailable,
    on_unexpected,
)
from api.v3 import applications, compose, environments
from api.v3 import containers, state, variables
from controller.store.notify import CoalescingNotifier
from controller.store.pool import create_pool

# Connection-level failures: the database is down or restarting, not a bug.
UNAVAILABLE_ERRORS = (
    OSError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    TimeoutError,
)


def create_app(dsn: str, *, pool_size: int = 10) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict]:
        pool = await create_pool(dsn, min_size=min(2, pool_size), max_size=pool_size)
        notifier = CoalescingNotifier(pool)
        try:
            yield {"pool": pool, "tokens": TokenCache(), "notifier": notifier}
        finally:
            await notifier.flush()
            await pool.close()

    handlers = {
        Problem: on_problem,
        HTTPException: on_http_exception,
        Exception: on_unexpected,
        **dict.fromkeys(UNAVAILABLE_ERRORS, on_unavailable),
    }
    app = Starlette(
        routes=[
            *health.routes,
            *applications.routes,
            *environments.routes,
            *compose.routes,
            *state.routes,
            *containers.routes,
            *variables.routes,
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.openapi = build_document()
    return app
