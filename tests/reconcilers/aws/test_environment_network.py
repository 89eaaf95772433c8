"""The environment-network reconciler against moto: converge, resync without writes, drift
put back, shared groups counted, teardown."""

from dataclasses import replace
from uuid import UUID

import pytest
from botocore.exceptions import ClientError

from reconcilers.aws.environment_network import EnvironmentNetworkReconciler
from reconcilers.results import Done, Forget, RequeueAfter
from schemas.kinds import Kind
from schemas.status import ConditionType
from tests.fakes.aws import CrashAfter, RecordingClients
from tests.reconcilers.aws.factories import APPLICATION_ID, ENVIRONMENT_ID, environment, web_container

KIND = Kind.ENVIRONMENT_NETWORK
STAGING_ID = UUID("00000000-0000-4000-8000-0000000000e2")
APP_GROUP = f"berth-app-{APPLICATION_ID}"


def env_with(*, cross_env=False, cross_app=False, containers=None, environment_id=ENVIRONMENT_ID,
             name="production", deleting=False, finalizers=("ecs-environment", KIND)):
    compose = {"enableCrossEnvNetworking": cross_env, "enableCrossAppNetworking": cross_app}
    env = environment(containers, compose=compose, environment_id=environment_id, name=name, deleting=deleting)
    return replace(env, finalizers=finalizers)


def store(database, env):
    database.environments[env.id] = env
    return env


def deleting(database, env):
    """The workload is gone: only this kind holds the environment now."""
    return store(database, replace(env, deleting=True, finalizers=(KIND,)))


async def network_pass(clients, database, clock, env, **options):
    reconciler = EnvironmentNetworkReconciler(clients, clock, **options)
    return await reconciler.reconcile(database.context(KIND, str(env.id)))


def outputs(database, env):
    return database.statuses[(KIND, str(env.id))].outputs


def condition(database, env, kind):
    return next(c for c in database.statuses[(KIND, str(env.id))].conditions if c.type == kind)


async def groups_named(aws, *names):
    answer = await aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": list(names)}])
    return {g["GroupName"]: g for g in answer["SecurityGroups"]}


def ingress_of(group):
    """{(port, cidr)} of a group's CIDR rules."""
    return {
        (p.get("FromPort"), r["CidrIp"]) for p in group["IpPermissions"] for r in p.get("IpRanges", ())
    }


async def test_shared_scope_converges_then_resync_writes_nothing(aws, network, database, clock):
    env = store(database, env_with())
    assert await network_pass(aws, database, clock, env) == Done()

    out = outputs(database, env)
    ingress_name = f"berth-env-{env.id}"
    ingress = (await groups_named(aws, ingress_name))[ingress_name]
    assert out["scope"] == "shared" and out["scopeKey"] == "shared" and out["ready"] is True
    assert out["securityGroupIds"] == [*network["securityGroupIds"], ingress["GroupId"]]
    # The isolation group is everybody's: only the environment's own group reaches its database.
    assert out["peerSecurityGroupIds"] == [ingress["GroupId"]]
    assert out["serviceRegistryArn"] is None and out["namespaceId"] is None
    assert ingress_of(ingress) == {(80, "0.0.0.0/0")}
    assert condition(database, env, ConditionType.READY).status is True
    assert {"SecurityGroupCreated", "IngressAuthorized"} <= set(database.event_reasons())
    # the shared isolation group is not touched: members do not reach each other
    shared = (await aws.ec2.describe_security_groups(GroupIds=network["securityGroupIds"]))["SecurityGroups"][0]
    assert shared["IpPermissions"] == []

    recording = RecordingClients.around(aws)
    assert await network_pass(recording, database, clock, env) == Done()
    assert recording.ec2.writes() == [] and recording.servicediscovery.writes() == []
    assert recording.ec2.calls == ["describe_security_groups"]


async def test_drift_is_put_back(aws, network, database, clock):
    env = store(database, env_with())
    await network_pass(aws, database, clock, env)
    group_id = outputs(database, env)["securityGroupIds"][-1]
    await aws.ec2.authorize_security_group_ingress(
        GroupId=group_id, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    await aws.ec2.revoke_security_group_ingress(
        GroupId=group_id, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )

    assert await network_pass(aws, database, clock, env) == Done()
    group = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0]
    assert ingress_of(group) == {(80, "0.0.0.0/0")}
    assert database.event_reasons().count("IngressRevoked") == 1


async def test_compose_change_reconciles_rules_exactly(aws, network, database, clock):
    env = store(database, env_with(containers=[web_container(exposedPorts=[80, 443])]))
    await network_pass(aws, database, clock, env)
    protected = web_container(
        exposedPorts=[8080], originProtectionConfig={"ipAllow": ["203.0.113.7", "198.51.100.0/24"]}
    )
    env = store(database, replace(env_with(containers=[protected]), generation=2))

    assert await network_pass(aws, database, clock, env) == Done()
    group_id = outputs(database, env)["securityGroupIds"][-1]
    group = (await aws.ec2.describe_security_groups(GroupIds=[group_id]))["SecurityGroups"][0]
    assert ingress_of(group) == {(8080, "203.0.113.7/32"), (8080, "198.51.100.0/24")}


async def test_a_crash_after_create_finds_the_group_again(aws, network, database, clock):
    env = store(database, env_with())
    crashing = RecordingClients.around(aws, crash_after={"create_security_group"})
    with pytest.raises(CrashAfter):
        await network_pass(crashing, database, clock, env)

    recording = RecordingClients.around(aws)
    assert await network_pass(recording, database, clock, env) == Done()
    assert "create_security_group" not in recording.ec2.calls
    assert len(await groups_named(aws, f"berth-env-{env.id}")) == 1


async def test_an_application_group_is_shared_and_goes_with_its_last_environment(aws, network, database, clock):
    production = store(database, env_with(cross_env=True))
    staging = store(database, env_with(cross_env=True, environment_id=STAGING_ID, name="staging"))
    assert await network_pass(aws, database, clock, production) == Done()
    recording = RecordingClients.around(aws)
    assert await network_pass(recording, database, clock, staging) == Done()

    app_group = (await groups_named(aws, APP_GROUP))[APP_GROUP]
    assert recording.ec2.calls.count("create_security_group") == 1  # only staging's ingress group
    for env in (production, staging):
        assert outputs(database, env)["scope"] == "application"
        assert outputs(database, env)["securityGroupIds"][0] == app_group["GroupId"]
        # Cross-environment networking: staging may reach production's database.
        assert outputs(database, env)["peerSecurityGroupIds"][0] == app_group["GroupId"]
    pairs = [pair["GroupId"] for p in app_group["IpPermissions"] for pair in p["UserIdGroupPairs"]]
    assert pairs == [app_group["GroupId"]]  # its members reach each other

    assert await network_pass(aws, database, clock, deleting(database, production)) == Forget()
    assert APP_GROUP in await groups_named(aws, APP_GROUP, f"berth-env-{production.id}")
    assert f"berth-env-{production.id}" not in await groups_named(aws, f"berth-env-{production.id}")
    assert production.id in database.finalized

    assert await network_pass(aws, database, clock, deleting(database, staging)) == Forget()
    assert await groups_named(aws, APP_GROUP, f"berth-env-{staging.id}") == {}
    assert "SecurityGroupDeleted" in database.event_reasons()


async def test_teardown_waits_for_the_workload(aws, network, database, clock):
    env = store(database, env_with())
    await network_pass(aws, database, clock, env)
    env = store(database, replace(env, deleting=True))  # ecs-environment still a finalizer

    result = await network_pass(aws, database, clock, env)
    assert isinstance(result, RequeueAfter)
    assert f"berth-env-{env.id}" in await groups_named(aws, f"berth-env-{env.id}")
    assert condition(database, env, ConditionType.READY).reason == "Deleting"


async def test_moving_scope_releases_the_group_left(aws, network, database, clock):
    env = store(database, env_with(cross_env=True))
    await network_pass(aws, database, clock, env)
    app_group_id = outputs(database, env)["securityGroupIds"][0]

    env = store(database, replace(env_with(), generation=2))
    assert await network_pass(aws, database, clock, env) == Done()
    out = outputs(database, env)
    assert out["scope"] == "shared" and out["retiredScopeKeys"] == []
    assert out["securityGroupIds"][0] == network["securityGroupIds"][0]
    assert await groups_named(aws, APP_GROUP) == {}
    assert app_group_id not in out["securityGroupIds"]


async def test_moving_scope_keeps_a_group_others_use(aws, network, database, clock):
    production = store(database, env_with(cross_env=True))
    staging = store(database, env_with(cross_env=True, environment_id=STAGING_ID, name="staging"))
    await network_pass(aws, database, clock, production)
    await network_pass(aws, database, clock, staging)

    staging = store(database, replace(env_with(environment_id=STAGING_ID, name="staging"), generation=2))
    assert await network_pass(aws, database, clock, staging) == Done()
    assert APP_GROUP in await groups_named(aws, APP_GROUP)
    assert outputs(database, staging)["retiredScopeKeys"] == []


async def test_organisation_scope_discovery(aws, network, database, clock):
    env = store(database, env_with(cross_app=True))
    assert await network_pass(aws, database, clock, env) == Done()

    out = outputs(database, env)
    assert out["scope"] == "organisation" and out["scopeKey"] == "organisation:acme"
    assert out["namespaceName"] == "acme.berth.internal"
    namespace = (await aws.servicediscovery.get_namespace(Id=out["namespaceId"]))["Namespace"]
    assert namespace["Name"] == "acme.berth.internal" and namespace["Type"] == "DNS_PRIVATE"
    service_id = out["serviceRegistryArn"].rsplit("/", 1)[-1]
    service = (await aws.servicediscovery.get_service(Id=service_id))["Service"]
    assert service["Name"] == "shop" and service["NamespaceId"] == out["namespaceId"]
    assert service["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    assert "berth-org-acme" in await groups_named(aws, "berth-org-acme")
    assert "discoverable as shop.acme.berth.internal" in condition(database, env, ConditionType.READY).message

    recording = RecordingClients.around(aws)
    assert await network_pass(recording, database, clock, env) == Done()
    assert recording.ec2.writes() == [] and recording.servicediscovery.writes() == []

    await aws.servicediscovery.update_service(Id=service_id, Service={"DnsConfig": {"DnsRecords": [{"Type": "A", "TTL": 300}]}})
    assert await network_pass(aws, database, clock, env) == Done()
    service = (await aws.servicediscovery.get_service(Id=service_id))["Service"]
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]

    assert await network_pass(aws, database, clock, deleting(database, env)) == Forget()
    assert (await aws.servicediscovery.list_services())["Services"] == []
    assert (await aws.servicediscovery.list_namespaces())["Namespaces"] == []
    assert await groups_named(aws, "berth-org-acme") == {}


async def test_two_applications_share_the_organisation_namespace(aws, network, database, clock):
    shop = store(database, env_with(cross_app=True))
    blog = store(database, replace(env_with(cross_app=True, environment_id=STAGING_ID),
                                   application="blog", application_id=UUID(int=7)))
    await network_pass(aws, database, clock, shop)
    assert await network_pass(aws, database, clock, blog) == Done()
    assert outputs(database, shop)["namespaceId"] == outputs(database, blog)["namespaceId"]
    assert outputs(database, shop)["securityGroupIds"][0] == outputs(database, blog)["securityGroupIds"][0]
    names = sorted(s["Name"] for s in (await aws.servicediscovery.list_services())["Services"])
    assert names == ["blog", "shop"]

    assert await network_pass(aws, database, clock, deleting(database, shop)) == Forget()
    assert len((await aws.servicediscovery.list_namespaces())["Namespaces"]) == 1
    assert [s["Name"] for s in (await aws.servicediscovery.list_services())["Services"]] == ["blog"]


async def test_waits_for_the_shared_network(aws, database, clock):
    env = store(database, env_with())
    assert isinstance(await network_pass(aws, database, clock, env), RequeueAfter)


class Refusing:
    """Clients whose EC2 answers DeleteSecurityGroup with DependencyViolation (as AWS does
    while an RDS or EFS group's rule still names the group, or a task still carries it)."""

    def __init__(self, clients):
        self._clients = clients
        self.ec2 = self
        self.servicediscovery = clients.servicediscovery

    def __getattr__(self, name):
        return getattr(self._clients.ec2, name)

    async def delete_security_group(self, **kwargs):
        error = {"Error": {"Code": "DependencyViolation", "Message": "resource has a dependent object"}}
        raise ClientError(error, "DeleteSecurityGroup")


async def test_a_group_still_in_use_is_deleted_later(aws, network, database, clock):
    env = store(database, env_with(cross_env=True))
    await network_pass(aws, database, clock, env)
    env = deleting(database, env)

    result = await network_pass(Refusing(aws), database, clock, env)
    assert isinstance(result, RequeueAfter)
    assert condition(database, env, ConditionType.PROGRESSING).reason == "Deleting"
    assert database.finalized == []

    assert await network_pass(aws, database, clock, env) == Forget()
    assert await groups_named(aws, APP_GROUP, f"berth-env-{env.id}") == {}


async def test_a_group_left_but_still_in_use_is_retried(aws, network, database, clock):
    env = store(database, env_with(cross_env=True))
    await network_pass(aws, database, clock, env)
    env = store(database, replace(env_with(), generation=2))

    assert isinstance(await network_pass(Refusing(aws), database, clock, env), RequeueAfter)
    assert outputs(database, env)["retiredScopeKeys"] == [f"application:{APPLICATION_ID}"]
    assert outputs(database, env)["ready"] is True  # the new groups are in place meanwhile

    assert await network_pass(aws, database, clock, env) == Done()
    assert outputs(database, env)["retiredScopeKeys"] == []
    assert await groups_named(aws, APP_GROUP) == {}
