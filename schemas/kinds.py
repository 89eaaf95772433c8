"""The reconciler kinds: one name each, and what a key of each kind names.

Every layer reads these: the API queues them, the runtime registers a reconciler under
each, and the reconcilers and the views read each other's outputs by them. A kind is
never spelled as a string anywhere else.
"""

from enum import StrEnum


class Kind(StrEnum):
    AWS_NETWORK = "aws-network"
    ECS_ENVIRONMENT = "ecs-environment"
    ENVIRONMENT_NETWORK = "environment-network"
    ECS_AUTOSCALING = "ecs-autoscaling"
    RDS_DATABASE = "rds-database"
    EFS_FILESYSTEM = "efs-filesystem"
    KUBE_APPLICATION = "kube-application"
    KUBE_BUILD = "kube-build"
    KUBE_PIPELINE = "kube-pipeline"
    KUBE_METRICS = "kube-metrics"

    @property
    def pascal_case(self) -> str:
        """`environment-network` → `EnvironmentNetwork`: the `WaitingFor…` reasons' suffix."""
        return "".join(part.capitalize() for part in self.value.split("-"))


# The one key of the kinds that exist once per controller fleet, not per environment.
SHARED_KEY = "default"
SHARED_KINDS = frozenset({Kind.AWS_NETWORK})

# Every kind that may act on an environment (its key is the environment's id).
ENVIRONMENT_KINDS = (
    Kind.ECS_ENVIRONMENT,
    Kind.ENVIRONMENT_NETWORK,
    Kind.ECS_AUTOSCALING,
    Kind.RDS_DATABASE,
    Kind.EFS_FILESYSTEM,
)
