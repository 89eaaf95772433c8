"""Assemble a controller process: the pool, the cloud clients, the reconcilers, the worker."""

import asyncio
from collections.abc import Mapping

from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.store.pool import create_pool
from controller.store.queue import WorkQueue
from reconcilers.aws import NETWORK_KEY, NETWORK_KIND, AwsClients, AwsConfig, aws_reconcilers


async def run_controller(
    dsn: str,
    stop: asyncio.Event,
    *,
    runtime: RuntimeSettings,
    environ: Mapping[str, str],
    name: str | None = None,
) -> None:
    config = AwsConfig.from_env(environ)
    pool = await create_pool(dsn, min_size=2, max_size=runtime.concurrency * 2 + 4)
    try:
        async with AwsClients(config) as clients:
            await WorkQueue(pool).ensure(NETWORK_KIND, NETWORK_KEY)
            await Worker(pool, dsn, aws_reconcilers(clients, config), runtime, name=name).run(stop)
    finally:
        await pool.close()
