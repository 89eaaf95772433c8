"""Logs, metrics and registry login: the query parameters and the answers of the routes
that read the cloud (`getEnvironmentLogs`, `getEnvironmentMetrics`, `getEcrLoginCredentials`)."""

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from schemas.v3.compose import NAME_PATTERN
from schemas.wire import CamelModel

# Below this a Unix timestamp is read as seconds, above it as milliseconds: 1e11 seconds
# is the year 5138, 1e11 milliseconds is 1973.
MILLISECONDS_FROM = 100_000_000_000
DEFAULT_LOG_LIMIT = 100
MAX_LOG_LIMIT = 10_000  # the contract's maximum, and FilterLogEvents'
MAX_FILTER_PATTERN = 1024  # FilterLogEvents' limit

DEFAULT_METRICS_RANGE_MS = 3_600_000  # the last hour
# GetMetricStatistics answers at most 1,440 datapoints; berth keeps to that with GetMetricData too.
MAX_DATAPOINTS = 1_440
HIGH_RESOLUTION_PERIODS = (1, 5, 10, 30)
METRIC_NAMESPACE = "AWS/ECS"
METRIC_NAMES = ("CPUUtilization", "MemoryUtilization")
METRIC_UNIT = "Percent"

NOT_A_TIME = "must be an ISO 8601 time or a Unix timestamp (seconds or milliseconds)"
START_NOT_BEFORE_END = "must be before endTime"
END_BEFORE_START = "must not be before startTime"
BAD_PERIOD = "must be 1, 5, 10, 30 or a multiple of 60 seconds"
TOO_MANY_POINTS = "asks for {points} datapoints per series; at most {limit} (widen the period or narrow the time range)"
BAD_STATISTIC = "{name!r} is not a statistic; use a comma-separated list of " + ", ".join(
    ["Average", "Maximum", "Minimum", "Sum", "SampleCount"]
)
NO_STATISTIC = "name at least one statistic"


class Statistic(StrEnum):
    AVERAGE = "Average"
    MAXIMUM = "Maximum"
    MINIMUM = "Minimum"
    SUM = "Sum"
    SAMPLE_COUNT = "SampleCount"


def epoch_milliseconds(value: str | int | float) -> int:
    """An ISO 8601 time (UTC unless it says otherwise) or a Unix timestamp, as milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = str(value).strip()
        try:
            number = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(NOT_A_TIME) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return int(moment.timestamp() * 1000)
    if not math.isfinite(number) or number < 0:
        raise ValueError(NOT_A_TIME)
    return int(number if number >= MILLISECONDS_FROM else number * 1000)


class LogsQuery(CamelModel):
    """`getEnvironmentLogs`' query: times become epoch milliseconds, FilterLogEvents' unit."""

    start_time: int | None = None
    end_time: int | None = None
    container_name: Annotated[str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN)] | None = None
    filter_pattern: Annotated[str, Field(max_length=MAX_FILTER_PATTERN)] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LOG_LIMIT)] = DEFAULT_LOG_LIMIT
    next_token: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("start_time", "end_time", mode="before")
    @classmethod
    def _milliseconds(cls, value: object) -> int | None:
        return None if value is None or value == "" else epoch_milliseconds(value)  # type: ignore[arg-type]

    @field_validator("end_time")
    @classmethod
    def _not_before_start(cls, value: int | None, info: ValidationInfo) -> int | None:
        start = info.data.get("start_time")
        if value is not None and start is not None and start > value:
            raise ValueError(END_BEFORE_START)
        return value


class MetricsQuery(CamelModel):
    """`getEnvironmentMetrics`' query, as given; `window(now_ms)` fills in the defaults."""

    start_time: Annotated[int, Field(ge=0)] | None = None
    end_time: Annotated[int, Field(ge=0)] | None = None
    period: Annotated[int, Field(ge=1)] | None = None
    statistics: tuple[Statistic, ...] = (Statistic.AVERAGE, Statistic.MAXIMUM)
    container_name: Annotated[str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN)] | None = None

    @field_validator("statistics", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        names = [part.strip() for part in value.split(",") if part.strip()]
        if not names:
            raise ValueError(NO_STATISTIC)
        known = {s.value.lower(): s for s in Statistic}
        for name in names:
            if name.lower() not in known:
                raise ValueError(BAD_STATISTIC.format(name=name))
        return tuple(dict.fromkeys(known[name.lower()] for name in names))

    @field_validator("period")
    @classmethod
    def _cloudwatch_period(cls, value: int | None) -> int | None:
        if value is not None and value not in HIGH_RESOLUTION_PERIODS and value % 60:
            raise ValueError(BAD_PERIOD)
        return value

    def window(self, now_ms: int) -> "MetricsWindow":
        """The time range and period to ask CloudWatch for; ValueError names the bad field."""
        end = self.end_time if self.end_time is not None else now_ms
        start = self.start_time if self.start_time is not None else end - DEFAULT_METRICS_RANGE_MS
        if start >= end:  # CloudWatch refuses an empty range too
            raise MetricsWindowError("startTime", START_NOT_BEFORE_END)
        span_seconds = max(1, math.ceil((end - start) / 1000))
        period = self.period if self.period is not None else default_period(span_seconds)
        points = math.ceil(span_seconds / period)
        if points > MAX_DATAPOINTS:
            raise MetricsWindowError("period", TOO_MANY_POINTS.format(points=points, limit=MAX_DATAPOINTS))
        return MetricsWindow(start_ms=start, end_ms=end, period=period, statistics=self.statistics)


def default_period(span_seconds: int) -> int:
    """A minute (ECS publishes once a minute), or the smallest multiple of a minute that
    keeps the range within MAX_DATAPOINTS."""
    return 60 * max(1, math.ceil(span_seconds / (60 * MAX_DATAPOINTS)))


class MetricsWindowError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class MetricsWindow(CamelModel):
    start_ms: int
    end_ms: int
    period: int
    statistics: tuple[Statistic, ...]


# Answers (the contract's names)


class LogEvent(CamelModel):
    """`getEnvironmentLogs_200_response_logEvents_inner`, plus berth's `containerName`."""

    timestamp: int  # epoch milliseconds
    message: str
    container_name: str | None = None


class EnvironmentLogs(CamelModel):
    """`getEnvironmentLogs_200_response`: `nextToken` is null on the last page."""

    log_events: list[LogEvent]
    next_token: str | None = None

    def to_wire(self) -> dict:
        # `nextToken: null` is how a client knows it has read everything: keep it.
        return self.model_dump(mode="json", by_alias=True)


class Datapoint(CamelModel):
    timestamp: int  # epoch milliseconds, the start of the period
    value: float


class MetricSeries(CamelModel):
    metric_name: str
    statistic: Statistic
    unit: str = METRIC_UNIT
    datapoints: list[Datapoint]


class EnvironmentMetrics(CamelModel):
    """`getEnvironmentMetrics`' answer (the contract says only "CloudWatch metrics data"):
    one series per metric and statistic, datapoints oldest first. `clusterName` and
    `serviceName` are null, and `metrics` empty, until the environment's service exists."""

    namespace: str = METRIC_NAMESPACE
    cluster_name: str | None
    service_name: str | None
    container_name: str | None = None
    start_time: int
    end_time: int
    period: int
    statistics: list[Statistic]
    metrics: list[MetricSeries]

    def to_wire(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class EcrLoginCredentials(CamelModel):
    """`getEcrLoginCredentials_200_response`: `docker login -u {username} -p {password} {endpoint}`."""

    username: str
    password: str = Field(repr=False)
    expires_at: str  # ISO 8601
    endpoint: str
