from dataclasses import dataclass

import httpx
import pytest

from api.app import create_app
from controller.store.organisations import add_token, create_organisation, new_token
from tests.serving import serve


@dataclass
class Tenant:
    slug: str
    token: str
    client: httpx.AsyncClient

    @property
    def applications(self) -> str:
        return f"/api/v3/organizations/{self.slug}/applications"


@pytest.fixture
async def base_url(database_url):
    async with serve(create_app(database_url)) as url:
        yield url


async def _tenant(pool, base_url: str, slug: str, limit: int = 10) -> Tenant:
    organisation = await create_organisation(pool, slug, limit)
    token = new_token()
    await add_token(pool, organisation, token)
    client = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    return Tenant(slug, token, client)


@pytest.fixture
async def tenant(pool, base_url):
    tenant = await _tenant(pool, base_url, "acme")
    yield tenant
    await tenant.client.aclose()


@pytest.fixture
async def other_tenant(pool, base_url):
    tenant = await _tenant(pool, base_url, "globex")
    yield tenant
    await tenant.client.aclose()


@pytest.fixture
def make_tenant(pool, base_url):
    made = []

    async def make(slug: str, limit: int = 10) -> Tenant:
        made.append(await _tenant(pool, base_url, slug, limit))
        return made[-1]

    yield make
