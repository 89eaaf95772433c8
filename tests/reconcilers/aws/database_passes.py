"""Running `rds-database` passes against moto, and the environments they run for."""

import json
from dataclasses import replace
from typing import Any

from reconcilers.aws.database import DatabaseReconciler
from reconcilers.aws.database.names import connection_secret_name, instance_identifier
from reconcilers.ports import EnvironmentRecord, StatusUpdate
from reconcilers.results import Done, RequeueAfter
from schemas.v3.applications import DatabaseRequest
from tests.reconcilers.aws.factories import ENVIRONMENT_ID, environment

KIND = "rds-database"
KEY = str(ENVIRONMENT_ID)


def database_environment(
    *, deleting: bool = False, finalizers: tuple[str, ...] = (KIND,), generation: int = 1, **request: Any
) -> EnvironmentRecord:
    env = environment(generation=generation, deleting=deleting)
    spec = env.spec.model_copy(update={"database": DatabaseRequest.model_validate(request)})
    return replace(env, spec=spec, finalizers=finalizers)


def with_database(env: EnvironmentRecord, **request: Any) -> EnvironmentRecord:
    spec = env.spec.model_copy(
        update={"database": DatabaseRequest.model_validate(request) if request else None}
    )
    return replace(env, spec=spec, generation=env.generation + 1)


IDENTIFIER = instance_identifier(database_environment())
SECRET_NAME = connection_secret_name(database_environment())


async def workload_group(aws, network) -> str:
    """A security group standing for the environment's workload, as environment-network reports it."""
    answer = await aws.ec2.create_security_group(
        GroupName="workload", Description="workload", VpcId=network["vpcId"]
    )
    return answer["GroupId"]


def publish_environment_network(database, group_ids: list[str], ready: bool = True) -> None:
    database.statuses[("environment-network", KEY)] = StatusUpdate(
        observed_generation=1, conditions=[], outputs={"ready": ready, "securityGroupIds": group_ids, "peerSecurityGroupIds": group_ids}
    )


async def database_pass(clients, config, database, clock):
    return await DatabaseReconciler(clients, config, clock).reconcile(database.context(KIND, KEY))


async def converge(clients, config, database, clock, passes: int = 4):
    for _ in range(passes):
        result = await database_pass(clients, config, database, clock)
        if result == Done():
            return result
        assert isinstance(result, RequeueAfter), result
    raise AssertionError(f"not converged after {passes} passes: {result}")


def status(database):
    return database.statuses[(KIND, KEY)]


def condition(database, kind):
    return next(c for c in status(database).conditions if c.type == kind)


async def describe_instance(aws) -> dict:
    return (await aws.rds.describe_db_instances(DBInstanceIdentifier=IDENTIFIER))["DBInstances"][0]


async def secret_value(aws) -> dict:
    return json.loads((await aws.secretsmanager.get_secret_value(SecretId=SECRET_NAME))["SecretString"])
