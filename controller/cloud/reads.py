"""The API's cloud reads on AWS: CloudWatch Logs, CloudWatch metrics and ECR credentials.

`aws_cloud_reads(environ)` gives `create_app(…, cloud=…)` a factory; the app opens the
three clients once in its lifespan and closes them when it stops. AWS is reached
exactly as the reconcilers reach it (`AwsConfig.from_env`: AWS_ENDPOINT_URL, AWS_REGION,
the SDK's credentials), so the sandbox reads moto and production reads AWS.

A request waits for AWS, so the SDK gets short timeouts and its own few retries of
throttling and 5xx, no more: a read that still fails is a 503 the client may retry.
"""

from collections.abc import Mapping
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import aioboto3
from botocore.config import Config
from botocore.exceptions import ClientError

from api.cloud_reads import LogLine, LogPage, LogQuery, MetricPoints, MetricQuery
from controller.cloud.failures import FAILURES, TRANSPORT_ERRORS, error_code, failure
from controller.cloud.registry_login import AwsRegistryLogin
from reconcilers.aws.config import AwsConfig

SDK_ATTEMPTS = 3
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
METRIC_NAMESPACE = "AWS/ECS"
# GetMetricData pages; a window the API allows fits in one, this only bounds a surprise.
MAX_METRIC_PAGES = 10
MISSING_LOG_GROUP = "ResourceNotFoundException"
def _milliseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class AwsLogReader:
    def __init__(self, client: Any):
        self._client = client

    async def read(self, query: LogQuery) -> LogPage:
        # `interleaved` is deprecated on AWS, which always merges streams by time; moto
        # merges only when asked, and answers as AWS does then.
        arguments: dict[str, Any] = {"logGroupName": query.log_group, "limit": query.limit, "interleaved": True}
        optional = {
            "startTime": query.start_ms,
            "endTime": query.end_ms,
            "logStreamNamePrefix": query.stream_prefix,
            "filterPattern": query.filter_pattern,
            "nextToken": query.next_token,
        }
        arguments.update({name: value for name, value in optional.items() if value is not None})
        try:
            answer = await self._client.filter_log_events(**arguments)
        except ClientError as error:
            if error_code(error) == MISSING_LOG_GROUP:  # nothing has run yet, or it was torn down
                return LogPage(events=(), next_token=None)
            raise failure("FilterLogEvents", error) from error
        except TRANSPORT_ERRORS as error:
            raise failure("FilterLogEvents", error) from error
        events = tuple(
            LogLine(timestamp=event["timestamp"], message=event.get("message", ""), stream=event.get("logStreamName", ""))
            for event in answer.get("events", [])
            # AWS applies the prefix itself; a backend that ignores it (moto) must not widen the answer.
            if query.stream_prefix is None or event.get("logStreamName", "").startswith(query.stream_prefix)
        )
        return LogPage(events=events, next_token=answer.get("nextToken") or None)


class AwsMetricReader:
    def __init__(self, client: Any):
        self._client = client

    @staticmethod
    def _queries(query: MetricQuery) -> dict[str, tuple[str, str]]:
        """GetMetricData query id → (metric, statistic); ids must start with a lower-case letter."""
        pairs = [(metric, statistic) for metric in query.metric_names for statistic in query.statistics]
        return {f"m{index}": pair for index, pair in enumerate(pairs)}

    async def read(self, query: MetricQuery) -> list[MetricPoints]:
        wanted = self._queries(query)
        dimensions = [{"Name": "ClusterName", "Value": query.cluster}, {"Name": "ServiceName", "Value": query.service}]
        metric_queries = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {"Namespace": METRIC_NAMESPACE, "MetricName": metric, "Dimensions": dimensions},
                    "Period": query.period,
                    "Stat": statistic,
                },
                "ReturnData": True,
            }
            for query_id, (metric, statistic) in wanted.items()
        ]
        found: dict[str, dict[int, float]] = {query_id: {} for query_id in wanted}
        arguments: dict[str, Any] = {
            "MetricDataQueries": metric_queries,
            "StartTime": query.start,
            "EndTime": query.end,
            "ScanBy": "TimestampAscending",
        }
        for _ in range(MAX_METRIC_PAGES):
            try:
                answer = await self._client.get_metric_data(**arguments)
            except FAILURES as error:
                raise failure("GetMetricData", error) from error
            for result in answer.get("MetricDataResults", []):
                points = found.setdefault(result["Id"], {})
                for moment, value in zip(result.get("Timestamps", []), result.get("Values", []), strict=False):
                    points[_milliseconds(moment)] = float(value)
            if not answer.get("NextToken"):
                break
            arguments["NextToken"] = answer["NextToken"]
        return [
            MetricPoints(metric_name=metric, statistic=statistic, points=tuple(sorted(found[query_id].items())))
            for query_id, (metric, statistic) in wanted.items()
        ]


class AwsCloudReads:
    """`async with AwsCloudReads(config) as reads:` — `reads.logs`, `reads.metrics`, `reads.registry`.

    `ecr_login_role_arn` (BERTH_ECR_LOGIN_ROLE_ARN): registry logins go through that role,
    narrowed to the organisation's repository (`controller.cloud.registry_login`)."""

    logs: AwsLogReader
    metrics: AwsMetricReader
    registry: AwsRegistryLogin

    def __init__(
        self, config: AwsConfig, session: aioboto3.Session | None = None, *, ecr_login_role_arn: str | None = None
    ):
        self.config = config
        self._session = session or aioboto3.Session()
        self._role_arn = ecr_login_role_arn
        self._stack: AsyncExitStack | None = None

    def _client_arguments(self) -> dict[str, Any]:
        config = Config(
            retries={"mode": "standard", "total_max_attempts": SDK_ATTEMPTS},
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
        )
        arguments: dict[str, Any] = {"region_name": self.config.region, "config": config}
        if self.config.endpoint_url:  # unset, botocore reads AWS_ENDPOINT_URL itself
            arguments["endpoint_url"] = self.config.endpoint_url
        return arguments

    def _ecr_with(self, access_key: str, secret_key: str, session_token: str):
        return self._session.client(
            "ecr",
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            **self._client_arguments(),
        )

    async def __aenter__(self) -> "AwsCloudReads":
        async with AsyncExitStack() as stack:
            arguments = self._client_arguments()
            logs = await stack.enter_async_context(self._session.client("logs", **arguments))
            cloudwatch = await stack.enter_async_context(self._session.client("cloudwatch", **arguments))
            ecr = await stack.enter_async_context(self._session.client("ecr", **arguments))
            sts = None
            if self._role_arn:
                sts = await stack.enter_async_context(self._session.client("sts", **arguments))
            self.logs = AwsLogReader(logs)
            self.metrics = AwsMetricReader(cloudwatch)
            self.registry = AwsRegistryLogin(
                ecr,
                self.config.ecr_registry,
                region=self.config.region,
                role_arn=self._role_arn,
                sts=sts,
                ecr_with=self._ecr_with,
            )
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()


def aws_cloud_reads(environ: Mapping[str, str]):
    """The factory `create_app(…, cloud=…)` takes: AWS as this process's environment names it
    (AwsConfig.from_env, plus BERTH_ECR_LOGIN_ROLE_ARN)."""
    config = AwsConfig.from_env(environ)
    role_arn = environ.get("BERTH_ECR_LOGIN_ROLE_ARN") or None
    return lambda: AwsCloudReads(config, ecr_login_role_arn=role_arn)
