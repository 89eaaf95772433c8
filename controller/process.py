"""Assemble a controller process: the pool, the cloud clients, the reconcilers, the worker."""

import asyncio
from collections.abc import Mapping
from contextlib import AsyncExitStack

from controller.runtime.aws_metrics import count_calls
from controller.runtime.heartbeat import heartbeat, process_name, share_limits
from controller.runtime.housekeeping import Retention, keep_house
from controller.runtime.metrics import serve_metrics
from controller.runtime.settings import RuntimeSettings
from controller.runtime.worker import Worker
from controller.store.pool import create_pool
from controller.store.queue import WorkQueue
from reconcilers.aws import AwsClients, AwsConfig, aws_reconcilers
from reconcilers.kube import KubeConfig, kube_api_client, kube_reconcilers
from schemas.kinds import SHARED_KEY, Kind


async def run_controller(
    dsn: str,
    stop: asyncio.Event,
    *,
    runtime: RuntimeSettings,
    environ: Mapping[str, str],
    name: str | None = None,
) -> None:
    config = AwsConfig.from_env(environ)
    kube = KubeConfig.from_env(environ)
    pool = await create_pool(dsn, min_size=2, max_size=runtime.concurrency * 2 + 4)
    try:
        async with AwsClients(config, on_client=count_calls) as clients, AsyncExitStack() as stack:
            await WorkQueue(pool).ensure(Kind.AWS_NETWORK, SHARED_KEY)
            reconcilers = aws_reconcilers(clients, config)
            if kube.enabled:  # a kubeconfig or the in-cluster service account: the v1 platform
                api_client = await stack.enter_async_context(kube_api_client(kube))
                reconcilers += kube_reconcilers(api_client, kube)
            housekeeping = asyncio.create_task(keep_house(pool, Retention.from_env(environ), stop))
            try:
                async with (
                    serve_metrics(pool, [r.kind for r in reconcilers], environ),
                    # processes sharing the account share its AWS limits: 1 / (live processes) each
                    heartbeat(pool, name or process_name(), share_limits(clients.rate_limiter)),
                ):
                    await Worker(pool, dsn, reconcilers, runtime, name=name).run(stop)
            finally:
                housekeeping.cancel()
                await asyncio.gather(housekeeping, return_exceptions=True)
    finally:
        await pool.close()
