"""What AWS holds of an environment's database: four reads, changing nothing.

The connection secret (`describe_secret`, `get_secret_value`), the DB subnet group,
the instance's security group (by name, in the network's VPC) and the instance
(with its tags and pending modifications).
"""

import asyncio
from typing import Any

from reconcilers.aws.batched_describes import DbInstances, SecurityGroupsByName
from reconcilers.aws.calls import call, call_unless_absent
from reconcilers.aws.database.plan import (
    DatabaseObservation,
    DesiredDatabase,
    ObservedInstance,
    ObservedSecurityGroup,
    ObservedSubnetGroup,
)
from reconcilers.aws.database.secret import observe_secret
from reconcilers.aws.naming import ENVIRONMENT_ID_KEY
from reconcilers.aws.security_group_rules import rules_of

INSTANCE_ABSENT = ("DBInstanceNotFound", "DBInstanceNotFoundFault")
SUBNET_GROUP_ABSENT = ("DBSubnetGroupNotFoundFault", "DBSubnetGroupNotFound")
# What pendingModifications may show: everything RDS reports but the (masked) password.
HIDDEN_PENDING = frozenset({"MasterUserPassword"})


def _filter(name: str, value: str) -> dict[str, Any]:
    return {"Name": name, "Values": [value]}


def instance_from_description(description: dict[str, Any]) -> ObservedInstance:
    tags = {t["Key"]: t["Value"] for t in description.get("TagList") or ()}
    endpoint = description.get("Endpoint") or {}
    pending = {
        key: value
        for key, value in (description.get("PendingModifiedValues") or {}).items()
        if key not in HIDDEN_PENDING
    }
    return ObservedInstance(
        identifier=description["DBInstanceIdentifier"],
        owner=tags.get(ENVIRONMENT_ID_KEY, ""),
        status=description.get("DBInstanceStatus", ""),
        engine=description.get("Engine", ""),
        instance_class=description.get("DBInstanceClass", ""),
        storage_gb=int(description.get("AllocatedStorage", 0)),
        multi_az=bool(description.get("MultiAZ")),
        arn=description.get("DBInstanceArn", ""),
        engine_version=description.get("EngineVersion", ""),
        publicly_accessible=bool(description.get("PubliclyAccessible")),
        deletion_protection=bool(description.get("DeletionProtection")),
        security_group_ids=frozenset(
            g["VpcSecurityGroupId"] for g in description.get("VpcSecurityGroups") or ()
        ),
        host=endpoint.get("Address") or None,
        port=endpoint.get("Port"),
        username=description.get("MasterUsername", ""),
        database_name=description.get("DBName", ""),
        pending=pending,
    )


async def observe_instance(rds: Any, identifier: str, shared: DbInstances | None = None) -> ObservedInstance | None:
    """`shared`: the describe concurrent passes share, when given."""
    if shared is not None:
        described = await shared.describe(identifier)
        return instance_from_description(described) if described else None
    answer = await call_unless_absent(
        rds.describe_db_instances, absent=INSTANCE_ABSENT, DBInstanceIdentifier=identifier
    )
    found = (answer or {}).get("DBInstances") or ()
    return instance_from_description(found[0]) if found else None


async def observe_subnet_group(rds: Any, name: str) -> ObservedSubnetGroup | None:
    answer = await call_unless_absent(
        rds.describe_db_subnet_groups, absent=SUBNET_GROUP_ABSENT, DBSubnetGroupName=name
    )
    found = (answer or {}).get("DBSubnetGroups") or ()
    if not found:
        return None
    group = found[0]
    return ObservedSubnetGroup(
        name=group["DBSubnetGroupName"],
        vpc_id=group.get("VpcId", ""),
        subnet_ids=frozenset(s["SubnetIdentifier"] for s in group.get("Subnets") or ()),
    )


async def observe_security_group(
    ec2: Any, vpc_id: str | None, name: str, shared: SecurityGroupsByName | None = None
) -> ObservedSecurityGroup | None:
    """By name in the VPC; by name alone when the VPC is not known (a teardown after the network went).
    `shared`: the describe concurrent passes share, when given."""
    if shared is not None:
        found = list((await shared.describe(vpc_id, [name])).values())
    else:
        filters = [_filter("group-name", name), *([_filter("vpc-id", vpc_id)] if vpc_id else [])]
        answer = await call(ec2.describe_security_groups, Filters=filters)
        found = answer.get("SecurityGroups") or ()
    if not found:
        return None
    return ObservedSecurityGroup(found[0]["GroupId"], rules_of(found[0].get("IpPermissions") or []))


async def observe_database(
    clients: Any,
    desired: DesiredDatabase,
    instances: DbInstances | None = None,
    groups: SecurityGroupsByName | None = None,
    known_secret: tuple[str, str] | None = None,
) -> DatabaseObservation:
    """`instances`, `groups`: the describes concurrent passes share, when given;
    `known_secret`: the secret's value an earlier pass read (`observe_secret`)."""
    # At once: independent reads, and the shared ones then meet those of the other passes
    # that started with this one, instead of drifting apart behind the one-at-a-time reads.
    secret, subnet_group, security_group, instance = await asyncio.gather(
        observe_secret(clients.secretsmanager, desired.secret_name, known_secret),
        observe_subnet_group(clients.rds, desired.identifier),
        observe_security_group(clients.ec2, desired.vpc_id, desired.identifier, groups),
        observe_instance(clients.rds, desired.identifier, instances),
    )
    return DatabaseObservation(
        secret=secret, subnet_group=subnet_group, security_group=security_group, instance=instance
    )
