"""What a resync's network plan says was changed outside berth, as drift (names, counts:
no rule is spelled out, the event says where to look)."""

from collections import defaultdict

from reconcilers.aws.drift import Drift
from reconcilers.aws.environment_network.plan import (
    AuthorizeIngress,
    CreateDiscovery,
    CreateGroup,
    CreateNamespace,
    DeleteDiscovery,
    NetworkAction,
    RevokeIngress,
    UpdateDiscoveryDns,
)

GROUP = "security group {name}"
CLOUD_MAP = "Cloud Map"


def network_drifts(actions: list[NetworkAction]) -> list[Drift]:
    fields: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        match action:
            case CreateGroup(name=name):
                fields[GROUP.format(name=name)].append("the group itself: gone")
            case AuthorizeIngress(group_name=name, rules=rules):
                fields[GROUP.format(name=name)].append(f"ingress rules: {len(rules)} missing")
            case RevokeIngress(group_name=name, rules=rules):
                fields[GROUP.format(name=name)].append(f"ingress rules: {len(rules)} not berth's")
            case CreateNamespace(name=name):
                fields[CLOUD_MAP].append(f"namespace {name}: gone")
            case CreateDiscovery(name=name):
                fields[CLOUD_MAP].append(f"discovery service {name}: gone")
            case UpdateDiscoveryDns():
                fields[CLOUD_MAP].append("discovery service DNS TTL")
            case DeleteDiscovery(service_id=service_id):
                fields[CLOUD_MAP].append(f"discovery service {service_id}: in another namespace")
    return [Drift(resource, tuple(sorted(found))) for resource, found in fields.items()]
