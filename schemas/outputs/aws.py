"""What the AWS kinds publish: the shared network, and per environment its workload,
network, autoscaling, database and file system."""

from typing import Any, ClassVar

from schemas.kinds import Kind
from schemas.outputs.base import Outputs, OutputsModel, SetWhenReady


class NetworkOutputs(SetWhenReady):
    """`aws-network` (key `default`): the ECS cluster and the network every task uses."""

    kind: ClassVar[Kind] = Kind.AWS_NETWORK
    essential: ClassVar[tuple[str, ...]] = (
        "cluster_arn", "cluster_name", "vpc_id", "subnet_ids", "security_group_ids"
    )

    cluster_arn: str | None = None
    cluster_name: str | None = None
    vpc_id: str | None = None
    subnet_ids: list[str] = []
    security_group_ids: list[str] = []


class FollowedDeploymentOutput(OutputsModel):
    """What berth last recorded for a deployment still in the service's list."""

    deployment_id: str
    task_definition_arn: str
    image_tag: str = ""
    status: str
    reason: str = ""


class FailedRolloutOutput(OutputsModel):
    """The revision held back after its rollout failed, and the generation it failed at."""

    task_definition_arn: str
    generation: int


class CapacityProviderOutput(OutputsModel):
    capacity_provider: str
    weight: int
    base: int


class SpotStrategyOutput(OutputsModel):
    """The spot strategy asked for, the one applied, and why they differ (if they do)."""

    requested: str | None = None
    applied: str
    capacity_provider_strategy: list[CapacityProviderOutput] = []
    overridden: str | None = None


class DriftOutput(OutputsModel):
    """A resource a resync found changed and, by the report policy, left so."""

    resource: str
    fields: list[str]


class WorkloadOutputs(SetWhenReady):
    """`ecs-environment`: the environment's ECS service and what berth keeps between passes
    (`followed_deployments`, `failed_rollout`, `passes`, the rendered fingerprint)."""

    kind: ClassVar[Kind] = Kind.ECS_ENVIRONMENT
    essential: ClassVar[tuple[str, ...]] = ("service_name", "cluster_arn", "service_arn")
    omitted_when_none: ClassVar[frozenset[str]] = frozenset({"drift"})

    service_arn: str | None = None
    service_name: str | None = None
    cluster_arn: str | None = None
    task_definition_arn: str | None = None
    desired_count: int | None = None
    running_count: int | None = None
    pending_count: int | None = None
    deployment_id: str | None = None
    rollout_state: str | None = None
    followed_deployments: list[FollowedDeploymentOutput] = []
    failed_rollout: FailedRolloutOutput | None = None
    spot_strategy: SpotStrategyOutput | None = None
    restarts_applied: int | None = None
    log_group_name: str | None = None
    passes: int = 0
    task_definition_fingerprint: str | None = None
    drift: list[DriftOutput] | None = None


class EnvironmentNetworkOutputs(Outputs):
    """`environment-network`: the environment's security groups and service discovery.
    `scope_key` names the shared group or namespace it uses; `retired_scope_keys` the ones
    it left and has not released yet."""

    kind: ClassVar[Kind] = Kind.ENVIRONMENT_NETWORK

    ready: bool = False
    scope: str | None = None
    scope_key: str | None = None
    security_group_ids: list[str] = []
    peer_security_group_ids: list[str] = []
    service_registry_arn: str | None = None
    namespace_id: str | None = None
    namespace_name: str | None = None
    retired_scope_keys: list[str] = []


class ScalingPolicyOutput(OutputsModel):
    policy_name: str
    metric: str
    target_value: float
    scale_in_cooldown_seconds: int | None = None
    scale_out_cooldown_seconds: int | None = None
    policy_arn: str | None = None


class AutoscalingOutputs(Outputs):
    """`ecs-autoscaling`: the service's scalable target and its target-tracking policies."""

    kind: ClassVar[Kind] = Kind.ECS_AUTOSCALING

    ready: bool = False
    resource_id: str | None = None
    min_capacity: int | None = None
    max_capacity: int | None = None
    policies: list[ScalingPolicyOutput] = []


class InjectedSecret(OutputsModel):
    """A container environment variable taken from the connection secret (`valueFrom`)."""

    name: str
    value_from: str


class DatabaseOutputs(Outputs):
    """`rds-database`: the environment's RDS instance and its connection secret. The
    secret's version and digest are those of the value a pass last found complete, so a
    later pass that finds the same version current need not read it again."""

    kind: ClassVar[Kind] = Kind.RDS_DATABASE

    ready: bool = False
    rds_instance_identifier: str | None = None
    rds_instance_endpoint: str | None = None
    rds_instance_port: int | None = None
    rds_instance_engine: str | None = None
    rds_instance_status: str | None = None
    pending_modifications: dict[str, Any] = {}
    connection_secret_arn: str | None = None
    connection_secret_version: str | None = None
    connection_secret_digest: str | None = None
    injected_secrets: list[InjectedSecret] = []


class FilesystemOutputs(Outputs):
    """`efs-filesystem`: the environment's EFS file system, access point and NFS group."""

    kind: ClassVar[Kind] = Kind.EFS_FILESYSTEM

    ready: bool = False
    filesystem_id: str | None = None
    access_point_id: str | None = None
    mount_path: str | None = None
    security_group_id: str | None = None
