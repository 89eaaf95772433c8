"""Scaling policies as Quant Cloud's contract shapes them, and as an environment's spec keeps them.

`SetScalingPolicyRequest` is the body of `PUT …/scaling-policies`; `ScalingPolicy` is one
target-tracking policy in `EnvironmentSpec.scaling_policies`; `GetScalingPolicyResponse`
and `ScalingPolicyListResponse` are what the routes answer.
"""

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, model_validator

from schemas.wire import CamelModel

# Application Auto Scaling takes any printable policy name up to 256 characters; berth
# keeps to characters that read well in an ARN (`…:policyName/<name>`) and a URL.
POLICY_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,255}$"
# berth's bound, not AWS's: a cooldown longer than a day is a mistake, not a wish.
MAX_COOLDOWN_SECONDS = 86_400
DEFAULT_SCALE_IN_COOLDOWN = 300
DEFAULT_SCALE_OUT_COOLDOWN = 60

NEEDS_LOAD_BALANCER = (
    "RPS scaling tracks requests per target of a load balancer's target group "
    "(ALBRequestCountPerTarget); berth runs environments without a load balancer, so it "
    "cannot scale on requests. Use CPUUtilization or MemoryUtilization."
)
NOT_A_PERCENTAGE = "targetValue is a percentage for {metric}: more than 0 and at most 100"

PolicyName = Annotated[str, Field(pattern=POLICY_NAME_PATTERN)]
Cooldown = Annotated[int, Field(ge=0, le=MAX_COOLDOWN_SECONDS)]


class ScalingMetric(StrEnum):
    CPU_UTILIZATION = "CPUUtilization"
    MEMORY_UTILIZATION = "MemoryUtilization"
    RPS = "RPS"


PERCENTAGE_METRICS = (ScalingMetric.CPU_UTILIZATION, ScalingMetric.MEMORY_UTILIZATION)


def default_policy_name(metric: ScalingMetric) -> str:
    """The policy's name when the PUT gives no `?policyName=`: one per metric."""
    return f"{metric.value}-target-tracking"


class SetScalingPolicyRequest(CamelModel):
    """`SetScalingPolicyRequest`: what to track, and how fast to react."""

    metric: ScalingMetric
    target_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    scale_in_cooldown_seconds: Cooldown = DEFAULT_SCALE_IN_COOLDOWN
    scale_out_cooldown_seconds: Cooldown = DEFAULT_SCALE_OUT_COOLDOWN


def untrackable(metric: ScalingMetric, target_value: float) -> tuple[str, str] | None:
    """(field, why) when berth cannot track `metric` at `target_value`; None when it can."""
    if metric not in PERCENTAGE_METRICS:
        return "metric", NEEDS_LOAD_BALANCER
    if target_value > 100:
        return "targetValue", NOT_A_PERCENTAGE.format(metric=metric.value)
    return None


class ScalingPolicy(CamelModel):
    """One target-tracking policy of an environment, as its spec stores it.

    Only what berth can make real: CPU or memory utilisation, as a percentage.
    """

    policy_name: PolicyName
    metric: ScalingMetric
    target_value: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    scale_in_cooldown_seconds: Cooldown = DEFAULT_SCALE_IN_COOLDOWN
    scale_out_cooldown_seconds: Cooldown = DEFAULT_SCALE_OUT_COOLDOWN

    @model_validator(mode="after")
    def _trackable(self) -> Self:
        if problem := untrackable(self.metric, self.target_value):
            raise ValueError(problem[1])
        return self

    @classmethod
    def of(cls, request: SetScalingPolicyRequest, policy_name: str | None = None) -> "ScalingPolicy":
        return cls(
            policy_name=policy_name or default_policy_name(request.metric),
            metric=request.metric,
            target_value=request.target_value,
            scale_in_cooldown_seconds=request.scale_in_cooldown_seconds,
            scale_out_cooldown_seconds=request.scale_out_cooldown_seconds,
        )


def upserted(policies: list[ScalingPolicy], new: ScalingPolicy) -> list[ScalingPolicy]:
    """`new` in place of every policy with its metric or its name (where the first of them
    was), or added at the end: at most one policy per metric and per name."""
    replaced = [p.metric == new.metric or p.policy_name == new.policy_name for p in policies]
    if not any(replaced):
        return [*policies, new]
    first = replaced.index(True)
    kept = [p for p, gone in zip(policies, replaced, strict=True) if not gone]
    return [*kept[:first], new, *kept[first:]]


def matching(
    policies: list[ScalingPolicy], metric: ScalingMetric | None, policy_name: str | None
) -> list[ScalingPolicy]:
    """The policies that match every filter given (all of them when none is)."""
    return [
        p
        for p in policies
        if (metric is None or p.metric == metric) and (policy_name is None or p.policy_name == policy_name)
    ]


class ScalingPolicyQuery(CamelModel):
    """The routes' query parameters: `?metric=` and `?policyName=` (filters, or the PUT's name)."""

    metric: ScalingMetric | None = None
    policy_name: PolicyName | None = None


class PolicyNameQuery(CamelModel):
    """The PUT's query: `?policyName=`, the policy it names (else the metric's default)."""

    policy_name: PolicyName | None = None


class GetScalingPolicyResponse(CamelModel):
    """`GetScalingPolicyResponse`, plus berth's `policyArn`: the policy's ARN once the
    reconciler has put it on AWS (left out until then)."""

    metric: ScalingMetric
    target_value: float
    scale_in_cooldown_seconds: int
    scale_out_cooldown_seconds: int
    policy_name: str
    # Only RPS policies have one (an ALB target group), and berth has none.
    resource_label: str | None = None
    policy_arn: str | None = None


class ScalingPolicyListResponse(CamelModel):
    policies: list[GetScalingPolicyResponse] = Field(default_factory=list)
