"""An environment's autoscaling, planned: its ECS service's scalable target and
target-tracking policies, as Application Auto Scaling should hold them.

Pure. The scalable target is the service's `ecs:service:DesiredCount` with the spec's
minimum and maximum (0 and 0 while the environment is stopped), never suspended. Each
policy of the spec is a target-tracking policy on a predefined ECS metric; a policy of
another name on the service is not berth's wish and goes. The resource id names the
environment's own service, so everything scaling it is this environment's.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.desired import EnvironmentSpec, RunState
from schemas.v3.scaling import ScalingMetric

SERVICE_NAMESPACE = "ecs"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
TARGET_TRACKING = "TargetTrackingScaling"
# The contract's metric -> Application Auto Scaling's predefined metric for an ECS service.
# RPS (ALBRequestCountPerTarget) needs a load balancer's target group: refused at the API.
PREDEFINED_METRICS = {
    ScalingMetric.CPU_UTILIZATION: "ECSServiceAverageCPUUtilization",
    ScalingMetric.MEMORY_UTILIZATION: "ECSServiceAverageMemoryUtilization",
}
METRICS_BY_TYPE = {value: key for key, value in PREDEFINED_METRICS.items()}


def service_resource_id(cluster: str, service_name: str) -> str:
    """`service/{cluster name}/{service name}`; `cluster` may be the cluster's ARN."""
    return f"service/{cluster.rsplit('/', 1)[-1]}/{service_name}"


@dataclass(frozen=True, slots=True)
class TargetTracking:
    """A target-tracking policy, as berth writes it and as it compares what it reads."""

    name: str
    metric_type: str  # a PredefinedMetricType
    target_value: float
    scale_in_cooldown: int
    scale_out_cooldown: int


@dataclass(frozen=True, slots=True)
class DesiredScaling:
    resource_id: str
    min_capacity: int
    max_capacity: int
    policies: tuple[TargetTracking, ...] = ()


@dataclass(frozen=True, slots=True)
class ObservedTarget:
    min_capacity: int
    max_capacity: int
    suspended: bool = False  # any of its dynamic or scheduled scaling suspended


@dataclass(frozen=True, slots=True)
class ObservedPolicy:
    name: str
    arn: str
    # None for anything berth never writes (step scaling, a customised metric, scale-in
    # disabled…): it differs from every desired policy.
    tracking: TargetTracking | None


@dataclass(frozen=True, slots=True)
class ScalingObservation:
    target: ObservedTarget | None = None
    policies: tuple[ObservedPolicy, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisterTarget:
    resource_id: str
    min_capacity: int
    max_capacity: int


@dataclass(frozen=True, slots=True)
class PutPolicy:
    resource_id: str
    policy: TargetTracking


@dataclass(frozen=True, slots=True)
class DeletePolicy:
    resource_id: str
    name: str


@dataclass(frozen=True, slots=True)
class DeregisterTarget:
    resource_id: str


ScalingAction = RegisterTarget | PutPolicy | DeletePolicy | DeregisterTarget


def desired_scaling(spec: EnvironmentSpec, resource_id: str) -> DesiredScaling:
    low, high = (0, 0) if spec.state == RunState.STOPPED else (spec.min_capacity, spec.max_capacity)
    policies = tuple(
        TargetTracking(
            name=p.policy_name,
            metric_type=PREDEFINED_METRICS[p.metric],
            target_value=float(p.target_value),
            scale_in_cooldown=p.scale_in_cooldown_seconds,
            scale_out_cooldown=p.scale_out_cooldown_seconds,
        )
        for p in spec.scaling_policies
    )
    return DesiredScaling(resource_id, low, high, policies)


def plan_scaling(desired: DesiredScaling, observed: ScalingObservation) -> list[ScalingAction]:
    """The target first (policies need it), then the unwanted policies go, then the
    missing or different ones are put. Empty: as desired."""
    resource = desired.resource_id
    actions: list[ScalingAction] = []
    target = observed.target
    if target is None or target != ObservedTarget(desired.min_capacity, desired.max_capacity):
        actions.append(RegisterTarget(resource, desired.min_capacity, desired.max_capacity))
    wanted = {p.name for p in desired.policies}
    actions.extend(DeletePolicy(resource, p.name) for p in observed.policies if p.name not in wanted)
    # Without its target a policy does not scale anything (AWS deletes them together): put again.
    have = {} if target is None else {p.name: p.tracking for p in observed.policies}
    actions.extend(PutPolicy(resource, p) for p in desired.policies if have.get(p.name) != p)
    return actions


def plan_teardown(resource_id: str, observed: ScalingObservation) -> list[ScalingAction]:
    """Every policy on the service, then its target."""
    actions: list[ScalingAction] = [DeletePolicy(resource_id, p.name) for p in observed.policies]
    if observed.target is not None:
        actions.append(DeregisterTarget(resource_id))
    return actions


def policy_arns(observed: Iterable[ObservedPolicy]) -> dict[str, str]:
    return {p.name: p.arn for p in observed}
