"""An environment's database, planned: what its connection secret, DB subnet group,
security group and RDS instance lack.

Pure. The connection secret comes first and the instance is created only once the
secret holds a password, so a pass that dies between the two never loses it: the
next pass creates the instance with the password the secret already holds. What
depends on an id not yet known (the security group's rules, the instance) waits
for the next round, once the group exists.

Modifications compare the desired values with what the instance will have once
its pending modifications are applied, so a change RDS holds for the maintenance
window is not asked for again. Growing storage, Multi-AZ and the drift berth puts
back (public accessibility, deletion protection, security groups) cause no
downtime and are applied at once; a new instance class restarts the instance, so
it waits for the maintenance window (`pendingModifications` until then).

The observation never carries the master password, only whether the secret holds one.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from reconcilers.aws.database.names import DATABASE_NAME, MASTER_USERNAME
from reconcilers.aws.security_group_rules import Rule, diff_rules, rule_from

SERVING_STATES = frozenset({"available", "backing-up", "modifying", "storage-optimization"})
MODIFIABLE = "available"
DELETING = "deleting"
PROTOCOL = "tcp"

ENGINE_CHANGE_REFUSED = (
    "the instance runs {observed}; changing the engine to {desired} needs a new instance "
    "(remove the database, then add it again)"
)
STORAGE_SHRINK_REFUSED = (
    "RDS storage only grows: the instance has {observed} GB, the spec asks for {desired} GB"
)
NAME_OWNED_ELSEWHERE = (
    "an RDS instance named {identifier} exists and belongs to {owner}; berth leaves it alone"
)


@dataclass(frozen=True, slots=True)
class DesiredDatabase:
    owner: str  # the environment id, the instance's `berth:environment-id` tag
    identifier: str  # the instance, its subnet group and its security group
    secret_name: str
    engine: str
    engine_version: str
    port: int
    instance_class: str
    storage_gb: int
    multi_az: bool
    vpc_id: str
    subnet_ids: frozenset[str]
    client_group_ids: frozenset[str]  # the workload's security groups, allowed in on `port`
    username: str = MASTER_USERNAME
    database_name: str = DATABASE_NAME


class SecretState(Enum):
    ABSENT = "absent"
    DELETED = "deleted"  # scheduled for deletion: restorable, with its password
    PRESENT = "present"


def fields_digest(fields: Mapping[str, Any]) -> str:
    """A stable hash of the secret's fields (never the password: they leave it out)."""
    return hashlib.sha256(json.dumps(dict(fields), sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ObservedSecret:
    state: SecretState = SecretState.ABSENT
    arn: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)  # the JSON value, password left out
    has_password: bool = False
    # Set while the secret holds a password the instance does not have yet (the old
    # one was lost): the instance's master password is set from it, then the mark goes.
    password_pending: bool = False
    version: str = ""  # the AWSCURRENT version the fields are of
    # `fields_digest` of the value an earlier pass read, when this one did not read the
    # value again (`fields` is empty then): the version it read is still the current one.
    known_digest: str = ""

    @property
    def digest(self) -> str:
        return self.known_digest or fields_digest(self.fields)


@dataclass(frozen=True, slots=True)
class ObservedSecurityGroup:
    group_id: str
    ingress: frozenset[Rule] = frozenset()


@dataclass(frozen=True, slots=True)
class ObservedSubnetGroup:
    name: str
    vpc_id: str
    subnet_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class ObservedInstance:
    identifier: str
    owner: str  # its `berth:environment-id` tag, "" when it has none
    status: str
    engine: str
    instance_class: str
    storage_gb: int
    multi_az: bool
    arn: str = ""
    engine_version: str = ""
    publicly_accessible: bool = False
    deletion_protection: bool = False
    security_group_ids: frozenset[str] = frozenset()
    host: str | None = None
    port: int | None = None
    username: str = MASTER_USERNAME
    database_name: str = DATABASE_NAME
    pending: Mapping[str, Any] = field(default_factory=dict)  # RDS's PendingModifiedValues

    @property
    def effective_class(self) -> str:
        return self.pending.get("DBInstanceClass", self.instance_class)

    @property
    def effective_storage(self) -> int:
        return int(self.pending.get("AllocatedStorage", self.storage_gb))

    @property
    def effective_multi_az(self) -> bool:
        return bool(self.pending.get("MultiAZ", self.multi_az))


@dataclass(frozen=True, slots=True)
class DatabaseObservation:
    secret: ObservedSecret = ObservedSecret()
    subnet_group: ObservedSubnetGroup | None = None
    security_group: ObservedSecurityGroup | None = None
    instance: ObservedInstance | None = None


@dataclass(frozen=True, slots=True)
class CreateSecret:
    """With a newly generated password; `password_pending` when an instance already exists."""

    name: str
    fields: tuple[tuple[str, Any], ...]
    password_pending: bool = False


@dataclass(frozen=True, slots=True)
class RestoreSecret:
    name: str


@dataclass(frozen=True, slots=True)
class WriteSecretFields:
    """A new value with these fields and the password the secret holds now."""

    name: str
    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ReplacePassword:
    """The secret lost its password: a new one, marked pending when an instance needs it set."""

    name: str
    fields: tuple[tuple[str, Any], ...]
    password_pending: bool = False


@dataclass(frozen=True, slots=True)
class SetMasterPassword:
    """The instance's master password from the secret; then the pending mark goes."""

    identifier: str
    secret_name: str


@dataclass(frozen=True, slots=True)
class ClearPasswordPending:
    """No instance has an older password: the one the secret holds is the one to create it with."""

    secret_name: str


@dataclass(frozen=True, slots=True)
class CreateSubnetGroup:
    name: str
    subnet_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModifySubnetGroup:
    name: str
    subnet_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CreateSecurityGroup:
    name: str
    vpc_id: str


@dataclass(frozen=True, slots=True)
class AuthorizeIngress:
    group_id: str
    permissions: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RevokeIngress:
    group_id: str
    permissions: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class CreateInstance:
    identifier: str
    secret_name: str  # where the master password is read from
    engine: str
    engine_version: str
    instance_class: str
    storage_gb: int
    multi_az: bool
    subnet_group: str
    security_group_id: str
    port: int
    username: str
    database_name: str


@dataclass(frozen=True, slots=True)
class ModifyInstance:
    """`changes`: ModifyDBInstance parameters (`DBInstanceClass`, `AllocatedStorage`, …)."""

    identifier: str
    changes: tuple[tuple[str, Any], ...]
    apply_immediately: bool


DatabaseAction = (
    CreateSecret
    | RestoreSecret
    | WriteSecretFields
    | ReplacePassword
    | SetMasterPassword
    | ClearPasswordPending
    | CreateSubnetGroup
    | ModifySubnetGroup
    | CreateSecurityGroup
    | AuthorizeIngress
    | RevokeIngress
    | CreateInstance
    | ModifyInstance
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Something the spec asks for that berth will not do; shown as Degraded."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class DatabasePlan:
    actions: tuple[DatabaseAction, ...] = ()
    refusals: tuple[Refusal, ...] = ()


def connection_fields(desired: DesiredDatabase, instance: ObservedInstance | None) -> dict[str, Any]:
    """The connection secret's value (AWS's RDS secret format), password left out. Before
    the instance has an endpoint the host is empty."""
    if instance is None or not instance.host:
        return {
            "engine": desired.engine,
            "host": "",
            "port": desired.port,
            "username": desired.username,
            "dbname": desired.database_name,
            "dbInstanceIdentifier": desired.identifier,
        }
    return {
        "engine": instance.engine,
        "host": instance.host,
        "port": instance.port or desired.port,
        "username": instance.username,
        "dbname": instance.database_name,
        "dbInstanceIdentifier": instance.identifier,
    }


def _pairs(fields: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(fields.items()))


def serving_port(desired: DesiredDatabase, instance: ObservedInstance | None) -> int:
    """The instance's own port once it has one: an engine change is refused, and its old
    port must stay open meanwhile."""
    return instance.port if instance is not None and instance.port else desired.port


def desired_ingress(desired: DesiredDatabase, port: int) -> frozenset[Rule]:
    return frozenset(rule_from(PROTOCOL, port, port, g) for g in desired.client_group_ids)


def owned_elsewhere(desired: DesiredDatabase, observed: DatabaseObservation) -> Refusal | None:
    instance = observed.instance
    if instance is None or instance.owner == desired.owner:
        return None
    owner = f"environment {instance.owner}" if instance.owner else "no berth environment (it is untagged)"
    return Refusal(
        "NameOwnedElsewhere", NAME_OWNED_ELSEWHERE.format(identifier=instance.identifier, owner=owner)
    )


def plan_database(desired: DesiredDatabase, observed: DatabaseObservation) -> DatabasePlan:
    foreign = owned_elsewhere(desired, observed)
    if foreign is not None:
        return DatabasePlan(refusals=(foreign,))
    actions = [
        *_plan_secret(desired, observed),
        *_plan_subnet_group(desired, observed.subnet_group),
        *_plan_security_group(desired, observed.security_group, serving_port(desired, observed.instance)),
    ]
    instance_actions, refusals = _plan_instance(desired, observed)
    return DatabasePlan(tuple(actions + instance_actions), refusals)


def _plan_secret(desired: DesiredDatabase, observed: DatabaseObservation) -> list[DatabaseAction]:
    secret, instance = observed.secret, observed.instance
    if secret.state is SecretState.DELETED:
        return [RestoreSecret(desired.secret_name)]
    wanted = connection_fields(desired, instance)
    if secret.state is SecretState.ABSENT:
        # With an instance there, its password went with the secret: a new one is set on it.
        return [CreateSecret(desired.secret_name, _pairs(wanted), password_pending=instance is not None)]
    if not secret.has_password:
        return [ReplacePassword(desired.secret_name, _pairs(wanted), password_pending=instance is not None)]
    actions: list[DatabaseAction] = []
    if secret.password_pending:
        if instance is None:
            actions.append(ClearPasswordPending(desired.secret_name))
        elif instance.status == MODIFIABLE:
            actions.append(SetMasterPassword(instance.identifier, desired.secret_name))
    if instance is not None and instance.host and secret.digest != fields_digest(wanted):
        actions.append(WriteSecretFields(desired.secret_name, _pairs(wanted)))
    return actions


def _plan_subnet_group(desired: DesiredDatabase, group: ObservedSubnetGroup | None) -> list[DatabaseAction]:
    subnets = tuple(sorted(desired.subnet_ids))
    if group is None:
        return [CreateSubnetGroup(desired.identifier, subnets)]
    if group.subnet_ids != desired.subnet_ids:
        return [ModifySubnetGroup(desired.identifier, subnets)]
    return []


def _plan_security_group(
    desired: DesiredDatabase, group: ObservedSecurityGroup | None, port: int
) -> list[DatabaseAction]:
    if group is None:
        return [CreateSecurityGroup(desired.identifier, desired.vpc_id)]
    wanted = desired_ingress(desired, port)
    actions: list[DatabaseAction] = []
    change = diff_rules(wanted, group.ingress)
    if change.authorize:
        actions.append(AuthorizeIngress(group.group_id, change.authorize))
    if change.revoke:
        actions.append(RevokeIngress(group.group_id, change.revoke))
    return actions


def _plan_instance(
    desired: DesiredDatabase, observed: DatabaseObservation
) -> tuple[list[DatabaseAction], tuple[Refusal, ...]]:
    instance = observed.instance
    if instance is None:
        ready = (
            observed.secret.state is SecretState.PRESENT
            and observed.secret.has_password
            and observed.subnet_group is not None
            and observed.security_group is not None
        )
        if not ready:
            return [], ()  # the next round, once the secret and both groups exist
        return [
            CreateInstance(
                identifier=desired.identifier,
                secret_name=desired.secret_name,
                engine=desired.engine,
                engine_version=desired.engine_version,
                instance_class=desired.instance_class,
                storage_gb=desired.storage_gb,
                multi_az=desired.multi_az,
                subnet_group=desired.identifier,
                security_group_id=observed.security_group.group_id,
                port=desired.port,
                username=desired.username,
                database_name=desired.database_name,
            )
        ], ()
    refusals = []
    if instance.engine != desired.engine:
        message = ENGINE_CHANGE_REFUSED.format(observed=instance.engine, desired=desired.engine)
        refusals.append(Refusal("EngineChangeRefused", message))
    if desired.storage_gb < instance.effective_storage:
        message = STORAGE_SHRINK_REFUSED.format(
            observed=instance.effective_storage, desired=desired.storage_gb
        )
        refusals.append(Refusal("StorageShrinkRefused", message))
    if instance.status != MODIFIABLE:
        return [], tuple(refusals)  # RDS refuses modifications until it is available again
    immediate: dict[str, Any] = {}
    if desired.storage_gb > instance.effective_storage:
        immediate["AllocatedStorage"] = desired.storage_gb
    if desired.multi_az != instance.effective_multi_az:
        immediate["MultiAZ"] = desired.multi_az
    if instance.publicly_accessible:
        immediate["PubliclyAccessible"] = False
    if instance.deletion_protection:
        immediate["DeletionProtection"] = False
    group = observed.security_group
    if group is not None and instance.security_group_ids != {group.group_id}:
        immediate["VpcSecurityGroupIds"] = (group.group_id,)
    actions: list[DatabaseAction] = []
    if immediate:
        actions.append(ModifyInstance(instance.identifier, _pairs(immediate), apply_immediately=True))
    if desired.instance_class != instance.effective_class:
        changes = (("DBInstanceClass", desired.instance_class),)
        actions.append(ModifyInstance(instance.identifier, changes, apply_immediately=False))
    return actions, tuple(refusals)
