"""An environment's network, planned: its security groups, their ingress, its service discovery.

Pure. The compose's `enableCrossAppNetworking` puts the environment in its
organisation's scope (it takes priority), `enableCrossEnvNetworking` in its
application's, and neither in the shared scope. Each scope has a *membership*
group every task of the environment carries:

- shared: the aws-network's isolation group, which admits nothing, so members do
  not reach each other (berth never edits or deletes it);
- application / organisation: `berth-app-{application id}` / `berth-org-{organisation}`,
  whose one ingress rule admits the group itself, so its members reach each other.

Each environment also has its own *ingress* group `berth-env-{environment id}`: TCP
on every exposed port, from anywhere, or — for a container with origin protection
— only from its `ipAllow` list and the edge (`rules`).

In the organisation scope the environment is also a Cloud Map service
(`{application}` for production, `{environment}.{application}` otherwise: DNS
labels, so two environments never share a name) in the organisation's private DNS
namespace `{organisation}.berth.internal`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from uuid import NAMESPACE_URL, uuid5

from reconcilers.aws.environment_network.rules import ingress_rules
from reconcilers.aws.security_group_rules import SELF_RULE, Rule, diff_rules
from reconcilers.ports import EnvironmentRecord
from schemas.v3.applications import PRODUCTION
from schemas.v3.compose import Compose

SHARED = "shared"
APPLICATION = "application"
ORGANISATION = "organisation"

APPLICATION_GROUP_PREFIX = "berth-app-"
ORGANISATION_GROUP_PREFIX = "berth-org-"
INGRESS_GROUP_PREFIX = "berth-env-"
NAMESPACE_SUFFIX = ".berth.internal"
SCOPE_KEY_TAG = "berth:network-scope"
DISCOVERY_TTL = 10

APPLICATION_DESCRIPTION = "berth: the environments of one application reach each other"
ORGANISATION_DESCRIPTION = "berth: the applications of one organisation reach each other"
INGRESS_DESCRIPTION = "berth: what reaches one environment's exposed ports"
NAMESPACE_DESCRIPTION = "berth: the applications of one organisation, by name"

NAMESPACE_TOKEN_NAMESPACE = uuid5(NAMESPACE_URL, "berth:servicediscovery:CreatePrivateDnsNamespace")


@dataclass(frozen=True, slots=True)
class DesiredGroup:
    name: str
    description: str
    rules: frozenset[Rule]
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class DesiredDiscovery:
    name: str
    request_id: str  # CreatorRequestId: the environment's id, which also marks ownership
    ttl: int = DISCOVERY_TTL


@dataclass(frozen=True, slots=True)
class DesiredNamespace:
    name: str
    request_id: str  # CreatorRequestId, from the name and the VPC


@dataclass(frozen=True, slots=True)
class DesiredNetwork:
    scope: str
    scope_key: str
    membership: DesiredGroup | None  # None: the aws-network's shared group
    ingress: DesiredGroup
    namespace: DesiredNamespace | None = None  # the organisation's, in the organisation scope
    discovery: DesiredDiscovery | None = None
    invalid: tuple[str, ...] = ()  # why some ipAllow entries were left out


@dataclass(frozen=True, slots=True)
class ObservedGroup:
    group_id: str
    name: str
    rules: frozenset[Rule]


@dataclass(frozen=True, slots=True)
class ObservedDiscovery:
    service_id: str
    arn: str
    name: str
    namespace_id: str
    ttl: int | None  # of its A record; None without one


@dataclass(frozen=True, slots=True)
class ObservedNetwork:
    groups: Mapping[str, ObservedGroup] = field(default_factory=dict)  # by name
    namespace_id: str | None = None  # of the desired namespace, once created
    discovery: ObservedDiscovery | None = None  # the environment's own service, wherever it is


@dataclass(frozen=True, slots=True)
class CreateGroup:
    name: str
    description: str
    tags: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class AuthorizeIngress:
    group_name: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RevokeIngress:
    group_name: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class CreateNamespace:
    name: str
    request_id: str


@dataclass(frozen=True, slots=True)
class CreateDiscovery:
    name: str
    namespace_id: str
    request_id: str
    ttl: int


@dataclass(frozen=True, slots=True)
class UpdateDiscoveryDns:
    service_id: str
    ttl: int


@dataclass(frozen=True, slots=True)
class DeleteDiscovery:
    service_id: str


NetworkAction = (
    CreateGroup | AuthorizeIngress | RevokeIngress | CreateNamespace | CreateDiscovery | UpdateDiscoveryDns
    | DeleteDiscovery
)


# -- scope and names -----------------------------------------------------------------


def network_scope(compose: Compose) -> str:
    if compose.enable_cross_app_networking:
        return ORGANISATION
    if compose.enable_cross_env_networking:
        return APPLICATION
    return SHARED


def scope_key(scope: str, env: EnvironmentRecord) -> str:
    """What environments sharing a membership group have in common; `shared` for the
    aws-network's group. Counted to know when a shared group may go."""
    if scope == APPLICATION:
        return f"{APPLICATION}:{env.application_id}"
    if scope == ORGANISATION:
        return f"{ORGANISATION}:{env.organisation}"
    return SHARED


def scope_of_key(key: str) -> str:
    return key.split(":", 1)[0]


def membership_group_name(key: str) -> str | None:
    """The group a scope key's members carry; None for the shared scope (not berth's to name)."""
    scope, _, value = key.partition(":")
    if scope == APPLICATION:
        return APPLICATION_GROUP_PREFIX + value
    if scope == ORGANISATION:
        return ORGANISATION_GROUP_PREFIX + value
    return None


def namespace_name_of_key(key: str) -> str | None:
    scope, _, value = key.partition(":")
    return f"{value}{NAMESPACE_SUFFIX}" if scope == ORGANISATION else None


def ingress_group_name(env: EnvironmentRecord) -> str:
    return f"{INGRESS_GROUP_PREFIX}{env.id}"


def discovery_name(env: EnvironmentRecord) -> str:
    return env.application if env.name == PRODUCTION else f"{env.name}.{env.application}"


def namespace_request_id(namespace: str, vpc_id: str) -> str:
    """CreatorRequestId: the same namespace in the same VPC asks with the same id, so a
    replayed create is recognised as a duplicate rather than made twice."""
    return str(uuid5(NAMESPACE_TOKEN_NAMESPACE, f"{namespace}\n{vpc_id}"))


# -- desired state ---------------------------------------------------------------------


def desired_network(
    env: EnvironmentRecord, base_tags: Mapping[str, str], vpc_id: str, edge_cidrs: Iterable[str] = ()
) -> DesiredNetwork:
    """`base_tags`: berth's ownership tags (managed-by, app id, environment id)."""
    compose = env.spec.compose
    scope = network_scope(compose)
    key = scope_key(scope, env)
    rules, invalid = ingress_rules(compose.containers, edge_cidrs)
    ingress_name = ingress_group_name(env)
    ingress = DesiredGroup(
        name=ingress_name,
        description=INGRESS_DESCRIPTION,
        rules=rules,
        tags=tuple(sorted({**base_tags, "Name": ingress_name}.items())),
    )
    membership_name = membership_group_name(key)
    membership = None
    if membership_name is not None:
        shared_tags = {k: v for k, v in base_tags.items() if k == "berth:managed-by"}
        if scope == APPLICATION:
            shared_tags.update({k: v for k, v in base_tags.items() if k == "berth:app-id"})
        membership = DesiredGroup(
            name=membership_name,
            description=APPLICATION_DESCRIPTION if scope == APPLICATION else ORGANISATION_DESCRIPTION,
            rules=frozenset({SELF_RULE}),
            tags=tuple(sorted({**shared_tags, "Name": membership_name, SCOPE_KEY_TAG: key}.items())),
        )
    namespace_name = namespace_name_of_key(key)
    namespace, discovery = None, None
    if namespace_name is not None:
        namespace = DesiredNamespace(namespace_name, namespace_request_id(namespace_name, vpc_id))
        discovery = DesiredDiscovery(discovery_name(env), str(env.id))
    return DesiredNetwork(scope, key, membership, ingress, namespace, discovery, invalid)


# -- the plan ---------------------------------------------------------------------------


def plan_group(desired: DesiredGroup, observed: ObservedGroup | None) -> list[NetworkAction]:
    if observed is None:
        return [CreateGroup(desired.name, desired.description, desired.tags)]
    actions: list[NetworkAction] = []
    change = diff_rules(desired.rules, observed.rules)
    if change.revoke:
        actions.append(RevokeIngress(desired.name, change.revoke))
    if change.authorize:
        actions.append(AuthorizeIngress(desired.name, change.authorize))
    return actions


def plan_environment_network(desired: DesiredNetwork, observed: ObservedNetwork) -> list[NetworkAction]:
    """What to do now; what needs an id made by this round (a new group's rules, the
    service in a new namespace) comes in the next round."""
    actions: list[NetworkAction] = []
    for group in (desired.membership, desired.ingress):
        if group is not None:
            actions.extend(plan_group(group, observed.groups.get(group.name)))
    found = observed.discovery
    wanted = desired.discovery
    if found is not None and (wanted is None or found.namespace_id != observed.namespace_id):
        actions.append(DeleteDiscovery(found.service_id))  # left the organisation's scope
        found = None
    if desired.namespace is None or wanted is None:
        return actions
    if observed.namespace_id is None:
        actions.append(CreateNamespace(desired.namespace.name, desired.namespace.request_id))
        return actions
    if found is None:
        actions.append(CreateDiscovery(wanted.name, observed.namespace_id, wanted.request_id, wanted.ttl))
    elif found.ttl != wanted.ttl:
        actions.append(UpdateDiscoveryDns(found.service_id, wanted.ttl))
    return actions


def releasable(retired: Iterable[str], current_key: str) -> tuple[str, ...]:
    """Scope keys this environment left whose shared objects it should try to release:
    never the shared scope's, never the one it is in again."""
    return tuple(dict.fromkeys(k for k in retired if k != current_key and k != SHARED))
