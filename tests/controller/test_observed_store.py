"""The reconcilers' reads of desired state through the fenced store."""

import uuid

import pytest

from controller.store.observed import FencedStateStore
from controller.store.organisations import create_organisation
from reconcilers.results import PermanentError

SECRET_LOOKING_VALUE = "hunter2-do-not-log"


async def _environment(pool, spec: dict) -> uuid.UUID:
    organisation = await create_organisation(pool, "acme")
    application = await pool.fetchval(
        "INSERT INTO applications (organisation_id, name, spec) VALUES ($1, 'shop', '{}') RETURNING id",
        organisation.id,
    )
    return await pool.fetchval(
        "INSERT INTO environments (application_id, name, spec) VALUES ($1, 'production', $2) RETURNING id",
        application,
        spec,
    )


async def test_a_stored_spec_that_no_longer_validates_is_a_permanent_error_naming_fields_not_values(pool):
    spec = {
        "compose": {
            "containers": [
                {
                    "name": "web",
                    "imageReference": {"type": "external", "identifier": "nginx"},
                    "environment": [{"name": "bad name", "value": SECRET_LOOKING_VALUE}],
                }
            ]
        }
    }
    environment = await _environment(pool, spec)
    store = FencedStateStore(pool, "ecs-environment", str(environment), uuid.uuid4())
    with pytest.raises(PermanentError) as raised:
        await store.environment(environment)
    assert raised.value.reason == "InvalidStoredSpec"
    assert "compose.containers.0.environment.0.name" in str(raised.value)
    assert SECRET_LOOKING_VALUE not in str(raised.value)


async def test_an_absent_environment_reads_as_none(pool):
    store = FencedStateStore(pool, "ecs-environment", "x", uuid.uuid4())
    assert await store.environment(uuid.uuid4()) is None
