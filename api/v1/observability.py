"""`GET /api/v1/applications/{application_id}/observability?range=1h|6h|24h|7d`: the
application's resource history from the samples the `kube-metrics` reconciler writes
(all processes added up per sampling pass, averaged per bucket)."""

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation, declared_query
from api.responses import JSON
from api.v1.errors import bad_field
from api.v1.pipeline_access import visible_application
from controller.store import v1_pipeline as store
from schemas.v1.observability import DEFAULT_RANGE, RANGES, window
from schemas.v1.pipeline import ObservabilityDataPoint, ObservabilityResponse

PATH = "/api/v1/applications/{application_id}/observability"
RANGE_QUERY = {
    "range": ("How far back: " + ", ".join(RANGES), {"type": "string", "enum": list(RANGES), "default": DEFAULT_RANGE})
}


async def observability(request: Request, clock=lambda: datetime.now(UTC)) -> Response:
    _, application = await visible_application(request)
    try:
        span = window(declared_query(request, RANGE_QUERY).get("range"), clock())
    except ValueError as error:
        raise bad_field("range", str(error), source="query") from None
    rows = await store.metric_history(request.state.pool, application.id, span.start, span.end, span.bucket_seconds)
    history = [
        ObservabilityDataPoint(
            timestamp=row["bucket"].astimezone(UTC).isoformat(),
            cpu_usage_m=row["cpu_usage_m"],
            memory_usage_bytes=row["memory_usage_bytes"],
            pod_count=row["pod_count"],
            restart_count=row["restart_count"],
        )
        for row in rows
    ]
    return JSON(ObservabilityResponse(range=span.range, history=history).to_wire())



operations = [
    Operation(PATH, "get", "ApiV1ApplicationsApplicationIdObservabilityObservability",
              "Observability: cpu_usage_m, memory_usage_bytes, pod_count and restart_count over the range, oldest first",
              None, {
        200: ("The history, one point per bucket (1h: a minute, 6h: 5 minutes, 24h: 15 minutes, 7d: an hour)",
              ObservabilityResponse),
        400: ("application_id is not a UUID, or range is not one of 1h, 6h, 24h, 7d", None),
        404: ("No such application the API key sees", None),
    }, query=RANGE_QUERY, handler=observability),
]
