"""The Starlette application: routes, the one error map, and the pool's lifespan."""

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Route

from api import console, health, prometheus
from api.auth import TokenCache
from api.cloud_reads import (
    CloudReadsFactory,
    CloudRejected,
    CloudUnavailable,
    on_cloud_rejected,
    on_cloud_unavailable,
)
from api.hardening import Hardening
from api.openapi import build_document, openapi
from api.problems import (
    Problem,
    on_conflicted,
    on_http_exception,
    on_problem,
    on_unavailable,
    on_unexpected,
)
from api.v3 import (
    applications,
    compose,
    containers,
    ecr_login,
    environments,
    logs,
    metrics,
    plan,
    scaling_policies,
    state,
    variables,
)
from api.v3 import events, operators
from api.v1 import applications as v1_applications, configurations as v1_configurations
from api.v1 import organizations as v1_organizations, projects as v1_projects
from api.v1 import deployments as v1_deployments, github as v1_github, images as v1_images
from api.v1 import observability as v1_observability, pipeline as v1_pipeline, releases as v1_releases
from controller.store.event_feed import EventFeed
from controller.store.notify import CoalescingNotifier
from controller.store.pool import CONNECTION_ERRORS, create_pool
from controller.store.v1.sealing import Sealer

# Each module declares its `operations`. The order is the matching order: ecr_login's fixed path comes before `…/applications/{application}`.
ROUTE_MODULES = (
    health,
    ecr_login,
    applications,
    plan,
    environments,
    compose,
    state,
    containers,
    variables,
    scaling_policies,
    logs,
    metrics,
    events,
    operators,
    prometheus,
    console,
    v1_organizations,
    v1_projects,
    v1_configurations,
    v1_images,
    v1_releases,
    v1_deployments,
    v1_pipeline,
    v1_observability,
    v1_github,
    # Last among the v1 modules: its `/api/v1/applications/{org_slug}/{project_slug}` would
    # take `/api/v1/applications/{application_id}/deployments` and the like.
    v1_applications,
)
OPERATIONS = tuple(op for module in ROUTE_MODULES for op in module.operations)
OPENAPI_ROUTE = Route("/openapi.json", openapi, methods=["GET"])

# Connection-level failures: the database is down or restarting, not a bug (503).
UNAVAILABLE_ERRORS = CONNECTION_ERRORS
# A transaction PostgreSQL rolled back to break a deadlock (40P01) or a serialization
# conflict (40001): nothing was written, a retry is safe (503, not a 500).
CONFLICT_ERRORS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


def create_app(
    dsn: str,
    *,
    pool_size: int = 10,
    cloud: CloudReadsFactory | None = None,
    secrets_key: str | None = None,
    hardening: Hardening | None = None,
) -> Starlette:
    """`cloud` opens the logs, metrics and registry reads for the app's lifetime; without
    it those routes answer 503. `secrets_key` seals v1 secret configuration values
    (default: BERTH_SECRETS_KEY; without one, writing a secret answers 503)."""
    hardening = hardening or Hardening.from_environ()  # size and rate limits, idempotency, ETags
    sealer = Sealer(secrets_key) if secrets_key is not None else Sealer.from_environ()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict]:
        pool = await create_pool(dsn, min_size=min(2, pool_size), max_size=pool_size)
        notifier = CoalescingNotifier(pool)
        feed = EventFeed(pool)
        try:
            async with cloud() if cloud is not None else contextlib.nullcontext() as reads:
                yield {"pool": pool, "tokens": TokenCache(), "notifier": notifier, "cloud": reads, "events": feed,
                       "sealer": sealer}
        finally:
            await feed.close()
            await notifier.flush()
            await pool.close()

    handlers = {
        Problem: on_problem,
        HTTPException: on_http_exception,
        Exception: on_unexpected,
        **dict.fromkeys(UNAVAILABLE_ERRORS, on_unavailable),
        **dict.fromkeys(CONFLICT_ERRORS, on_conflicted),
        CloudRejected: on_cloud_rejected,
        CloudUnavailable: on_cloud_unavailable,
    }
    app = Starlette(
        routes=[*hardening.routes(OPERATIONS), OPENAPI_ROUTE],
        exception_handlers=handlers,
        lifespan=lifespan,
        middleware=[Middleware(prometheus.RequestMetrics), *hardening.middleware()],
    )
    app.state.openapi = build_document(OPERATIONS)
    return app
