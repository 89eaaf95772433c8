"""Fixtures for the routes that read the cloud: the API served with its AWS cloud reads
pointed at moto's HTTP server (reset per test), a tenant with one application, and
aioboto3 clients to put logs and metrics into moto the way ECS would.

Test modules import the fixtures they use: `from tests.api.cloud import *`.
"""

import aioboto3
import httpx
import pytest
from botocore.config import Config

from api.app import create_app
from controller.cloud.reads import AwsCloudReads
from controller.store.organisations import add_token, create_organisation, new_token
from reconcilers.aws.config import AwsConfig
from tests.api.conftest import Tenant
from tests.fakes.aws import AWS_REGION
from tests.serving import serve

__all__ = ["cloud_config", "cloud_url", "cloud_tenant", "stranger", "shop", "seed", "aws_client", "WEB", "WORKER"]

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
WEB = {"name": "web", "imageReference": {"type": "external", "identifier": "nginx:1.27"}, "exposedPorts": [80]}
WORKER = {"name": "worker", "imageReference": {"type": "external", "identifier": "busybox:1"}, "essential": False}


@pytest.fixture
def cloud_config(moto_server) -> AwsConfig:
    moto_server.reset()
    return AwsConfig(region=AWS_REGION, endpoint_url=moto_server.endpoint, ecr_registry=REGISTRY)


@pytest.fixture
async def cloud_url(database_url, cloud_config):
    async with serve(create_app(database_url, cloud=lambda: AwsCloudReads(cloud_config))) as url:
        yield url


async def _tenant(pool, base_url: str, slug: str) -> Tenant:
    organisation = await create_organisation(pool, slug, 10)
    token = new_token()
    await add_token(pool, organisation, token)
    client = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    return Tenant(slug, token, client)


@pytest.fixture
async def cloud_tenant(pool, cloud_url):
    tenant = await _tenant(pool, cloud_url, "acme")
    yield tenant
    await tenant.client.aclose()


@pytest.fixture
async def stranger(pool, cloud_url):
    """Another organisation, on the same API."""
    tenant = await _tenant(pool, cloud_url, "globex")
    yield tenant
    await tenant.client.aclose()


@pytest.fixture
async def shop(cloud_tenant) -> str:
    """Application `shop` (production: web and worker); its environments' URL."""
    body = {"appName": "shop", "composeDefinition": {"containers": [WEB, WORKER]}}
    response = await cloud_tenant.client.post(cloud_tenant.applications, json=body)
    assert response.status_code == 201, response.text
    return f"{cloud_tenant.applications}/shop/environments"


@pytest.fixture
def aws_client(cloud_config):
    """`async with aws_client("logs") as logs:` — a client to the test's moto."""
    session = aioboto3.Session()

    def open_client(service: str):
        return session.client(
            service,
            region_name=cloud_config.region,
            endpoint_url=cloud_config.endpoint_url,
            config=Config(retries={"max_attempts": 1}),
        )

    return open_client


@pytest.fixture
def seed(aws_client):
    """`await seed(group, {stream: [(timestamp_ms, message), …]})`: a log group as the awslogs driver writes it."""

    async def put(group: str, streams: dict[str, list[tuple[int, str]]]) -> None:
        async with aws_client("logs") as logs:
            await logs.create_log_group(logGroupName=group)
            for stream, events in streams.items():
                await logs.create_log_stream(logGroupName=group, logStreamName=stream)
                await logs.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": t, "message": m} for t, m in events],
                )

    return put
