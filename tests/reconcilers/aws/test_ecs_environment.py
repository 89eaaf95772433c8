"""The ECS environment reconciler against moto in server mode, with the rollout simulator."""

from dataclasses import replace
from uuid import UUID

import pytest
from botocore.exceptions import EndpointConnectionError

from reconcilers.aws.config import AwsConfig
from reconcilers.aws.naming import ecs_tags, ownership_tags
from reconcilers.aws.task_definition import render_task_definition
from reconcilers.results import Done, Forget, PermanentError, RequeueAfter, TemporaryError
from schemas.status import ConditionType
from tests.fakes.aws import CrashAfter, RecordingClients
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment, web_container
from tests.reconcilers.aws.passes import FAMILY, KEY, condition, converge, converge_key, revisions, status
from tests.reconcilers.aws.passes import environment_pass as run_pass
from tests.reconcilers.aws.passes import ready_dependencies

@pytest.fixture
async def network(network, database):
    """The shared network, with each test environment's `environment-network` ready on it."""
    ready_dependencies(database, network)
    return network



async def describe(aws, network):
    answer = await aws.ecs.describe_services(cluster=network["clusterArn"], services=[FAMILY])
    return answer["services"][0] if answer["services"] else None


async def test_a_missing_environment_is_forgotten(aws, aws_config, database, clock):
    assert await run_pass(aws, aws_config, database, clock) == Forget()


async def test_waits_for_the_network(aws, aws_config, database, clock):
    database.environments[ENVIRONMENT_ID] = environment()
    result = await run_pass(aws, aws_config, database, clock)
    assert result == RequeueAfter(30, "waiting for aws-network: no outputs yet")
    assert condition(database, ConditionType.READY).reason == "WaitingForAwsNetwork"
    assert await revisions(aws) == []


async def test_an_environment_converges(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    recording = RecordingClients.around(aws)

    first = await run_pass(recording, aws_config, database, clock)
    assert first == RequeueAfter(5, "rollout in progress")
    assert recording.ecs.writes() == ["register_task_definition", "create_service"]
    assert len(await revisions(aws)) == 1
    created = status(database)
    assert created.outputs["rolloutState"] == "IN_PROGRESS"
    [started] = database.deployments[ENVIRONMENT_ID].values()
    assert (started.status, started.image_tag) == ("IN_PROGRESS", "1.27")

    # moto's create_service drops the capacity providers and the circuit breaker: one update.
    recording.ecs.calls.clear()
    assert await run_pass(recording, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert recording.ecs.writes() == ["update_service"]
    service = await describe(aws, network)
    assert service["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {
        "enable": True,
        "rollback": True,
    }
    assert service["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    assert sorted(service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]) == sorted(
        network["subnetIds"]
    )

    simulator.step()
    clock.advance(30)
    recording.ecs.calls.clear()
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []
    ready = condition(database, ConditionType.READY)
    assert (ready.status, ready.reason, ready.last_transition_time) == (True, "RolloutComplete", clock.now)
    assert database.deployments[ENVIRONMENT_ID][started.deployment_id].status == "COMPLETED"
    outputs = status(database).outputs
    assert {
        k: outputs[k] for k in ("serviceName", "desiredCount", "runningCount", "pendingCount", "rolloutState")
    } == {
        "serviceName": FAMILY,
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "rolloutState": "COMPLETED",
    }
    assert outputs["serviceArn"].endswith(f"service/berth/{FAMILY}")
    assert outputs["taskDefinitionArn"].endswith(f"task-definition/{FAMILY}:1")
    assert outputs["deploymentId"] == started.deployment_id

    # Converged: a further pass registers nothing, writes nothing to AWS, keeps transition times.
    recording.ecs.calls.clear()
    clock.advance(30)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []
    assert len(await revisions(aws)) == 1
    assert condition(database, ConditionType.READY).last_transition_time == ready.last_transition_time
    assert database.event_reasons() == [
        "ClusterCreated",
        "VpcCreated",
        "SubnetCreated",
        "SubnetCreated",
        "SecurityGroupCreated",
        "TaskDefinitionRegistered",
        "ServiceCreated",
        "ServiceUpdated",
        "DeploymentCompleted",
    ]
    tags = await aws.ecs.list_tags_for_resource(resourceArn=outputs["taskDefinitionArn"])
    assert {t["key"]: t["value"] for t in tags["tags"]}["berth:environment-id"] == KEY


async def test_a_changed_spec_rolls_out_a_new_revision(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    [first] = database.deployments[ENVIRONMENT_ID].values()

    database.environments[ENVIRONMENT_ID] = environment(
        [web_container(imageReference={"type": "external", "identifier": "nginx:1.28"})],
        generation=2,
        min_capacity=2,
    )
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert recording.ecs.writes() == ["register_task_definition", "update_service"]
    assert len(await revisions(aws)) == 2
    assert status(database).observed_generation == 2
    assert condition(database, ConditionType.PROGRESSING).status is True

    simulator.step()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    records = database.deployments[ENVIRONMENT_ID]
    [second] = [r for r in records.values() if r.deployment_id != first.deployment_id]
    assert (second.status, second.image_tag) == ("COMPLETED", "1.28")
    assert second.task_definition_arn.endswith(f"{FAMILY}:2")
    assert records[first.deployment_id].status == "COMPLETED"
    assert status(database).outputs["runningCount"] == 2
    assert condition(database, ConditionType.READY).status is True


async def test_a_failed_rollout_is_rolled_back_and_held(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    await converge(aws, aws_config, database, clock, simulator)
    [first] = database.deployments[ENVIRONMENT_ID].values()

    database.environments[ENVIRONMENT_ID] = environment(
        [web_container(imageReference={"type": "external", "identifier": "nginx:broken"})], generation=2
    )
    simulator.fail_next(FAMILY)
    assert await run_pass(aws, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")

    simulator.step()  # the breaker trips; ECS starts rolling back
    result = await run_pass(aws, aws_config, database, clock)
    records = database.deployments[ENVIRONMENT_ID]
    [failed] = [r for r in records.values() if r.task_definition_arn.endswith(":2")]
    assert failed.status == "FAILED"
    assert failed.image_tag == "broken"
    degraded = condition(database, ConditionType.DEGRADED)
    assert (degraded.status, degraded.reason) == (True, "RolloutFailed")
    assert result == RequeueAfter(5, "rollout in progress")  # following the rollback

    simulator.step()  # the rollback completes, the failed deployment is gone
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == Done()
    assert recording.ecs.writes() == []  # the failed revision is not pushed again
    assert records[failed.deployment_id].status == "ROLLED_BACK"
    [rollback] = [
        r for r in records.values() if r.deployment_id not in (first.deployment_id, failed.deployment_id)
    ]
    assert rollback.status == "COMPLETED" and rollback.task_definition_arn.endswith(":1")
    ready = condition(database, ConditionType.READY)
    assert (ready.status, ready.reason) == (False, "RolledBack")
    assert condition(database, ConditionType.DEGRADED).status is True
    assert "DeploymentFailed" in database.event_reasons()
    assert "DeploymentRolledBack" in database.event_reasons()

    # A new generation retries the same revision.
    database.environments[ENVIRONMENT_ID] = replace(database.environments[ENVIRONMENT_ID], generation=3)
    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert recording.ecs.writes() == ["update_service"]
    simulator.step()
    assert await run_pass(aws, aws_config, database, clock) == Done()
    assert condition(database, ConditionType.READY).status is True
    assert condition(database, ConditionType.DEGRADED).status is False


async def test_a_crash_after_registering_leaks_nothing(aws, aws_config, database, clock, simulator, network):
    database.environments[ENVIRONMENT_ID] = environment()
    crashing = RecordingClients.around(aws, crash_after=["register_task_definition"])
    with pytest.raises(CrashAfter):
        await run_pass(crashing, aws_config, database, clock)

    recording = RecordingClients.around(aws)
    assert await run_pass(recording, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert recording.ecs.writes() == ["create_service"]
    await converge(aws, aws_config, database, clock, simulator)
    assert len(await revisions(aws)) == 1
    services = await aws.ecs.list_services(cluster=network["clusterArn"])
    assert len(services["serviceArns"]) == 1


async def test_a_crash_after_creating_the_service_leaks_nothing(
    aws, aws_config, database, clock, simulator, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    crashing = RecordingClients.around(aws, crash_after=["create_service"])
    with pytest.raises(CrashAfter):
        await run_pass(crashing, aws_config, database, clock)

    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert "create_service" not in recording.ecs.writes()
    assert "register_task_definition" not in recording.ecs.writes()
    await converge(aws, aws_config, database, clock, simulator)
    assert condition(database, ConditionType.READY).status is True


async def test_an_internal_image_runs_from_the_organisations_ecr_repository(
    aws, aws_config, database, clock, network
):
    """No registry configured: the repository `berth/acme` is made and its URI used."""
    internal = web_container(imageReference={"type": "internal", "identifier": "shop-1"})
    database.environments[ENVIRONMENT_ID] = environment([internal])
    await run_pass(aws, replace(aws_config, ecr_registry=None), database, clock)
    [arn] = await revisions(aws)
    described = await aws.ecs.describe_task_definition(taskDefinition=arn)
    image = described["taskDefinition"]["containerDefinitions"][0]["image"]
    assert image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/acme:shop-1"
    [repository] = (await aws.ecr.describe_repositories(repositoryNames=["berth/acme"]))["repositories"]
    tags = await aws.ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])
    assert {t["Key"]: t["Value"] for t in tags["tags"]} == {
        "berth:managed-by": "berth",
        "berth:organisation": "acme",
    }


async def test_an_existing_ecr_repository_is_used_as_it_is(aws, aws_config, database, clock, network):
    await aws.ecr.create_repository(repositoryName="berth/acme")
    internal = web_container(imageReference={"type": "internal", "identifier": "shop-1"})
    database.environments[ENVIRONMENT_ID] = environment([internal])
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecr.writes() == []
    assert len(await revisions(aws)) == 1


async def test_external_images_need_no_ecr_repository(aws, aws_config, database, clock, network):
    database.environments[ENVIRONMENT_ID] = environment()
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecr.calls == []


async def test_dashes_in_organisation_and_application_names_do_not_collide(
    aws, aws_config, database, clock, network
):
    """Organisation `a-b`'s application `c` and organisation `a`'s application `b-c`."""
    other_id = UUID("00000000-0000-4000-8000-0000000000e2")
    database.environments[ENVIRONMENT_ID] = environment(organisation="a-b", application="c")
    database.environments[other_id] = environment(
        organisation="a", application="b-c", environment_id=other_id
    )
    for key in (KEY, str(other_id)):
        assert await run_pass(aws, aws_config, database, clock, key) == RequeueAfter(5, "rollout in progress")

    listed = await aws.ecs.list_services(cluster=network["clusterArn"])
    names = sorted(arn.rsplit("/", 1)[-1] for arn in listed["serviceArns"])
    assert names == ["a-b_c_production", "a_b-c_production"]
    for name, owner in (("a-b_c_production", KEY), ("a_b-c_production", str(other_id))):
        [revision] = (await aws.ecs.list_task_definitions(familyPrefix=name))["taskDefinitionArns"]
        tags = (await aws.ecs.list_tags_for_resource(resourceArn=revision))["tags"]
        assert {t["key"]: t["value"] for t in tags}["berth:environment-id"] == owner


# --- ownership: a same-named resource of another owner is never touched -----------------------

OTHER_ID = UUID("00000000-0000-4000-8000-0000000000e9")
OWNERS = {
    "another environment": ecs_tags(ownership_tags(environment(environment_id=OTHER_ID))),
    "untagged": [],
}


async def occupy(aws, network, tags, *, service: bool):
    """A revision in the environment's family (and a service of its name) that is not its own."""
    request = {**render_task_definition(environment(), AwsConfig()), "tags": tags}
    if not tags:
        del request["tags"]
    arn = (await aws.ecs.register_task_definition(**request))["taskDefinition"]["taskDefinitionArn"]
    if service:
        await aws.ecs.create_service(
            cluster=network["clusterArn"],
            serviceName=FAMILY,
            taskDefinition=arn,
            desiredCount=3,
            **({"tags": tags} if tags else {}),
        )
    return arn


@pytest.mark.parametrize("owner", sorted(OWNERS))
async def test_a_service_of_the_same_name_owned_elsewhere_is_never_changed(
    aws, aws_config, database, clock, network, owner
):
    await occupy(aws, network, OWNERS[owner], service=True)
    await aws.ecs.deregister_task_definition(taskDefinition=f"{FAMILY}:1")  # the family is free
    database.environments[ENVIRONMENT_ID] = environment()
    recording = RecordingClients.around(aws)
    with pytest.raises(PermanentError) as raised:
        await run_pass(recording, aws_config, database, clock)
    assert raised.value.reason == "NameOwnedElsewhere"
    assert f"service {FAMILY}" in str(raised.value)
    assert recording.ecs.writes() == []
    assert (await describe(aws, network))["desiredCount"] == 3


@pytest.mark.parametrize("owner", sorted(OWNERS))
async def test_a_family_owned_elsewhere_is_never_registered_into(
    aws, aws_config, database, clock, network, owner
):
    await occupy(aws, network, OWNERS[owner], service=False)
    database.environments[ENVIRONMENT_ID] = environment(
        [web_container(imageReference={"type": "external", "identifier": "nginx:other"})]
    )
    recording = RecordingClients.around(aws)
    with pytest.raises(PermanentError) as raised:
        await run_pass(recording, aws_config, database, clock)
    assert raised.value.reason == "NameOwnedElsewhere"
    assert f"family {FAMILY}" in str(raised.value)
    assert recording.ecs.writes() == []
    assert len(await revisions(aws)) == 1


async def test_a_deleted_environments_service_of_the_same_name_is_replaced_not_followed(
    aws, aws_config, database, clock, simulator, network
):
    """An application deleted and created again: a new environment id, the same names."""
    old_id = OTHER_ID
    database.environments[old_id] = environment(environment_id=old_id)
    await converge_key(aws, aws_config, database, clock, simulator, str(old_id))
    old_deployments = set(database.deployments[old_id])
    database.environments[old_id] = environment(environment_id=old_id, deleting=True)
    assert await run_pass(aws, aws_config, database, clock, str(old_id)) == Forget()
    assert (await describe(aws, network))["status"] == "INACTIVE"

    database.environments[ENVIRONMENT_ID] = environment()
    recording = RecordingClients.around(aws)
    await run_pass(recording, aws_config, database, clock)
    assert recording.ecs.writes() == ["register_task_definition", "create_service"]
    assert not old_deployments & set(database.deployments[ENVIRONMENT_ID])
    await converge(aws, aws_config, database, clock, simulator)
    assert condition(database, ConditionType.READY).status is True


# --- RegisterTaskDefinition takes no client token: it is sent once -----------------------------


async def test_a_lost_answer_to_register_does_not_register_twice(
    proxied, aws_proxy, aws, aws_config, database, clock, network
):
    """The revision is registered but its answer is lost: neither botocore nor berth sends
    the request again; the next pass finds the revision and goes on with it."""
    database.environments[ENVIRONMENT_ID] = environment()
    aws_proxy.lose_answers("RegisterTaskDefinition")
    with pytest.raises(TemporaryError, match="not retried"):
        await run_pass(proxied, aws_config, database, clock)
    assert aws_proxy.calls["RegisterTaskDefinition"] == 1
    assert len(await revisions(aws)) == 1

    assert await run_pass(proxied, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert aws_proxy.calls["RegisterTaskDefinition"] == 1
    assert aws_proxy.calls["CreateService"] == 1
    assert status(database).outputs["taskDefinitionArn"].endswith(f"{FAMILY}:1")


async def test_a_lost_answer_to_an_idempotent_call_is_still_retried(
    proxied, aws_proxy, aws_config, database, clock, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    aws_proxy.lose_answers("CreateService")
    assert await run_pass(proxied, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert aws_proxy.calls["CreateService"] == 2  # the replay carries the same client token


# --- CreateService's client token: a hash of the create -----------------------------------------


class CreateRequests:
    """The `aws` clients, with every CreateService request kept (and the first `fail`
    ones failing before they reach AWS, as a dropped connection would)."""

    def __init__(self, aws, fail: int = 0):
        self._aws, self.requests, self._fail = aws, [], fail
        self.ecs_once, self.ec2 = aws.ecs_once, aws.ec2
        self.logs, self.ecr, self.secretsmanager = aws.logs, aws.ecr, aws.secretsmanager
        self.ecs = self

    def __getattr__(self, name):
        return getattr(self._aws.ecs, name)

    async def create_service(self, **request):
        self.requests.append(request)
        if self._fail:
            self._fail -= 1
            raise EndpointConnectionError(endpoint_url="http://aws")
        return await self._aws.ecs.create_service(**request)

    def tokens(self) -> list[str]:
        return [r["clientToken"] for r in self.requests]


async def test_a_service_deleted_out_of_band_is_created_again_with_a_new_token(
    aws, aws_config, database, clock, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    clients = CreateRequests(aws)
    await run_pass(clients, aws_config, database, clock)
    await aws.ecs.delete_service(cluster=network["clusterArn"], service=FAMILY, force=True)

    # The same generation, different parameters (the configuration changed meanwhile):
    # ECS would reject the old token with a ClientException.
    await run_pass(clients, replace(aws_config, assign_public_ip=False), database, clock)
    await aws.ecs.delete_service(cluster=network["clusterArn"], service=FAMILY, force=True)
    # The very same parameters: ECS would answer the old token with the deleted service.
    await run_pass(clients, aws_config, database, clock)

    first, other_parameters, same_parameters = clients.tokens()
    assert len({first, other_parameters, same_parameters}) == 3
    assert (await describe(aws, network))["status"] == "ACTIVE"


async def test_a_create_that_never_arrived_is_replayed_with_the_same_token(
    aws, aws_config, database, clock, network
):
    database.environments[ENVIRONMENT_ID] = environment()
    clients = CreateRequests(aws, fail=3)
    with pytest.raises(TemporaryError):
        await run_pass(clients, aws_config, database, clock)
    assert await run_pass(clients, aws_config, database, clock) == RequeueAfter(5, "rollout in progress")
    assert len(clients.tokens()) == 4 and len(set(clients.tokens())) == 1
