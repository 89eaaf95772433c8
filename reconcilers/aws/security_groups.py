"""EC2 security groups by name: found, created, their ingress changed, deleted.

A group is found by its name inside the VPC (EC2 keeps names unique there), so a
pass that crashed after CreateSecurityGroup finds the group it made instead of
making a second one. Every step tolerates the race it can lose: a duplicate
create returns the group that won, a rule already there or already gone is fine.
"""

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.batched_describes import SecurityGroupsByName
from reconcilers.aws.calls import call, error_code
from reconcilers.aws.environment_network.plan import ObservedGroup
from reconcilers.aws.security_group_rules import Rule, permissions_of, rules_of

DUPLICATE_GROUP = "InvalidGroup.Duplicate"
DUPLICATE_RULE = "InvalidPermission.Duplicate"
MISSING_RULE = "InvalidPermission.NotFound"
GROUP_GONE = frozenset({"InvalidGroup.NotFound", "InvalidGroupId.NotFound"})
# A group still attached to a network interface or named in another group's rules.
GROUP_IN_USE = frozenset({"DependencyViolation", "InvalidGroup.InUse"})


class Deletion(Enum):
    DELETED = "deleted"
    ABSENT = "absent"
    IN_USE = "in-use"


def _filters(vpc_id: str | None, names: Iterable[str]) -> list[dict[str, Any]]:
    filters = [{"Name": "group-name", "Values": sorted(set(names))}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    return filters


async def observe_groups(
    ec2: Any, vpc_id: str | None, names: Sequence[str], shared: SecurityGroupsByName | None = None
) -> dict[str, ObservedGroup]:
    """The named groups (one DescribeSecurityGroups, shared with concurrent passes when
    `shared` is given), by name; absent ones are missing."""
    if not names:
        return {}
    if shared is not None:
        described = list((await shared.describe(vpc_id, names)).values())
    else:
        described = (await call(ec2.describe_security_groups, Filters=_filters(vpc_id, names)))["SecurityGroups"]
    return {
        g["GroupName"]: ObservedGroup(
            g["GroupId"], g["GroupName"], rules_of(g.get("IpPermissions") or (), g["GroupId"])
        )
        for g in described
    }


async def create_group(
    ec2: Any, vpc_id: str, name: str, description: str, tags: Iterable[tuple[str, str]]
) -> tuple[str, bool]:
    """(group id, whether this call made it)."""
    try:
        answer = await call(
            ec2.create_security_group,
            GroupName=name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=[
                {"ResourceType": "security-group", "Tags": [{"Key": k, "Value": v} for k, v in tags]}
            ],
        )
    except ClientError as exc:
        if error_code(exc) != DUPLICATE_GROUP:
            raise
        found = await observe_groups(ec2, vpc_id, [name])
        if name not in found:
            raise
        return found[name].group_id, False
    return answer["GroupId"], True


async def authorize_ingress(ec2: Any, group_id: str, rules: Sequence[Rule]) -> None:
    """One call per rule: a rule someone else added meanwhile must not fail the others."""
    for permission in permissions_of(rules, group_id):
        try:
            await call(ec2.authorize_security_group_ingress, GroupId=group_id, IpPermissions=[permission])
        except ClientError as exc:
            if error_code(exc) != DUPLICATE_RULE:
                raise


async def revoke_ingress(ec2: Any, group_id: str, rules: Sequence[Rule]) -> None:
    for permission in permissions_of(rules, group_id):
        try:
            await call(ec2.revoke_security_group_ingress, GroupId=group_id, IpPermissions=[permission])
        except ClientError as exc:
            if error_code(exc) != MISSING_RULE:
                raise


async def delete_group(ec2: Any, vpc_id: str | None, name: str) -> tuple[Deletion, str | None]:
    """Deletes the named group; IN_USE while something still refers to it (a task's
    network interface, another group's rule): the caller tries again later."""
    found = await observe_groups(ec2, vpc_id, [name])
    if name not in found:
        return Deletion.ABSENT, None
    group_id = found[name].group_id
    try:
        await call(ec2.delete_security_group, GroupId=group_id)
    except ClientError as exc:
        code = error_code(exc)
        if code in GROUP_GONE:
            return Deletion.ABSENT, group_id
        if code in GROUP_IN_USE:
            return Deletion.IN_USE, group_id
        raise
    return Deletion.DELETED, group_id
