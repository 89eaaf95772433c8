"""Migration 0004 (the v1 data model): numbering, release immutability, secret sealing shape."""

import asyncio

import asyncpg
import pytest

from controller.store.organisations import create_organisation


async def _application(pool) -> str:
    organisation = await create_organisation(pool, "acme")
    project = await pool.fetchval(
        "INSERT INTO projects (organisation_id, slug, name) VALUES ($1, 'shop', 'Shop') RETURNING id",
        organisation.id,
    )
    return await pool.fetchval(
        "INSERT INTO kube_applications (project_id, slug, name) VALUES ($1, 'web', 'Web') RETURNING id",
        project,
    )


_NEW_IMAGE = """
WITH n AS (UPDATE kube_applications SET image_counter = image_counter + 1 WHERE id = $1
           RETURNING id, image_counter)
INSERT INTO images (application_id, version, repository_name) SELECT id, image_counter, 'r' FROM n
RETURNING id, version"""


async def test_organisations_made_elsewhere_have_an_empty_name_which_v1_shows_as_the_slug(pool):
    await create_organisation(pool, "acme")
    assert await pool.fetchval("SELECT name FROM organisations WHERE slug = 'acme'") == ""


async def test_image_versions_are_numbered_per_application_without_gaps_under_concurrency(pool):
    application = await _application(pool)
    rows = await asyncio.gather(*(pool.fetchrow(_NEW_IMAGE, application) for _ in range(12)))
    assert sorted(r["version"] for r in rows) == list(range(1, 13))


async def test_a_release_is_immutable_but_its_outcome_is_written(pool):
    application = await _application(pool)
    image = await pool.fetchrow(_NEW_IMAGE, application)
    release = await pool.fetchval(
        "INSERT INTO releases (application_id, version, image_id, configuration) "
        "VALUES ($1, 1, $2, '{\"A\": {\"value\": \"1\"}}') RETURNING id",
        application,
        image["id"],
    )
    await pool.execute("UPDATE releases SET built = true, release_log = 'ok' WHERE id = $1", release)
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute("UPDATE releases SET configuration = '{}' WHERE id = $1", release)


async def test_a_secret_configuration_must_be_sealed_and_carry_no_plain_value(pool):
    application = await _application(pool)
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute(
            "INSERT INTO configurations (application_id, name, value, secret) VALUES ($1, 'K', 'plain', true)",
            application,
        )
    with pytest.raises(asyncpg.CheckViolationError):
        await pool.execute(
            "INSERT INTO configurations (application_id, name, value, secret, sealed_value) "
            "VALUES ($1, 'K', 'plain', true, 'gAAA')",
            application,
        )
