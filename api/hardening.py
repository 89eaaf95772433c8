"""API hardening in one place: request size limits, per-token rate limits, Idempotency-Key
on the create/deploy routes and ETags on the v3 GETs (docs/api.md, "API hardening").

`create_app` takes a `Hardening` (default: from the environment) and asks it for its
middleware and its wrapped routes.
"""

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route

from api.etags import answering_written, tagged
from api.idempotency import KEEP_SECONDS, LEASE_SECONDS, Idempotency
from api.limits import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from api.operations import OPERATION_SCOPE, Endpoint, Operation
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

    def routes(self, operations: Iterable[Operation]) -> list[Route]:
        """A route per operation, its handler wrapped as the operation declares."""
        idempotency = Idempotency(lease_seconds=self.idempotency_lease_seconds, keep_seconds=self.idempotency_keep_seconds)
        return [Route(op.path, _declared(op, _hardened(op, idempotency)), methods=[op.method.upper()],
                      name=op.operation_id) for op in operations]


def _hardened(op: Operation, idempotency: Idempotency) -> Endpoint:
    if op.idempotent:
        return idempotency.idempotent(op.handler)
    if op.tagged is not None:
        return tagged(op.handler, op.tagged)
    if op.method.upper() in WRITE_METHODS:
        return answering_written(op.handler)
    return op.handler


def _declared(op: Operation, endpoint: Endpoint) -> Endpoint:
    """`endpoint`, its requests carrying `op` (what `declared_query` and `if_match` check)."""

    async def answer(request: Request):
        request.scope[OPERATION_SCOPE] = op
        return await endpoint(request)

    return answer
