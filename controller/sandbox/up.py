"""`berth up`: PostgreSQL, a simulated AWS account when none is configured, the API and
the controller, in one process group that Ctrl-C stops cleanly."""

import asyncio
import os
from pathlib import Path

import asyncpg
import structlog

from api.app import create_app
from controller.cloud.reads import aws_cloud_reads
from controller.database import resolve_dsn
from controller.process import run_controller
from controller.sandbox.aws import aws_is_configured, start_simulated_aws
from controller.sandbox.bootstrap import DEMO_ORGANISATION, bootstrap_token
from controller.sandbox.kube.sandbox import kube_is_configured, start_simulated_kubernetes
from controller.settings import Settings
from controller.signals import serve_until, stop_on_signals
from controller.store.migrations import migrate
from controller.store.pool import create_pool
from controller.store.queries import QUERIES
from controller.store.v1.sealing import SECRETS_KEY_VARIABLE, key_in_data_dir

log = structlog.get_logger("berth.sandbox")

BANNER = """
berth is up.

  API            {url}
  console        {url}/console
  organisation   {organisation}
  token          {token}
  AWS            {aws}
  Kubernetes     {kubernetes}
  data           {data_dir}

Try:
  curl -s -H 'Authorization: Bearer {token}' {url}/api/v3/organizations/{organisation}/applications

Ctrl-C stops everything; running `berth up` again keeps the data.
"""


async def up(settings: Settings, *, host: str, port: int, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    # The API seals v1 secrets with it and the kube reconcilers open them: both read the environment.
    os.environ.setdefault(SECRETS_KEY_VARIABLE, settings.secrets_key or key_in_data_dir(data_dir))
    dsn, embedded = await asyncio.to_thread(resolve_dsn, settings.database_url, data_dir)
    (data_dir / "database-url").write_text(dsn + "\n")
    simulated = None
    cluster = None
    try:
        connection = await asyncpg.connect(dsn)
        try:
            applied = await migrate(connection)
        finally:
            await connection.close()
        log.info("migrated", applied=applied)
        if not aws_is_configured(os.environ):
            simulated = start_simulated_aws()
            (data_dir / "aws-endpoint").write_text(simulated.endpoint + "\n")
        if not kube_is_configured(os.environ):
            cluster = start_simulated_kubernetes(data_dir)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            token = await bootstrap_token(pool, data_dir)
            if simulated is not None:
                # A new simulated account holds nothing yet: every object is due now.
                await pool.execute(QUERIES.requeue_all)
        finally:
            await pool.close()
        await _run(settings, dsn, host, port, data_dir, token, simulated, cluster)
    finally:
        if cluster is not None:
            cluster.stop()
        if simulated is not None:
            simulated.stop()
        if embedded is not None:
            embedded.stop()


async def _run(settings, dsn, host, port, data_dir, token, simulated, cluster=None) -> None:
    stop = asyncio.Event()
    stop_on_signals(stop)
    tasks = [
        asyncio.create_task(serve_until(create_app(dsn, cloud=aws_cloud_reads(os.environ)), host, port, stop)),
        asyncio.create_task(run_controller(dsn, stop, runtime=settings.runtime, environ=os.environ)),
    ]
    if simulated is not None:
        from controller.sandbox.ecs_rollout import EcsRolloutSimulator

        tasks.append(asyncio.create_task(EcsRolloutSimulator(region=os.environ["AWS_REGION"]).run(1.0, stop)))
    print(
        BANNER.format(
            url=f"http://{host}:{port}",
            organisation=DEMO_ORGANISATION,
            token=token,
            aws=f"simulated (moto) at {simulated.endpoint}" if simulated else "as configured",
            kubernetes=f"simulated cluster at {cluster.url} (kubeconfig {cluster.kubeconfig})" if cluster else "as configured",
            data_dir=data_dir.resolve(),
        ),
        flush=True,
    )
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
            raise result
