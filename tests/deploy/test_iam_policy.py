"""The IAM policies in deploy/iam/ allow every AWS operation the code calls, and no more.

The operations are read from the code (tests/deploy/aws_operations.py), so a reconciler
that starts calling something new fails here until the policy (and docs/deploying.md)
says why berth may do it.
"""

import fnmatch
import json
from pathlib import Path

import pytest

from controller.cloud.registry_login import REPOSITORY_ACTIONS
from tests.deploy.aws_operations import API_CODE, CONTROLLER_CODE, ROOT, Operation, operations

IAM = ROOT / "deploy" / "iam"
CONTROLLER_POLICY = IAM / "berth-controller-policy.json"
API_POLICY = IAM / "berth-api-policy.json"
ECR_LOGIN_POLICY = IAM / "berth-ecr-login-role-policy.json"
DEPLOYING = ROOT / "docs" / "deploying.md"

# Actions AWS checks besides the operation's own: each with why (AWS's API reference
# for the operation lists them). Everything else in a policy must be an operation the
# code calls.
IMPLIED = {
    "ecs:TagResource": "CreateCluster, CreateService and RegisterTaskDefinition are sent with tags",
    "ec2:CreateTags": "CreateVpc, CreateSubnet and CreateSecurityGroup are sent with TagSpecifications",
    "ec2:DescribeNetworkInterfaces": "EFS CreateMountTarget checks it",
    "ec2:CreateNetworkInterface": "EFS CreateMountTarget makes the mount target's interface as the caller",
    "ec2:DeleteNetworkInterface": "EFS DeleteMountTarget removes it as the caller",
    "ec2:ModifyNetworkInterfaceAttribute": "EFS ModifyMountTargetSecurityGroups changes the interface's groups",
    "ec2:DescribeRegions": "Cloud Map CreatePrivateDnsNamespace checks it",
    "route53:CreateHostedZone": "Cloud Map CreatePrivateDnsNamespace makes the private hosted zone as the caller",
    "route53:GetHostedZone": "Cloud Map CreatePrivateDnsNamespace checks it",
    "route53:ListHostedZonesByName": "Cloud Map CreatePrivateDnsNamespace checks it",
    "servicediscovery:TagResource": "namespaces and discovery services are created with tags",
    "rds:AddTagsToResource": "CreateDBInstance and CreateDBSubnetGroup are sent with tags",
    "elasticfilesystem:TagResource": "CreateFileSystem and CreateAccessPoint are sent with tags",
    "logs:TagResource": "CreateLogGroup is sent with tags",
    "logs:TagLogGroup": "CreateLogGroup is sent with tags (the older action name, still checked)",
    "ecr:TagResource": "CreateRepository is sent with tags",
    "cloudwatch:PutMetricAlarm": "a target-tracking PutScalingPolicy creates its alarms as the caller",
    "cloudwatch:DescribeAlarms": "PutScalingPolicy and DeleteScalingPolicy check their alarms",
    "cloudwatch:DeleteAlarms": "DeleteScalingPolicy and DeregisterScalableTarget delete the alarms",
    "iam:PassRole": "RegisterTaskDefinition names BERTH_EXECUTION_ROLE_ARN and BERTH_TASK_ROLE_ARN",
}


def _statements(path: Path) -> list[dict]:
    policy = json.loads(path.read_text())
    assert policy["Version"] == "2012-10-17"
    return policy["Statement"]


def _actions(path: Path) -> set[str]:
    actions: set[str] = set()
    for statement in _statements(path):
        assert statement["Effect"] == "Allow", f"{path.name}: {statement.get('Sid')} is not an Allow"
        listed = statement["Action"]
        actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def _allowed(action: str, actions: set[str]) -> bool:
    # IAM matches actions case-insensitively, with * and ? wildcards.
    return any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)


def _missing(found: set[Operation], policy: Path) -> list[str]:
    actions = _actions(policy)
    return sorted(f"{op.action} (called at {op.where})" for op in found if not _allowed(op.action, actions))


@pytest.fixture(scope="module")
def controller_operations() -> set[Operation]:
    return operations(CONTROLLER_CODE)


@pytest.fixture(scope="module")
def api_operations() -> set[Operation]:
    return operations(API_CODE)


def test_the_scan_finds_the_calls_it_must(controller_operations, api_operations):
    """A scanner that found nothing would make the next tests pass vacuously."""
    actions = {op.action for op in controller_operations}
    assert {
        "ecs:RegisterTaskDefinition",  # through ecs_once
        "ecs:CreateService",  # ECS's, not Cloud Map's, from the receiver's name
        "servicediscovery:CreateService",
        "secretsmanager:TagResource",  # a generic receiver resolved per file
        "application-autoscaling:PutScalingPolicy",
        "elasticfilesystem:CreateMountTarget",
        "rds:CreateDBInstance",
    } <= actions
    assert len(actions) > 50
    assert {op.action for op in api_operations} == {
        "logs:FilterLogEvents",
        "cloudwatch:GetMetricData",
        "ecr:GetAuthorizationToken",
        "sts:AssumeRole",
    }


def test_the_controller_policy_allows_every_operation_the_reconcilers_call(controller_operations):
    assert _missing(controller_operations, CONTROLLER_POLICY) == []


def test_the_api_policy_allows_every_cloud_read(api_operations):
    assert _missing(api_operations, API_POLICY) == []


@pytest.mark.parametrize("policy, code", [(CONTROLLER_POLICY, CONTROLLER_CODE), (API_POLICY, API_CODE)])
def test_a_policy_allows_nothing_the_code_does_not_need(policy, code):
    needed = {op.action for op in operations(code)} | set(IMPLIED)
    extra = sorted(action for action in _actions(policy) if action not in needed)
    assert extra == [], f"{policy.name} allows actions berth never uses: {extra}"


@pytest.mark.parametrize("policy", [CONTROLLER_POLICY, API_POLICY, ECR_LOGIN_POLICY])
def test_no_action_is_a_wildcard(policy):
    assert [a for a in _actions(policy) if "*" in a or "?" in a] == []


def test_writes_are_scoped_to_berths_names():
    scoped = {s["Sid"]: s["Resource"] for s in _statements(CONTROLLER_POLICY)}
    assert scoped["SecretsUnderBerth"] == "arn:aws:secretsmanager:*:*:secret:berth/*"
    assert scoped["LogGroupsUnderBerth"] == "arn:aws:logs:*:*:log-group:/berth/*"
    assert scoped["EcrRepositoriesUnderBerth"] == "arn:aws:ecr:*:*:repository/berth/*"
    owned = next(s for s in _statements(CONTROLLER_POLICY) if s["Sid"] == "Ec2ChangeOwnedOnly")
    assert owned["Condition"] == {"StringEquals": {"aws:ResourceTag/berth:managed-by": "berth"}}
    passing = next(s for s in _statements(CONTROLLER_POLICY) if s["Sid"] == "PassTaskRoles")
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_the_ecr_login_role_allows_what_the_session_policy_narrows_to():
    """A session policy only narrows the role: the role must hold at least as much."""
    assert _actions(ECR_LOGIN_POLICY) == set(REPOSITORY_ACTIONS) | {"ecr:GetAuthorizationToken"}


def test_every_allowed_action_is_explained_in_the_operators_guide():
    text = DEPLOYING.read_text()
    actions = _actions(CONTROLLER_POLICY) | _actions(API_POLICY)
    assert sorted(a for a in actions if f"`{a}`" not in text) == []
