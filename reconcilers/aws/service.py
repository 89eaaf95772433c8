"""The ECS service of an environment: desired shape, observed snapshot, and the pure plan.

A service whose status is not ACTIVE (DRAINING, INACTIVE) counts as absent. Only
fields that UpdateService can change are compared; tags and the client token are
set once, at creation (the token hashes the create request, see `naming`). Launch
type is not compared: a service placed through a capacity provider strategy
reports none on AWS (and EC2 on moto).

Capacity provider strategies are compared as sets, with ECS's defaults filled in
(weight 0, base 0) and items that place nothing (weight 0, base 0) left out. A
changed strategy does not by itself start a deployment on ECS: the running tasks
stay where they are. So an update that changes a strategy the service already has
also forces a new deployment, which moves the tasks to the new providers. An
empty observed strategy (a service placed by launch type: moto's CreateService
drops the strategy, on AWS only an out-of-band change gives one) gets the strategy
without a forced deployment; its tasks move at the next deployment.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from reconcilers.aws.naming import environment_owner, service_client_token

ACTIVE = "ACTIVE"
DRAINING = "DRAINING"
PRIMARY = "PRIMARY"
DEFAULT_MAXIMUM_PERCENT = 200
DEFAULT_MINIMUM_HEALTHY_PERCENT = 100


class ServiceField(StrEnum):
    TASK_DEFINITION = "taskDefinition"
    DESIRED_COUNT = "desiredCount"
    CAPACITY_PROVIDER_STRATEGY = "capacityProviderStrategy"
    NETWORK_CONFIGURATION = "networkConfiguration"
    DEPLOYMENT_CONFIGURATION = "deploymentConfiguration"
    PROPAGATE_TAGS = "propagateTags"
    SERVICE_REGISTRIES = "serviceRegistries"


@dataclass(frozen=True, slots=True)
class CapacityProviderItem:
    capacity_provider: str
    weight: int = 1
    base: int = 0


@dataclass(frozen=True, slots=True)
class DeploymentSettings:
    circuit_breaker: bool = True
    rollback: bool = True
    maximum_percent: int = DEFAULT_MAXIMUM_PERCENT
    minimum_healthy_percent: int = DEFAULT_MINIMUM_HEALTHY_PERCENT


@dataclass(frozen=True, slots=True)
class NetworkSettings:
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: bool

    @classmethod
    def of(cls, subnets: Any, security_groups: Any, assign_public_ip: bool) -> "NetworkSettings":
        return cls(tuple(sorted(subnets)), tuple(sorted(security_groups)), assign_public_ip)


@dataclass(frozen=True, slots=True)
class DesiredService:
    name: str
    cluster: str
    task_definition_arn: str
    desired_count: int
    network: NetworkSettings
    capacity_provider_strategy: tuple[CapacityProviderItem, ...] = (CapacityProviderItem("FARGATE"),)
    deployment: DeploymentSettings = DeploymentSettings()
    propagate_tags: str = "SERVICE"
    tags: tuple[tuple[str, str], ...] = ()
    service_registries: tuple[str, ...] = ()  # Cloud Map service ARNs (cross-application discovery)


@dataclass(frozen=True, slots=True)
class ObservedDeployment:
    id: str
    status: str  # PRIMARY, ACTIVE, INACTIVE
    task_definition_arn: str
    rollout_state: str  # IN_PROGRESS, COMPLETED, FAILED; "" when ECS gives none
    rollout_state_reason: str = ""
    desired_count: int = 0
    running_count: int = 0
    failed_tasks: int = 0

    @classmethod
    def from_description(cls, d: Mapping[str, Any]) -> "ObservedDeployment":
        return cls(
            id=d["id"],
            status=d.get("status", ""),
            task_definition_arn=d.get("taskDefinition", ""),
            rollout_state=d.get("rolloutState", ""),
            rollout_state_reason=d.get("rolloutStateReason", ""),
            desired_count=d.get("desiredCount", 0),
            running_count=d.get("runningCount", 0),
            failed_tasks=d.get("failedTasks", 0),
        )


@dataclass(frozen=True, slots=True)
class ObservedService:
    arn: str
    name: str
    cluster_arn: str
    status: str
    task_definition_arn: str
    desired_count: int
    running_count: int
    pending_count: int
    network: NetworkSettings | None
    capacity_provider_strategy: tuple[CapacityProviderItem, ...]
    deployment: DeploymentSettings | None
    propagate_tags: str
    deployments: tuple[ObservedDeployment, ...] = ()
    owner: str = ""  # its berth:environment-id tag; "" when untagged
    created_at: str = ""
    service_registries: tuple[str, ...] = ()

    @property
    def incarnation(self) -> str:
        """Which service of this name it is: a name is reused once a service is deleted."""
        return f"{self.arn}@{self.created_at}"

    def owned_by(self, environment_id: str) -> bool:
        return self.owner == environment_id

    @property
    def primary(self) -> ObservedDeployment | None:
        return next((d for d in self.deployments if d.status == PRIMARY), None)

    @classmethod
    def from_description(cls, d: Mapping[str, Any]) -> "ObservedService":
        awsvpc = (d.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        network = (
            NetworkSettings.of(
                awsvpc.get("subnets") or (),
                awsvpc.get("securityGroups") or (),
                awsvpc.get("assignPublicIp", "DISABLED") == "ENABLED",
            )
            if awsvpc
            else None
        )
        configuration = d.get("deploymentConfiguration")
        deployment = None
        if configuration:
            breaker = configuration.get("deploymentCircuitBreaker") or {}
            deployment = DeploymentSettings(
                circuit_breaker=bool(breaker.get("enable", False)),
                rollback=bool(breaker.get("rollback", False)),
                maximum_percent=configuration.get("maximumPercent", DEFAULT_MAXIMUM_PERCENT),
                minimum_healthy_percent=configuration.get(
                    "minimumHealthyPercent", DEFAULT_MINIMUM_HEALTHY_PERCENT
                ),
            )
        return cls(
            arn=d["serviceArn"],
            name=d["serviceName"],
            cluster_arn=d.get("clusterArn", ""),
            status=d.get("status", ""),
            task_definition_arn=d.get("taskDefinition", ""),
            desired_count=d.get("desiredCount", 0),
            running_count=d.get("runningCount", 0),
            pending_count=d.get("pendingCount", 0),
            network=network,
            capacity_provider_strategy=_strategy(d.get("capacityProviderStrategy") or ()),
            deployment=deployment,
            propagate_tags=d.get("propagateTags", "NONE"),
            deployments=tuple(ObservedDeployment.from_description(x) for x in d.get("deployments") or ()),
            owner=environment_owner(d.get("tags")),
            created_at=str(d.get("createdAt") or ""),
            service_registries=tuple(
                sorted(r["registryArn"] for r in d.get("serviceRegistries") or () if r.get("registryArn"))
            ),
        )


def _strategy(items: Any) -> tuple[CapacityProviderItem, ...]:
    return normalised_strategy(
        CapacityProviderItem(i["capacityProvider"], i.get("weight") or 0, i.get("base") or 0) for i in items
    )


def normalised_strategy(items: Iterable[CapacityProviderItem]) -> tuple[CapacityProviderItem, ...]:
    """Sorted by provider, without items that place no task (weight 0 and base 0)."""
    placing = (i for i in items if i.weight or i.base)
    return tuple(sorted(placing, key=lambda i: (i.capacity_provider, i.weight, i.base)))


@dataclass(frozen=True, slots=True)
class CreateService:
    desired: DesiredService
    replaces: str = ""  # the incarnation of the deleted (or draining) service of that name


@dataclass(frozen=True, slots=True)
class UpdateService:
    desired: DesiredService
    fields: frozenset[ServiceField]
    # set when the service moves to other capacity providers, or a restart is due
    force_new_deployment: bool = False


ServiceAction = CreateService | UpdateService


def differing_fields(desired: DesiredService, observed: ObservedService) -> frozenset[ServiceField]:
    wanted_strategy = normalised_strategy(desired.capacity_provider_strategy)
    comparisons = {
        ServiceField.TASK_DEFINITION: desired.task_definition_arn == observed.task_definition_arn,
        ServiceField.DESIRED_COUNT: desired.desired_count == observed.desired_count,
        ServiceField.CAPACITY_PROVIDER_STRATEGY: wanted_strategy == observed.capacity_provider_strategy,
        ServiceField.NETWORK_CONFIGURATION: desired.network == observed.network,
        ServiceField.DEPLOYMENT_CONFIGURATION: desired.deployment == observed.deployment,
        ServiceField.PROPAGATE_TAGS: desired.propagate_tags == observed.propagate_tags,
        ServiceField.SERVICE_REGISTRIES: tuple(sorted(desired.service_registries))
        == observed.service_registries,
    }
    return frozenset(field for field, same in comparisons.items() if not same)


def plan_service(
    desired: DesiredService, observed: ObservedService | None, restart: bool = False
) -> list[ServiceAction]:
    """Create when absent, one update of the differing fields when present, nothing when
    converged. `restart`: force a new deployment of the present service (a created one
    starts fresh anyway)."""
    if observed is None:
        return [CreateService(desired)]
    if observed.status != ACTIVE:
        return [CreateService(desired, replaces=observed.incarnation)]
    fields = differing_fields(desired, observed)
    if not fields and not restart:
        return []
    moving = ServiceField.CAPACITY_PROVIDER_STRATEGY in fields and bool(observed.capacity_provider_strategy)
    return [UpdateService(desired, fields, force_new_deployment=moving or restart)]


def hold_task_definition(desired: DesiredService, observed: ObservedService | None) -> DesiredService:
    """The desired service, but keeping whatever task definition runs now (see the
    rolled-back rule in `deployments`)."""
    if observed is None or observed.status != ACTIVE:
        return desired
    return replace(desired, task_definition_arn=observed.task_definition_arn)


def _network_request(network: NetworkSettings) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": list(network.subnets),
            "securityGroups": list(network.security_groups),
            "assignPublicIp": "ENABLED" if network.assign_public_ip else "DISABLED",
        }
    }


def _deployment_request(deployment: DeploymentSettings) -> dict[str, Any]:
    return {
        "deploymentCircuitBreaker": {"enable": deployment.circuit_breaker, "rollback": deployment.rollback},
        "maximumPercent": deployment.maximum_percent,
        "minimumHealthyPercent": deployment.minimum_healthy_percent,
    }


def _strategy_request(strategy: tuple[CapacityProviderItem, ...]) -> list[dict[str, Any]]:
    return [{"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base} for i in strategy]


def _field_values(desired: DesiredService) -> dict[ServiceField, Any]:
    return {
        ServiceField.TASK_DEFINITION: desired.task_definition_arn,
        ServiceField.DESIRED_COUNT: desired.desired_count,
        ServiceField.CAPACITY_PROVIDER_STRATEGY: _strategy_request(desired.capacity_provider_strategy),
        ServiceField.NETWORK_CONFIGURATION: _network_request(desired.network),
        ServiceField.DEPLOYMENT_CONFIGURATION: _deployment_request(desired.deployment),
        ServiceField.PROPAGATE_TAGS: desired.propagate_tags,
        ServiceField.SERVICE_REGISTRIES: [{"registryArn": arn} for arn in sorted(desired.service_registries)],
    }


def create_service_request(desired: DesiredService, replaces: str = "") -> dict[str, Any]:
    request = {field.value: value for field, value in _field_values(desired).items()}
    if not desired.service_registries:  # left out: the same request (and token) as before registries
        del request[ServiceField.SERVICE_REGISTRIES.value]
    request.update(
        cluster=desired.cluster,
        serviceName=desired.name,
        tags=[{"key": k, "value": v} for k, v in desired.tags],
    )
    request["clientToken"] = service_client_token(request, replaces)
    return request


def update_service_request(action: UpdateService) -> dict[str, Any]:
    values = _field_values(action.desired)
    request = {field.value: values[field] for field in sorted(action.fields)}
    request.update(cluster=action.desired.cluster, service=action.desired.name)
    if action.force_new_deployment:
        request["forceNewDeployment"] = True
    return request
