"""The cloud reads the API makes: logs, metrics and registry credentials.

These are the one place the API reads the cloud rather than PostgreSQL: logs, metric
datapoints and short-lived registry passwords live only there, and copying them into
the database would only make them stale (and, for passwords, would store a secret).
The API sees them through these small ports; `controller.cloud.reads` implements them
with AWS, and `create_app(…, cloud=…)` is given a factory that opens them for the
lifetime of the app.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import structlog
from starlette.requests import Request
from starlette.responses import Response

from api.problems import Problem, problem_response

log = structlog.get_logger("berth.api")

NOT_CONFIGURED = "cloud reads are not configured"
CLOUD_UNAVAILABLE = "The cloud provider did not answer; try again shortly."
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True, slots=True)
class LogQuery:
    log_group: str
    start_ms: int | None = None
    end_ms: int | None = None
    stream_prefix: str | None = None
    filter_pattern: str | None = None
    limit: int = 100
    next_token: str | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    timestamp: int  # epoch milliseconds
    message: str
    stream: str


@dataclass(frozen=True, slots=True)
class LogPage:
    events: tuple[LogLine, ...]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class MetricQuery:
    cluster: str
    service: str
    metric_names: tuple[str, ...]
    statistics: tuple[str, ...]
    period: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class MetricPoints:
    metric_name: str
    statistic: str
    points: tuple[tuple[int, float], ...]  # (epoch milliseconds, value), oldest first


@dataclass(frozen=True, slots=True)
class RegistryCredentials:
    username: str
    password: str = field(repr=False)
    endpoint: str
    expires_at: datetime


class LogReader(Protocol):
    async def read(self, query: LogQuery) -> LogPage:
        """One page of events; a log group that does not exist (yet) is an empty page."""


class MetricReader(Protocol):
    async def read(self, query: MetricQuery) -> list[MetricPoints]:
        """One series per metric name and statistic, in the query's order."""


class RegistryLogin(Protocol):
    async def credentials(self, organisation: str) -> RegistryCredentials:
        """Docker credentials for the organisation's image repository."""


class CloudReads(Protocol):
    logs: LogReader
    metrics: MetricReader
    registry: RegistryLogin


# Opened in the app's lifespan, closed when it stops.
CloudReadsFactory = Callable[[], AbstractAsyncContextManager[CloudReads]]


class CloudRejected(Exception):
    """The cloud refused the request as invalid (a filter pattern it cannot parse, a
    pagination token it does not know): the client's to fix."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class CloudUnavailable(Exception):
    """Throttled, a server error or no answer: worth retrying later."""


def cloud_reads(request: Request) -> CloudReads:
    """The app's cloud reads, or a 503 when this API was started without them."""
    reads = getattr(request.state, "cloud", None)
    if reads is None:
        raise Problem(503, "Service Unavailable", NOT_CONFIGURED)
    return reads


async def on_cloud_rejected(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, CloudRejected)
    extensions = {}
    if exc.field:
        extensions["errors"] = [{"field": exc.field, "pointer": "/" + exc.field, "message": exc.message}]
    return problem_response(422, "Unprocessable Content", exc.message, **extensions)


async def on_cloud_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("cloud_read_failed", path=request.url.path, error=type(exc.__cause__ or exc).__name__)
    response = problem_response(503, "Service Unavailable", CLOUD_UNAVAILABLE)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
