"""Tearing an environment's database down, one safe-to-replay step per pass.

1. The security group's ingress rules go first: they refer to the workload's
   security groups, which the network's teardown cannot delete while referred to.
2. The instance is deleted with a final snapshot (`{identifier}-final-{generation}`)
   unless the spec opts out; the pass waits until RDS no longer knows it.
3. Then the DB subnet group, the security group and the connection secret (with a
   recovery window: restorable for a week, with the password the snapshot needs).

An instance of that name that is not the environment's own is left alone and named.
"""

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.calls import call_unless_absent, error_code
from reconcilers.aws.database.names import final_snapshot_identifier
from reconcilers.aws.database.observe import (
    INSTANCE_ABSENT,
    SUBNET_GROUP_ABSENT,
    observe_instance,
    observe_security_group,
)
from reconcilers.aws.database.plan import DELETING, SecretState
from reconcilers.aws.database.secret import delete_secret, observe_secret
from reconcilers.aws.security_group_rules import permissions_of

NOT_YET = frozenset({"InvalidDBInstanceState", "InvalidDBInstanceStateFault", "DependencyViolation"})
GROUP_ABSENT = ("InvalidGroup.NotFound",)


@dataclass(frozen=True, slots=True)
class DatabaseTargets:
    identifier: str
    secret_name: str
    vpc_id: str | None  # None when the network's outputs are gone: the group is looked up by name only
    owner: str
    generation: int
    skip_final_snapshot: bool


@dataclass
class TeardownProgress:
    gone: bool = False
    waiting_for: str = ""
    events: list[tuple[str, str]] = field(default_factory=list)  # (reason, message)
    left_alone: str = ""


INSTANCE_DELETING = "deleting RDS instance {identifier} ({snapshot})"
WITH_SNAPSHOT = "final snapshot {snapshot}"
WITHOUT_SNAPSHOT = "no final snapshot: the spec opts out"
INSTANCE_STILL_DELETING = "RDS instance {identifier} is {status}"
INSTANCE_BUSY = "RDS instance {identifier} cannot be deleted yet: {message}"
GROUP_IN_USE = "security group {group} is still in use: {message}"
LEFT_ALONE = "RDS instance {identifier} belongs to {owner}; berth leaves it alone"
RESOURCES_DELETED = (
    "deleted DB subnet group and security group {identifier}; "
    "connection secret {secret} scheduled for deletion"
)


async def tear_down(clients: Any, targets: DatabaseTargets) -> TeardownProgress:
    progress = TeardownProgress()
    group = await observe_security_group(clients.ec2, targets.vpc_id, targets.identifier)
    if group is not None and group.ingress:
        await call_unless_absent(
            clients.ec2.revoke_security_group_ingress,
            # A group the rule names may already be gone (a teardown running beside this
            # one): then there is nothing left to revoke.
            absent=("InvalidPermission.NotFound", "InvalidGroup.NotFound"),
            GroupId=group.group_id,
            IpPermissions=permissions_of(group.ingress),
        )
    instance = await observe_instance(clients.rds, targets.identifier)
    if instance is not None and instance.owner != targets.owner:
        progress.left_alone = LEFT_ALONE.format(
            identifier=instance.identifier,
            owner=f"environment {instance.owner}" if instance.owner else "no berth environment",
        )
        instance = None
    if instance is not None:
        if instance.status != DELETING:
            snapshot = final_snapshot_identifier(targets.identifier, targets.generation)
            arguments: dict[str, Any] = (
                {"SkipFinalSnapshot": True}
                if targets.skip_final_snapshot
                else {"SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": snapshot}
            )
            try:
                await call_unless_absent(
                    clients.rds.delete_db_instance,
                    absent=INSTANCE_ABSENT,
                    DBInstanceIdentifier=targets.identifier,
                    **arguments,
                )
            except ClientError as exc:
                if error_code(exc) not in NOT_YET:
                    raise
                progress.waiting_for = INSTANCE_BUSY.format(identifier=targets.identifier, message=exc)
                return progress
            detail = (
                WITHOUT_SNAPSHOT if targets.skip_final_snapshot else WITH_SNAPSHOT.format(snapshot=snapshot)
            )
            progress.events.append(
                ("DatabaseDeleting", INSTANCE_DELETING.format(identifier=targets.identifier, snapshot=detail))
            )
        instance = await observe_instance(clients.rds, targets.identifier)
        if instance is not None:
            progress.waiting_for = INSTANCE_STILL_DELETING.format(
                identifier=targets.identifier, status=instance.status
            )
            return progress
    await call_unless_absent(
        clients.rds.delete_db_subnet_group, absent=SUBNET_GROUP_ABSENT, DBSubnetGroupName=targets.identifier
    )
    if group is not None:
        try:
            await call_unless_absent(
                clients.ec2.delete_security_group, absent=GROUP_ABSENT, GroupId=group.group_id
            )
        except ClientError as exc:
            if error_code(exc) not in NOT_YET:
                raise
            # The deleted instance's network interfaces linger for a while after it is gone.
            progress.waiting_for = GROUP_IN_USE.format(group=group.group_id, message=exc)
            return progress
    secret = await observe_secret(clients.secretsmanager, targets.secret_name)
    if secret.state is SecretState.PRESENT:
        await delete_secret(clients.secretsmanager, targets.secret_name)
    progress.events.append(
        (
            "DatabaseDeleted",
            RESOURCES_DELETED.format(identifier=targets.identifier, secret=targets.secret_name),
        )
    )
    progress.gone = True
    return progress
