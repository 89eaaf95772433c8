"""API hardening in one place: request size limits, per-token rate limits, Idempotency-Key
on the create/deploy routes and ETags on the v3 GETs (docs/api.md, "API hardening").

`create_app` takes a `Hardening` (default: from the environment) and asks it for its
middleware and its wrapped routes.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from api.etags import TAGGED_ROUTES, answering_written, tagged
from api.idempotency import IDEMPOTENT_ROUTES, KEEP_SECONDS, LEASE_SECONDS, Idempotency
from api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from api.rate_limit import RateLimit

MAX_BODY_VARIABLE = "BERTH_MAX_BODY_BYTES"
HOOK_BODY_VARIABLE = "BERTH_MAX_HOOK_BODY_BYTES"
RATE_VARIABLE = "BERTH_RATE_LIMIT"
BURST_VARIABLE = "BERTH_RATE_LIMIT_BURST"
# GitHub sends push payloads of up to 25 MB; the hook route gets that much by default.
HOOK_PREFIX = "/api/v1/integrations/github/hooks"
DEFAULT_HOOK_BODY_BYTES = 25 * 1024 * 1024
DEFAULT_RATE = 100.0
DEFAULT_BURST = 1000
WRITE_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
NOT_A_NUMBER = "{name} must be a number, not {value!r}"


@dataclass(frozen=True)
class Hardening:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_overrides: Mapping[str, int] = field(default_factory=lambda: {HOOK_PREFIX: DEFAULT_HOOK_BODY_BYTES})
    rate: float = DEFAULT_RATE  # requests per second per token; 0 turns the limit off
    burst: int = DEFAULT_BURST
    idempotency_lease_seconds: float = LEASE_SECONDS
    idempotency_keep_seconds: float = KEEP_SECONDS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Hardening":
        def number(name: str, default: float, kind=int):
            value = environ.get(name, "").strip()
            if not value:
                return default
            try:
                return kind(value)
            except ValueError:
                raise ValueError(NOT_A_NUMBER.format(name=name, value=value)) from None

        return cls(
            max_body_bytes=number(MAX_BODY_VARIABLE, DEFAULT_MAX_BODY_BYTES),
            body_overrides={HOOK_PREFIX: number(HOOK_BODY_VARIABLE, DEFAULT_HOOK_BODY_BYTES)},
            rate=number(RATE_VARIABLE, DEFAULT_RATE, float),
            burst=number(BURST_VARIABLE, DEFAULT_BURST),
        )

    def middleware(self) -> list[Middleware]:
        """Outermost first: a client over its rate is refused before its body is read."""
        limited = [Middleware(RateLimit, rate=self.rate, burst=max(1, self.burst))] if self.rate > 0 else []
        return [*limited, Middleware(BodySizeLimit, limit=self.max_body_bytes, overrides=dict(self.body_overrides))]

    def routes(self, routes: Iterable[BaseRoute]) -> list[BaseRoute]:
        """The routes, those named in IDEMPOTENT_ROUTES / TAGGED_ROUTES wrapped."""
        idempotency = Idempotency(lease_seconds=self.idempotency_lease_seconds, keep_seconds=self.idempotency_keep_seconds)
        wrapped = []
        for route in routes:
            if isinstance(route, Route) and route.name in IDEMPOTENT_ROUTES:
                route = _rewrapped(route, idempotency.idempotent(route.endpoint))
            elif isinstance(route, Route) and route.name in TAGGED_ROUTES:
                route = _rewrapped(route, tagged(route.endpoint, *TAGGED_ROUTES[route.name]))
            elif isinstance(route, Route) and route.methods and route.methods & WRITE_METHODS:
                route = _rewrapped(route, answering_written(route.endpoint))
            wrapped.append(route)
        return wrapped


def _rewrapped(route: Route, endpoint) -> Route:
    return Route(route.path, endpoint, methods=sorted(route.methods or ()), name=route.name,
                 include_in_schema=route.include_in_schema)
