"""`/metrics` in Prometheus' text format, and the API's request metrics.

Requests are counted and timed by route template (`/api/v3/organizations/{organisation}/…`,
never the concrete path, so label values stay few), method and status. A request no
route matched is labelled `route="unmatched"`. `/metrics` itself is served without a
token, like `/healthz`: it says how busy berth is, never whose data it holds; keep it
off the public network (see docs/operations.md).
"""

import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.operations import TEXT_PLAIN, Operation

UNMATCHED = "unmatched"

REQUESTS = Counter(
    "http_requests_total", "HTTP requests the API answered.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from a request's arrival to the end of its response (streams: their whole life).",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def route_template(app, scope: Scope) -> str:
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return getattr(route, "path", UNMATCHED)
    return UNMATCHED


def templates_by_endpoint(app) -> dict:
    """endpoint → its route's template, for endpoints served by exactly one route: the
    router has already matched the request and left its endpoint in the scope, so most
    requests need no second pass over the route table."""
    paths: dict = {}
    for route in getattr(app, "routes", ()):
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None:
            paths.setdefault(endpoint, set()).add(getattr(route, "path", UNMATCHED))
    return {endpoint: next(iter(found)) for endpoint, found in paths.items() if len(found) == 1}


class RequestMetrics:
    """ASGI middleware: one count and one latency observation per HTTP request."""

    def __init__(self, app: ASGIApp, routes_of: ASGIApp | None = None):
        self._app = app
        self._routes_of = routes_of  # the Starlette app whose route table names the request
        self._templates: dict | None = None
        # (route, method, status) → its counter and histogram: `labels()` locks and
        # looks the child up on every call; the label sets are few and fixed.
        self._children: dict[tuple[str, str, str], tuple] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            labels = (self._template(scope), scope["method"], str(status))
            children = self._children.get(labels)
            if children is None:
                children = self._children[labels] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
            children[0].inc()
            children[1].observe(time.perf_counter() - started)

    def _template(self, scope: Scope) -> str:
        app = self._routes_of or scope.get("app")
        if self._templates is None:
            self._templates = templates_by_endpoint(app)
        found = self._templates.get(scope.get("endpoint"))
        return found if found is not None else route_template(app, scope)


async def metrics(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)



operations = [
    Operation("/metrics", "get", "metrics", "Prometheus metrics of this API process (text format)", None,
              {200: ("Prometheus text exposition format 0.0.4", {"type": "string"})}, False, media_type=TEXT_PLAIN, handler=metrics),
]
