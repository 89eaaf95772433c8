"""One throttled key backs off on its own: the Worker keeps serving the others.

The reconciler calls AWS through the hostile proxy (controller.bench.aws_limits),
whose RegisterTaskDefinition bucket is empty and whose clock is frozen: the key
that registers is throttled on every send, `calls` gives up with a TemporaryError,
and the runtime schedules that key alone for later — on a worker with a single
slot, the healthy key is reconciled again and again meanwhile.
"""

import time

from controller.bench.aws_limits import HostileAws, serving
from reconcilers.aws import calls
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.config import AwsConfig
from reconcilers.results import Done
from tests.controller.support import KIND, FakeReconciler, fast_settings, queue_row, run_worker, wait_until
from tests.fakes.aws import AWS_REGION

TASK = {"family": "throttled", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}
HEALTHY_PASSES = 6


async def test_a_throttled_key_backs_off_without_blocking_another(pool, database_url, queue, moto_server, monkeypatch):
    monkeypatch.setattr(calls, "TRANSIENT_RETRY", calls.RetryPolicy(initial_wait=0, max_wait=0))
    moto_server.reset()
    frozen = time.monotonic()
    proxy = HostileAws(moto_server.endpoint, clock=lambda: frozen)
    async with serving(proxy) as url:
        config = AwsConfig(region=AWS_REGION, endpoint_url=url)
        async with AwsClients(config, sdk_attempts=2) as clients:
            for _ in range(20):  # the account's whole RegisterTaskDefinition burst
                await clients.ecs.register_task_definition(**TASK)

            async def step(ctx, n):
                if ctx.key == "throttled":
                    await calls.call(clients.ecs.register_task_definition, **TASK)
                else:
                    await calls.call(clients.ecs.list_clusters)
                return Done()

            reconciler = FakeReconciler(step)
            await queue.enqueue(KIND, "throttled")
            await queue.enqueue(KIND, "healthy")
            async with run_worker(pool, database_url, [reconciler], fast_settings(concurrency=1)):
                passes = reconciler.tracker.passes
                await wait_until(lambda: reconciler.tracker.failed["throttled"] == 1, what="the throttled pass")
                for n in range(2, HEALTHY_PASSES + 1):
                    await wait_until(lambda: reconciler.tracker.completed["healthy"] >= n - 1, what="healthy")
                    await queue.enqueue(KIND, "healthy")
                await wait_until(lambda: reconciler.tracker.completed["healthy"] >= HEALTHY_PASSES, what="healthy")
                throttled = await queue_row(pool, "throttled")
                throttled_passes = passes["throttled"]

    assert throttled_passes == 1, "backing off, not retried in a loop"
    assert throttled["attempts"] == 1 and "ThrottlingException" in throttled["last_error"]
    assert throttled["due_in"] > 3.0, "the TemporaryError's own delay (5 s) at least"
    assert reconciler.tracker.completed["healthy"] >= HEALTHY_PASSES
    # 3 calls × 2 sends each, every one throttled and none reaching AWS
    assert proxy.throttled["RegisterTaskDefinition"] == calls.TRANSIENT_RETRY.attempts * 2
