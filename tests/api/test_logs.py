"""`GET …/environments/{environment}/logs` against moto's CloudWatch Logs."""

import time
from datetime import UTC, datetime

import pytest

from api.cloud_reads import LogQuery
from controller.cloud.reads import AwsLogReader
from tests.api.cloud import *  # noqa: F403 (fixtures)

GROUP = "/berth/acme/shop/production"
NOW = int(time.time()) * 1000  # whole seconds, so the seconds case is exact
T0 = NOW - 3_600_000  # moto refuses events older than 14 days or from the future


def at(minutes: int) -> int:
    return T0 + minutes * 60_000


STREAMS = {
    "berth/web/task1": [(at(0), "GET / 200"), (at(2), "GET /missing 404"), (at(4), "GET /health 200")],
    "berth/worker/task1": [(at(1), "job started"), (at(3), "job failed: timeout"), (at(5), "job retried")],
}


async def logs(tenant, shop, environment: str = "production", **params):
    return await tenant.client.get(f"{shop}/{environment}/logs", params=params)


async def test_reads_every_container_oldest_first(cloud_tenant, shop, seed):
    await seed(GROUP, STREAMS)
    answer = await logs(cloud_tenant, shop)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["nextToken"] is None
    assert [(e["timestamp"], e["message"], e["containerName"]) for e in body["logEvents"]] == [
        (at(0), "GET / 200", "web"),
        (at(1), "job started", "worker"),
        (at(2), "GET /missing 404", "web"),
        (at(3), "job failed: timeout", "worker"),
        (at(4), "GET /health 200", "web"),
        (at(5), "job retried", "worker"),
    ]


async def test_container_name_keeps_to_that_containers_streams(cloud_tenant, shop, seed):
    await seed(GROUP, {**STREAMS, "berth/web/task2": [(at(6), "second task")], "berth/webhook/task1": [(at(7), "x")]})
    answer = await logs(cloud_tenant, shop, containerName="web")
    assert answer.status_code == 200, answer.text
    assert [e["message"] for e in answer.json()["logEvents"]] == [
        "GET / 200", "GET /missing 404", "GET /health 200", "second task",
    ]


@pytest.mark.parametrize(
    "start, end",
    [
        (str(at(1)), str(at(3))),  # milliseconds
        (str(at(1) // 1000), str(at(3) // 1000)),  # seconds
        (datetime.fromtimestamp(at(1) / 1000, UTC).isoformat(), datetime.fromtimestamp(at(3) / 1000, UTC).isoformat()),
    ],
    ids=["milliseconds", "seconds", "iso8601"],
)
async def test_time_range_is_inclusive_in_any_unit_the_contract_allows(cloud_tenant, shop, seed, start, end):
    await seed(GROUP, STREAMS)
    answer = await logs(cloud_tenant, shop, startTime=start, endTime=end)
    assert answer.status_code == 200, answer.text
    assert [e["timestamp"] for e in answer.json()["logEvents"]] == [at(1), at(2), at(3)]


async def test_filter_pattern_is_cloudwatchs(cloud_tenant, shop, seed):
    await seed(GROUP, STREAMS)
    answer = await logs(cloud_tenant, shop, filterPattern="job")
    assert [e["message"] for e in answer.json()["logEvents"]] == ["job started", "job failed: timeout", "job retried"]
    answer = await logs(cloud_tenant, shop, filterPattern='"GET /health"')
    assert [e["message"] for e in answer.json()["logEvents"]] == ["GET /health 200"]


async def test_limit_and_next_token_page_through_everything_once(cloud_tenant, shop, seed):
    await seed(GROUP, STREAMS)
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 4, **({"nextToken": token} if token else {})}
        body = (await logs(cloud_tenant, shop, **params)).json()
        pages += 1
        assert len(body["logEvents"]) <= 4
        seen += [e["timestamp"] for e in body["logEvents"]]
        token = body["nextToken"]
        if token is None:
            break
    assert pages == 2
    assert seen == [at(m) for m in range(6)]


async def test_a_log_group_not_made_yet_is_no_events(cloud_tenant, shop):
    answer = await logs(cloud_tenant, shop)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"logEvents": [], "nextToken": None}


async def test_each_environment_reads_its_own_group(cloud_tenant, shop, seed):
    await seed(GROUP, STREAMS)
    await seed("/berth/acme/shop/staging", {"berth/web/task9": [(at(9), "staging only")]})
    created = await cloud_tenant.client.post(shop, json={"envName": "staging"})
    assert created.status_code == 201, created.text
    answer = await logs(cloud_tenant, shop, "staging")
    assert [e["message"] for e in answer.json()["logEvents"]] == ["staging only"]


async def test_another_organisations_environment_is_not_found(cloud_tenant, stranger, shop, seed):
    await seed(GROUP, STREAMS)
    theirs = await stranger.client.get(f"{shop}/production/logs")
    missing_app = await stranger.client.get(f"{stranger.applications}/shop/environments/production/logs")
    missing_env = await logs(cloud_tenant, shop, "nowhere")
    assert theirs.status_code == missing_app.status_code == missing_env.status_code == 404


@pytest.mark.parametrize(
    "params, field",
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"startTime": "yesterday"}, "startTime"),
        ({"startTime": str(at(3)), "endTime": str(at(1))}, "endTime"),
        ({"containerName": "web/../x"}, "containerName"),
    ],
)
async def test_bad_parameters_are_the_contracts_422_naming_the_field(cloud_tenant, shop, params, field):
    answer = await logs(cloud_tenant, shop, **params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_without_cloud_reads_the_route_says_so(tenant):
    created = await tenant.client.post(tenant.applications, json={"appName": "shop", "composeDefinition": {"containers": [WEB]}})
    assert created.status_code == 201, created.text
    answer = await tenant.client.get(f"{tenant.applications}/shop/environments/production/logs")
    assert answer.status_code == 503
    assert answer.json()["detail"] == "cloud reads are not configured"


class RecordingLogs:
    def __init__(self):
        self.sent = []

    async def filter_log_events(self, **arguments):
        self.sent.append(arguments)
        return {"events": [], "nextToken": None}


async def test_what_is_sent_to_filter_log_events():
    """moto ignores logStreamNamePrefix; AWS applies it, so berth must send it."""
    client = RecordingLogs()
    query = LogQuery(GROUP, start_ms=1, end_ms=2, stream_prefix="berth/web/", filter_pattern="ERROR", limit=7,
                     next_token="t")
    await AwsLogReader(client).read(query)
    await AwsLogReader(client).read(LogQuery(GROUP))
    assert client.sent == [
        {"logGroupName": GROUP, "startTime": 1, "endTime": 2, "logStreamNamePrefix": "berth/web/",
         "filterPattern": "ERROR", "limit": 7, "nextToken": "t", "interleaved": True},
        {"logGroupName": GROUP, "limit": 100, "interleaved": True},
    ]


class RefusingLogs:
    async def filter_log_events(self, **arguments):
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "InvalidParameterException", "Message": "bad token"}}, "FilterLogEvents")


async def test_what_aws_refuses_is_a_422_and_an_unreachable_aws_a_503(pool, database_url, cloud_config):
    import contextlib
    import dataclasses

    from api.app import create_app
    from controller.cloud.reads import AwsCloudReads
    from tests.api.cloud import _tenant
    from tests.serving import serve

    @contextlib.asynccontextmanager
    async def refusing():
        reads = AwsCloudReads(cloud_config)
        reads.logs = AwsLogReader(RefusingLogs())
        yield reads

    unreachable = dataclasses.replace(cloud_config, endpoint_url="http://127.0.0.1:9")
    answers = []
    for factory, slug in ((refusing, "acme"), (lambda: AwsCloudReads(unreachable), "initech")):
        async with serve(create_app(database_url, cloud=factory)) as url:
            tenant = await _tenant(pool, url, slug)
            body = {"appName": "shop", "composeDefinition": {"containers": [WEB]}}
            assert (await tenant.client.post(tenant.applications, json=body)).status_code == 201
            answers.append(await tenant.client.get(f"{tenant.applications}/shop/environments/production/logs",
                                                   params={"nextToken": "forged"}))
            await tenant.client.aclose()
    refused, unavailable = answers
    assert refused.status_code == 422, refused.text
    assert "bad token" in refused.json()["detail"]
    assert unavailable.status_code == 503, unavailable.text
    assert unavailable.headers["retry-after"] == "5"
