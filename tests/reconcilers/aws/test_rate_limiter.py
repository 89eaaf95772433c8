"""berth's client-side AWS limiter (reconcilers.aws.rate_limits) on a fake clock: its
ceiling (scale × share × AWS's limits, less the margin), its cut on throttling and its
recovery; through botocore, throttles answered by the hostile proxy cut it and are
retried, the single-attempt ECS client's included."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.bench.aws_limits import HostileAws
from reconcilers.aws import rate_limits
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.rate_limits import (
    BACKOFF,
    LOWEST_FRACTION,
    RECOVERY_SECONDS,
    AdaptiveBucket,
    ClientRateLimiter,
    Limit,
    call_type,
)
from tests.fakes.aws import AWS_REGION as REGION
from tests.serving import serve

RTD = call_type("ecs", "RegisterTaskDefinition")


class Clock:
    """Seconds that move only when told to; `sleep` moves them."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def _at_once(limiter: ClientRateLimiter, clock: Clock, operation: str, most: int = 10_000) -> int:
    """How many sends go before the clock has to move."""
    start = clock()
    for sent in range(most):
        await limiter.acquire(REGION, "ecs", operation)
        if clock() != start:
            return sent
    return most


CEILINGS = [
    # scale, share, limit_scale, operation, sends at once, seconds per send after
    (1.0, 1.0, 1.0, "RegisterTaskDefinition", 19, 1.0),  # 20 less one token of margin
    (1.0, 0.5, 1.0, "RegisterTaskDefinition", 10, 2.0),  # two live controllers: half each
    (1.0, 1 / 3, 1.0, "CreateService", 16, 0.6),  # 50 / 3, 5 / 3 per second
    (0.8, 1.0, 1.0, "CreateService", 40, 0.25),  # a configured scale: 0.8 × 50, 0.8 × 5
    (1.0, 1.0, 1.0, "DescribeServices", 95, 0.05),  # margin: 0.25 s of a 20/s refill
    (1.0, 1.0, 10.0, "RegisterTaskDefinition", 197, 0.1),  # a 10× AWS: 200 less 2.5, 10/s
]


@pytest.mark.parametrize(("scale", "share", "limit_scale", "operation", "burst", "interval"), CEILINGS)
async def test_the_ceiling_is_scale_times_share_times_aws_less_the_margin(
    scale, share, limit_scale, operation, burst, interval
):
    clock = Clock()
    limiter = ClientRateLimiter(scale, clock=clock, sleep=clock.sleep, limit_scale=limit_scale)
    limiter.share = share
    assert await _at_once(limiter, clock, operation) == burst
    before = clock()
    for _ in range(10):
        await limiter.acquire(REGION, "ecs", operation)
    assert clock() - before == pytest.approx(10 * interval, rel=0.02, abs=interval)


@pytest.mark.parametrize("share", [0, -0.5, 1.5])
def test_a_share_is_a_fraction(share):
    with pytest.raises(ValueError, match="share"):
        ClientRateLimiter().share = share


def test_a_throttle_halves_the_rate_and_empties_the_bucket_then_it_recovers():
    clock = Clock()
    bucket = AdaptiveBucket(RTD.limit, lambda: 1.0, clock)
    assert bucket.rate() == 1.0 and bucket.reserve() == 0.0
    assert bucket.throttled()
    assert bucket.rate() == pytest.approx(BACKOFF)
    assert bucket.reserve() == pytest.approx(1 / BACKOFF), "empty: the next token comes at the cut rate"
    clock.now += RECOVERY_SECONDS * (1 - BACKOFF) / 2
    assert bucket.rate() == pytest.approx((1 + BACKOFF) / 2), "climbing back linearly"
    clock.now += RECOVERY_SECONDS
    assert bucket.rate() == 1.0, "and never past the ceiling"


def test_throttles_of_sends_reserved_before_the_cut_do_not_cut_again():
    clock = Clock()
    bucket = AdaptiveBucket(Limit(burst=20, rate=1), lambda: 1.0, clock)
    for _ in range(19 + 4):  # the burst, then four sends booked 1 s apart
        bucket.reserve()
    assert bucket.throttled()
    assert not bucket.throttled(), "the next throttles answer sends booked before the cut"
    clock.now += 4 + 1  # past the booked sends: news again, cut from where it had recovered to
    assert bucket.throttled() and bucket.rate() == pytest.approx((BACKOFF + 5 / RECOVERY_SECONDS) * BACKOFF)
    assert bucket.throttles == 2


def test_cuts_stop_at_the_lowest_fraction():
    clock = Clock()
    bucket = AdaptiveBucket(Limit(burst=20, rate=1), lambda: 1.0, clock)
    for _ in range(20):
        assert bucket.throttled()
        clock.now += 0.3  # past the booked sends, too soon to recover much
    assert bucket.rate() >= LOWEST_FRACTION
    assert bucket.rate() < LOWEST_FRACTION * 2


@settings(max_examples=80, deadline=None)
@given(
    burst=st.integers(min_value=1, max_value=300),
    rate=st.floats(min_value=0.5, max_value=50),
    factor=st.floats(min_value=0.1, max_value=1.0),
    gaps=st.lists(st.floats(min_value=0, max_value=2.0), min_size=1, max_size=150),
)
def test_unthrottled_sends_never_exceed_burst_plus_rate_times_any_window(burst, rate, factor, gaps):
    """Over every window [s, t] between sends: at most burst + rate × (t − s) sends,
    at the limiter's own ceiling (so at AWS's, which is at least that)."""
    clock = Clock()
    bucket = AdaptiveBucket(Limit(burst=burst, rate=rate), lambda: factor, clock)
    sends = []
    for gap in gaps:
        clock.now += gap
        sends.append(clock.now + bucket.reserve())
    assert sends == sorted(sends), "reservations come due in order"
    ceiling_burst, ceiling_rate = bucket.burst, rate * factor
    assert ceiling_burst <= burst and ceiling_rate <= rate
    for i, start in enumerate(sends):
        for j in range(i, len(sends)):
            assert j - i + 1 <= ceiling_burst + ceiling_rate * (sends[j] - start) + 1e-6


@settings(max_examples=80, deadline=None)
@given(
    events=st.lists(
        st.one_of(st.floats(min_value=0, max_value=30), st.just("send"), st.just("throttle")), max_size=60
    )
)
def test_after_a_throttle_the_rate_drops_and_it_never_exceeds_the_ceiling(events):
    clock = Clock()
    bucket = AdaptiveBucket(Limit(burst=20, rate=1), lambda: 1.0, clock)
    for event in events:
        if event == "send":
            bucket.reserve()
        elif event == "throttle":
            before = bucket.rate()
            if bucket.throttled():
                assert bucket.rate() <= max(before * BACKOFF, LOWEST_FRACTION) + 1e-9
                assert bucket.rate() >= LOWEST_FRACTION - 1e-9
            else:
                assert bucket.rate() == before
        else:
            clock.now += event
        assert LOWEST_FRACTION - 1e-9 <= bucket.rate() <= 1.0


@pytest.fixture
async def hostile(aws, moto_server):
    """The hostile proxy in front of a freshly reset moto, its time frozen until advanced."""
    clock = Clock()
    proxy = HostileAws(moto_server.endpoint, clock=clock)
    proxy.clock = clock
    async with serve(proxy) as url:
        proxy.url = url
        yield proxy


TASK = {"family": "limited", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}


async def _drain_register_task_definition(hostile, aws_config) -> None:
    """Another caller in the account spends AWS's whole RegisterTaskDefinition burst."""
    async with AwsClients(replace(aws_config, endpoint_url=hostile.url), sdk_attempts=1) as other:
        for _ in range(20):
            await other.ecs.register_task_definition(**TASK)


async def test_a_throttle_cuts_the_limiter_and_the_single_attempt_client_resends(
    hostile, aws_config, monkeypatch
):
    """The account's bucket is empty (someone else spent it) though ours is full: the
    first send is throttled, the limiter cuts and empties its bucket, and ecs_once
    resends — after the limiter's wait, when AWS has a token again."""
    monkeypatch.setattr(rate_limits, "MAX_RESEND_WAIT", 0.0)
    await _drain_register_task_definition(hostile, aws_config)
    limiter = ClientRateLimiter(clock=hostile.clock, sleep=hostile.clock.sleep)
    async with AwsClients(replace(aws_config, endpoint_url=hostile.url), rate_limiter=limiter) as clients:
        answer = await clients.ecs_once.register_task_definition(**TASK)
    assert answer["taskDefinition"]["revision"] == 21
    assert hostile.throttled["RegisterTaskDefinition"] == 1 and limiter.throttles_seen == 1
    bucket = limiter._bucket(REGION, RTD)
    assert bucket.throttles == 1 and bucket.rate() < 1.0


async def test_the_single_attempt_client_gives_a_throttle_up_after_its_resends(hostile, aws_config, monkeypatch):
    monkeypatch.setattr(rate_limits, "MAX_RESEND_WAIT", 0.0)
    await _drain_register_task_definition(hostile, aws_config)
    async with AwsClients(replace(aws_config, endpoint_url=hostile.url)) as clients:
        with pytest.raises(Exception, match="ThrottlingException"):
            await clients.ecs_once.register_task_definition(**TASK)
    assert hostile.throttled["RegisterTaskDefinition"] == 1 + rate_limits.THROTTLE_RESENDS


async def test_botocore_retries_a_throttle_and_the_limiter_paces_the_retry(hostile, aws_config):
    """CreateService through a standard-retry client after someone else spent the
    burst: throttled once, cut, retried after the limiter's wait; no error."""
    limiter = ClientRateLimiter(clock=hostile.clock, sleep=hostile.clock.sleep)
    config = replace(aws_config, endpoint_url=hostile.url)
    async with AwsClients(config, sdk_attempts=1) as other:
        await other.ecs.create_cluster(clusterName="limited")
        await other.ecs.register_task_definition(**TASK)
        for i in range(50):
            await other.ecs.create_service(cluster="limited", serviceName=f"other{i}", taskDefinition="limited:1")
    async with AwsClients(config, sdk_attempts=3, rate_limiter=limiter) as clients:
        await clients.ecs.create_service(cluster="limited", serviceName="ours", taskDefinition="limited:1")
    assert hostile.throttled["CreateService"] == 1 and limiter.throttles_seen == 1
    assert hostile.served_by_bucket["ecs:CreateService"] == 51
