"""What an environment's network status says: outputs and conditions, from one pass's findings.

Pure; the clock is a parameter. Ready means the groups (and, in the organisation
scope, the namespace and discovery service) exist with exactly the desired rules;
allow-list entries that are not addresses make it Degraded, not un-Ready: the
valid rest is applied.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from reconcilers.aws.environment_network.plan import DesiredNetwork, ObservedNetwork
from reconcilers.aws.security_group_rules import Rule
from reconcilers.status import AS_DESIRED, Verdict
from schemas.outputs import EnvironmentNetworkOutputs
from schemas.status import Judgement

READY = "{scope} scope: security groups {groups}{discovery}"
DISCOVERY_READY = "; discoverable as {name}.{namespace}"
RELEASING = "still in use, kept for now: {what}"


@dataclass(frozen=True, slots=True)
class NetworkFindings:
    desired: DesiredNetwork
    observed: ObservedNetwork
    shared_groups: tuple[str, ...]  # the aws-network's, for the shared scope
    done: tuple[str, ...] = ()  # what this pass changed
    pending: str = ""  # why the pass waits for AWS ("" when it does not)
    kept: tuple[str, ...] = ()  # scope keys left whose objects are still in use


def security_group_ids(f: NetworkFindings) -> list[str]:
    """[membership…, ingress]: what the environment's tasks carry."""
    desired, groups = f.desired, f.observed.groups
    if desired.membership is None:
        membership = list(f.shared_groups)
    else:
        found = groups.get(desired.membership.name)
        membership = [found.group_id] if found else []
    ingress = groups.get(desired.ingress.name)
    return [*membership, *([ingress.group_id] if ingress else [])]


def peer_security_group_ids(f: NetworkFindings) -> list[str]:
    """The groups whose members may reach the environment's private resources (database,
    file system): its own tasks' ingress group, plus the membership group when the scope
    shares one on purpose (application, organisation). The shared scope's isolation group
    is everybody's, so it never opens them."""
    desired, groups = f.desired, f.observed.groups
    ingress = groups.get(desired.ingress.name)
    peers = [ingress.group_id] if ingress else []
    if desired.membership is not None and (found := groups.get(desired.membership.name)):
        peers.insert(0, found.group_id)
    return peers


def outputs(f: NetworkFindings) -> EnvironmentNetworkOutputs:
    desired, discovery = f.desired, f.observed.discovery
    return EnvironmentNetworkOutputs(
        ready=not f.pending,
        scope=desired.scope,
        scope_key=desired.scope_key,
        security_group_ids=security_group_ids(f),
        peer_security_group_ids=peer_security_group_ids(f),
        service_registry_arn=discovery.arn if discovery else None,
        namespace_id=f.observed.namespace_id if desired.namespace else None,
        namespace_name=desired.namespace.name if desired.namespace else None,
        retired_scope_keys=list(f.kept),
    )


def judge(f: NetworkFindings) -> Verdict:
    desired = f.desired
    if f.pending:
        progressing: Judgement = (True, "Waiting", f.pending)
    elif f.kept:
        progressing = (True, "ReleasingScope", RELEASING.format(what=", ".join(f.kept)))
    elif f.done:
        progressing = (True, "Converging", "; ".join(f.done))
    else:
        progressing = AS_DESIRED
    degraded = (True, "InvalidAllowList", "; ".join(desired.invalid)) if desired.invalid else AS_DESIRED
    if f.pending:
        return Verdict((False, "Waiting", f.pending), progressing, degraded)
    discovery = ""
    if desired.namespace and desired.discovery and f.observed.discovery:
        discovery = DISCOVERY_READY.format(name=desired.discovery.name, namespace=desired.namespace.name)
    groups = ", ".join(security_group_ids(f))
    ready = (True, "NetworkReady", READY.format(scope=desired.scope, groups=groups, discovery=discovery))
    return Verdict(ready, progressing, degraded)


def describe_rules(rules: Sequence[Rule]) -> str:
    """`tcp/80 from 0.0.0.0/0, all from self` for events."""
    return ", ".join(
        f"{'all' if r.protocol == '-1' else r.protocol}"
        f"{'' if r.from_port is None else '/' + str(r.from_port)} from {r.source}"
        for r in rules
    )


def claimed(
    before: EnvironmentNetworkOutputs, desired: DesiredNetwork, retired: Sequence[str]
) -> EnvironmentNetworkOutputs:
    """The outputs written before anything of a new scope is made: they count the
    environment as a user of its new scope key (and remember the keys it left)."""
    return before.model_copy(
        update={
            "ready": False,
            "scope": desired.scope,
            "scope_key": desired.scope_key,
            "retired_scope_keys": list(retired),
        }
    )
