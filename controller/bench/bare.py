"""The yardstick: the least a Starlette + asyncpg handler can do for a JSON write.

It reads the body with orjson and INSERTs it into a one-table schema through an
asyncpg pool of the same size as berth's, and answers 201 with a small JSON. No
authentication, no validation, no limit check, no queue row: what is left of
berth's time beyond this is berth's own work. Served by `berth bench api` as
`controller.bench.bare:app`, with BERTH_BENCH_DSN and BERTH_BENCH_POOL_SIZE.
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

SCHEMA = "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body jsonb)"
INSERT = "INSERT INTO bench_bare (body) VALUES ($1) RETURNING id"


async def _jsonb_codec(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
    )


async def _no_reset(_: asyncpg.Connection) -> None:
    pass


def create_bare_app(dsn: str, pool_size: int) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict]:
        pool = await asyncpg.create_pool(
            # berth's pool skips asyncpg's reset query; so does this one, like for like.
            dsn, min_size=min(2, pool_size), max_size=pool_size, init=_jsonb_codec, reset=_no_reset
        )
        try:
            yield {"pool": pool}
        finally:
            await pool.close()

    async def write(request: Request) -> Response:
        body = orjson.loads(await request.body())
        row_id = await request.state.pool.fetchval(INSERT, body)
        return Response(orjson.dumps({"id": row_id}), status_code=201, media_type="application/json")

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
    return create_bare_app(dsn, int(os.environ.get("BERTH_BENCH_POOL_SIZE", "10")))


app = _app_from_env()
