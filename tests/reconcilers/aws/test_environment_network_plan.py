"""An environment's network, planned (pure): scope, names, ingress rules, actions."""

from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.environment_network.plan import (
    AuthorizeIngress,
    CreateDiscovery,
    CreateGroup,
    CreateNamespace,
    DeleteDiscovery,
    ObservedDiscovery,
    ObservedGroup,
    ObservedNetwork,
    RevokeIngress,
    UpdateDiscoveryDns,
    desired_network,
    discovery_name,
    membership_group_name,
    network_scope,
    plan_environment_network,
    releasable,
    scope_key,
)
from reconcilers.aws.environment_network.rules import ANYWHERE, cidr_source, ingress_rules
from reconcilers.aws.security_group_rules import SELF_RULE, Rule, permissions_of, rules_of, tcp
from schemas.v3.compose import Container, OriginProtectionConfig
from tests.reconcilers.aws.factories import APPLICATION_ID, ENVIRONMENT_ID, environment, web_container

TAGS = {"berth:managed-by": "berth", "berth:app-id": str(APPLICATION_ID), "berth:environment-id": str(ENVIRONMENT_ID)}
VPC = "vpc-1"
INGRESS = f"berth-env-{ENVIRONMENT_ID}"
APP_GROUP = f"berth-app-{APPLICATION_ID}"


def container(**overrides) -> Container:
    return Container.model_validate(web_container(**overrides))


def unchecked_container(*, originProtectionConfig: dict) -> Container:
    """A container whose allow list skipped validation."""
    config = OriginProtectionConfig.model_construct(enabled=True, ip_allow=originProtectionConfig["ipAllow"])
    return container().model_copy(update={"origin_protection_config": config})


def env_with(*, cross_env: bool = False, cross_app: bool = False, name: str = "production", containers=None):
    compose = {"enableCrossEnvNetworking": cross_env, "enableCrossAppNetworking": cross_app}
    return environment(containers, compose=compose, name=name)


# -- scope ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "cross_env", "cross_app", "scope", "key", "group"),
    [
        ("default: the shared isolation group", False, False, "shared", "shared", None),
        ("cross-env: the application's group", True, False, "application", f"application:{APPLICATION_ID}", APP_GROUP),
        ("cross-app: the organisation's group", False, True, "organisation", "organisation:acme", "berth-org-acme"),
        ("cross-app takes priority", True, True, "organisation", "organisation:acme", "berth-org-acme"),
    ],
)
def test_scope(reason, cross_env, cross_app, scope, key, group):
    env = env_with(cross_env=cross_env, cross_app=cross_app)
    assert network_scope(env.spec.compose) == scope, reason
    assert scope_key(scope, env) == key, reason
    assert membership_group_name(key) == group, reason


def test_discovery_names_never_collide():
    """`shop-api` production and `shop`'s `api` environment would both be `shop-api` with a dash."""
    assert discovery_name(environment(application="shop-api")) == "shop-api"
    assert discovery_name(environment(application="shop", name="api")) == "api.shop"


# -- ingress rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class RulesCase:
    reason: str
    containers: list
    rules: set
    invalid: int = 0


RULE_CASES = [
    RulesCase("no exposed port, no rule", [container(exposedPorts=None)], set()),
    RulesCase("exposed ports open to everyone", [container(exposedPorts=[80, 443])], {tcp(80, "cidr", ANYWHERE), tcp(443, "cidr", ANYWHERE)}),
    RulesCase(
        "every container's ports",
        [container(exposedPorts=[80]), container(name="api", exposedPorts=[8080])],
        {tcp(80, "cidr", ANYWHERE), tcp(8080, "cidr", ANYWHERE)},
    ),
    RulesCase("originProtection without allow list: closed", [container(originProtection=True)], set()),
    RulesCase(
        "originProtectionConfig: only the allow list, normalised (bare address → /32, host bits cleared, IPv6)",
        [container(originProtectionConfig={"ipAllow": ["203.0.113.7", "198.51.100.9/24", "2001:db8::/32"]})],
        {tcp(80, "cidr", "203.0.113.7/32"), tcp(80, "cidr", "198.51.100.0/24"), tcp(80, "cidr6", "2001:db8::/32")},
    ),
    RulesCase(
        "a disabled config is no protection",
        [container(originProtectionConfig={"enabled": False, "ipAllow": ["10.0.0.0/8"]})],
        {tcp(80, "cidr", ANYWHERE)},
    ),
    RulesCase(
        "bad entries are reported and left out, good ones kept",
        # The API refuses such entries; the plan still never lets one through.
        [unchecked_container(originProtectionConfig={"ipAllow": ["not-an-ip", "10.0.0.0/33", "10.1.0.0/16"]})],
        {tcp(80, "cidr", "10.1.0.0/16")},
        invalid=2,
    ),
    RulesCase(
        "a port an unprotected container also exposes stays public",
        [container(exposedPorts=[80]), container(name="admin", exposedPorts=[80, 9000], originProtection=True,
                                                 originProtectionConfig={"ipAllow": ["10.0.0.1"]})],
        {tcp(80, "cidr", ANYWHERE), tcp(9000, "cidr", "10.0.0.1/32")},
    ),
]


@pytest.mark.parametrize("case", RULE_CASES, ids=lambda c: c.reason)
def test_ingress_rules(case):
    rules, invalid = ingress_rules(case.containers)
    assert rules == case.rules
    assert len(invalid) == case.invalid


def test_edge_cidrs_reach_protected_ports():
    rules, _ = ingress_rules([container(originProtection=True)], edge_cidrs=["130.176.0.0/16"])
    assert rules == {tcp(80, "cidr", "130.176.0.0/16")}


def test_cidr_source():
    assert cidr_source(" 10.0.0.5 ") == ("cidr", "10.0.0.5/32")
    assert cidr_source("::1") == ("cidr6", "::1/128")
    assert cidr_source("10.0.0.0/40") is None


def test_rules_round_trip_through_ec2_permissions():
    rules = {SELF_RULE, tcp(80, "cidr", ANYWHERE), tcp(443, "cidr6", "::/0"), Rule("tcp", 1, 2, "group", "sg-other"),
             Rule("udp", 53, 53, "prefix", "pl-1")}
    permissions = permissions_of(rules, "sg-me")
    assert rules_of(permissions, "sg-me") == rules
    assert {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-me"}]} in permissions


# -- actions ----------------------------------------------------------------------------


def converged_groups(desired) -> dict:
    groups = {desired.ingress.name: ObservedGroup("sg-env", desired.ingress.name, desired.ingress.rules)}
    if desired.membership:
        groups[desired.membership.name] = ObservedGroup("sg-scope", desired.membership.name, desired.membership.rules)
    return groups


SHARED_DESIRED = desired_network(env_with(), TAGS, VPC)
APP_DESIRED = desired_network(env_with(cross_env=True), TAGS, VPC)
ORG_DESIRED = desired_network(env_with(cross_app=True, name="staging"), TAGS, VPC)
DISCOVERY = ObservedDiscovery("srv-1", "arn:service/srv-1", "staging.shop", "ns-1", 10)


@dataclass(frozen=True)
class PlanCase:
    reason: str
    desired: object
    observed: ObservedNetwork
    want: list


PLAN_CASES = [
    PlanCase("shared, nothing yet: only the ingress group (the shared one is not berth's)", SHARED_DESIRED,
             ObservedNetwork(), [CreateGroup(INGRESS, SHARED_DESIRED.ingress.description, SHARED_DESIRED.ingress.tags)]),
    PlanCase("shared, new ingress group: its rules", SHARED_DESIRED,
             ObservedNetwork({INGRESS: ObservedGroup("sg-env", INGRESS, frozenset())}),
             [AuthorizeIngress(INGRESS, (tcp(80, "cidr", ANYWHERE),))]),
    PlanCase("shared, converged", SHARED_DESIRED, ObservedNetwork(converged_groups(SHARED_DESIRED)), []),
    PlanCase("drift: an extra rule revoked, a missing one put back", SHARED_DESIRED,
             ObservedNetwork({INGRESS: ObservedGroup("sg-env", INGRESS, frozenset({tcp(22, "cidr", ANYWHERE)}))}),
             [RevokeIngress(INGRESS, (tcp(22, "cidr", ANYWHERE),)), AuthorizeIngress(INGRESS, (tcp(80, "cidr", ANYWHERE),))]),
    PlanCase("application: its group is created with the ingress group", APP_DESIRED, ObservedNetwork(),
             [CreateGroup(APP_GROUP, APP_DESIRED.membership.description, APP_DESIRED.membership.tags),
              CreateGroup(INGRESS, APP_DESIRED.ingress.description, APP_DESIRED.ingress.tags)]),
    PlanCase("application: a new group admits itself", APP_DESIRED,
             ObservedNetwork({**converged_groups(APP_DESIRED), APP_GROUP: ObservedGroup("sg-app", APP_GROUP, frozenset())}),
             [AuthorizeIngress(APP_GROUP, (SELF_RULE,))]),
    PlanCase("organisation: no namespace yet", ORG_DESIRED, ObservedNetwork(converged_groups(ORG_DESIRED)),
             [CreateNamespace("acme.berth.internal", ORG_DESIRED.namespace.request_id)]),
    PlanCase("organisation: the service once the namespace has an id", ORG_DESIRED,
             ObservedNetwork(converged_groups(ORG_DESIRED), namespace_id="ns-1"),
             [CreateDiscovery("staging.shop", "ns-1", str(ENVIRONMENT_ID), 10)]),
    PlanCase("organisation: converged", ORG_DESIRED,
             ObservedNetwork(converged_groups(ORG_DESIRED), namespace_id="ns-1", discovery=DISCOVERY), []),
    PlanCase("organisation: a TTL changed out of band is put back", ORG_DESIRED,
             ObservedNetwork(converged_groups(ORG_DESIRED), namespace_id="ns-1", discovery=replace(DISCOVERY, ttl=300)),
             [UpdateDiscoveryDns("srv-1", 10)]),
    PlanCase("left the organisation scope: its service goes", APP_DESIRED,
             ObservedNetwork(converged_groups(APP_DESIRED), discovery=DISCOVERY), [DeleteDiscovery("srv-1")]),
]


@pytest.mark.parametrize("case", PLAN_CASES, ids=lambda c: c.reason)
def test_plan(case):
    assert plan_environment_network(case.desired, case.observed) == case.want


def test_namespace_request_id_is_deterministic_per_vpc():
    again = desired_network(env_with(cross_app=True, name="other"), TAGS, VPC)
    elsewhere = desired_network(env_with(cross_app=True), TAGS, "vpc-2")
    assert again.namespace.request_id == ORG_DESIRED.namespace.request_id
    assert elsewhere.namespace.request_id != ORG_DESIRED.namespace.request_id


def test_releasable():
    assert releasable(["shared", "application:a", "application:a", "organisation:o"], "organisation:o") == (
        "application:a",
    )


# -- property: applying a plan converges ----------------------------------------------------


def apply(observed: ObservedNetwork, actions) -> ObservedNetwork:
    """What AWS would hold after the actions (a simulation of their effects)."""
    groups = dict(observed.groups)
    namespace_id, discovery = observed.namespace_id, observed.discovery
    for action in actions:
        match action:
            case CreateGroup(name=name):
                groups[name] = ObservedGroup(f"sg-{len(groups)}", name, frozenset())
            case AuthorizeIngress(group_name=name, rules=rules):
                groups[name] = replace(groups[name], rules=groups[name].rules | set(rules))
            case RevokeIngress(group_name=name, rules=rules):
                groups[name] = replace(groups[name], rules=groups[name].rules - set(rules))
            case CreateNamespace():
                namespace_id = "ns-new"
            case CreateDiscovery(name=name, namespace_id=ns, ttl=ttl):
                discovery = ObservedDiscovery("srv-new", "arn:srv-new", name, ns, ttl)
            case UpdateDiscoveryDns(ttl=ttl):
                discovery = replace(discovery, ttl=ttl)
            case DeleteDiscovery():
                discovery = None
    return ObservedNetwork(groups, namespace_id, discovery)


ports = st.lists(st.integers(1, 65535), max_size=3)
allow = st.lists(st.sampled_from(["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "192.168.1.1/24"]), max_size=3)


@st.composite
def compose_containers(draw):
    count = draw(st.integers(1, 3))
    result = []
    for index in range(count):
        overrides = {"name": f"c{index}", "exposedPorts": draw(st.none() | ports),
                     "originProtection": draw(st.booleans())}
        if draw(st.booleans()):
            overrides["originProtectionConfig"] = {"enabled": draw(st.booleans()), "ipAllow": draw(st.none() | allow)}
        result.append(web_container(**overrides))
    return result


rules = st.builds(tcp, st.integers(1, 65535), st.just("cidr"), st.sampled_from([ANYWHERE, "10.0.0.0/8"])) | st.just(SELF_RULE)


@st.composite
def observations(draw, desired):
    groups = {}
    for group in (desired.membership, desired.ingress):
        if group is not None and draw(st.booleans()):
            groups[group.name] = ObservedGroup(f"sg-{group.name}", group.name, frozenset(draw(st.lists(rules, max_size=4))))
    namespace_id = draw(st.none() | st.just("ns-1"))
    discovery = draw(st.none() | st.builds(ObservedDiscovery, st.just("srv-1"), st.just("arn:srv-1"), st.just("x"),
                                           st.sampled_from(["ns-1", "ns-other"]), st.none() | st.integers(1, 600)))
    return ObservedNetwork(groups, namespace_id, discovery)


@given(st.data(), compose_containers(), st.booleans(), st.booleans())
def test_applying_the_plan_converges(data, containers, cross_env, cross_app):
    desired = desired_network(env_with(cross_env=cross_env, cross_app=cross_app, containers=containers), TAGS, VPC)
    observed = data.draw(observations(desired))
    for _ in range(3):  # rounds: a new group's rules and a new namespace's service come next round
        observed = apply(observed, plan_environment_network(desired, observed))
    assert plan_environment_network(desired, observed) == []
