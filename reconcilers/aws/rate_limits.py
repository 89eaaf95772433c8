"""AWS's published request limits, and berth's own client-side limiter that spends them.

AWS throttles each account per region with token buckets: a burst, then a steady
refill. berth spends its tokens through `ClientRateLimiter`, which waits (never
fails) before every HTTP send — retries included, since each one costs AWS a token
too. Its ceiling is this process's share of AWS's limits: `scale`
(`BERTH_AWS_RATE_SCALE`, default 1.0) × `share` (1 / the live controller processes,
set by the controller's heartbeat), burst and refill alike, less a margin of
`MARGIN_SECONDS` of refill kept back from the burst so that sends arriving a little
out of step with our clock are not throttled.

Other callers in the account (and AWS's clock) are met adaptively, as botocore's
adaptive mode does: a throttle answered to any send cuts that bucket's rate by
`BACKOFF` (additive-increase / multiplicative-decrease) and empties it — AWS's bucket
is empty, so ours is too — and the rate climbs back to the ceiling over
`RECOVERY_SECONDS`. So berth uses all of AWS's limit when nobody else does, and
yields when someone else does. Single-attempt clients (`retry_throttled_sends`)
resend what was throttled: a throttled call never reached the service.

The same table drives the hostile proxy of the benchmarks and tests
(`controller.bench.aws_limits`), so both sides agree on what a call type is.
Operations that appear in no rule are not limited.
"""

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

DEFAULT_RATE_SCALE = 1.0
NOT_POSITIVE = "the AWS rate scale must be positive"
NOT_A_SHARE = "a controller's share of the AWS limits is in (0, 1]"
MARGIN_SECONDS = 0.25  # of refill kept back from the burst (at least one token)
BACKOFF = 0.5  # a throttle multiplies the bucket's rate by this
LOWEST_FRACTION = 1 / 32  # of the ceiling; the rate is never cut below it
RECOVERY_SECONDS = 60.0  # after a cut, the rate climbs by the whole ceiling in this long
THROTTLE_RESENDS = 4  # a single-attempt client resends a throttled call this often at most
MAX_RESEND_WAIT = 20.0  # seconds, as botocore's standard mode
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)


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


class AdaptiveBucket:
    """berth's side of one AWS bucket: AWS's `limit` × `factor()` (the scale times this
    process's share, read live), less a margin, with its rate cut on throttling and
    recovering linearly. `reserve` takes a token, possibly one not yet refilled."""

    def __init__(self, limit: Limit, factor: Callable[[], float], clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self._factor = factor
        self._clock = clock
        self._cut_fraction = 1.0  # of the ceiling's rate, right after the last cut
        self._cut_at = float("-inf")
        self._stale_until = float("-inf")  # throttles before this answer sends reserved before the cut
        self.throttles = 0  # throttles that cut the rate
        self._stamp = clock()
        self._tokens = self.burst

    @property
    def burst(self) -> float:
        factor = self._factor()
        margin = max(1.0, self.limit.rate * MARGIN_SECONDS)
        return max(1.0, min(self.limit.burst * factor, self.limit.burst - margin))

    def fraction(self, now: float | None = None) -> float:
        """The share of the ceiling's rate allowed now (1.0 unless recovering from a cut)."""
        now = self._clock() if now is None else now
        return min(1.0, self._cut_fraction + (now - self._cut_at) / RECOVERY_SECONDS)

    def rate(self, now: float | None = None) -> float:
        return self.limit.rate * self._factor() * self.fraction(now)

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate(now))
        self._stamp = now
        return now

    def reserve(self) -> float:
        """Takes a token: the seconds until it is there (0 when it is)."""
        now = self._refill()
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate(now)

    def throttled(self) -> bool:
        """AWS throttled a send of this bucket: cut the rate (unless the send was
        reserved before the last cut: that throttle is old news). Whether it cut."""
        now = self._refill()
        if now < self._stale_until:
            return False
        before = self.rate(now)
        self._cut_fraction = max(LOWEST_FRACTION, self.fraction(now) * BACKOFF)
        self._cut_at = now
        # AWS's bucket is empty: so is ours. Sends already reserved go out as planned.
        self._tokens = min(self._tokens, 0.0)
        self._stale_until = now - self._tokens / before + MARGIN_SECONDS
        self.throttles += 1
        return True


class ClientRateLimiter:
    """Waits before each send so that berth stays within its share of AWS's limits,
    per region and call type, and backs off a bucket that AWS throttles. One limiter
    per account: share it between the `AwsClients` of one account (the buckets are
    per region already).

    `scale`: the fraction of AWS's limits berth may use (`BERTH_AWS_RATE_SCALE`);
    `share`: this process's part of that, set by the controller process (1 / the live
    controllers); `limit_scale`: AWS's table multiplied by this — only for benchmarks
    whose simulated AWS is that much faster (`berth bench converge --limit-scale`)."""

    def __init__(
        self,
        scale: float = DEFAULT_RATE_SCALE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        limit_scale: float = 1.0,
    ):
        if scale <= 0 or limit_scale <= 0:
            raise ValueError(NOT_POSITIVE)
        self.scale = scale
        self.limit_scale = limit_scale
        self._share = 1.0
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], AdaptiveBucket] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting here (for benchmarks)
        self.throttles_seen = 0  # throttling answers to any send

    @property
    def share(self) -> float:
        return self._share

    @share.setter
    def share(self, value: float) -> None:
        if not 0 < value <= 1:
            raise ValueError(NOT_A_SHARE)
        self._share = value

    def _factor(self) -> float:
        return self.scale * self._share

    def _bucket(self, region: str, kind: CallType) -> AdaptiveBucket:
        key = (region, kind.bucket)
        bucket = self._buckets.get(key)
        if bucket is None:
            limit = Limit(burst=kind.limit.burst * self.limit_scale, rate=kind.limit.rate * self.limit_scale)
            bucket = self._buckets[key] = AdaptiveBucket(limit, self._factor, self._clock)
        return bucket

    async def acquire(self, region: str, service: str, operation: str, query: Mapping[str, Any] | None = None) -> None:
        kind = call_type(service, operation, query)
        if kind is None:
            return
        delay = self._bucket(region, kind).reserve()
        if delay > 0:
            self.waited_seconds += delay
            await self._sleep(delay)

    def throttled(self, region: str, service: str, operation: str, query: Mapping[str, Any] | None = None) -> None:
        """AWS answered a send with throttling: back that bucket off."""
        self.throttles_seen += 1
        kind = call_type(service, operation, query)
        if kind is not None:
            self._bucket(region, kind).throttled()

    def attach(self, client: Any) -> None:
        """Hooks the limiter into an aiobotocore client: before every HTTP send, and
        after every answer (aiobotocore awaits coroutine handlers)."""
        service = client.meta.service_model.endpoint_prefix
        region = client.meta.region_name

        async def before_send(request: Any, event_name: str, **_: Any) -> None:
            operation = event_name.rsplit(".", 1)[-1]
            # only an EC2 describe that may be "unfiltered" needs its parameters read
            query = query_of(request.body) if operation in EC2_UNFILTERED_WHEN_BARE else None
            await self.acquire(region, service, operation, query)

        def after_answer(response: Any, request_dict: Mapping[str, Any], event_name: str, **_: Any) -> None:
            if is_throttle(response):
                operation = event_name.rsplit(".", 1)[-1]
                body = request_dict.get("body")
                query = body if operation in EC2_UNFILTERED_WHEN_BARE and isinstance(body, Mapping) else None
                self.throttled(region, service, operation, query)

        client.meta.events.register("before-send", before_send)
        client.meta.events.register("needs-retry", after_answer)


def is_throttle(response: Any) -> bool:
    """Whether botocore's `(http_response, parsed)` answer is a throttling error."""
    if not response:
        return False
    code = response[1].get("Error", {}).get("Code", "")
    return code in THROTTLE_CODES


def retry_throttled_sends(client: Any, resends: int = THROTTLE_RESENDS) -> None:
    """A client whose botocore makes one attempt (for calls that must not be sent twice
    after a lost answer) still resends a throttled call: a throttling answer proves
    the call never reached the service. Up to `resends` times, with botocore's
    jittered exponential wait (the limiter, when attached, paces the resend too)."""

    def needs_retry(response: Any, attempts: int, **_: Any) -> float | None:
        if attempts > resends or not is_throttle(response):
            return None
        return random.random() * min(MAX_RESEND_WAIT, 2 ** (attempts - 1))

    client.meta.events.register("needs-retry", needs_retry)
