"""The Starlette application: routes, the one error map, and the pool's lifespan."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from api import health
from api.auth import TokenCache
from api.cloud_reads import CloudReadsFactory, CloudRejected, CloudUnavailable, on_cloud_rejected, on_cloud_unavailable
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
from api.v3 import scaling_policies
from api.v3 import ecr_login, logs, metrics
from api.v3 import plan
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


def create_app(dsn: str, *, pool_size: int = 10, cloud: CloudReadsFactory | None = None) -> Starlette:
    """`cloud` opens the logs, metrics and registry reads for the app's lifetime; without
    it those routes answer 503."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict]:
        pool = await create_pool(dsn, min_size=min(2, pool_size), max_size=pool_size)
        notifier = CoalescingNotifier(pool)
        try:
            async with cloud() if cloud is not None else contextlib.nullcontext() as reads:
                yield {"pool": pool, "tokens": TokenCache(), "notifier": notifier, "cloud": reads}
        finally:
            await notifier.flush()
            await pool.close()

    handlers = {
        Problem: on_problem,
        HTTPException: on_http_exception,
        Exception: on_unexpected,
        **dict.fromkeys(UNAVAILABLE_ERRORS, on_unavailable),
        CloudRejected: on_cloud_rejected,
        CloudUnavailable: on_cloud_unavailable,
    }
    app = Starlette(
        routes=[
            *health.routes,
            *ecr_login.routes,  # before `…/applications/{application}`, which would take it
            *applications.routes,
            *environments.routes,
            *compose.routes,
            *state.routes,
            *containers.routes,
            *variables.routes,
            *scaling_policies.routes,
            *logs.routes,
            *metrics.routes,
            *plan.routes,
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.openapi = build_document()
    return app
