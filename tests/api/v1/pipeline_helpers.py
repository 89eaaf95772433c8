"""Setting up the v1 pipeline tests: an application with a repository, and the rows
the reconcilers would write (a build finishing, a rollout finishing) written directly."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

REPOSITORY = "acme/shop"


async def application_with_repository(
    tenant, pool, *, slug: str = "web", project: str = "shop", repository: str = REPOSITORY, branch: str = "main"
) -> dict:
    made = await tenant.application(slug, project)
    await pool.execute(
        "UPDATE kube_applications SET github_repository = $2, auto_deploy_branch = $3, "
        "process_counts = '{\"web\": 2}', process_pod_classes = '{\"web\": \"small\"}' WHERE id = $1",
        UUID(made["id"]),
        repository,
        branch,
    )
    return made


async def finish_build(pool, image_id, *, ok: bool = True, seconds: float = 30.0, log: str = "step 1/1\n") -> None:
    """What the kube-build reconciler writes when the Job ends."""
    started = datetime.now(UTC) - timedelta(seconds=seconds)
    await pool.execute(
        "UPDATE images SET built = $2, error = NOT $2, error_detail = CASE WHEN $2 THEN NULL ELSE 'exit 1' END, "
        "image_id = CASE WHEN $2 THEN 'registry.local/acme/web:' || version END, "
        "processes = '{\"web\": \"gunicorn app\"}', build_log = $3, job_id = 'build-' || version, "
        "started_at = $4::timestamptz, finished_at = $4::timestamptz + make_interval(secs => $5::float8), "
        "updated_at = now() WHERE id = $1::uuid",
        str(image_id),
        ok,
        log,
        started,
        seconds,
    )


async def queued(pool, kind: str, key) -> bool:
    return await pool.fetchval("SELECT count(*) FROM work_queue WHERE kind = $1 AND key = $2", kind, str(key)) == 1
