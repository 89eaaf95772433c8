"""`GET …/environments/{environment}/metrics` against moto's CloudWatch."""

import time
from datetime import UTC, datetime

import pytest

from api.cloud_reads import MetricQuery
from controller.cloud.reads import AwsMetricReader
from tests.api.cloud import *  # noqa: F403 (fixtures)

CLUSTER = "berth"
SERVICE = "shop-production"
CLUSTER_ARN = f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}"
NOW = (int(time.time()) // 60) * 60 * 1000  # on a minute, so periods line up with the datapoints
T0 = NOW - 3_600_000


def at(minutes: int) -> int:
    return T0 + minutes * 60_000


async def observed(pool, cluster_arn: str = CLUSTER_ARN, service: str = SERVICE) -> None:
    """What the workload reconciler writes once the service exists."""
    environment = await pool.fetchval("SELECT id FROM environments WHERE name = 'production'")
    await pool.execute(
        "INSERT INTO statuses (kind, key, outputs) VALUES ('ecs-environment', $1, $2)",
        str(environment),
        {"clusterArn": cluster_arn, "serviceName": service, "desiredCount": 1},
    )


@pytest.fixture
def put_metrics(aws_client):
    async def put(metric: str, points: list[tuple[int, float]], service: str = SERVICE) -> None:
        dimensions = [{"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": service}]
        async with aws_client("cloudwatch") as cloudwatch:
            await cloudwatch.put_metric_data(
                Namespace="AWS/ECS",
                MetricData=[
                    {
                        "MetricName": metric,
                        "Dimensions": dimensions,
                        "Timestamp": datetime.fromtimestamp(t / 1000, UTC),
                        "Value": v,
                        "Unit": "Percent",
                    }
                    for t, v in points
                ],
            )

    return put


async def metrics(tenant, shop, environment: str = "production", **params):
    return await tenant.client.get(f"{shop}/{environment}/metrics", params=params)


def series(body: dict) -> dict[tuple[str, str], list[tuple[int, float]]]:
    return {
        (s["metricName"], s["statistic"]): [(p["timestamp"], p["value"]) for p in s["datapoints"]]
        for s in body["metrics"]
    }


async def test_cpu_and_memory_of_the_environments_service(cloud_tenant, shop, pool, put_metrics):
    await observed(pool)
    await put_metrics("CPUUtilization", [(at(0), 10.0), (at(0) + 20_000, 30.0), (at(1), 50.0)])
    await put_metrics("MemoryUtilization", [(at(0), 40.0), (at(1), 42.0)])
    await put_metrics("CPUUtilization", [(at(0), 99.0)], service="someone-else")
    answer = await metrics(
        cloud_tenant, shop, startTime=at(0), endTime=at(2), period=60, statistics="Average,Maximum"
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {k: body[k] for k in ("namespace", "clusterName", "serviceName", "startTime", "endTime", "period")} == {
        "namespace": "AWS/ECS", "clusterName": CLUSTER, "serviceName": SERVICE,
        "startTime": at(0), "endTime": at(2), "period": 60,
    }
    assert body["statistics"] == ["Average", "Maximum"]
    assert series(body) == {
        ("CPUUtilization", "Average"): [(at(0), 20.0), (at(1), 50.0)],
        ("CPUUtilization", "Maximum"): [(at(0), 30.0), (at(1), 50.0)],
        ("MemoryUtilization", "Average"): [(at(0), 40.0), (at(1), 42.0)],
        ("MemoryUtilization", "Maximum"): [(at(0), 40.0), (at(1), 42.0)],
    }
    assert all(s["unit"] == "Percent" for s in body["metrics"])


async def test_defaults_are_the_last_hour_by_the_minute(cloud_tenant, shop, pool, put_metrics):
    await observed(pool)
    recent = int(time.time() * 1000) - 120_000
    await put_metrics("CPUUtilization", [(recent, 12.5)])
    body = (await metrics(cloud_tenant, shop)).json()
    assert body["period"] == 60
    assert body["endTime"] - body["startTime"] == 3_600_000
    assert body["statistics"] == ["Average", "Maximum"]
    assert [v for _, v in series(body)[("CPUUtilization", "Average")]] == [12.5]


async def test_a_container_of_the_environment_reads_its_services_metrics(cloud_tenant, shop, pool, put_metrics):
    await observed(pool)
    await put_metrics("CPUUtilization", [(at(0), 10.0)])
    answer = await metrics(cloud_tenant, shop, startTime=at(0), endTime=at(1), containerName="worker")
    assert answer.status_code == 200, answer.text
    assert answer.json()["containerName"] == "worker"
    assert series(answer.json())[("CPUUtilization", "Average")] == [(at(0), 10.0)]


async def test_before_the_service_exists_there_is_nothing_to_read(cloud_tenant, shop):
    answer = await metrics(cloud_tenant, shop, startTime=at(0), endTime=at(1))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["clusterName"], body["serviceName"], body["metrics"]) == (None, None, [])


@pytest.mark.parametrize(
    "params, field",
    [
        ({"period": "45"}, "period"),
        ({"period": "0"}, "period"),
        ({"period": "minute"}, "period"),
        ({"statistics": "Average,Median"}, "statistics"),
        ({"statistics": ","}, "statistics"),
        ({"startTime": "soon"}, "startTime"),
        ({"startTime": str(at(2)), "endTime": str(at(1))}, "startTime"),
        ({"startTime": str(at(0) - 7 * 86_400_000), "endTime": str(at(0)), "period": "60"}, "period"),
        ({"containerName": "nobody"}, "containerName"),
    ],
)
async def test_bad_parameters_are_the_contracts_422_naming_the_field(cloud_tenant, shop, params, field):
    answer = await metrics(cloud_tenant, shop, **params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_statistics_are_case_insensitive_and_deduplicated(cloud_tenant, shop, pool):
    await observed(pool)
    body = (await metrics(cloud_tenant, shop, statistics="sum, SampleCount,SUM,minimum")).json()
    assert body["statistics"] == ["Sum", "SampleCount", "Minimum"]
    assert len(body["metrics"]) == 6


async def test_another_organisations_environment_is_not_found(cloud_tenant, stranger, shop, pool):
    await observed(pool)
    theirs = await stranger.client.get(f"{shop}/production/metrics")
    missing = await metrics(cloud_tenant, shop, "nowhere")
    assert theirs.status_code == missing.status_code == 404


class RecordingCloudWatch:
    def __init__(self, pages):
        self.sent = []
        self._pages = list(pages)

    async def get_metric_data(self, **arguments):
        self.sent.append(dict(arguments))
        return self._pages.pop(0)


async def test_get_metric_data_is_asked_once_per_page_and_pages_are_merged():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
    first = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    second = datetime(2026, 1, 1, 0, 2, tzinfo=UTC)
    client = RecordingCloudWatch([
        {"MetricDataResults": [{"Id": "m0", "Timestamps": [first], "Values": [1.0]}], "NextToken": "next"},
        {"MetricDataResults": [{"Id": "m0", "Timestamps": [second], "Values": [2.0]},
                               {"Id": "m1", "Timestamps": [first], "Values": [3.0]}]},
    ])
    query = MetricQuery(CLUSTER, SERVICE, ("CPUUtilization",), ("Average", "Maximum"), 60, start, end)
    found = await AwsMetricReader(client).read(query)
    assert [(p.metric_name, p.statistic, p.points) for p in found] == [
        ("CPUUtilization", "Average", ((int(first.timestamp() * 1000), 1.0), (int(second.timestamp() * 1000), 2.0))),
        ("CPUUtilization", "Maximum", ((int(first.timestamp() * 1000), 3.0),)),
    ]
    assert [s.get("NextToken") for s in client.sent] == [None, "next"]
    stat = client.sent[0]["MetricDataQueries"][1]["MetricStat"]
    assert stat == {
        "Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization", "Dimensions": [
            {"Name": "ClusterName", "Value": CLUSTER}, {"Name": "ServiceName", "Value": SERVICE}]},
        "Period": 60,
        "Stat": "Maximum",
    }
