"""Observing an environment on ECS: its service and its family's latest ACTIVE revision.

The family is not looked up when the service runs `settled_arn`, the revision an
earlier pass registered (or found) for the very definition this pass renders (the
caller compares fingerprints): a revision never changes once registered, so there
is nothing newer to compare with. A service pointed elsewhere out of band is still
seen, in the service's own description. Changes nothing. Returns a frozen snapshot the pure plans work from; `claim` then
keeps only what is the environment's own (by its `berth:environment-id` tag).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from reconcilers.aws.calls import call
from reconcilers.aws.deployments import revision
from reconcilers.aws.describe import ServiceDescriber
from reconcilers.aws.naming import environment_owner, owner_name
from reconcilers.aws.service import ACTIVE, DRAINING, ObservedService
from reconcilers.aws.task_definition import deployed_image_tag
from reconcilers.results import PermanentError

NAME_OWNED_ELSEWHERE = "NameOwnedElsewhere"
SERVICE_OWNED_ELSEWHERE = (
    "the ECS service {name} already exists and belongs to {owner}; berth will not change it"
)
FAMILY_OWNED_ELSEWHERE = (
    "the task definition family {family} already exists and its latest revision {arn} belongs to "
    "{owner}; berth will not register into it"
)


@dataclass(frozen=True, slots=True)
class EnvironmentObservation:
    service: ObservedService | None  # None: ECS has never heard of it (or, once claimed, it is not ours)
    latest_task_definition: Mapping[str, Any] | None  # the family's latest ACTIVE revision
    image_tags: Mapping[str, str] = field(default_factory=dict)  # task-definition ARN → image tag
    name_draining: bool = False  # a service of this name (ours or not) is still DRAINING
    # The revision the service runs, known to be the rendered definition: the family was
    # not looked up (`latest_task_definition` is None then).
    settled_task_definition: str | None = None


def family_of(task_definition_arn: str) -> str:
    """`arn:aws:ecs:…:task-definition/family:3` → `family`."""
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


async def active_revisions(ecs: Any, family: str, *, latest_only: bool = False) -> list[str]:
    """The family's ACTIVE revision ARNs, newest first."""
    arguments: dict[str, Any] = {"familyPrefix": family, "status": "ACTIVE", "sort": "DESC"}
    if latest_only:
        arguments["maxResults"] = 1
    arns: list[str] = []
    while True:
        page = await call(ecs.list_task_definitions, **arguments)
        # Exact family only: a prefix match must not pick up `family2`.
        arns.extend(a for a in page.get("taskDefinitionArns", ()) if family_of(a) == family)
        token = page.get("nextToken")
        if not token or (latest_only and arns):
            break
        arguments["nextToken"] = token
    # Not every ECS (moto) honours `sort`; order by revision ourselves.
    return sorted(arns, key=revision, reverse=True)


async def describe_task_definition(ecs: Any, arn: str) -> dict[str, Any]:
    answer = await call(ecs.describe_task_definition, taskDefinition=arn, include=["TAGS"])
    return {**answer["taskDefinition"], "tags": answer.get("tags", [])}


async def observe_environment(
    ecs: Any,
    describer: ServiceDescriber,
    *,
    cluster: str,
    service_name: str,
    family: str,
    known_task_definitions: Collection[str] = (),
    settled_arn: str | None = None,
) -> EnvironmentObservation:
    """`known_task_definitions`: ARNs whose image tag berth already holds; the others that
    the service's deployments run are described once to learn theirs. `settled_arn`: the
    revision already registered for the rendered definition, if one is known."""
    description = await describe_service(describer, cluster, service_name)
    settled = settled_arn if _runs(description, settled_arn) else None
    latest: dict[str, Any] | None = None
    if settled is None:
        latest_arns = await active_revisions(ecs, family, latest_only=True)
        latest = await describe_task_definition(ecs, latest_arns[0]) if latest_arns else None
    image_tags: dict[str, str] = {}
    if latest is not None:
        image_tags[latest["taskDefinitionArn"]] = deployed_image_tag(latest)
    for deployment in description.deployments if description else ():
        arn = deployment.task_definition_arn
        if arn and arn not in image_tags and arn not in known_task_definitions:
            image_tags[arn] = deployed_image_tag(await describe_task_definition(ecs, arn))
    return EnvironmentObservation(
        service=description, latest_task_definition=latest, image_tags=image_tags, settled_task_definition=settled
    )


def _runs(service: ObservedService | None, arn: str | None) -> bool:
    """The ACTIVE service is on `arn` (its PRIMARY deployment's revision included)."""
    if not arn or service is None or service.status != ACTIVE or service.task_definition_arn != arn:
        return False
    return service.primary is None or service.primary.task_definition_arn == arn


def claim(observation: EnvironmentObservation, environment_id: str) -> EnvironmentObservation:
    """The observation as far as it is `environment_id`'s.

    An ACTIVE service, or a family whose latest ACTIVE revision, tagged for another
    environment (or not tagged at all) is never touched: `PermanentError`. A same-named
    service that is no longer ACTIVE (a deleted environment's) is no obstacle and not
    ours to follow: it counts as absent, though a DRAINING one must finish first."""
    service, latest = observation.service, observation.latest_task_definition
    if service is not None and not service.owned_by(environment_id):
        if service.status == ACTIVE:
            message = SERVICE_OWNED_ELSEWHERE.format(name=service.name, owner=owner_name(service.owner))
            raise PermanentError(NAME_OWNED_ELSEWHERE, message)
        service = None
    if latest is not None and environment_owner(latest.get("tags")) != environment_id:
        owner = owner_name(environment_owner(latest.get("tags")))
        message = FAMILY_OWNED_ELSEWHERE.format(
            family=latest.get("family"), arn=latest.get("taskDefinitionArn"), owner=owner
        )
        raise PermanentError(NAME_OWNED_ELSEWHERE, message)
    return replace(
        observation,
        service=service,
        name_draining=observation.service is not None and observation.service.status == DRAINING,
    )


async def describe_service(describer: ServiceDescriber, cluster: str, name: str) -> ObservedService | None:
    description = await describer.describe(cluster, name)
    return ObservedService.from_description(description) if description else None
