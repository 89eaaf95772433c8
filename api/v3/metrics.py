"""`GET …/environments/{environment}/metrics`: the environment's ECS service CPU and memory
utilisation, read from CloudWatch (namespace AWS/ECS, dimensions ClusterName and ServiceName
as the workload reconciler last observed them)."""

import time
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.cloud_reads import MetricQuery, cloud_reads
from api.operations import Operation, query_of
from api.problems import Problem
from api.queries import parse_query, query_error
from api.responses import JSON
from api.v3.logs import ENVIRONMENT_NOT_FOUND, PREFIX
from controller.store.observability import observed_environment
from schemas.v3.observability import (
    METRIC_NAMES,
    Datapoint,
    EnvironmentMetrics,
    MetricSeries,
    MetricsQuery,
    MetricsWindowError,
    Statistic,
)

NO_SUCH_CONTAINER = "the environment has no container named {name!r}"


def now_ms() -> int:
    return int(time.time() * 1000)


def cluster_name(cluster: str | None) -> str | None:
    """`arn:aws:ecs:…:cluster/{name}` → `{name}`; a bare name stays as it is."""
    if not cluster:
        return None
    return cluster.rsplit("cluster/", 1)[-1] if cluster.startswith("arn:") else cluster


def container_names(spec: dict[str, Any]) -> set[str | None]:
    return {c.get("name") for c in (spec.get("compose") or {}).get("containers") or [] if isinstance(c, dict)}


def _at(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


async def get_metrics(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    query = parse_query(request, MetricsQuery)
    found = await observed_environment(
        request.state.pool, organisation.id, request.path_params["application"], request.path_params["environment"]
    )
    if found is None:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    try:
        window = query.window(now_ms())
    except MetricsWindowError as error:
        raise query_error(error.field, error.message) from None
    if query.container_name and query.container_name not in container_names(found.spec):
        raise query_error("containerName", NO_SUCH_CONTAINER.format(name=query.container_name))
    reads = cloud_reads(request)
    outputs = found.workload_outputs
    cluster = cluster_name(outputs.cluster_arn) if outputs else None
    service = outputs.service_name if outputs else None
    series: list[MetricSeries] = []
    if cluster and service:
        read = await reads.metrics.read(
            MetricQuery(
                cluster=cluster,
                service=service,
                metric_names=METRIC_NAMES,
                statistics=tuple(s.value for s in window.statistics),
                period=window.period,
                start=_at(window.start_ms),
                end=_at(window.end_ms),
            )
        )
        series = [
            MetricSeries(
                metric_name=points.metric_name,
                statistic=Statistic(points.statistic),
                datapoints=[Datapoint(timestamp=t, value=v) for t, v in points.points],
            )
            for points in read
        ]
    body = EnvironmentMetrics(
        cluster_name=cluster if service else None,
        service_name=service if cluster else None,
        container_name=query.container_name,
        start_time=window.start_ms,
        end_time=window.end_ms,
        period=window.period,
        statistics=list(window.statistics),
        metrics=series,
    )
    return JSON(body.to_wire())



operations = [
    Operation(PREFIX + "/{environment}/metrics", "get", "getEnvironmentMetrics",
              "Get the environment's CPU and memory metrics (CloudWatch)", None, {
        200: ("One series per metric and statistic", EnvironmentMetrics),
        404: ("The application or environment not found", None),
        422: ("A query parameter is invalid", None),
        503: ("Cloud reads are not configured, or AWS did not answer", None),
    }, query=query_of(MetricsQuery), handler=get_metrics),
]
