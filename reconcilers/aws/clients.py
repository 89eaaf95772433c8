"""`AwsClients`: the process's long-lived aioboto3 clients, opened once and shared by every pass."""

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import aioboto3
from botocore.config import Config

from reconcilers.aws.config import AwsConfig
from reconcilers.aws.rate_limits import ClientRateLimiter, retry_throttled_sends

SDK_ATTEMPTS = 3  # sends, first one included

# attribute -> botocore service name, for the clients with the standard retry policy
SERVICES = {
    "ecs": "ecs",
    "ec2": "ec2",
    "rds": "rds",
    "secretsmanager": "secretsmanager",
    "efs": "efs",
    "servicediscovery": "servicediscovery",
    "autoscaling": "application-autoscaling",
    "logs": "logs",
    "cloudwatch": "cloudwatch",
    "ecr": "ecr",
}


class AwsClients:
    """`async with AwsClients(config) as clients:` gives one client per AWS service berth
    drives: `ecs`, `ec2`, `rds`, `secretsmanager`, `efs`, `servicediscovery`,
    `autoscaling` (Application Auto Scaling), `logs`, `cloudwatch`, `ecr`.

    botocore retries throttling and 5xx itself (standard mode); `calls.call` adds a
    few jittered attempts on top for what survives that, then gives up to the runtime.

    `clients.ecs_once` is an ECS client whose botocore makes a single attempt, for
    operations that are neither idempotent nor take a client token
    (RegisterTaskDefinition): sent twice after a lost answer, they would act twice.
    It does resend a throttled call (`retry_throttled_sends`): a throttling answer
    proves the call never reached the service.
    """

    ecs: Any
    ecs_once: Any
    ec2: Any
    rds: Any
    secretsmanager: Any
    efs: Any
    servicediscovery: Any
    autoscaling: Any
    logs: Any
    cloudwatch: Any
    ecr: Any

    def __init__(
        self,
        config: AwsConfig,
        session: aioboto3.Session | None = None,
        sdk_attempts: int = SDK_ATTEMPTS,
        on_client: Callable[[Any], None] | None = None,
        rate_limiter: ClientRateLimiter | None = None,
    ):
        """`on_client`: called with each client once it is open (the controller counts
        every AWS call through it). `rate_limiter`: waits before every send to stay under
        AWS's request limits; by default one at `config.aws_rate_scale` (none when unset).
        Pass one limiter to every `AwsClients` of the same account."""
        self.config = config
        if rate_limiter is None and config.aws_rate_scale is not None:
            rate_limiter = ClientRateLimiter(config.aws_rate_scale)
        self.rate_limiter = rate_limiter
        self._on_client = on_client
        self._session = session or aioboto3.Session()
        self._sdk_attempts = sdk_attempts
        self._stack: AsyncExitStack | None = None

    def _client_arguments(self, *, single_attempt: bool = False) -> dict[str, Any]:
        # botocore's `max_attempts` counts retries (1 means two sends); `total_max_attempts`
        # counts sends.
        retries = (
            {"mode": "standard", "total_max_attempts": 1}
            if single_attempt
            else {"mode": "standard", "total_max_attempts": self._sdk_attempts}
        )
        arguments: dict[str, Any] = {"region_name": self.config.region, "config": Config(retries=retries)}
        # Unset, botocore reads AWS_ENDPOINT_URL itself; passing None would hide that.
        if self.config.endpoint_url:
            arguments["endpoint_url"] = self.config.endpoint_url
        return arguments

    async def __aenter__(self) -> "AwsClients":
        async with AsyncExitStack() as stack:
            arguments = self._client_arguments()
            self.ecs_once = await stack.enter_async_context(
                self._session.client("ecs", **self._client_arguments(single_attempt=True))
            )
            for attribute, service in SERVICES.items():
                client = await stack.enter_async_context(self._session.client(service, **arguments))
                setattr(self, attribute, client)
            retry_throttled_sends(self.ecs_once)
            if self.rate_limiter is not None:
                for client in (self.ecs_once, *(getattr(self, a) for a in SERVICES)):
                    self.rate_limiter.attach(client)
            if self._on_client is not None:
                for client in (self.ecs_once, *(getattr(self, a) for a in SERVICES)):
                    self._on_client(client)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()
