"""v1 rows for the kube reconcilers' tests on PostgreSQL, and a store holding a lease."""

import uuid

from cryptography.fernet import Fernet

from controller.store.kube_observed import KubeFencedStateStore
from controller.store.organisations import create_organisation
from controller.store.queue import WorkQueue
from controller.store.v1.sealing import Sealer

SECRETS_KEY = Fernet.generate_key().decode()
SEALER = Sealer(SECRETS_KEY)


async def application(pool, *, slug="store", process_counts=None, timeout=180, repository="acme/store") -> uuid.UUID:
    organisation = await create_organisation(pool, "acme")
    project = await pool.fetchval(
        "INSERT INTO projects (organisation_id, slug, name) VALUES ($1, 'shop', 'Shop') RETURNING id", organisation.id
    )
    return await pool.fetchval(
        """INSERT INTO kube_applications (project_id, slug, name, process_counts, deployment_timeout, github_repository)
           VALUES ($1, $2, $2, $3, $4, $5) RETURNING id""",
        project,
        slug,
        process_counts if process_counts is not None else {"web": 2, "worker": 1},
        timeout,
        repository,
    )


async def configure(pool, application_id, name, value, *, secret=False, buildtime=False) -> None:
    await pool.execute(
        """INSERT INTO configurations (application_id, name, value, sealed_value, secret, buildtime)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        application_id,
        name,
        "" if secret else value,
        SEALER.seal(value) if secret else None,
        secret,
        buildtime,
    )


async def image(pool, application_id, *, built=True, reference=None, processes=None) -> uuid.UUID:
    return await pool.fetchval(
        """WITH n AS (UPDATE kube_applications SET image_counter = image_counter + 1 WHERE id = $1
                      RETURNING id, image_counter)
           INSERT INTO images (application_id, version, built, image_id, processes, commit_sha, build_ref)
           SELECT id, image_counter, $2, $3, $4, 'abc123', 'main' FROM n RETURNING id""",
        application_id,
        built,
        reference if reference is not None else (f"registry.test/acme/store:{uuid.uuid4().hex[:6]}" if built else None),
        processes if processes is not None else {"web": "serve", "worker": "work"},
    )


async def release(pool, application_id, image_id, configuration=None) -> uuid.UUID:
    return await pool.fetchval(
        """WITH n AS (UPDATE kube_applications SET release_counter = release_counter + 1 WHERE id = $1
                      RETURNING id, release_counter)
           INSERT INTO releases (application_id, version, image_id, configuration, processes, built)
           SELECT n.id, n.release_counter, $2, $3, i.processes, true FROM n, images i WHERE i.id = $2 RETURNING id""",
        application_id,
        image_id,
        configuration or {},
    )


async def deployment(pool, application_id, release_id) -> uuid.UUID:
    return await pool.fetchval(
        "INSERT INTO kube_deployments (application_id, release_id) VALUES ($1, $2) RETURNING id",
        application_id,
        release_id,
    )


async def deploy(pool, application_id, configuration=None, processes=None) -> uuid.UUID:
    """An image, a release of it and a deployment of the release: the deployment's id."""
    image_id = await image(pool, application_id, processes=processes)
    release_id = await release(pool, application_id, image_id, configuration)
    return await deployment(pool, application_id, release_id)


async def leased_store(pool, kind: str, key) -> KubeFencedStateStore:
    """A store holding a fresh lease on (kind, key), as a Worker's pass would."""
    await WorkQueue(pool).ensure(kind, str(key))
    token = await pool.fetchval(
        """UPDATE work_queue SET leased_by = 'test', lease_token = gen_random_uuid(),
               lease_expires = now() + interval '5 minutes'
           WHERE kind = $1 AND key = $2 RETURNING lease_token""",
        kind,
        str(key),
    )
    return KubeFencedStateStore(pool, kind, str(key), token, SEALER)
