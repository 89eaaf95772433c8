"""An environment's conditions and outputs, judged from one pass's findings (pure)."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from reconcilers.aws.capacity import choose_capacity
from reconcilers.aws.environment_status import EnvironmentFindings, FailedRollout, conditions, judge, outputs
from reconcilers.aws.service import ObservedDeployment, ObservedService
from schemas.status import ConditionType
from schemas.v3.compose import SpotStrategy

TD1, TD2 = "arn:td/app:1", "arn:td/app:2"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def service(td=TD2, running=2, *deployments: ObservedDeployment) -> ObservedService:
    return ObservedService(
        arn="arn:service/app",
        name="app",
        cluster_arn="arn:cluster/berth",
        status="ACTIVE",
        task_definition_arn=td,
        desired_count=2,
        running_count=running,
        pending_count=2 - running,
        network=None,
        capacity_provider_strategy=(),
        deployment=None,
        propagate_tags="SERVICE",
        deployments=deployments,
    )


def primary(td=TD2, state="COMPLETED", id="d2") -> ObservedDeployment:
    return ObservedDeployment(
        id=id, status="PRIMARY", task_definition_arn=td, rollout_state=state, rollout_state_reason="why"
    )


def findings(svc, actions=(), held=None) -> EnvironmentFindings:
    return EnvironmentFindings(
        service=svc, desired_task_definition_arn=TD2, desired_count=2, actions=actions, held=held
    )


@dataclass(frozen=True)
class Case:
    reason: str
    findings: EnvironmentFindings
    ready: tuple[bool, str]
    progressing: tuple[bool, str]
    degraded: bool


CASES = [
    Case(
        "completed at the desired count: Ready",
        findings(service(TD2, 2, primary())),
        (True, "RolloutComplete"),
        (False, "RolloutComplete"),
        False,
    ),
    Case(
        "just changed something: Deploying",
        findings(service(TD2, 2, primary()), actions=("update service",)),
        (False, "Deploying"),
        (True, "Deploying"),
        False,
    ),
    Case("no service: Deploying", findings(None), (False, "Deploying"), (True, "Deploying"), False),
    Case(
        "rolling out",
        findings(service(TD2, 0, primary(state="IN_PROGRESS"))),
        (False, "RollingOut"),
        (True, "RollingOut"),
        False,
    ),
    Case(
        "completed, but an older revision than wanted",
        findings(service(TD1, 2, primary(TD1))),
        (False, "RollingOut"),
        (True, "RollingOut"),
        False,
    ),
    Case(
        "completed, tasks still starting",
        findings(service(TD2, 1, primary())),
        (False, "TasksPending"),
        (True, "Scaling"),
        False,
    ),
    Case(
        "the PRIMARY failed",
        findings(service(TD2, 0, primary(state="FAILED"))),
        (False, "RolloutFailed"),
        (False, "RolloutFailed"),
        True,
    ),
    Case(
        "rolled back, rollback still running",
        findings(service(TD1, 1, primary(TD1, "IN_PROGRESS", "d3")), held=FailedRollout(TD2, 2)),
        (False, "RolledBack"),
        (True, "RollingBack"),
        True,
    ),
    Case(
        "rolled back and settled",
        findings(service(TD1, 2, primary(TD1, "COMPLETED", "d3")), held=FailedRollout(TD2, 2)),
        (False, "RolledBack"),
        (False, "RolloutFailed"),
        True,
    ),
    Case(
        "failed with nothing to roll back to",
        findings(service(TD2, 0, primary(TD2, "FAILED")), held=FailedRollout(TD2, 2)),
        (False, "RolloutFailed"),
        (False, "RolloutFailed"),
        True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_judge(case: Case):
    verdict = judge(case.findings)
    assert verdict.ready[:2] == case.ready, case.reason
    assert verdict.progressing[:2] == case.progressing, case.reason
    assert verdict.degraded[0] is case.degraded, case.reason


def test_transition_times_move_only_on_a_change_of_status():
    rolling = judge(findings(service(TD2, 0, primary(state="IN_PROGRESS"))))
    done = judge(findings(service(TD2, 2, primary())))
    first = conditions([], rolling, T0)
    second = conditions(first, rolling, T0 + timedelta(seconds=5))
    third = conditions(second, done, T0 + timedelta(seconds=10))
    by_type = {c.type: c for c in third}
    assert by_type[ConditionType.READY].last_transition_time == T0 + timedelta(seconds=10)
    assert by_type[ConditionType.DEGRADED].last_transition_time == T0
    assert {c.type for c in second} == set(ConditionType)
    assert all(c.last_transition_time == T0 for c in second)


def test_outputs():
    f = findings(service(TD2, 2, primary()), held=None)
    assert outputs(f, [], "arn:cluster/berth", "app") == {
        "serviceArn": "arn:service/app",
        "serviceName": "app",
        "clusterArn": "arn:cluster/berth",
        "taskDefinitionArn": TD2,
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "deploymentId": "d2",
        "rolloutState": "COMPLETED",
        "followedDeployments": [],
        "failedRollout": None,
        "spotStrategy": None,
    }


def test_outputs_say_which_spot_strategy_applies():
    chosen = choose_capacity(SpotStrategy.SPOT_ONLY, "production", 1)
    f = replace(findings(service(TD2, 2, primary())), capacity=chosen)
    spot = outputs(f, [], "arn:cluster/berth", "app")["spotStrategy"]
    assert (spot["requested"], spot["applied"]) == ("spot-only", "off")
    assert "production" in spot["overridden"]
