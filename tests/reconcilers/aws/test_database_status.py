"""The database's status (pure) and its names."""

import re
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcilers.aws.database.names import ENGINES, final_snapshot_identifier, instance_identifier
from reconcilers.aws.database.observe import instance_from_description
from reconcilers.aws.database.plan import Refusal
from reconcilers.aws.database.status import judge, outputs
from reconcilers.status import conditions
from schemas.status import ConditionType
from tests.reconcilers.aws.factories import environment
from tests.reconcilers.aws.test_database_plan import CONVERGED, DESIRED, INSTANCE

NOW = datetime(2026, 1, 1, tzinfo=UTC)
RDS_IDENTIFIER = r"\A[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)\Z"


def test_pending_modifications_show_in_the_outputs_and_as_progressing():
    pending = {"DBInstanceClass": "db.r6g.large", "AllocatedStorage": 100, "MasterUserPassword": "****"}
    description = {
        "DBInstanceIdentifier": DESIRED.identifier,
        "DBInstanceStatus": "available",
        "Engine": "mysql",
        "DBInstanceClass": "db.t4g.micro",
        "AllocatedStorage": 20,
        "MultiAZ": False,
        "Endpoint": {"Address": "db.example", "Port": 3306},
        "MasterUsername": "berth",
        "DBName": "app",
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-db"}],
        "TagList": [{"Key": "berth:environment-id", "Value": DESIRED.owner}],
        "PendingModifiedValues": pending,
    }
    observed = replace(CONVERGED, instance=instance_from_description(description))
    values = outputs(DESIRED, observed).to_stored()
    assert values["pendingModifications"] == {"instanceClass": "db.r6g.large", "storageGb": 100}
    assert values["ready"] is True
    verdict = judge(DESIRED, observed, (), ())
    assert verdict.ready[0] is True
    assert verdict.progressing[:2] == (True, "ModificationsPending")
    assert "instanceClass=db.r6g.large" in verdict.progressing[2]


def test_refusals_are_degraded_and_the_rest_still_counts():
    refusals = (Refusal("StorageShrinkRefused", "only grows"), Refusal("EngineChangeRefused", "new instance"))
    verdict = judge(DESIRED, CONVERGED, refusals, ())
    assert verdict.degraded == (True, "StorageShrinkRefused", "only grows; new instance")
    assert verdict.ready[0] is True
    by_type = {c.type: c for c in conditions([], verdict, NOW)}
    assert by_type[ConditionType.DEGRADED].status is True


def test_an_instance_being_created_is_not_ready():
    observed = replace(CONVERGED, instance=replace(INSTANCE, status="creating", host=None))
    verdict = judge(DESIRED, observed, (), ())
    assert verdict.ready[:2] == (False, "Creating") and verdict.progressing[0] is True
    assert outputs(DESIRED, observed).to_stored()["rdsInstanceStatus"] == "creating"


names = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z")


@given(organisation=names, application=names, name=names, environment_id=st.uuids())
def test_identifiers_follow_the_rds_rules(organisation, application, name, environment_id):
    env = replace(
        environment(), id=environment_id, organisation=organisation, application=application, name=name
    )
    identifier = instance_identifier(env)
    assert len(identifier) <= 63
    assert re.match(RDS_IDENTIFIER, identifier), identifier
    assert re.match(r"\A[a-z](?!.*--)[a-z0-9-]*(?<!-)\Z", final_snapshot_identifier(identifier, 7))


def test_identifiers_tell_apart_names_that_join_alike():
    one = replace(environment(), organisation="a-b", application="c", name="d")
    other = replace(environment(), id=UUID(int=5), organisation="a", application="b-c", name="d")
    assert instance_identifier(one) != instance_identifier(other)
    assert instance_identifier(one).startswith("berth-a-b-c-d-")


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_both_engines_have_a_version_and_port(engine):
    assert ENGINES[engine].major_version and ENGINES[engine].port
