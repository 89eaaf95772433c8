"""Liveness and readiness."""

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.problems import UNAVAILABLE, problem_response
from api.responses import JSON

READY_TIMEOUT_SECONDS = 2.0


async def healthz(_: Request) -> Response:
    return JSON({"status": "ok"})


async def readyz(request: Request) -> Response:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            await request.state.pool.fetchval("SELECT 1")
    except Exception:  # noqa: BLE001 — any failure means not ready
        return problem_response(503, "Service Unavailable", UNAVAILABLE)
    return JSON({"status": "ready"})



operations = [
    Operation("/healthz", "get", "healthz", "Liveness", None, {200: ("Alive", None)}, False, handler=healthz),
    Operation("/readyz", "get", "readyz", "Readiness: the database answers", None,
              {200: ("Ready", None), 503: ("Not ready", None)}, False, handler=readyz),
]
