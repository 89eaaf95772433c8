"""The controller's Prometheus metrics, named as controller-runtime names them, and the
small HTTP listener that serves them (`BERTH_METRICS_PORT`).

Labels: `controller` is the reconciler kind, `name` (work queue) is the kind too: berth
has one queue per kind, as controller-runtime has one per controller.

Results, as controller-runtime counts them: `success` (Done, Forget), `requeue_after`
(RequeueAfter), `error` (every failure: temporary, permanent, unexpected, a lease lost
or a pass cancelled). `workqueue_retries_total` counts the passes put back with backoff
(temporary and unexpected errors), as controller-runtime's rate-limited requeues.
"""

import asyncio
import contextlib

import asyncpg
import structlog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from controller.store.pool import DATABASE_ERRORS

log = structlog.get_logger("berth.metrics")

RESULTS = {
    "done": "success",
    "forget": "success",
    "requeue": "requeue_after",
}
RETRIED = frozenset({"temporary_error", "error"})
DEPTH_SECONDS = 5.0

RECONCILE_TOTAL = Counter(
    "controller_runtime_reconcile_total", "Reconcile passes by controller and result.", ["controller", "result"]
)
RECONCILE_ERRORS = Counter(
    "controller_runtime_reconcile_errors_total", "Reconcile passes that failed.", ["controller"]
)
RECONCILE_TIME = Histogram(
    "controller_runtime_reconcile_time_seconds",
    "How long a reconcile pass took.",
    ["controller"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60),
)
ACTIVE_WORKERS = Gauge(
    "controller_runtime_active_workers", "Reconcile passes running now in this process.", ["controller"]
)
MAX_WORKERS = Gauge(
    "controller_runtime_max_concurrent_reconciles", "Passes this process may run at once.", ["controller"]
)
QUEUE_DURATION = Histogram(
    "workqueue_queue_duration_seconds",
    "How long a key waited between becoming due and being claimed.",
    ["name"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RETRIES = Counter("workqueue_retries_total", "Passes requeued with backoff after an error.", ["name"])
DEPTH = Gauge("workqueue_depth", "Keys due and not leased, across every process.", ["name"])

DEPTH_QUERY = """
SELECT kind, count(*) FILTER (WHERE not_before <= now() AND (lease_expires IS NULL OR lease_expires < now()))
FROM work_queue GROUP BY kind
"""


def known(kind: str, concurrency: int) -> None:
    """A kind this process reconciles: its series exist (at 0) before its first pass."""
    ACTIVE_WORKERS.labels(kind)  # created at 0; never reset: another Worker here may be running it
    MAX_WORKERS.labels(kind).set(concurrency)
    RECONCILE_ERRORS.labels(kind)
    RETRIES.labels(kind)
    for result in ("success", "error", "requeue_after"):
        RECONCILE_TOTAL.labels(kind, result)


def claimed(kind: str, waited_seconds: float) -> None:
    QUEUE_DURATION.labels(kind).observe(max(waited_seconds, 0.0))
    ACTIVE_WORKERS.labels(kind).inc()


def released(kind: str) -> None:
    """The pass's task ended, however (also when cancelled before it ran)."""
    ACTIVE_WORKERS.labels(kind).dec()


def finished(kind: str, outcome: str, seconds: float) -> None:
    result = RESULTS.get(outcome, "error")
    RECONCILE_TOTAL.labels(kind, result).inc()
    RECONCILE_TIME.labels(kind).observe(seconds)
    if result == "error":
        RECONCILE_ERRORS.labels(kind).inc()
    if outcome in RETRIED:
        RETRIES.labels(kind).inc()


async def sample_depth(pool: asyncpg.Pool, kinds: list[str]) -> None:
    counts = dict.fromkeys(kinds, 0)
    for row in await pool.fetch(DEPTH_QUERY):
        counts[row["kind"]] = row["count"]
    for kind, count in counts.items():
        DEPTH.labels(kind).set(count)


async def _sample_depth_forever(pool: asyncpg.Pool, kinds: list[str], every: float) -> None:
    while True:
        try:
            await sample_depth(pool, kinds)
        except DATABASE_ERRORS as error:
            log.warning("depth_sample_failed", error=str(error))
        await asyncio.sleep(every)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """HTTP/1.0 for one request: GET /metrics, or 404."""
    try:
        request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if method == "GET" and path.split("?", 1)[0] == "/metrics":
            status, kind, body = "200 OK", CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        else:
            status, kind, body = "404 Not Found", "text/plain", b"not found; try /metrics\n"
        head = f"HTTP/1.0 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(head.encode() + body)
        await writer.drain()
    except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        pass  # a scraper that went away, or garbage: nothing to answer
    finally:
        writer.close()


class MetricsListener:
    """`async with MetricsListener(pool, kinds, host, port):` serves /metrics and keeps
    the work-queue depth sampled while the controller runs. Port 0 picks a free port
    (`.port` says which)."""

    def __init__(self, pool: asyncpg.Pool, kinds: list[str], host: str, port: int, depth_seconds: float = DEPTH_SECONDS):
        self._pool, self._kinds = pool, kinds
        self._host, self.port = host, port
        self._depth_seconds = depth_seconds
        self._server: asyncio.AbstractServer | None = None
        self._sampler: asyncio.Task | None = None

    async def __aenter__(self) -> "MetricsListener":
        self._server = await asyncio.start_server(_answer, self._host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._sampler = asyncio.create_task(_sample_depth_forever(self._pool, self._kinds, self._depth_seconds))
        log.info("metrics_listening", host=self._host, port=self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            await asyncio.gather(self._sampler, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


METRICS_PORT = "BERTH_METRICS_PORT"
METRICS_HOST = "BERTH_METRICS_HOST"


def serve_metrics(pool: asyncpg.Pool, kinds: list[str], environ) -> contextlib.AbstractAsyncContextManager:
    """The listener when `BERTH_METRICS_PORT` is set (on `BERTH_METRICS_HOST`, default
    all interfaces), else nothing: a controller need not expose a port."""
    port = environ.get(METRICS_PORT)
    if not port:
        return contextlib.nullcontext()
    return MetricsListener(pool, kinds, environ.get(METRICS_HOST, "0.0.0.0"), int(port))
