"""Shared by the tests/api/test_hardening_*.py files: bodies, a server with its own
`Hardening` settings, and a tenant on it."""

import contextlib
from collections.abc import AsyncIterator

import httpx

from api.app import create_app
from api.hardening import Hardening
from controller.store.organisations import add_token, create_organisation, new_token
from tests.serving import serve

WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
API = {"name": "api", "imageReference": {"type": "internal", "identifier": "api"}}


def application(name: str = "shop", **extra) -> dict:
    return {"appName": name, "composeDefinition": {"containers": [WEB]}, "minCapacity": 1, "maxCapacity": 2, **extra}


async def token_for(pool, slug: str) -> str:
    organisation = await create_organisation(pool, slug, 10)
    token = new_token()
    await add_token(pool, organisation, token)
    return token


@contextlib.asynccontextmanager
async def hardened(database_url: str, pool, hardening: Hardening, slug: str = "acme") -> AsyncIterator[httpx.AsyncClient]:
    """A client with a token of organisation `slug`, on a server with `hardening`."""
    token = await token_for(pool, slug)
    async with serve(create_app(database_url, hardening=hardening)) as url, httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


async def counts(pool) -> tuple[int, int, int]:
    """Applications, environments and queue rows: what a refused request must not change."""
    row = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM applications) AS a, (SELECT count(*) FROM environments) AS e,"
        " (SELECT count(*) FROM work_queue) AS q"
    )
    return row["a"], row["e"], row["q"]


async def specs(pool) -> list:
    """Every stored spec and generation, to compare before and after a refused write."""
    rows = await pool.fetch(
        "SELECT name, spec, generation, deleted_at FROM applications"
        " UNION ALL SELECT name, spec, generation, deleted_at FROM environments ORDER BY 1, 3"
    )
    return [tuple(r) for r in rows]
