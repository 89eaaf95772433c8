"""The yardsticks: the least a Starlette + asyncpg handler can do for a JSON write.

Both read the body with orjson, write through an asyncpg pool of the same size and
settings as berth's, and answer 201 with a small JSON — no authentication, no
validation, no response model:

- `desired-state` (the ratio's yardstick) runs berth's own desired-state write, the
  `create_application` statement (limit counter, application, production
  environment, queue rows), so that what is left of berth's time beyond it is the
  API's own work: auth, validation, error mapping, the view, the NOTIFY;
- `insert` INSERTs the body into a one-table schema: the floor of any JSON write,
  shown for scale.

Served by `berth bench api` as `controller.bench.bare:app`, with BERTH_BENCH_DSN,
BERTH_BENCH_POOL_SIZE and BERTH_BENCH_WRITE (`desired-state` or `insert`).
"""

import contextlib
import os
from collections.abc import AsyncIterator

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from controller.store.kinds import kinds_for
from controller.store.queries import QUERIES

SCHEMA = "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body jsonb)"
INSERT = "INSERT INTO bench_bare (body) VALUES ($1) RETURNING id"
DESIRED_STATE, INSERT_ONLY = "desired-state", "insert"


async def _jsonb_codec(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
    )


async def _no_reset(_: asyncpg.Connection) -> None:
    pass


def create_bare_app(dsn: str, pool_size: int, write_kind: str = DESIRED_STATE) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict]:
        pool = await asyncpg.create_pool(
            # berth's pool skips asyncpg's reset query; so does this one, like for like.
            dsn, min_size=min(2, pool_size), max_size=pool_size, init=_jsonb_codec, reset=_no_reset
        )
        organisations = {r["slug"]: r["id"] for r in await pool.fetch("SELECT slug, id FROM organisations")}
        try:
            yield {"pool": pool, "organisations": organisations}
        finally:
            await pool.close()

    async def insert(request: Request) -> Response:
        body = orjson.loads(await request.body())
        row_id = await request.state.pool.fetchval(INSERT, body)
        return Response(orjson.dumps({"id": row_id}), status_code=201, media_type="application/json")

    async def desired_state(request: Request) -> Response:
        body = orjson.loads(await request.body())
        production = {
            "compose": body["composeDefinition"],
            "minCapacity": body.get("minCapacity", 1),
            "maxCapacity": body.get("maxCapacity", 1),
        }
        row = await request.state.pool.fetchrow(
            QUERIES.create_application,
            request.state.organisations[request.path_params["organisation"]],
            body["appName"],
            body,
            production,
            kinds_for(production),
        )
        return Response(orjson.dumps({"id": str(row["id"])}), status_code=201, media_type="application/json")

    write = {DESIRED_STATE: desired_state, INSERT_ONLY: insert}[write_kind]

    async def healthz(_: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            # The same path as berth's create, so both servers get byte-identical requests.
            Route("/api/v3/organizations/{organisation}/applications", write, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def _app_from_env() -> Starlette | None:
    dsn = os.environ.get("BERTH_BENCH_DSN")
    if not dsn:
        return None
    return create_bare_app(
        dsn, int(os.environ.get("BERTH_BENCH_POOL_SIZE", "10")), os.environ.get("BERTH_BENCH_WRITE", DESIRED_STATE)
    )


app = _app_from_env()
