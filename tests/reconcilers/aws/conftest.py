from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controller.sandbox.ecs_rollout import EcsRolloutSimulator
from reconcilers.aws import calls
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.network import NetworkReconciler
from reconcilers.results import Done
from tests.fakes.aws import AWS_REGION as REGION
from tests.fakes.aws import FakeDatabase
from tests.fakes.aws_proxy import AwsProxy
from tests.serving import serve

REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


@pytest.fixture(scope="session")
def aws_config(moto_server) -> AwsConfig:
    return AwsConfig(
        region=REGION,
        endpoint_url=moto_server.endpoint,
        assign_public_ip=True,
        ecr_registry=REGISTRY,
        rollout_poll_seconds=5,
    )


@pytest.fixture(scope="session")
async def session_clients(aws_config):
    async with AwsClients(aws_config, sdk_attempts=1) as clients:
        yield clients


@pytest.fixture
def aws(moto_server, session_clients):
    """Clients to a freshly reset moto."""
    moto_server.reset()
    return session_clients


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch):
    monkeypatch.setattr(calls, "TRANSIENT_RETRY", calls.RetryPolicy(initial_wait=0, max_wait=0))


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def simulator() -> EcsRolloutSimulator:
    return EcsRolloutSimulator(region=REGION)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def network(aws, aws_config, database, clock):
    """The shared network, made by its reconciler; its outputs."""
    result = await NetworkReconciler(aws, aws_config, clock).reconcile(
        database.context("aws-network", "default")
    )
    assert result == Done()
    return database.statuses[("aws-network", "default")].outputs


@pytest.fixture
async def aws_proxy(aws, moto_server):
    """A recording, answer-losing proxy in front of the freshly reset moto (`aws`)."""
    proxy = AwsProxy(moto_server.endpoint)
    async with serve(proxy) as url:
        proxy.url = url
        yield proxy


@pytest.fixture
async def proxied(aws_proxy, aws_config):
    """Clients through the proxy, with the SDK retries production runs with."""
    async with AwsClients(replace(aws_config, endpoint_url=aws_proxy.url)) as clients:
        yield clients
