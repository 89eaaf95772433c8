"""Tearing the database down on moto: after the workload, with a final snapshot unless opted out."""

import logging
from dataclasses import replace

import pytest

from reconcilers.aws.database import DatabaseReconciler
from reconcilers.results import Forget, RequeueAfter
from reconcilers.ports import StatusUpdate
from schemas.status import Condition, ConditionType
from tests.reconcilers.aws.database_passes import (
    IDENTIFIER,
    KEY,
    KIND,
    SECRET_NAME,
    condition,
    converge,
    database_environment,
    database_pass,
    publish_environment_network,
    secret_value,
    with_database,
    workload_group,
)
from tests.reconcilers.aws.factories import ENVIRONMENT_ID


@pytest.fixture
async def converged(aws, aws_config, network, database, clock):
    database.environments[ENVIRONMENT_ID] = database_environment(finalizers=("ecs-environment", KIND))
    publish_environment_network(database, [await workload_group(aws, network)])
    await converge(aws, aws_config, database, clock)
    return database.statuses[(KIND, KEY)].outputs


def deleting(database, **changes):
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = replace(env, deleting=True, **changes)


async def snapshots(aws) -> list[str]:
    answer = await aws.rds.describe_db_snapshots(DBInstanceIdentifier=IDENTIFIER)
    return [s["DBSnapshotIdentifier"] for s in answer["DBSnapshots"]]


async def assert_all_gone(aws):
    assert (await aws.rds.describe_db_instances())["DBInstances"] == []
    assert (await aws.rds.describe_db_subnet_groups())["DBSubnetGroups"] == []
    groups = await aws.ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [IDENTIFIER]}])
    assert groups["SecurityGroups"] == []
    secret = await aws.secretsmanager.describe_secret(SecretId=SECRET_NAME)
    assert secret.get("DeletedDate")  # scheduled, restorable for the recovery window


async def test_waits_for_the_workload_then_deletes_with_a_final_snapshot(
    aws, aws_config, database, clock, converged
):
    deleting(database)
    result = await database_pass(aws, aws_config, database, clock)
    assert isinstance(result, RequeueAfter) and "ecs-environment" in result.reason
    assert len((await aws.rds.describe_db_instances())["DBInstances"]) == 1
    assert condition(database, ConditionType.READY).reason == "Deleting"

    deleting(database, finalizers=(KIND,))
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    assert await snapshots(aws) == [f"{IDENTIFIER}-final-1"]
    await assert_all_gone(aws)
    assert ("rds-database", ENVIRONMENT_ID) in database.released
    assert ENVIRONMENT_ID in database.finalized
    assert {"DatabaseDeleting", "DatabaseDeleted"} <= set(database.event_reasons())


async def test_skip_final_snapshot_is_honoured(aws, aws_config, network, database, clock):
    database.environments[ENVIRONMENT_ID] = database_environment(skipFinalSnapshot=True)
    publish_environment_network(database, [await workload_group(aws, network)])
    await converge(aws, aws_config, database, clock)
    deleting(database)
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    assert await snapshots(aws) == []
    await assert_all_gone(aws)


async def test_a_database_dropped_from_the_spec_goes_with_a_snapshot_and_releases_its_kind(
    aws, aws_config, database, clock, converged
):
    env = database.environments[ENVIRONMENT_ID]
    database.environments[ENVIRONMENT_ID] = with_database(env)
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    assert await snapshots(aws) == [f"{IDENTIFIER}-final-2"]
    await assert_all_gone(aws)
    left = database.environments[ENVIRONMENT_ID]
    assert left.finalizers == ("ecs-environment",) and (KIND, KEY) not in database.statuses


async def test_a_dropped_database_waits_until_the_workload_runs_without_it(
    aws, aws_config, database, clock, converged
):
    env = with_database(database.environments[ENVIRONMENT_ID])
    database.environments[ENVIRONMENT_ID] = env
    ready = Condition(type=ConditionType.READY, status=True, reason="Ready", message="", last_transition_time=clock())
    # The workload is Ready, but at the generation that still injected the database.
    database.statuses[("ecs-environment", KEY)] = StatusUpdate(env.generation - 1, [ready], {})
    assert isinstance(await database_pass(aws, aws_config, database, clock), RequeueAfter)
    instances = (await aws.rds.describe_db_instances(DBInstanceIdentifier=IDENTIFIER))["DBInstances"]
    assert instances[0]["DBInstanceStatus"] == "available"
    database.statuses[("ecs-environment", KEY)] = StatusUpdate(env.generation, [ready], {})
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    await assert_all_gone(aws)


async def test_a_teardown_replayed_finds_nothing_to_do(aws, aws_config, database, clock, converged):
    deleting(database, finalizers=(KIND,))
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    database.environments[ENVIRONMENT_ID] = database_environment(deleting=True, finalizers=(KIND,))
    assert await database_pass(aws, aws_config, database, clock) == Forget()
    await assert_all_gone(aws)


async def test_the_password_is_never_in_status_events_or_logs(
    aws, aws_config, network, database, clock, caplog
):
    caplog.set_level(logging.DEBUG)
    contexts = []

    async def run():
        ctx = database.context(KIND, KEY)
        contexts.append(ctx)
        return await DatabaseReconciler(aws, aws_config, clock).reconcile(ctx)

    database.environments[ENVIRONMENT_ID] = database_environment()
    publish_environment_network(database, [await workload_group(aws, network)])
    for _ in range(3):
        await run()
    passwords = [(await secret_value(aws))["password"]]
    await aws.secretsmanager.delete_secret(SecretId=SECRET_NAME, ForceDeleteWithoutRecovery=True)
    for _ in range(3):
        await run()
    passwords.append((await secret_value(aws))["password"])
    seen = "\n".join(
        [
            repr(database.statuses),
            repr(database.events),
            repr([c.logged for c in contexts] + [c.bound for c in contexts]),
            caplog.text,
        ]
    )
    deleting(database)
    assert await run() == Forget()
    seen += repr(database.events) + caplog.text + repr(contexts[-1].logged)
    assert "DatabasePasswordSet" in database.event_reasons()
    for password in passwords:
        assert password not in seen
