"""AWS's published request limits, and berth's own client-side limiter kept below them.

AWS throttles each account per region with token buckets: a burst, then a steady
refill. berth spends its tokens through `ClientRateLimiter`, which waits (never
fails) before every HTTP send — retries included, since each one costs AWS a token
too — so that in steady state berth never meets a `ThrottlingException`. The
limiter refills at `scale` × AWS's rate (0.8 by default, `BERTH_AWS_RATE_SCALE`)
and bursts at `scale` × AWS's burst, leaving room for other callers in the account
and for clock skew between us and AWS.

The same table drives the hostile proxy of the benchmarks and tests
(`controller.bench.aws_limits`), so both sides agree on what a call type is.
Operations that appear in no rule are not limited.
"""

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

DEFAULT_RATE_SCALE = 0.8
NOT_POSITIVE = "the AWS rate scale must be positive"


@dataclass(frozen=True, slots=True)
class Limit:
    burst: float
    rate: float  # tokens per second


ECS_SERVICE_WRITES = Limit(burst=50, rate=5)
ECS_SERVICE_READS = Limit(burst=100, rate=20)
ECS_REGISTER_TASK_DEFINITION = Limit(burst=20, rate=1)
EC2_DESCRIBES = Limit(burst=100, rate=20)
EC2_UNFILTERED_DESCRIBES = Limit(burst=50, rate=10)
EC2_WRITES = Limit(burst=50, rate=5)
RDS_CALLS = Limit(burst=300, rate=12)

ECS_LIMITS = {
    "CreateService": ECS_SERVICE_WRITES,
    "UpdateService": ECS_SERVICE_WRITES,
    "DeleteService": ECS_SERVICE_WRITES,
    "DescribeServices": ECS_SERVICE_READS,
    "ListServices": ECS_SERVICE_READS,
    "RegisterTaskDefinition": ECS_REGISTER_TASK_DEFINITION,
}
# An EC2 describe with neither a filter nor an id list (nor pagination) is "unfiltered".
EC2_UNFILTERED_WHEN_BARE = frozenset({"DescribeSecurityGroups"})
RDS_BUCKET = "rds:*"  # every RDS call draws on one bucket


@dataclass(frozen=True, slots=True)
class CallType:
    bucket: str  # calls sharing a bucket share its tokens
    limit: Limit


def _is_bare(query: Mapping[str, Any]) -> bool:
    return not any(
        name.startswith(("Filter.", "GroupId.", "GroupName.", "MaxResults", "NextToken")) for name in query
    )


def call_type(service: str, operation: str, query: Mapping[str, Any] | None = None) -> CallType | None:
    """The bucket a call of `service`'s `operation` draws on (None: not limited).
    `query`: an EC2 query request's parameters (to tell unfiltered describes)."""
    if service == "ecs":
        limit = ECS_LIMITS.get(operation)
        return CallType(f"ecs:{operation}", limit) if limit else None
    if service == "ec2":
        if operation.startswith("Describe"):
            if operation in EC2_UNFILTERED_WHEN_BARE and _is_bare(query or {}):
                return CallType(f"ec2:{operation}:unfiltered", EC2_UNFILTERED_DESCRIBES)
            return CallType(f"ec2:{operation}", EC2_DESCRIBES)
        return CallType(f"ec2:{operation}", EC2_WRITES)
    if service == "rds":
        return CallType(RDS_BUCKET, RDS_CALLS)
    return None


def query_of(body: bytes | str | None) -> dict[str, list[str]]:
    if not body:
        return {}
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return parse_qs(text)


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second, measured on `clock`."""

    def __init__(self, limit: Limit, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.limit.burst, self._tokens + (now - self._stamp) * self.limit.rate)
        self._stamp = now

    def take(self) -> bool:
        """A token if one is there now (AWS's answer: served or throttled)."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def reserve(self) -> float:
        """Takes a token, possibly one not yet refilled: the seconds until it is."""
        self._refill()
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.limit.rate


class ClientRateLimiter:
    """Waits before each send so that berth stays at `scale` × AWS's limits, per
    region and call type. One limiter per account: share it between the
    `AwsClients` of one account (the buckets are per region already)."""

    def __init__(
        self,
        scale: float = DEFAULT_RATE_SCALE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ):
        if scale <= 0:
            raise ValueError(NOT_POSITIVE)
        self.scale = scale
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting here (for benchmarks)

    def _bucket(self, region: str, kind: CallType) -> TokenBucket:
        key = (region, kind.bucket)
        bucket = self._buckets.get(key)
        if bucket is None:
            scaled = Limit(burst=max(1.0, kind.limit.burst * self.scale), rate=kind.limit.rate * self.scale)
            bucket = self._buckets[key] = TokenBucket(scaled, self._clock)
        return bucket

    async def acquire(self, region: str, service: str, operation: str, query: Mapping[str, Any] | None = None) -> None:
        kind = call_type(service, operation, query)
        if kind is None:
            return
        delay = self._bucket(region, kind).reserve()
        if delay > 0:
            self.waited_seconds += delay
            await self._sleep(delay)

    def attach(self, client: Any) -> None:
        """Hooks the limiter into an aiobotocore client: before every HTTP send
        (aiobotocore awaits coroutine handlers)."""
        service = client.meta.service_model.endpoint_prefix
        region = client.meta.region_name

        async def before_send(request: Any, event_name: str, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            # only an EC2 describe that may be "unfiltered" needs its parameters read
            query = query_of(request.body) if operation in EC2_UNFILTERED_WHEN_BARE else None
            await self.acquire(region, service, operation, query)

        client.meta.events.register("before-send", before_send)
