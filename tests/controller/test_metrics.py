"""The controller's /metrics after real passes: controller-runtime's names and labels, the
work queue's depth, AWS calls by service, operation and outcome (throttling included),
and the pass events a pass that changed something or failed leaves behind."""

import asyncio
import uuid
from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from controller.runtime.aws_metrics import count_calls, outcome
from controller.runtime.metrics import MetricsListener, serve_metrics
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.config import AwsConfig
from reconcilers.results import Done, PermanentError, RequeueAfter
from tests.controller.support import FakeReconciler, run_worker, wait_until
from tests.serving import serve


async def scrape(listener: MetricsListener) -> dict[tuple[str, tuple], float]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{listener.port}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples, metric: str, **labels) -> float:
    return samples.get((metric, tuple(sorted(labels.items()))), 0.0)


async def test_a_scrape_after_some_passes(pool, database_url, queue):
    kind = f"metrics-{uuid.uuid4().hex[:6]}"  # the registry is the process's: a kind of our own
    keys = {name: str(uuid.uuid4()) for name in ("done", "requeue", "fails")}

    async def step(ctx, n):
        if ctx.key == keys["requeue"] and n == 1:
            return RequeueAfter(0.01, "waiting for something")
        if ctx.key == keys["fails"] and n == 1:
            raise RuntimeError("boom")
        if ctx.key == keys["fails"] and n == 2:
            raise PermanentError("InvalidSpec", "the spec cannot be made real")
        return Done()

    reconciler = FakeReconciler(step, kind=kind)
    await queue.enqueue(kind, "idle-key")
    await pool.execute("UPDATE work_queue SET not_before = now() + interval '1 hour' WHERE kind = $1", kind)
    async with MetricsListener(pool, [kind], "127.0.0.1", 0, depth_seconds=0.05) as listener:
        samples = await scrape(listener)
        # Known before the first pass: at zero.
        assert value(samples, "controller_runtime_active_workers", controller=kind) == 0
        assert value(samples, "controller_runtime_reconcile_total", controller=kind, result="success") == 0
        for key in keys.values():
            await queue.enqueue(kind, key)
        await wait_until(lambda: value_now(listener, kind) == 3, what="the three due keys sampled")
        async with run_worker(pool, database_url, [reconciler]):
            await wait_until(lambda: reconciler.tracker.passes[keys["requeue"]] >= 2, what="requeued pass")
            await wait_until(lambda: reconciler.tracker.passes[keys["fails"]] >= 1, what="failed pass")
            await pool.execute("UPDATE work_queue SET not_before = now() WHERE key = $1", keys["fails"])
            await wait_until(lambda: reconciler.tracker.passes[keys["fails"]] >= 2, what="permanent error")
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.2)
        samples = await scrape(listener)

    assert value(samples, "controller_runtime_reconcile_total", controller=kind, result="success") >= 2
    assert value(samples, "controller_runtime_reconcile_total", controller=kind, result="requeue_after") == 1
    assert value(samples, "controller_runtime_reconcile_total", controller=kind, result="error") == 2
    assert value(samples, "controller_runtime_reconcile_errors_total", controller=kind) == 2
    assert value(samples, "workqueue_retries_total", name=kind) == 1  # the unexpected error; not the permanent one
    passes = value(samples, "controller_runtime_reconcile_time_seconds_count", controller=kind)
    assert passes == sum(reconciler.tracker.passes.values())
    assert value(samples, "controller_runtime_reconcile_time_seconds_bucket", controller=kind, le="+Inf") == passes
    assert value(samples, "workqueue_queue_duration_seconds_count", name=kind) == passes
    assert value(samples, "controller_runtime_active_workers", controller=kind) == 0
    assert value(samples, "controller_runtime_max_concurrent_reconciles", controller=kind) == 4
    assert value(samples, "workqueue_depth", name=kind) == 0  # the idle key is not due


def value_now(listener, kind):
    from controller.runtime.metrics import DEPTH

    return DEPTH.labels(kind)._value.get()


async def test_the_listener_answers_only_metrics_and_is_off_without_a_port(pool):
    async with serve_metrics(pool, [], {"BERTH_METRICS_PORT": "0", "BERTH_METRICS_HOST": "127.0.0.1"}) as listener:
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{listener.port}/other")).status_code == 404
            assert (await client.get(f"http://127.0.0.1:{listener.port}/metrics")).status_code == 200
    async with serve_metrics(pool, [], {}) as nothing:
        assert nothing is None


async def test_a_pass_that_changed_something_or_failed_leaves_its_own_event(pool, database_url, queue):
    kind = f"events-{uuid.uuid4().hex[:6]}"
    changed, quiet, failing = (str(uuid.uuid4()) for _ in range(3))

    async def step(ctx, n):
        if ctx.key == changed:
            await ctx.store.record_event(reason="ServiceUpdated", message="updated x", environment_id=uuid.UUID(ctx.key))
        if ctx.key == failing:
            raise RuntimeError(f"boom {n}")
        return Done()

    reconciler = FakeReconciler(step, kind=kind)
    for key in (changed, quiet, failing):
        await queue.enqueue(kind, key)
    async with run_worker(pool, database_url, [reconciler]):
        await wait_until(lambda: reconciler.tracker.passes[failing] >= 1 and reconciler.tracker.passes[changed] >= 1)
        await pool.execute("UPDATE work_queue SET not_before = now() WHERE key = $1", failing)
        await wait_until(lambda: reconciler.tracker.passes[failing] >= 2)
        await asyncio.sleep(0.2)
    rows = await pool.fetch("SELECT key, reason, message, warning FROM events WHERE kind = $1 ORDER BY id", kind)
    by_key = {}
    for row in rows:
        by_key.setdefault(row["key"], []).append(row)
    assert [r["reason"] for r in by_key[changed]] == ["ServiceUpdated", "ReconcileCompleted"]
    assert by_key[changed][1]["message"].startswith("done in ")
    assert "after 1 recorded event; next pass in" in by_key[changed][1]["message"]
    assert quiet not in by_key
    [failure] = by_key[failing]  # the first failure of the streak only
    assert failure["reason"] == "ReconcileFailed" and failure["warning"]
    assert "RuntimeError: boom 1" in failure["message"] and "retrying in" in failure["message"]


class Response:
    def __init__(self, status_code):
        self.status_code = status_code


@pytest.mark.parametrize("response, caught, expected", [
    ((Response(200), {}), None, "success"),
    ((Response(400), {"Error": {"Code": "ThrottlingException"}}), None, "throttled"),
    ((Response(400), {"Error": {"Code": "RequestLimitExceeded"}}), None, "throttled"),
    ((Response(429), {"Error": {"Code": ""}}), None, "throttled"),
    ((Response(400), {"Error": {"Code": "ClusterNotFoundException"}}), None, "client_error"),
    ((Response(503), {"Error": {"Code": "ServiceUnavailable"}}), None, "server_error"),
    (None, ConnectionError("refused"), "transport_error"),
])
def test_outcomes(response, caught, expected):
    assert outcome(response, caught) == expected


async def test_aws_calls_are_counted_by_service_operation_and_outcome(moto_server):
    from controller.runtime.aws_metrics import AWS_CALLS

    def count(service, operation, result):
        return AWS_CALLS.labels(service, operation, result)._value.get()

    config = AwsConfig(region="us-east-1", endpoint_url=moto_server.endpoint)
    before = count("ecs", "ListClusters", "success"), count("ecs", "DescribeServices", "client_error")
    async with AwsClients(config, sdk_attempts=1, on_client=count_calls) as clients:
        await clients.ecs.list_clusters()
        with pytest.raises(Exception):
            await clients.ecs.describe_services(cluster="no-such-cluster", services=["x"])
    assert count("ecs", "ListClusters", "success") == before[0] + 1
    assert count("ecs", "DescribeServices", "client_error") == before[1] + 1

    async def throttle(_):
        return JSONResponse({"__type": "ThrottlingException", "message": "Rate exceeded"}, status_code=400)

    throttling = Starlette(routes=[Route("/", throttle, methods=["POST"])])
    before = count("ecs", "ListClusters", "throttled")
    async with serve(throttling) as url:
        async with AwsClients(replace(config, endpoint_url=url), sdk_attempts=3, on_client=count_calls) as clients:
            with pytest.raises(Exception, match="Throttling"):
                await clients.ecs.list_clusters()
    assert count("ecs", "ListClusters", "throttled") == before + 3  # every attempt the SDK made
