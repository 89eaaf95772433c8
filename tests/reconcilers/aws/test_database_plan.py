"""What an environment's database lacks (pure): table-driven cases and a convergence property."""

from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconcilers.aws.database.plan import (
    AuthorizeIngress,
    ClearPasswordPending,
    CreateInstance,
    CreateSecret,
    CreateSecurityGroup,
    CreateSubnetGroup,
    DatabaseObservation,
    DesiredDatabase,
    ModifyInstance,
    ModifySubnetGroup,
    ObservedInstance,
    ObservedSecret,
    ObservedSecurityGroup,
    ObservedSubnetGroup,
    ReplacePassword,
    RestoreSecret,
    RevokeIngress,
    SecretState,
    SetMasterPassword,
    WriteSecretFields,
    connection_fields,
    plan_database,
)
from reconcilers.aws.database.status import is_ready
from reconcilers.aws.security_group_rules import rule_from

OWNER = "00000000-0000-4000-8000-0000000000e1"
DESIRED = DesiredDatabase(
    owner=OWNER,
    identifier="berth-acme-shop-production-1a2b3c4d",
    secret_name="berth/acme/shop/production/database",
    engine="mysql",
    engine_version="8.4",
    port=3306,
    instance_class="db.t4g.micro",
    storage_gb=20,
    multi_az=False,
    vpc_id="vpc-1",
    subnet_ids=frozenset({"subnet-a", "subnet-b"}),
    client_group_ids=frozenset({"sg-workload"}),
)
RULE = rule_from("tcp", 3306, 3306, "sg-workload")
INSTANCE = ObservedInstance(
    identifier=DESIRED.identifier,
    owner=OWNER,
    status="available",
    engine="mysql",
    instance_class="db.t4g.micro",
    storage_gb=20,
    multi_az=False,
    security_group_ids=frozenset({"sg-db"}),
    host="db.example",
    port=3306,
)
SECRET = ObservedSecret(
    SecretState.PRESENT, "arn:secret", connection_fields(DESIRED, INSTANCE), has_password=True
)
CONVERGED = DatabaseObservation(
    secret=SECRET,
    subnet_group=ObservedSubnetGroup(DESIRED.identifier, "vpc-1", DESIRED.subnet_ids),
    security_group=ObservedSecurityGroup("sg-db", frozenset({RULE})),
    instance=INSTANCE,
)
FIELDS = tuple(sorted(connection_fields(DESIRED, INSTANCE).items()))
INITIAL = tuple(sorted(connection_fields(DESIRED, None).items()))
CREATE = CreateInstance(
    identifier=DESIRED.identifier,
    secret_name=DESIRED.secret_name,
    engine="mysql",
    engine_version="8.4",
    instance_class="db.t4g.micro",
    storage_gb=20,
    multi_az=False,
    subnet_group=DESIRED.identifier,
    security_group_id="sg-db",
    port=3306,
    username="berth",
    database_name="app",
)


def _instance(**changes):
    return replace(CONVERGED, instance=replace(INSTANCE, **changes))


@dataclass(frozen=True)
class Case:
    reason: str
    observed: DatabaseObservation
    actions: list
    refusals: tuple[str, ...] = ()
    desired: DesiredDatabase = DESIRED


CASES = [
    Case("converged: nothing", CONVERGED, []),
    Case(
        "nothing yet: the secret and both groups; the instance waits for them",
        DatabaseObservation(),
        [
            CreateSecret(DESIRED.secret_name, INITIAL),
            CreateSubnetGroup(DESIRED.identifier, ("subnet-a", "subnet-b")),
            CreateSecurityGroup(DESIRED.identifier, "vpc-1"),
        ],
    ),
    Case(
        "secret and groups there: the rule and the instance",
        replace(
            CONVERGED,
            instance=None,
            secret=replace(SECRET, fields=dict(INITIAL)),
            security_group=ObservedSecurityGroup("sg-db"),
        ),
        [AuthorizeIngress("sg-db", (RULE,)), CREATE],
    ),
    Case(
        "the instance has an endpoint: the secret gets it",
        replace(CONVERGED, secret=replace(SECRET, fields=dict(INITIAL))),
        [WriteSecretFields(DESIRED.secret_name, FIELDS)],
    ),
    Case(
        "a secret scheduled for deletion is restored",
        replace(CONVERGED, secret=ObservedSecret(SecretState.DELETED, "arn:secret")),
        [RestoreSecret(DESIRED.secret_name)],
    ),
    Case(
        "the secret is gone but the instance is there: a new password, pending",
        replace(CONVERGED, secret=ObservedSecret()),
        [CreateSecret(DESIRED.secret_name, FIELDS, password_pending=True)],
    ),
    Case(
        "a pending password is set on the instance",
        replace(CONVERGED, secret=replace(SECRET, password_pending=True)),
        [SetMasterPassword(DESIRED.identifier, DESIRED.secret_name)],
    ),
    Case(
        "a pending password without an instance is simply the one to create it with",
        replace(CONVERGED, instance=None, secret=replace(SECRET, password_pending=True)),
        [ClearPasswordPending(DESIRED.secret_name), CREATE],
    ),
    Case(
        "a secret without a password gets a new one",
        replace(CONVERGED, secret=replace(SECRET, has_password=False)),
        [ReplacePassword(DESIRED.secret_name, FIELDS, password_pending=True)],
    ),
    Case(
        "subnets moved",
        replace(
            CONVERGED, subnet_group=ObservedSubnetGroup(DESIRED.identifier, "vpc-1", frozenset({"subnet-a"}))
        ),
        [ModifySubnetGroup(DESIRED.identifier, ("subnet-a", "subnet-b"))],
    ),
    Case(
        "a rule added out of band goes, the missing one comes",
        replace(
            CONVERGED,
            security_group=ObservedSecurityGroup(
                "sg-db", frozenset({rule_from("tcp", 3306, 3306, "0.0.0.0/0")})
            ),
        ),
        [
            AuthorizeIngress("sg-db", (RULE,)),
            RevokeIngress("sg-db", (rule_from("tcp", 3306, 3306, "0.0.0.0/0"),)),
        ],
    ),
    Case(
        "class, storage and Multi-AZ: the class in the window, the rest at once",
        CONVERGED,
        [
            ModifyInstance(DESIRED.identifier, (("AllocatedStorage", 50), ("MultiAZ", True)), True),
            ModifyInstance(DESIRED.identifier, (("DBInstanceClass", "db.r6g.large"),), False),
        ],
        desired=replace(DESIRED, instance_class="db.r6g.large", storage_gb=50, multi_az=True),
    ),
    Case(
        "a class change already pending is not asked for again",
        _instance(pending={"DBInstanceClass": "db.r6g.large"}),
        [],
        desired=replace(DESIRED, instance_class="db.r6g.large"),
    ),
    Case(
        "public access, deletion protection and a foreign group are put back",
        _instance(publicly_accessible=True, deletion_protection=True, security_group_ids=frozenset({"sg-x"})),
        [
            ModifyInstance(
                DESIRED.identifier,
                (
                    ("DeletionProtection", False),
                    ("PubliclyAccessible", False),
                    ("VpcSecurityGroupIds", ("sg-db",)),
                ),
                True,
            )
        ],
    ),
    Case("shrinking storage is refused", _instance(storage_gb=40), [], ("StorageShrinkRefused",)),
    Case(
        "an engine change is refused",
        CONVERGED,
        [],
        ("EngineChangeRefused",),
        desired=replace(DESIRED, engine="postgres", engine_version="17", port=5432),
    ),
    Case("nothing is modified while the instance is busy", _instance(status="modifying", storage_gb=10), []),
    Case(
        "an instance of that name that is not ours: nothing at all",
        replace(CONVERGED, secret=ObservedSecret(), instance=replace(INSTANCE, owner="")),
        [],
        ("NameOwnedElsewhere",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.reason)
def test_plan_database(case: Case):
    plan = plan_database(case.desired, case.observed)
    assert list(plan.actions) == case.actions, case.reason
    assert tuple(r.reason for r in plan.refusals) == case.refusals, case.reason


def test_converged_is_ready():
    assert is_ready(DESIRED, CONVERGED)
    assert not is_ready(DESIRED, replace(CONVERGED, secret=replace(SECRET, password_pending=True)))


# --- the property: applying a plan, as AWS would, converges -------------------------------------


def simulate(observed: DatabaseObservation, action, desired: DesiredDatabase) -> DatabaseObservation:
    secret, instance = observed.secret, observed.instance
    match action:
        case CreateSecret(fields=fields, password_pending=pending):
            return replace(
                observed, secret=ObservedSecret(SecretState.PRESENT, "arn:new", dict(fields), True, pending)
            )
        case RestoreSecret():
            return replace(observed, secret=replace(secret, state=SecretState.PRESENT))
        case WriteSecretFields(fields=fields):
            return replace(observed, secret=replace(secret, fields=dict(fields)))
        case ReplacePassword(fields=fields, password_pending=pending):
            return replace(
                observed,
                secret=replace(secret, fields=dict(fields), has_password=True, password_pending=pending),
            )
        case SetMasterPassword() | ClearPasswordPending():
            return replace(observed, secret=replace(secret, password_pending=False))
        case (
            CreateSubnetGroup(name=name, subnet_ids=subnets)
            | ModifySubnetGroup(name=name, subnet_ids=subnets)
        ):
            return replace(
                observed, subnet_group=ObservedSubnetGroup(name, desired.vpc_id, frozenset(subnets))
            )
        case CreateSecurityGroup():
            return replace(observed, security_group=ObservedSecurityGroup("sg-new"))
        case AuthorizeIngress(permissions=rules):
            group = observed.security_group
            return replace(observed, security_group=replace(group, ingress=group.ingress | set(rules)))
        case RevokeIngress(permissions=rules):
            group = observed.security_group
            return replace(observed, security_group=replace(group, ingress=group.ingress - set(rules)))
        case CreateInstance() as create:
            made = ObservedInstance(
                identifier=create.identifier,
                owner=desired.owner,
                status="available",
                engine=create.engine,
                instance_class=create.instance_class,
                storage_gb=create.storage_gb,
                multi_az=create.multi_az,
                security_group_ids=frozenset({create.security_group_id}),
                host="db.example",
                port=create.port,
                username=create.username,
                database_name=create.database_name,
            )
            return replace(observed, instance=made)
        case ModifyInstance(changes=changes, apply_immediately=True):
            names = {
                "AllocatedStorage": "storage_gb",
                "MultiAZ": "multi_az",
                "PubliclyAccessible": "publicly_accessible",
                "DeletionProtection": "deletion_protection",
                "VpcSecurityGroupIds": "security_group_ids",
            }
            values = {names[k]: frozenset(v) if isinstance(v, tuple) else v for k, v in changes}
            pending = {k: v for k, v in instance.pending.items() if k not in dict(changes)}
            return replace(observed, instance=replace(instance, pending=pending, **values))
        case ModifyInstance(changes=changes, apply_immediately=False):
            return replace(
                observed, instance=replace(instance, pending={**instance.pending, **dict(changes)})
            )
    raise AssertionError(action)


groups = st.sets(st.sampled_from(["sg-a", "sg-b", "sg-c"]), min_size=1).map(frozenset)
subnets = st.sets(st.sampled_from(["subnet-a", "subnet-b", "subnet-c"]), min_size=1).map(frozenset)
desireds = st.builds(
    replace,
    st.just(DESIRED),
    instance_class=st.sampled_from(["db.t4g.micro", "db.t4g.small"]),
    storage_gb=st.integers(20, 40),
    multi_az=st.booleans(),
    subnet_ids=subnets,
    client_group_ids=groups,
)
rules = st.sets(
    st.builds(
        rule_from,
        st.just("tcp"),
        st.sampled_from([3306, 22]),
        st.sampled_from([3306, 22]),
        st.sampled_from(["sg-a", "sg-b", "0.0.0.0/0"]),
    )
).map(frozenset)
secrets = st.builds(
    ObservedSecret,
    st.sampled_from(SecretState),
    st.just("arn:secret"),
    st.sampled_from([{}, dict(INITIAL), dict(FIELDS), {"host": "elsewhere"}]),
    st.booleans(),
    st.booleans(),
)
instances = st.none() | st.builds(
    replace,
    st.just(INSTANCE),
    status=st.sampled_from(["available", "available", "creating", "modifying"]),
    instance_class=st.sampled_from(["db.t4g.micro", "db.t4g.small", "db.m5.large"]),
    storage_gb=st.integers(20, 40),
    multi_az=st.booleans(),
    publicly_accessible=st.booleans(),
    deletion_protection=st.booleans(),
    security_group_ids=st.sampled_from([frozenset({"sg-db"}), frozenset({"sg-x"}), frozenset()]),
    pending=st.sampled_from([{}, {"DBInstanceClass": "db.t4g.small"}, {"AllocatedStorage": 30}]),
)
observations = st.builds(
    DatabaseObservation,
    secrets,
    st.none() | st.builds(ObservedSubnetGroup, st.just(DESIRED.identifier), st.just("vpc-1"), subnets),
    st.none() | st.builds(ObservedSecurityGroup, st.just("sg-db"), rules),
    instances,
)


@settings(max_examples=300, deadline=None)
@given(desired=desireds, observed=observations)
def test_applying_the_plan_converges(desired: DesiredDatabase, observed: DatabaseObservation):
    for _ in range(6):
        plan = plan_database(desired, observed)
        if not plan.actions:
            break
        for action in plan.actions:
            observed = simulate(observed, action, desired)
    assert plan_database(desired, observed).actions == ()
    instance = observed.instance
    assert (
        instance is not None and observed.secret.state is SecretState.PRESENT and observed.secret.has_password
    )
    if instance.status == "available":
        assert not observed.secret.password_pending
        assert instance.effective_class == desired.instance_class
        assert instance.effective_storage >= desired.storage_gb  # a larger size already pending stays
        assert instance.effective_multi_az == desired.multi_az
        assert not instance.publicly_accessible and not instance.deletion_protection
        assert observed.subnet_group.subnet_ids == desired.subnet_ids
        assert {r.source for r in observed.security_group.ingress} == desired.client_group_ids
        assert is_ready(desired, observed)
