"""`AwsConfig`: where and how the AWS reconcilers reach AWS, read once from the environment."""

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"
DEFAULT_CLUSTER = "berth"
DEFAULT_ROLLOUT_POLL_SECONDS = 5.0
DEFAULT_AWS_RATE_SCALE = 1.0  # the most of AWS's request limits berth uses (reconcilers.aws.rate_limits)

HALF_A_NETWORK = "BERTH_SUBNET_IDS and BERTH_SECURITY_GROUP_IDS must be given together"
NOT_A_FLAG = "{name}={value!r} is not a yes/no value (use true/false, 1/0, yes/no, enabled/disabled)"
NOT_A_NUMBER = "{name}={value!r} is not a positive number"

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "enabled"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "disabled"})


@dataclass(frozen=True, slots=True)
class AwsConfig:
    """`endpoint_url` None means real AWS. Without `subnet_ids` berth creates its own
    network (the sandbox); with them it only verifies that they exist.

    Internal images (`imageReference.type = internal`) run from the organisation's ECR
    repository `berth/{organisation}` as ECR reports its URI; `ecr_registry` is only the
    fallback when none is known (`{ecr_registry}/berth/{organisation}:{tag}`).
    """

    region: str = DEFAULT_REGION
    endpoint_url: str | None = None
    cluster_name: str = DEFAULT_CLUSTER
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    assign_public_ip: bool = False
    ecr_registry: str | None = None
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    rollout_poll_seconds: float = DEFAULT_ROLLOUT_POLL_SECONDS
    # Where the edge (CDN) reaches origin-protected ports from, besides each container's
    # own `ipAllow` list.
    edge_cidrs: tuple[str, ...] = ()
    # Client-side request limits at this fraction of AWS's (burst and refill); None: no
    # limiter. `from_env` sets 1.0 against real AWS, none against a simulated endpoint.
    aws_rate_scale: float | None = None

    def __post_init__(self) -> None:
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            raise ValueError(HALF_A_NETWORK)

    @property
    def network_given(self) -> bool:
        return bool(self.subnet_ids)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "AwsConfig":
        """Standard AWS variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION) and
        berth's own: BERTH_ECS_CLUSTER, BERTH_SUBNET_IDS, BERTH_SECURITY_GROUP_IDS,
        BERTH_ASSIGN_PUBLIC_IP (default: yes against a simulated endpoint, else no),
        BERTH_ECR_REGISTRY, BERTH_EXECUTION_ROLE_ARN, BERTH_TASK_ROLE_ARN,
        BERTH_ROLLOUT_POLL_SECONDS, BERTH_EDGE_CIDRS, BERTH_AWS_RATE_SCALE (default: 1.0 against real AWS, no
        client-side limit against a simulated endpoint)."""
        endpoint_url = environ.get("AWS_ENDPOINT_URL") or None
        return cls(
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION,
            endpoint_url=endpoint_url,
            cluster_name=environ.get("BERTH_ECS_CLUSTER") or DEFAULT_CLUSTER,
            subnet_ids=_id_list(environ.get("BERTH_SUBNET_IDS")),
            security_group_ids=_id_list(environ.get("BERTH_SECURITY_GROUP_IDS")),
            assign_public_ip=_flag(environ, "BERTH_ASSIGN_PUBLIC_IP", default=endpoint_url is not None),
            ecr_registry=(environ.get("BERTH_ECR_REGISTRY") or "").rstrip("/") or None,
            execution_role_arn=environ.get("BERTH_EXECUTION_ROLE_ARN") or None,
            task_role_arn=environ.get("BERTH_TASK_ROLE_ARN") or None,
            rollout_poll_seconds=_seconds(
                environ, "BERTH_ROLLOUT_POLL_SECONDS", DEFAULT_ROLLOUT_POLL_SECONDS
            ),
            edge_cidrs=_id_list(environ.get("BERTH_EDGE_CIDRS")),
            aws_rate_scale=_rate_scale(environ, simulated=endpoint_url is not None),
        )


def _id_list(value: str | None) -> tuple[str, ...]:
    return tuple(sorted({part.strip() for part in (value or "").split(",") if part.strip()}))


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = (environ.get(name) or "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ValueError(NOT_A_FLAG.format(name=name, value=environ[name]))


def _rate_scale(environ: Mapping[str, str], *, simulated: bool) -> float | None:
    if not environ.get("BERTH_AWS_RATE_SCALE") and simulated:
        return None
    return _seconds(environ, "BERTH_AWS_RATE_SCALE", DEFAULT_AWS_RATE_SCALE)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        raise ValueError(NOT_A_NUMBER.format(name=name, value=value))
    return seconds
