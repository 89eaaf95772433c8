from dataclasses import dataclass

import httpx
import pytest

from api.app import create_app
from controller.store.organisations import add_token, create_organisation, new_token
from controller.store.v1.sealing import new_key
from tests.serving import serve


@dataclass
class V1Tenant:
    slug: str
    token: str
    client: httpx.AsyncClient

    async def project(self, slug: str = "shop") -> dict:
        answer = await self.client.post(
            "/api/v1/projects", json={"name": slug.title(), "slug": slug, "organization_id": self.slug}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def application(self, slug: str = "web", project: str = "shop") -> dict:
        made = await self.project(project)
        answer = await self.client.post(
            "/api/v1/applications", json={"name": slug.title(), "slug": slug, "project_id": made["id"]}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture
def secrets_key() -> str:
    return new_key()


@pytest.fixture
async def base_url(database_url, secrets_key):
    async with serve(create_app(database_url, secrets_key=secrets_key)) as url:
        yield url


async def _tenant(pool, base_url: str, slug: str) -> V1Tenant:
    organisation = await create_organisation(pool, slug)
    token = new_token()
    await add_token(pool, organisation, token)
    return V1Tenant(slug, token, httpx.AsyncClient(base_url=base_url, headers={"X-API-Key": token}))


@pytest.fixture
async def tenant(pool, base_url):
    made = await _tenant(pool, base_url, "acme")
    yield made
    await made.client.aclose()


@pytest.fixture
async def other_tenant(pool, base_url):
    made = await _tenant(pool, base_url, "globex")
    yield made
    await made.client.aclose()


async def queued(pool, kind: str, key: str) -> bool:
    return await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = $1 AND key = $2", kind, key) == 1
