"""The hostile AWS proxy (controller.bench.aws_limits) throttles exactly at AWS's
published limits, in each protocol's own error shape, and fails on demand; berth's
client-side limiter (reconcilers.aws.rate_limits) keeps it under them."""

import asyncio
from dataclasses import replace

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError
from hypothesis import given, settings
from hypothesis import strategies as st

from controller.runtime.aws_metrics import AWS_CALLS, count_calls
from controller.bench.aws_limits import Call, HostileAws
from reconcilers.aws import calls
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.rate_limits import ClientRateLimiter, call_type
from reconcilers.results import TemporaryError
from tests.fakes.aws import AWS_REGION as REGION
from tests.serving import serve


class Clock:
    """Seconds that move only when told to; `sleep` moves them (a virtual-time sleep)."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def ecs(operation: str, account: str = "AKIDA", region: str = REGION) -> Call:
    return Call(account, region, "ecs", operation, True, {})


def ec2(operation: str, query: dict | None = None, account: str = "AKIDA", region: str = REGION) -> Call:
    return Call(account, region, "ec2", operation, False, query or {})


def rds(operation: str, account: str = "AKIDA", region: str = REGION) -> Call:
    return Call(account, region, "rds", operation, False, {})


LIMITS = [
    # call, burst, refill per second
    (ecs("CreateService"), 50, 5),
    (ecs("UpdateService"), 50, 5),
    (ecs("DeleteService"), 50, 5),
    (ecs("DescribeServices"), 100, 20),
    (ecs("ListServices"), 100, 20),
    (ecs("RegisterTaskDefinition"), 20, 1),
    (ec2("DescribeSubnets"), 100, 20),
    (ec2("DescribeSecurityGroups", {"GroupId.1": ["sg-1"]}), 100, 20),
    (ec2("DescribeSecurityGroups"), 50, 10),
    (ec2("CreateSecurityGroup"), 50, 5),
    (ec2("AuthorizeSecurityGroupIngress"), 50, 5),
    (rds("CreateDBInstance"), 300, 12),
    (rds("DescribeDBInstances"), 300, 12),
]


@pytest.mark.parametrize(("call", "burst", "rate"), LIMITS, ids=lambda v: getattr(v, "operation", str(v)))
def test_the_proxy_serves_exactly_the_burst_then_exactly_the_refill(call, burst, rate):
    clock = Clock()
    proxy = HostileAws("http://unused", clock=clock)
    assert [proxy.allow(call) for _ in range(burst + 1)] == [True] * burst + [False]
    for _second in range(3):
        clock.advance(1.0)
        assert [proxy.allow(call) for _ in range(rate + 1)] == [True] * rate + [False]
    clock.advance(1000.0)  # refills up to the burst, never past it
    assert sum(proxy.allow(call) for _ in range(burst + 10)) == burst


def test_buckets_are_per_account_region_and_call_type_but_rds_shares_one():
    clock = Clock()
    proxy = HostileAws("http://unused", clock=clock)
    for _ in range(20):
        assert proxy.allow(ecs("RegisterTaskDefinition"))
    assert not proxy.allow(ecs("RegisterTaskDefinition"))
    assert proxy.allow(ecs("RegisterTaskDefinition", account="AKIDB"))
    assert proxy.allow(ecs("RegisterTaskDefinition", region="eu-west-1"))
    assert proxy.allow(ecs("CreateService"))
    for _ in range(150):
        assert proxy.allow(rds("DescribeDBInstances"))
        assert proxy.allow(rds("CreateDBInstance"))
    assert not proxy.allow(rds("DeleteDBInstance"))
    assert call_type("logs", "CreateLogGroup") is None and proxy.allow(Call("a", REGION, "logs", "X", True, {}))


@pytest.fixture
async def hostile(aws, moto_server):
    """The hostile proxy in front of a freshly reset moto, its time frozen until advanced."""
    clock = Clock()
    proxy = HostileAws(moto_server.endpoint, clock=clock)
    proxy.clock = clock
    async with serve(proxy) as url:
        proxy.url = url
        yield proxy


@pytest.fixture
async def through_hostile(hostile, aws_config):
    """Clients through the hostile proxy: one send per call, no client-side limiter."""
    async with AwsClients(replace(aws_config, endpoint_url=hostile.url), sdk_attempts=1) as clients:
        yield clients


TASK = {"family": "hostile", "containerDefinitions": [{"name": "web", "image": "nginx", "memory": 128}]}


def _code(exc: ClientError) -> tuple[str, int]:
    return exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]


async def test_ecs_past_its_limit_answers_a_json_throttling_exception(hostile, through_hostile):
    for _ in range(20):
        await through_hostile.ecs.register_task_definition(**TASK)
    with pytest.raises(ClientError) as raised:
        await through_hostile.ecs.register_task_definition(**TASK)
    assert _code(raised.value) == ("ThrottlingException", 400)
    assert calls.is_transient(raised.value)
    hostile.clock.advance(1.0)
    await through_hostile.ecs.register_task_definition(**TASK)
    assert hostile.throttled == {"RegisterTaskDefinition": 1}
    listed = await through_hostile.ecs.list_task_definitions(familyPrefix="hostile")
    assert len(listed["taskDefinitionArns"]) == 21, "a throttled call never reaches AWS"


async def test_ec2_past_its_limit_answers_request_limit_exceeded(hostile, through_hostile):
    for _ in range(50):
        await through_hostile.ec2.describe_security_groups()
    with pytest.raises(ClientError) as raised:
        await through_hostile.ec2.describe_security_groups()
    assert _code(raised.value) == ("RequestLimitExceeded", 503)
    # a filtered describe draws on the other bucket
    await through_hostile.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])


async def test_rds_past_its_limit_answers_throttling(hostile, through_hostile):
    for _ in range(300):
        await through_hostile.rds.describe_db_instances()
    with pytest.raises(ClientError) as raised:
        await through_hostile.rds.describe_db_instances()
    assert _code(raised.value) == ("Throttling", 400)


async def test_injected_server_errors_resets_and_latency(hostile, through_hostile):
    hostile.fail("ListClusters")
    with pytest.raises(ClientError) as raised:
        await through_hostile.ecs.list_clusters()
    assert _code(raised.value) == ("ServerException", 500) and calls.is_transient(raised.value)
    hostile.reset("ListClusters")
    with pytest.raises(ConnectionClosedError) as cut:
        await through_hostile.ecs.list_clusters()
    assert calls.is_transient(cut.value)
    hostile.fail("DescribeVpcs")
    with pytest.raises(ClientError) as raised:
        await through_hostile.ec2.describe_vpcs()
    assert _code(raised.value) == ("InternalError", 500)
    hostile.delay("ListClusters", 0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await through_hostile.ecs.list_clusters()
    assert loop.time() - started >= 0.3
    assert hostile.faulted == {"ListClusters": 2, "DescribeVpcs": 1}


async def test_faults_survive_as_retries_then_a_temporary_error(hostile, aws_config):
    async with AwsClients(replace(aws_config, endpoint_url=hostile.url), sdk_attempts=3) as clients:
        hostile.fail("ListClusters", times=2)
        await calls.call(clients.ecs.list_clusters)  # botocore's standard retries absorb two 5xx
        hostile.reset("ListClusters", times=2)
        await calls.call(clients.ecs.list_clusters)
        hostile.fail("ListClusters", times=100)
        with pytest.raises(TemporaryError):
            await calls.call(clients.ecs.list_clusters)  # 3 calls × 3 sends, then the runtime backs off
    assert hostile.calls["ListClusters"] == 3 + 3 + 9


def _throttled_count(operation: str) -> float:
    return AWS_CALLS.labels("ecs", operation, "throttled")._value.get()


async def test_throttling_that_happens_is_retried_by_botocore_and_counted(hostile, aws_config):
    """The proxy's clock moves half a second per send: the first retry still finds
    the bucket empty, the second finds a token."""
    before = _throttled_count("RegisterTaskDefinition")
    async with AwsClients(
        replace(aws_config, endpoint_url=hostile.url), sdk_attempts=3, on_client=count_calls
    ) as clients:
        for _ in range(20):
            await clients.ecs.register_task_definition(**TASK)

        async def half_a_second_per_send(**_):
            hostile.clock.advance(0.5)

        clients.ecs.meta.events.register("before-send.ecs.RegisterTaskDefinition", half_a_second_per_send)
        await calls.call(clients.ecs.register_task_definition, **TASK)
    assert hostile.throttled["RegisterTaskDefinition"] >= 1
    assert _throttled_count("RegisterTaskDefinition") - before == hostile.throttled["RegisterTaskDefinition"]


SERVICES = 70


async def _create_services(clients, names) -> int:
    """Sequential CreateService calls; how many failed (throttled)."""
    await clients.ecs.create_cluster(clusterName="hostile")
    failures = 0
    for name in names:
        try:
            await clients.ecs.create_service(cluster="hostile", serviceName=name, taskDefinition="hostile:1")
        except ClientError as exc:
            assert _code(exc)[0] == "ThrottlingException"
            failures += 1
    return failures


async def test_without_the_client_limiter_a_burst_of_creates_is_throttled(hostile, through_hostile):
    await through_hostile.ecs.register_task_definition(**TASK)
    failures = await _create_services(through_hostile, [f"s{i}" for i in range(SERVICES)])
    assert failures == SERVICES - 50 == hostile.throttled["CreateService"]


async def test_the_client_limiter_keeps_a_burst_of_creates_under_aws_limits(hostile, aws_config):
    """The limiter and the proxy share a virtual clock: the limiter's waits move it."""
    limiter = ClientRateLimiter(0.8, clock=hostile.clock, sleep=hostile.clock.sleep)
    started = hostile.clock()
    async with AwsClients(
        replace(aws_config, endpoint_url=hostile.url), sdk_attempts=1, rate_limiter=limiter
    ) as clients:
        await clients.ecs.register_task_definition(**TASK)
        failures = await _create_services(clients, [f"s{i}" for i in range(SERVICES)])
    assert failures == 0 and sum(hostile.throttled.values()) == 0
    # 40 at once (0.8 × 50), then 4 a second (0.8 × 5)
    assert hostile.clock() - started == pytest.approx((SERVICES - 40) / 4, abs=0.01)
    assert limiter.waited_seconds > 0


async def test_the_client_limiter_is_per_region_and_call_type():
    clock = Clock()
    limiter = ClientRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    for _ in range(19):  # AWS's burst of 20 less the margin (one token)
        await limiter.acquire(REGION, "ecs", "RegisterTaskDefinition")
    assert clock() == 1_000.0
    await limiter.acquire("eu-west-1", "ecs", "RegisterTaskDefinition")
    await limiter.acquire(REGION, "ecs", "CreateService")
    await limiter.acquire(REGION, "logs", "CreateLogGroup")  # not limited
    assert clock() == 1_000.0
    await limiter.acquire(REGION, "ecs", "RegisterTaskDefinition")
    assert clock() == pytest.approx(1_001.0)


def test_aws_clients_get_a_limiter_at_the_configured_scale(aws_config):
    assert AwsClients(aws_config).rate_limiter is None, "tests against moto run unlimited by default"
    limited = AwsClients(replace(aws_config, aws_rate_scale=0.5))
    assert limited.rate_limiter is not None and limited.rate_limiter.scale == 0.5


@settings(max_examples=80, deadline=None)
@given(
    scale=st.floats(min_value=0.05, max_value=0.95),
    gaps=st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=300),
    row=st.sampled_from(LIMITS),
)
def test_whatever_the_arrivals_the_limiter_sends_nothing_aws_would_throttle(scale, gaps, row):
    """Calls arriving at any times leave the limiter at times AWS's bucket accepts."""
    call = row[0]
    clock = Clock()
    proxy = HostileAws("http://unused", clock=clock)
    limiter = ClientRateLimiter(scale, clock=clock)
    kind = call_type(call.service, call.operation, call.query)
    arrivals, now = [], clock()
    for gap in gaps:
        now += gap
        arrivals.append(now)
    sends = []
    for arrival in arrivals:
        clock.now = arrival
        sends.append(arrival + limiter._bucket(call.region, kind).reserve())
    assert sends == sorted(sends), "reservations come due in order"
    for send in sends:
        clock.now = send
        assert proxy.allow(call), (send, arrivals[0])


async def test_concurrent_creates_through_the_limiter_in_real_time_are_never_throttled(aws, moto_server, aws_config):
    """60 creates at once against the proxy on the real clock: 40 go at once, the
    rest at 4 a second (0.8 × AWS's 5), and AWS's bucket never runs dry."""
    proxy = HostileAws(moto_server.endpoint)
    async with serve(proxy) as url:
        config = replace(aws_config, endpoint_url=url, aws_rate_scale=0.8)
        async with AwsClients(config, sdk_attempts=1) as clients:
            await clients.ecs.create_cluster(clusterName="hostile")
            await clients.ecs.register_task_definition(**TASK)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await asyncio.gather(
                *(
                    clients.ecs.create_service(cluster="hostile", serviceName=f"s{i}", taskDefinition="hostile:1")
                    for i in range(60)
                )
            )
            took = loop.time() - started
    assert sum(proxy.throttled.values()) == 0 and proxy.calls["CreateService"] == 60
    assert 20 / 4 - 0.3 <= took <= 20 / 4 + 3.0
