"""AWS reconcilers: the shared network, and per environment its ECS-on-Fargate workload,
network, autoscaling, database and file system (aioboto3).

async with AwsClients(config) as clients:
    reconcilers = aws_reconcilers(clients, config)
"""

from collections.abc import Callable
from datetime import datetime

from reconcilers.aws.autoscaling import EcsAutoscalingReconciler
from reconcilers.aws.clients import AwsClients
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.database import DatabaseReconciler
from reconcilers.aws.ecs_environment import EcsEnvironmentReconciler, utc_now
from reconcilers.aws.environment_network import EnvironmentNetworkReconciler
from reconcilers.aws.filesystem import FilesystemReconciler
from reconcilers.aws.network import NetworkReconciler
from reconcilers.ports import Reconciler

__all__ = [
    "AwsClients",
    "AwsConfig",
    "aws_reconcilers",
]


def aws_reconcilers(
    clients: AwsClients, config: AwsConfig, clock: Callable[[], datetime] = utc_now
) -> list[Reconciler]:
    """The AWS reconcilers of one controller process, sharing its clients."""
    return [
        NetworkReconciler(clients, config, clock),
        EcsEnvironmentReconciler(clients, config, clock),
        EnvironmentNetworkReconciler(clients, clock, edge_cidrs=config.edge_cidrs),
        EcsAutoscalingReconciler(clients, config, clock),
        DatabaseReconciler(clients, config, clock),
        FilesystemReconciler(clients, clock),
    ]
