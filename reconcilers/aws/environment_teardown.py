"""Tearing an environment down on ECS: its services deleted, its families' revisions deregistered.

Where to look is what the environment's own status recorded (the cluster, the
service name, the task definition's family), together with the names derived
from the environment now: the two differ for an environment that converged under
an older naming scheme, and both are its own. Nothing here needs the network's
outputs. Every step is safe to replay: whatever is already gone is skipped.

Only what carries the environment's own `berth:environment-id` tag is deleted or
deregistered: a same-named service or revision of another environment, or an
untagged one, is left alone (and named in `left_alone`).
"""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call, call_unless_absent, error_code
from reconcilers.aws.config import AwsConfig
from reconcilers.aws.describe import ServiceDescriber
from reconcilers.aws.environment_observe import active_revisions, describe_task_definition, family_of
from reconcilers.aws.naming import environment_owner, workload_name
from reconcilers.aws.service import ACTIVE, DRAINING
from reconcilers.ports import EnvironmentRecord

SERVICE_GONE_CODES = ("ServiceNotFoundException", "ServiceNotActiveException")


@dataclass(frozen=True, slots=True)
class TeardownTargets:
    cluster: str
    services: tuple[str, ...]
    families: tuple[str, ...]


def _unique(*names: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))


def teardown_targets(
    env: EnvironmentRecord, recorded: Mapping[str, Any], config: AwsConfig
) -> TeardownTargets:
    """`recorded`: the outputs of the environment's last status ({} when it never wrote one)."""
    derived = workload_name(env)
    recorded_arn = recorded.get("taskDefinitionArn")
    return TeardownTargets(
        cluster=recorded.get("clusterArn") or config.cluster_name,
        services=_unique(recorded.get("serviceName"), derived),
        families=_unique(family_of(recorded_arn) if recorded_arn else None, derived),
    )


class TeardownState(Enum):
    GONE = "gone"
    DRAINING = "draining"


@dataclass(frozen=True, slots=True)
class TeardownProgress:
    state: TeardownState
    deleted_services: tuple[str, ...] = ()
    draining: tuple[str, ...] = ()
    deregistered: tuple[str, ...] = ()
    left_alone: tuple[str, ...] = ()  # same-named, but another owner's: services and revision ARNs


async def describe_services(
    describer: ServiceDescriber, cluster: str, names: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """The named services ECS knows (any status); none at all when the cluster is gone."""
    try:
        found = await asyncio.gather(*(describer.describe(cluster, name) for name in names))
    except ClientError as exc:
        if error_code(exc) != "ClusterNotFoundException":
            raise
        return {}  # no cluster, no service
    return {name: description for name, description in zip(names, found, strict=True) if description}


async def tear_down(
    ecs: Any, describer: ServiceDescriber, targets: TeardownTargets, owner: str
) -> TeardownProgress:
    """Delete `owner`'s services (forced: ECS stops their tasks, no scaling to 0 first)
    and deregister its ACTIVE revisions of the families; DRAINING until its services are gone."""
    services = await describe_services(describer, targets.cluster, targets.services)
    deleted, draining, left_alone = [], [], []
    for name, service in services.items():
        status = service.get("status")
        if environment_owner(service.get("tags")) != owner:
            if status in (ACTIVE, DRAINING):
                left_alone.append(name)
            continue
        if status == ACTIVE:
            answer = await call_unless_absent(
                ecs.delete_service,
                absent=SERVICE_GONE_CODES,
                cluster=targets.cluster,
                service=name,
                force=True,
            )
            if answer is not None:
                deleted.append(name)
            status = answer["service"].get("status") if answer else None
        if status == DRAINING:
            draining.append(name)
    deregistered = []
    for family in targets.families:
        for arn in await active_revisions(ecs, family):
            revision = await describe_task_definition(ecs, arn)
            if environment_owner(revision.get("tags")) != owner:
                left_alone.append(arn)
                continue
            await call(ecs.deregister_task_definition, taskDefinition=arn)
            deregistered.append(arn)
    return TeardownProgress(
        TeardownState.DRAINING if draining else TeardownState.GONE,
        deleted_services=tuple(deleted),
        draining=tuple(draining),
        deregistered=tuple(deregistered),
        left_alone=tuple(left_alone),
    )
