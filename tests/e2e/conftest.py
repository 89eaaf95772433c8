"""The whole of berth on one loop: the API under uvicorn, controllers, moto behind a
recording proxy, and the simulated ECS scheduler stepping rollouts."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import aioboto3
import httpx
import pytest

from api.app import create_app
from controller.process import run_controller
from controller.runtime.settings import RuntimeSettings
from controller.sandbox.ecs_rollout import EcsRolloutSimulator
from controller.store.organisations import add_token, create_organisation, new_token
from tests.fakes.aws import AWS_REGION as REGION
from tests.fakes.aws import AWS_TEST_ENVIRONMENT as AWS_ENVIRONMENT
from tests.fakes.aws_proxy import AwsProxy
from tests.serving import serve

FAST = {
    "BERTH_LEASE_SECONDS": "2",
    "BERTH_POLL_SECONDS": "0.2",
    "BERTH_ROLLOUT_POLL_SECONDS": "0.3",
    "BERTH_SHUTDOWN_GRACE_SECONDS": "2",
}


@pytest.fixture
async def aws_proxy(moto_server):
    moto_server.reset()
    proxy = AwsProxy(moto_server.endpoint)
    async with serve(proxy) as url:
        proxy.url = url
        yield proxy


@pytest.fixture
async def ecs(aws_proxy):
    """An ECS client that talks to moto directly (not recorded by the proxy)."""
    session = aioboto3.Session()
    async with session.client("ecs", endpoint_url=aws_proxy.upstream, region_name=REGION) as client:
        yield client


@pytest.fixture
async def rollouts():
    simulator = EcsRolloutSimulator(region=REGION)
    stop = asyncio.Event()
    task = asyncio.create_task(simulator.run(0.1, stop))
    yield simulator
    stop.set()
    await task


@dataclass
class Platform:
    api: httpx.AsyncClient
    database_url: str
    aws_url: str
    organisation: str = "acme"

    @property
    def applications(self) -> str:
        return f"/api/v3/organizations/{self.organisation}/applications"

    def controller_environment(self) -> dict[str, str]:
        return {**AWS_ENVIRONMENT, **FAST, "AWS_ENDPOINT_URL": self.aws_url, "DATABASE_URL": self.database_url}

    async def wait_for(self, name: str, predicate, timeout: float = 30.0):
        """Poll GET …/applications/{name} (or any path below it) until `predicate(response)`
        holds; return the last response."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self.api.get(f"{self.applications}/{name}")
                if predicate(response):
                    return response
                await asyncio.sleep(0.1)


@pytest.fixture
async def platform(database_url, pool, aws_proxy, rollouts):
    organisation = await create_organisation(pool, "acme")
    token = new_token()
    await add_token(pool, organisation, token)
    async with serve(create_app(database_url)) as url:
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api:
            yield Platform(api, database_url, aws_proxy.url)


@pytest.fixture
async def controller(platform):
    """A controller in this process, as `berth controller` would run it."""
    stop = asyncio.Event()
    environ = platform.controller_environment()
    task = asyncio.create_task(
        run_controller(platform.database_url, stop, runtime=RuntimeSettings.from_env(environ), environ=environ)
    )
    yield task
    stop.set()
    await task


@pytest.fixture
def spawn_controller(platform, tmp_path: Path):
    """`berth controller` as a real process, which a test may SIGKILL."""
    processes: list[subprocess.Popen] = []

    def spawn() -> subprocess.Popen:
        log = open(tmp_path / f"controller-{len(processes)}.log", "wb")
        env = {**os.environ, **platform.controller_environment(), "BERTH_LOG_LEVEL": "INFO"}
        process = subprocess.Popen(
            [sys.executable, "-m", "controller.cli", "controller"], env=env, stdout=log, stderr=log
        )
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
