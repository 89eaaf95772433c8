"""Performing one planned network action on EC2 or Cloud Map, and saying what it did."""

from dataclasses import dataclass
from typing import Any

from reconcilers.aws.environment_network.plan import (
    NAMESPACE_DESCRIPTION,
    AuthorizeIngress,
    CreateDiscovery,
    CreateGroup,
    CreateNamespace,
    DeleteDiscovery,
    NetworkAction,
    ObservedNetwork,
    RevokeIngress,
    UpdateDiscoveryDns,
)
from reconcilers.aws.environment_network.status import describe_rules
from reconcilers.aws.naming import MANAGED_BY, MANAGED_BY_KEY, ownership_tags
from reconcilers.aws.security_groups import authorize_ingress, create_group, revoke_ingress
from reconcilers.aws.service_discovery import (
    create_discovery,
    create_namespace,
    delete_discovery,
    update_discovery_dns,
)
from reconcilers.ports import EnvironmentRecord

ORGANISATION_TAG = "berth:organisation"

GROUP_CREATED = "created security group {name} ({id})"
INGRESS_AUTHORIZED = "security group {name}: allowed {rules}"
INGRESS_REVOKED = "security group {name}: revoked {rules}"
NAMESPACE_CREATED = "created private DNS namespace {name} ({id})"
NAMESPACE_PENDING = "namespace {name} is being created (operation {operation})"
DISCOVERY_CREATED = "created discovery service {name} ({arn})"
DISCOVERY_UPDATED = "discovery service {id}: A record TTL set to {ttl}"
DISCOVERY_DELETED = "deleted discovery service {id}"
DISCOVERY_IN_USE = "discovery service {id} still has instances"


@dataclass(frozen=True, slots=True)
class Applied:
    done: str  # for the Progressing message and the log
    event: tuple[str, str] | None = None  # (reason, message) when something changed
    pending: str = ""  # why the pass must wait for AWS
    namespace_id: str | None = None  # made by this action
    service_id: str | None = None  # made by this action


@dataclass(frozen=True, slots=True)
class NetworkTarget:
    clients: Any  # ec2 and servicediscovery
    env: EnvironmentRecord
    vpc_id: str


async def apply_network_action(
    target: NetworkTarget, action: NetworkAction, observed: ObservedNetwork
) -> Applied:
    ec2, sd, env = target.clients.ec2, target.clients.servicediscovery, target.env
    match action:
        case CreateGroup(name=name, description=description, tags=tags):
            group_id, made = await create_group(ec2, target.vpc_id, name, description, tags)
            event = ("SecurityGroupCreated", GROUP_CREATED.format(name=name, id=group_id)) if made else None
            return Applied(f"create {name}", event)
        case AuthorizeIngress(group_name=name, rules=rules):
            await authorize_ingress(ec2, observed.groups[name].group_id, rules)
            message = INGRESS_AUTHORIZED.format(name=name, rules=describe_rules(rules))
            return Applied(f"authorize {len(rules)} rules on {name}", ("IngressAuthorized", message))
        case RevokeIngress(group_name=name, rules=rules):
            await revoke_ingress(ec2, observed.groups[name].group_id, rules)
            message = INGRESS_REVOKED.format(name=name, rules=describe_rules(rules))
            return Applied(f"revoke {len(rules)} rules on {name}", ("IngressRevoked", message))
        case CreateNamespace(name=name, request_id=request_id):
            tags = ((MANAGED_BY_KEY, MANAGED_BY), (ORGANISATION_TAG, env.organisation))
            progress = await create_namespace(
                sd, name, target.vpc_id, request_id, NAMESPACE_DESCRIPTION, tags
            )
            if progress.namespace_id is None:
                pending = NAMESPACE_PENDING.format(name=name, operation=progress.operation_id)
                return Applied(f"create namespace {name}", pending=pending)
            message = NAMESPACE_CREATED.format(name=name, id=progress.namespace_id)
            return Applied(
                f"create namespace {name}", ("NamespaceCreated", message), namespace_id=progress.namespace_id
            )
        case CreateDiscovery(name=name, namespace_id=namespace_id, request_id=request_id, ttl=ttl):
            tags = tuple(sorted(ownership_tags(env).items()))
            made = await create_discovery(sd, name, namespace_id, request_id, tags, ttl)
            message = DISCOVERY_CREATED.format(name=name, arn=made.arn)
            event = ("DiscoveryServiceCreated", message)
            return Applied(f"create discovery service {name}", event, service_id=made.service_id)
        case UpdateDiscoveryDns(service_id=service_id, ttl=ttl):
            await update_discovery_dns(sd, service_id, ttl)
            message = DISCOVERY_UPDATED.format(id=service_id, ttl=ttl)
            return Applied(f"update discovery service {service_id}", ("DiscoveryServiceUpdated", message))
        case DeleteDiscovery(service_id=service_id):
            deleted = await delete_discovery(sd, service_id)
            if deleted is False:
                return Applied("", pending=DISCOVERY_IN_USE.format(id=service_id))
            event = ("DiscoveryServiceDeleted", DISCOVERY_DELETED.format(id=service_id)) if deleted else None
            return Applied(f"delete discovery service {service_id}", event)
    raise AssertionError(f"unplanned action {action!r}")
