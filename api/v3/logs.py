"""`GET …/environments/{environment}/logs`: the environment's container logs, read from
CloudWatch Logs as they are now (the one log group berth's task definitions write to)."""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.cloud_reads import LogQuery, cloud_reads
from api.operations import Operation, query_of
from api.problems import Problem
from api.queries import parse_query
from api.responses import JSON
from controller.store.observability import observed_environment
from schemas.log_names import (
    container_of_stream,
    container_stream_prefix,
    log_group_name,
)
from schemas.v3.observability import EnvironmentLogs, LogEvent, LogsQuery

ENVIRONMENT_NOT_FOUND = "Environment not found"
PREFIX = "/api/v3/organizations/{organisation}/applications/{application}/environments"


async def get_logs(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    application = request.path_params["application"]
    environment = request.path_params["environment"]
    query = parse_query(request, LogsQuery)
    if await observed_environment(request.state.pool, organisation.id, application, environment) is None:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    page = await cloud_reads(request).logs.read(
        LogQuery(
            log_group=log_group_name(organisation.slug, application, environment),
            start_ms=query.start_time,
            end_ms=query.end_time,
            stream_prefix=container_stream_prefix(query.container_name) if query.container_name else None,
            filter_pattern=query.filter_pattern,
            limit=query.limit,
            next_token=query.next_token,
        )
    )
    events = [
        LogEvent(timestamp=line.timestamp, message=line.message, container_name=container_of_stream(line.stream))
        for line in page.events
    ]
    return JSON(EnvironmentLogs(log_events=events, next_token=page.next_token).to_wire())



operations = [
    Operation(PREFIX + "/{environment}/logs", "get", "getEnvironmentLogs",
              "Get the environment's container logs (CloudWatch Logs)", None, {
        200: ("Log events, oldest first, and the token for the next page", EnvironmentLogs),
        404: ("The application or environment not found", None),
        422: ("A query parameter is invalid", None),
        503: ("Cloud reads are not configured, or AWS did not answer", None),
    }, query=query_of(LogsQuery), handler=get_logs),
]
