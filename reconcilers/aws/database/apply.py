"""Carrying out a database plan: one AWS call (or two) per action, safe to replay.

Every create tolerates "already exists" (a replay after a lost answer finds the
first attempt's work on the next round), and every name is deterministic. The
master password goes from Secrets Manager straight into the RDS request.
"""

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from reconcilers.aws.database import secret as database_secret
from reconcilers.aws.calls import call, error_code
from reconcilers.aws.security_group_rules import permissions_of
from reconcilers.aws.database.plan import (
    AuthorizeIngress,
    ClearPasswordPending,
    CreateInstance,
    CreateSecret,
    CreateSecurityGroup,
    CreateSubnetGroup,
    DatabaseAction,
    ModifyInstance,
    ModifySubnetGroup,
    ReplacePassword,
    RestoreSecret,
    RevokeIngress,
    SetMasterPassword,
    WriteSecretFields,
)

ALREADY_THERE = frozenset(
    {
        "DBInstanceAlreadyExists",
        "DBInstanceAlreadyExistsFault",
        "DBSubnetGroupAlreadyExists",
        "DBSubnetGroupAlreadyExistsFault",
        "InvalidGroup.Duplicate",
        "InvalidPermission.Duplicate",
    }
)
ALREADY_GONE = frozenset({"InvalidPermission.NotFound"})
SUBNET_GROUP_DESCRIPTION = "berth: the subnets of {name}"
SECURITY_GROUP_DESCRIPTION = "berth: who may reach database {name}"
STORAGE_TYPE = "gp3"

SECRET_CREATED = "created the connection secret {name}"
SECRET_CREATED_AGAIN = "the connection secret {name} was gone: created it with a new master password"
SECRET_RESTORED = "restored the connection secret {name}, which was scheduled for deletion"
SECRET_UPDATED = "wrote {fields} to the connection secret {name}"
PASSWORD_REPLACED = "the connection secret {name} held no password: generated a new one"
PENDING_CLEARED = "no instance yet: it is created with the password {name} holds"
PASSWORD_SET = "set the master password of {identifier} from the connection secret"
SUBNET_GROUP_CREATED = "created DB subnet group {name}"
SUBNET_GROUP_MODIFIED = "DB subnet group {name} now spans {subnets}"
SECURITY_GROUP_CREATED = "created security group {name} for the database"
INGRESS_AUTHORIZED = "allowed {rules} into {group}"
INGRESS_REVOKED = "removed {rules} from {group}"
INSTANCE_CREATED = (
    "creating RDS instance {identifier} ({engine} {version}, {cls}, {storage} GB, Multi-AZ {multi_az})"
)
INSTANCE_MODIFIED = "modified {identifier}: {changes} ({when})"
AT_ONCE = "applied immediately"
IN_WINDOW = "in the next maintenance window"


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def _rules(permissions: tuple[Any, ...]) -> str:
    return ", ".join(f"{p.protocol}/{p.from_port} from {p.source}" for p in permissions)


def _changes(changes: tuple[tuple[str, Any], ...]) -> str:
    return ", ".join(f"{key}={list(value) if isinstance(value, tuple) else value}" for key, value in changes)


async def _tolerating(codes: frozenset[str], operation: Any, **kwargs: Any) -> dict | None:
    try:
        return await call(operation, **kwargs)
    except ClientError as exc:
        if error_code(exc) not in codes:
            raise
        return None


class DatabaseApplier:
    """`await applier.apply(action)` → (event reason, message): what to tell the user."""

    def __init__(self, clients: Any, tags: Mapping[str, str]):
        self._rds = clients.rds
        self._ec2 = clients.ec2
        self._secrets = clients.secretsmanager
        self._tags = dict(tags)

    async def apply(self, action: DatabaseAction) -> tuple[str, str]:
        match action:
            case CreateSecret(name=name, fields=fields, password_pending=pending):
                await database_secret.create_secret(
                    self._secrets, name, dict(fields), self._tags, pending=pending
                )
                message = (SECRET_CREATED_AGAIN if pending else SECRET_CREATED).format(name=name)
                return "DatabaseSecretCreated", message
            case RestoreSecret(name=name):
                await database_secret.restore_secret(self._secrets, name)
                return "DatabaseSecretRestored", SECRET_RESTORED.format(name=name)
            case WriteSecretFields(name=name, fields=fields):
                await database_secret.write_fields(self._secrets, name, dict(fields))
                keys = ", ".join(key for key, _ in fields)
                return "DatabaseSecretUpdated", SECRET_UPDATED.format(fields=keys, name=name)
            case ReplacePassword(name=name, fields=fields, password_pending=pending):
                await database_secret.replace_password(self._secrets, name, dict(fields), pending=pending)
                return "DatabasePasswordReplaced", PASSWORD_REPLACED.format(name=name)
            case SetMasterPassword(identifier=identifier, secret_name=secret_name):
                password = await database_secret.read_password(self._secrets, secret_name)
                await call(
                    self._rds.modify_db_instance,
                    DBInstanceIdentifier=identifier,
                    MasterUserPassword=password,
                    ApplyImmediately=True,
                )
                await database_secret.clear_pending(self._secrets, secret_name)
                return "DatabasePasswordSet", PASSWORD_SET.format(identifier=identifier)
            case ClearPasswordPending(secret_name=secret_name):
                await database_secret.clear_pending(self._secrets, secret_name)
                return "DatabaseSecretUpdated", PENDING_CLEARED.format(name=secret_name)
            case CreateSubnetGroup(name=name, subnet_ids=subnets):
                await _tolerating(
                    ALREADY_THERE,
                    self._rds.create_db_subnet_group,
                    DBSubnetGroupName=name,
                    DBSubnetGroupDescription=SUBNET_GROUP_DESCRIPTION.format(name=name),
                    SubnetIds=list(subnets),
                    Tags=_tags(self._tags),
                )
                return "DatabaseSubnetGroupCreated", SUBNET_GROUP_CREATED.format(name=name)
            case ModifySubnetGroup(name=name, subnet_ids=subnets):
                await call(self._rds.modify_db_subnet_group, DBSubnetGroupName=name, SubnetIds=list(subnets))
                return "DatabaseSubnetGroupModified", SUBNET_GROUP_MODIFIED.format(
                    name=name, subnets=", ".join(subnets)
                )
            case CreateSecurityGroup(name=name, vpc_id=vpc_id):
                await _tolerating(
                    ALREADY_THERE,
                    self._ec2.create_security_group,
                    GroupName=name,
                    Description=SECURITY_GROUP_DESCRIPTION.format(name=name),
                    VpcId=vpc_id,
                    TagSpecifications=[
                        {"ResourceType": "security-group", "Tags": _tags({**self._tags, "Name": name})}
                    ],
                )
                return "DatabaseSecurityGroupCreated", SECURITY_GROUP_CREATED.format(name=name)
            case AuthorizeIngress(group_id=group, permissions=rules):
                await _tolerating(
                    ALREADY_THERE,
                    self._ec2.authorize_security_group_ingress,
                    GroupId=group,
                    IpPermissions=permissions_of(rules),
                )
                return "DatabaseIngressAllowed", INGRESS_AUTHORIZED.format(rules=_rules(rules), group=group)
            case RevokeIngress(group_id=group, permissions=rules):
                await _tolerating(
                    ALREADY_GONE,
                    self._ec2.revoke_security_group_ingress,
                    GroupId=group,
                    IpPermissions=permissions_of(rules),
                )
                return "DatabaseIngressRevoked", INGRESS_REVOKED.format(rules=_rules(rules), group=group)
            case CreateInstance() as create:
                await self._create_instance(create)
                return "DatabaseCreated", INSTANCE_CREATED.format(
                    identifier=create.identifier,
                    engine=create.engine,
                    version=create.engine_version,
                    cls=create.instance_class,
                    storage=create.storage_gb,
                    multi_az=create.multi_az,
                )
            case ModifyInstance(identifier=identifier, changes=changes, apply_immediately=immediately):
                parameters = {
                    key: list(value) if isinstance(value, tuple) else value for key, value in changes
                }
                await call(
                    self._rds.modify_db_instance,
                    DBInstanceIdentifier=identifier,
                    ApplyImmediately=immediately,
                    **parameters,
                )
                when = AT_ONCE if immediately else IN_WINDOW
                message = INSTANCE_MODIFIED.format(
                    identifier=identifier, changes=_changes(changes), when=when
                )
                return "DatabaseModified", message
        raise AssertionError(f"unknown action {action!r}")

    async def _create_instance(self, create: CreateInstance) -> None:
        password = await database_secret.read_password(self._secrets, create.secret_name)
        await _tolerating(
            ALREADY_THERE,
            self._rds.create_db_instance,
            DBInstanceIdentifier=create.identifier,
            Engine=create.engine,
            EngineVersion=create.engine_version,
            AutoMinorVersionUpgrade=True,
            DBInstanceClass=create.instance_class,
            AllocatedStorage=create.storage_gb,
            StorageType=STORAGE_TYPE,
            StorageEncrypted=True,
            MultiAZ=create.multi_az,
            DBSubnetGroupName=create.subnet_group,
            VpcSecurityGroupIds=[create.security_group_id],
            PubliclyAccessible=False,
            DeletionProtection=False,
            Port=create.port,
            MasterUsername=create.username,
            MasterUserPassword=password,
            DBName=create.database_name,
            CopyTagsToSnapshot=True,
            Tags=_tags(self._tags),
        )
