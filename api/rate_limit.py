"""Per-token rate limit: a token bucket per API token, in this process's memory.

The bucket is keyed by a hash of the credential as sent (`Authorization` or `X-API-Key`;
no database look-up, so unknown tokens are limited too), or by the client address when
there is none. It holds `burst` requests and refills at `rate` per second. Every
answer carries the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers):
`RateLimit-Limit` (the burst), `RateLimit-Remaining` (whole requests left now),
`RateLimit-Reset` (seconds until the bucket is full again) and `RateLimit-Policy`
(`<burst>;w=<seconds a full bucket takes to refill>`). Past the limit: 429 problem+json
with `Retry-After` (seconds until one request is allowed), and the handler never runs.

Per process: N API replicas allow N times the rate (docs/api.md).
"""

import hashlib
import math
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
TOO_MANY = "Too many requests for this API token: at most {burst} at once, {rate:g} a second after that."
# Buckets kept before full ones (idle tokens) are forgotten.
MAX_BUCKETS = 100_000


class TokenBuckets:
    """`take(key)` spends one request from `key`'s bucket when it has one."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[bytes | str, list[float]] = {}

    def take(self, key: bytes | str) -> tuple[bool, float, float]:
        """(allowed, tokens left, now)."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = [float(self.burst), now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        bucket[0], bucket[1] = tokens, now
        return allowed, tokens, now

    def _forget_full(self, now: float) -> None:
        """A bucket that has refilled is as good as a new one."""
        full = [k for k, (tokens, at) in self._buckets.items() if tokens + (now - at) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:  # all busy: start over rather than grow without bound
            self._buckets.clear()


def bucket_key(scope: Scope) -> bytes | str:
    """A digest of the credential (never the token itself), else the client's address."""
    for name, value in scope["headers"]:
        if name == b"authorization":  # the same token as `Bearer x` or as `X-API-Key: x`: one bucket
            value = value.partition(b" ")[2]
        if name in (b"authorization", b"x-api-key") and value.strip():
            return hashlib.blake2b(value.strip(), digest_size=16).digest()
    client = scope.get("client")
    return client[0] if client else ""


class RateLimit:
    """ASGI middleware enforcing `TokenBuckets` per token; exempt paths pass untouched."""

    def __init__(self, app: ASGIApp, rate: float, burst: int, clock=time.monotonic):
        self._app = app
        self.buckets = TokenBuckets(rate, burst, clock)
        self._policy = f"{burst};w={max(1, math.ceil(burst / rate))}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self._app(scope, receive, send)
            return
        buckets = self.buckets
        allowed, tokens, _ = buckets.take(bucket_key(scope))
        headers = [
            (b"ratelimit-limit", str(buckets.burst).encode()),
            (b"ratelimit-remaining", str(int(tokens)).encode()),
            (b"ratelimit-reset", str(math.ceil((buckets.burst - tokens) / buckets.rate)).encode()),
            (b"ratelimit-policy", self._policy),
        ]
        if not allowed:
            retry_after = max(1, math.ceil((1.0 - tokens) / buckets.rate))
            response = problem_response(
                429, "Too Many Requests", TOO_MANY.format(burst=buckets.burst, rate=buckets.rate),
                retryAfter=retry_after,
            )
            response.raw_headers.extend([*headers, (b"retry-after", str(retry_after).encode())])
            await response(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self._app(scope, receive, sending)
