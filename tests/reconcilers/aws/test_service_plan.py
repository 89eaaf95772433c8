"""The ECS service plan (pure): table cases and the convergence property."""

from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcilers.aws.capacity import STRATEGIES, capacity_provider_strategy
from reconcilers.aws.service import (
    CapacityProviderItem,
    CreateService,
    DeploymentSettings,
    DesiredService,
    NetworkSettings,
    ObservedService,
    ServiceField,
    UpdateService,
    create_service_request,
    hold_task_definition,
    plan_service,
    update_service_request,
)
from schemas.v3.compose import SpotStrategy

TD1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/acme_shop_production:1"
TD2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/acme_shop_production:2"
DESIRED = DesiredService(
    name="acme_shop_production",
    cluster="arn:aws:ecs:us-east-1:123456789012:cluster/berth",
    task_definition_arn=TD2,
    desired_count=2,
    network=NetworkSettings.of(["subnet-b", "subnet-a"], ["sg-1"], True),
    tags=(("berth:managed-by", "berth"),),
)
CREATED_AT = "2026-01-01 00:00:00+00:00"
ARN = "arn:aws:ecs:us-east-1:123456789012:service/berth/acme_shop_production"


def described(desired: DesiredService, **overrides: Any) -> dict[str, Any]:
    """DescribeServices' answer for a service created with everything `desired` asks."""
    request = create_service_request(desired)
    description = {
        "serviceArn": f"arn:aws:ecs:us-east-1:123456789012:service/berth/{desired.name}",
        "createdAt": CREATED_AT,
        "serviceName": desired.name,
        "clusterArn": desired.cluster,
        "status": "ACTIVE",
        "taskDefinition": request["taskDefinition"],
        "desiredCount": request["desiredCount"],
        "runningCount": 0,
        "pendingCount": 0,
        "capacityProviderStrategy": request["capacityProviderStrategy"],
        "networkConfiguration": request["networkConfiguration"],
        "deploymentConfiguration": request["deploymentConfiguration"],
        "propagateTags": request["propagateTags"],
        "deployments": [],
    }
    description.update(overrides)
    return description


def observed(desired: DesiredService = DESIRED, **overrides: Any) -> ObservedService:
    return ObservedService.from_description(described(desired, **overrides))


@dataclass(frozen=True)
class Case:
    reason: str
    observed: ObservedService | None
    want: list


CASES = [
    Case("no service yet: create it", None, [CreateService(DESIRED)]),
    Case(
        "a deleted (INACTIVE) service counts as absent; the create says which one it replaces",
        observed(status="INACTIVE"),
        [CreateService(DESIRED, replaces=f"{ARN}@{CREATED_AT}")],
    ),
    Case(
        "a DRAINING service counts as absent",
        observed(status="DRAINING"),
        [CreateService(DESIRED, replaces=f"{ARN}@{CREATED_AT}")],
    ),
    Case("converged: nothing to do", observed(), []),
    Case(
        "subnet and security-group order does not matter",
        observed(
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": ["subnet-a", "subnet-b"],
                    "securityGroups": ["sg-1"],
                    "assignPublicIp": "ENABLED",
                }
            }
        ),
        [],
    ),
    Case(
        "AWS's defaults (launch type, base 0, percentages) are not differences",
        observed(
            launchType="EC2",
            capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
            deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
        ),
        [],
    ),
    Case(
        "moto's create drops the capacity providers and the circuit breaker: one update",
        observed(capacityProviderStrategy=[], deploymentConfiguration=None),
        [
            UpdateService(
                DESIRED,
                frozenset({ServiceField.CAPACITY_PROVIDER_STRATEGY, ServiceField.DEPLOYMENT_CONFIGURATION}),
            )
        ],
    ),
    Case(
        "a new task definition",
        observed(taskDefinition=TD1),
        [UpdateService(DESIRED, frozenset({ServiceField.TASK_DEFINITION}))],
    ),
    Case(
        "a new desired count and no public IP",
        observed(
            desiredCount=1,
            networkConfiguration={
                "awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"]}
            },
        ),
        [UpdateService(DESIRED, frozenset({ServiceField.DESIRED_COUNT, ServiceField.NETWORK_CONFIGURATION}))],
    ),
    Case(
        "a circuit breaker without rollback",
        observed(deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": False}}),
        [UpdateService(DESIRED, frozenset({ServiceField.DEPLOYMENT_CONFIGURATION}))],
    ),
    Case(
        "tags that do not propagate",
        observed(propagateTags="NONE"),
        [UpdateService(DESIRED, frozenset({ServiceField.PROPAGATE_TAGS}))],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_plan(case: Case):
    assert plan_service(DESIRED, case.observed) == case.want, case.reason


def test_an_update_sends_only_what_differs():
    request = update_service_request(UpdateService(DESIRED, frozenset({ServiceField.TASK_DEFINITION})))
    assert request == {"cluster": DESIRED.cluster, "service": DESIRED.name, "taskDefinition": TD2}


def test_a_create_carries_tags_token_and_everything_else():
    request = create_service_request(DESIRED)
    token = request["clientToken"]
    assert len(token) <= 36 and all(33 <= ord(c) <= 126 for c in token)
    assert request["tags"] == [{"key": "berth:managed-by", "value": "berth"}]
    assert request["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert request["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert request["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == ["subnet-a", "subnet-b"]
    assert "launchType" not in request


def token(desired: DesiredService = DESIRED, replaces: str = "") -> str:
    return create_service_request(desired, replaces)["clientToken"]


@pytest.mark.parametrize(
    ("first", "second", "same", "reason"),
    [
        (token(), token(), True, "the same create, replayed after a lost answer: the same token"),
        (token(), token(replace(DESIRED, desired_count=3)), False, "other parameters, another token"),
        (token(), token(replace(DESIRED, task_definition_arn=TD1)), False, "another revision, another token"),
        (
            token(),
            token(replace(DESIRED, network=NetworkSettings.of(["subnet-c"], ["sg-1"], True))),
            False,
            "another network, another token",
        ),
        (
            token(replaces=f"{ARN}@{CREATED_AT}"),
            token(replaces=f"{ARN}@2026-02-02 00:00:00+00:00"),
            False,
            "the same request replacing a service deleted out of band: a new token, or ECS replays the old",
        ),
    ],
)
def test_the_client_token_hashes_the_create_request(first, second, same, reason):
    assert (first == second) is same, reason


def test_holding_keeps_the_running_task_definition():
    held = hold_task_definition(DESIRED, observed(taskDefinition=TD1))
    assert plan_service(held, observed(taskDefinition=TD1)) == []
    assert hold_task_definition(DESIRED, None) == DESIRED


# --- property: applying the plan converges ----------------------------------------------------

ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=4)
desired_services = st.builds(
    DesiredService,
    name=st.just("acme_shop_production"),
    cluster=st.just("arn:aws:ecs:us-east-1:123456789012:cluster/berth"),
    task_definition_arn=st.sampled_from([TD1, TD2]),
    desired_count=st.integers(0, 10),
    network=st.builds(
        NetworkSettings.of,
        st.lists(ids.map("subnet-{}".format), min_size=1, max_size=3, unique=True),
        st.lists(ids.map("sg-{}".format), min_size=1, max_size=2, unique=True),
        st.booleans(),
    ),
    capacity_provider_strategy=st.sampled_from(
        [
            (CapacityProviderItem("FARGATE"),),
            (CapacityProviderItem("FARGATE_SPOT", 3), CapacityProviderItem("FARGATE", 1, 1)),
        ]
    ),
    deployment=st.builds(DeploymentSettings, st.booleans(), st.booleans()),
    propagate_tags=st.sampled_from(["SERVICE", "TASK_DEFINITION"]),
)


def aws_applies(action, current: ObservedService | None, *, moto: bool) -> ObservedService:
    """What DescribeServices shows after AWS (or moto, which drops two fields on create)
    performs `action`."""
    if isinstance(action, CreateService):
        dropped = {"capacityProviderStrategy": [], "deploymentConfiguration": None} if moto else {}
        return observed(action.desired, **dropped)
    request = update_service_request(action)
    overrides = {k: v for k, v in request.items() if k not in ("cluster", "service")}
    base = described(action.desired)
    base.update(
        taskDefinition=current.task_definition_arn,
        desiredCount=current.desired_count,
        capacityProviderStrategy=[
            {"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base}
            for i in current.capacity_provider_strategy
        ],
        networkConfiguration=None
        if current.network is None
        else {
            "awsvpcConfiguration": {
                "subnets": list(current.network.subnets),
                "securityGroups": list(current.network.security_groups),
                "assignPublicIp": "ENABLED" if current.network.assign_public_ip else "DISABLED",
            }
        },
        deploymentConfiguration=None
        if current.deployment is None
        else {
            "deploymentCircuitBreaker": {
                "enable": current.deployment.circuit_breaker,
                "rollback": current.deployment.rollback,
            },
            "maximumPercent": current.deployment.maximum_percent,
            "minimumHealthyPercent": current.deployment.minimum_healthy_percent,
        },
        propagateTags=current.propagate_tags,
        status=current.status,
    )
    base.update(overrides)
    return ObservedService.from_description(base)


@settings(max_examples=200, deadline=None)
@given(
    desired=desired_services,
    before=st.none() | desired_services,
    status=st.sampled_from(["ACTIVE", "DRAINING", "INACTIVE"]),
    moto=st.booleans(),
)
def test_applying_the_plan_converges(desired, before, status, moto):
    """AWS converges in one action; moto in at most two (the update its create provokes)."""
    current = None if before is None else observed(before, status=status)
    for _ in range(2 if moto else 1):
        actions = plan_service(desired, current)
        if not actions:
            break
        [action] = actions
        current = aws_applies(action, current, moto=moto)
    assert plan_service(desired, current) == []


# --- capacity provider strategies: compared as sets, a change moves the tasks ---------------

ON_DEMAND = STRATEGIES[SpotStrategy.OFF]
SPOT = STRATEGIES[SpotStrategy.SPOT_ONLY]
SAFE = STRATEGIES[SpotStrategy.MIXED_SAFE]
AGGRESSIVE = STRATEGIES[SpotStrategy.MIXED_AGGRESSIVE]
STRATEGY = frozenset({ServiceField.CAPACITY_PROVIDER_STRATEGY})


def wire(*items: dict[str, Any]) -> list[dict[str, Any]]:
    return list(items)


def on(strategy) -> DesiredService:
    return replace(DESIRED, capacity_provider_strategy=strategy)


@dataclass(frozen=True)
class StrategyCase:
    reason: str
    desired: DesiredService
    observed: list[dict[str, Any]]
    want: list


STRATEGY_CASES = [
    StrategyCase(
        "the same items in another order: converged",
        on(SAFE),
        wire(
            {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
        ),
        [],
    ),
    StrategyCase(
        "ECS leaves out base 0: converged",
        on(AGGRESSIVE),
        wire(
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 4},
        ),
        [],
    ),
    StrategyCase(
        "an item that places nothing (weight 0, base 0) is no difference",
        on(SPOT),
        wire({"capacityProvider": "FARGATE_SPOT", "weight": 1}, {"capacityProvider": "FARGATE", "weight": 0}),
        [],
    ),
    StrategyCase(
        "on-demand to spot-only: the new strategy and a forced deployment to move the tasks",
        on(SPOT),
        wire({"capacityProvider": "FARGATE", "weight": 1, "base": 0}),
        [UpdateService(on(SPOT), STRATEGY, force_new_deployment=True)],
    ),
    StrategyCase(
        "mixed-safe to mixed-aggressive: only the weight differs, still a forced deployment",
        on(AGGRESSIVE),
        wire(*({"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base} for i in SAFE)),
        [UpdateService(on(AGGRESSIVE), STRATEGY, force_new_deployment=True)],
    ),
    StrategyCase(
        "the base alone differs",
        on(SAFE),
        wire({"capacityProvider": "FARGATE", "weight": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 1}),
        [UpdateService(on(SAFE), STRATEGY, force_new_deployment=True)],
    ),
    StrategyCase(
        "no strategy observed (moto's create; a launch-type service): set it, force nothing",
        on(SPOT),
        [],
        [UpdateService(on(SPOT), STRATEGY)],
    ),
]


@pytest.mark.parametrize("case", STRATEGY_CASES, ids=lambda c: c.reason)
def test_strategy_plan(case: StrategyCase):
    current = observed(case.desired, capacityProviderStrategy=case.observed)
    actions = plan_service(case.desired, current)
    assert actions == case.want, case.reason
    for action in actions:  # converged once ECS has done it
        current = aws_applies(action, current, moto=False)
    assert plan_service(case.desired, current) == [], case.reason


def test_a_strategy_change_sends_the_strategy_and_forces_a_new_deployment():
    [action] = plan_service(on(SPOT), observed(on(ON_DEMAND)))
    assert update_service_request(action) == {
        "cluster": DESIRED.cluster,
        "service": DESIRED.name,
        "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "forceNewDeployment": True,
    }


def test_a_strategy_change_with_a_new_revision_is_one_update():
    [action] = plan_service(on(AGGRESSIVE), observed(on(ON_DEMAND), taskDefinition=TD1))
    request = update_service_request(action)
    assert (request["taskDefinition"], request["forceNewDeployment"]) == (TD2, True)
    assert len(request["capacityProviderStrategy"]) == 2


providers = st.sampled_from(["FARGATE", "FARGATE_SPOT"])
observed_items = st.fixed_dictionaries(
    {"capacityProvider": providers},
    optional={"weight": st.integers(0, 5), "base": st.integers(0, 3)},
)
observed_strategies = st.lists(observed_items, max_size=2, unique_by=lambda i: i["capacityProvider"])


@settings(max_examples=300, deadline=None)
@given(
    wanted=st.sampled_from(sorted(STRATEGIES)),
    environment=st.sampled_from(["production", "staging"]),
    minimum=st.integers(2, 10),
    before=observed_strategies,
)
def test_applying_the_plan_to_any_observed_strategy_converges(wanted, environment, minimum, before):
    desired = on(capacity_provider_strategy(wanted, environment, minimum))
    current = observed(desired, capacityProviderStrategy=before)
    actions = plan_service(desired, current)
    for action in actions:
        assert action.force_new_deployment == any(i.get("weight") or i.get("base") for i in before)
        current = aws_applies(action, current, moto=False)
    assert plan_service(desired, current) == []
