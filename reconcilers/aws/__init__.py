"""AWS reconcilers: the shared network and ECS-on-Fargate environments (aioboto3).

async with AwsClients(config) as clients:
    reconcilers = aws_reconcilers(clients, config)
"""

from collections.abc import Callable
from datetime import datetime

from reconcilers.aws.clients import AwsClients
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.ecs_environment import EcsEnvironmentReconciler, utc_now
from reconcilers.aws.network import NETWORK_KEY, NETWORK_KIND, NetworkReconciler

__all__ = [
    "NETWORK_KEY",
    "NETWORK_KIND",
    "AwsClients",
    "AwsConfig",
    "EcsEnvironmentReconciler",
    "NetworkReconciler",
    "aws_reconcilers",
]


def aws_reconcilers(
    clients: AwsClients, config: AwsConfig, clock: Callable[[], datetime] = utc_now
) -> list[NetworkReconciler | EcsEnvironmentReconciler]:
    """The AWS reconcilers of one controller process, sharing its clients."""
    return [NetworkReconciler(clients, config, clock), EcsEnvironmentReconciler(clients, config, clock)]
