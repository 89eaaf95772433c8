"""Desired-state writes and reads of the v1 build → release → deploy pipeline.

A build, a release deploy or a full deploy is one statement: the rows and their queue
entries together (`kube-build` key image id, `kube-application` key application id,
`kube-pipeline` key pipeline id). The caller pokes the notifier after it returns.
Making a release is one transaction holding the application's row lock.

`snapshot_release` and `deploy_release` take a connection so the `kube-pipeline`
stage machine (controller/store/kube_observed.py) makes its release and deployment
exactly as the routes do.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from controller.store.queries import QUERIES
from schemas.v1.releases import configuration_changes, image_changes
from schemas.v1.stages import StageRecord

BUILD_KIND = "kube-build"
APPLICATION_KIND = "kube-application"
PIPELINE_KIND = "kube-pipeline"


@dataclass(frozen=True, slots=True)
class Application:
    id: UUID
    github_repository: str | None
    auto_deploy_branch: str | None


@dataclass(frozen=True, slots=True)
class ImageQueued:
    id: UUID
    version: int


@dataclass(frozen=True, slots=True)
class FullDeployStarted:
    image_id: UUID
    version: int
    pipeline_id: UUID
    repeated: bool = False  # a GitHub redelivery: the pipeline its first delivery started


@dataclass(frozen=True, slots=True)
class ReleaseMade:
    id: UUID
    version: int


@dataclass(frozen=True, slots=True)
class NoBuiltImage:
    pass


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[asyncpg.Record]
    total: int


async def application(pool: asyncpg.Pool, application_id: UUID, token_hash: bytes) -> Application | None:
    row = await pool.fetchrow(QUERIES.v1p_application, application_id, token_hash)
    return None if row is None else Application(row["id"], row["github_repository"], row["auto_deploy_branch"])


async def image(pool: asyncpg.Pool, image_id: UUID, token_hash: bytes) -> asyncpg.Record | None:
    return await pool.fetchrow(QUERIES.v1p_image, image_id, token_hash)


async def release(pool: asyncpg.Pool, release_id: UUID, token_hash: bytes) -> asyncpg.Record | None:
    return await pool.fetchrow(QUERIES.v1p_release, release_id, token_hash)


async def deployment(pool: asyncpg.Pool, deployment_id: UUID, token_hash: bytes) -> asyncpg.Record | None:
    return await pool.fetchrow(QUERIES.v1p_deployment, deployment_id, token_hash)


async def _page(pool: asyncpg.Pool, count: str, listing: str, application_id: UUID, limit: int, offset: int) -> Page:
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        total = await connection.fetchval(count, application_id)
        rows = await connection.fetch(listing, application_id, limit, offset)
    return Page(rows, total)


async def images_page(pool: asyncpg.Pool, application_id: UUID, limit: int, offset: int) -> Page:
    return await _page(pool, QUERIES.v1p_count_images, QUERIES.v1p_list_images, application_id, limit, offset)


async def releases_page(pool: asyncpg.Pool, application_id: UUID, limit: int, offset: int) -> Page:
    return await _page(pool, QUERIES.v1p_count_releases, QUERIES.v1p_list_releases, application_id, limit, offset)


async def deployments_page(pool: asyncpg.Pool, application_id: UUID, limit: int, offset: int) -> Page:
    return await _page(
        pool, QUERIES.v1p_count_deployments, QUERIES.v1p_list_deployments, application_id, limit, offset
    )


async def queue_build(pool: asyncpg.Pool, application_id: UUID, build_ref: str | None) -> ImageQueued | None:
    """A pending image (next version) of the ref's head, its build queued; None when the
    application is gone."""
    row = await pool.fetchrow(QUERIES.v1p_create_image, application_id, build_ref, None)
    return None if row is None else ImageQueued(row["id"], row["version"])


async def start_full_deploy(
    pool: asyncpg.Pool,
    application_id: UUID,
    *,
    trigger: str,
    branch: str | None,
    commit_sha: str | None = None,
    github_delivery: str | None = None,
) -> FullDeployStarted | None:
    """A pipeline and its pending image, both queued. A GitHub delivery already seen
    answers the pipeline it started. None when the application is gone."""
    if github_delivery is not None:
        seen = await pool.fetchrow(QUERIES.v1p_pipeline_for_delivery, application_id, github_delivery)
        if seen is not None:
            return FullDeployStarted(seen["image_id"], 0, seen["id"], repeated=True)
    try:
        row = await pool.fetchrow(
            QUERIES.v1p_start_full_deploy, application_id, trigger, branch, commit_sha, github_delivery
        )
    except asyncpg.UniqueViolationError:  # the same delivery, concurrently
        seen = await pool.fetchrow(QUERIES.v1p_pipeline_for_delivery, application_id, github_delivery)
        return FullDeployStarted(seen["image_id"], 0, seen["id"], repeated=True)
    return None if row is None else FullDeployStarted(row["image_id"], row["version"], row["pipeline_id"])


def _image_summary(image: dict[str, Any]) -> dict[str, Any]:
    return {key: image.get(key) for key in ("id", "version", "image_id", "commit_sha", "build_ref")}


async def snapshot_release(
    connection: asyncpg.Connection, application_id: UUID, image_id: UUID | None = None
) -> ReleaseMade | NoBuiltImage | None:
    """A numbered, immutable release of `image_id` (default: the newest built image) with
    the configuration (secrets still sealed), process counts and pod classes, processes
    and health check as they are now. Call inside a transaction. None: no application."""
    app = await connection.fetchrow(QUERIES.v1p_lock_application, application_id)
    if app is None:
        return None
    if image_id is None:
        built = await connection.fetchrow(QUERIES.v1p_latest_built_image, application_id)
    else:
        built = await connection.fetchrow(QUERIES.v1p_image_of_application, image_id, application_id)
    if built is None or not built["built"]:
        return NoBuiltImage()
    configuration = await connection.fetchval(QUERIES.v1p_configuration_snapshot, application_id)
    previous = await connection.fetchrow(QUERIES.v1p_previous_release, application_id)
    current_image = _image_summary({**dict(built), "id": str(built["id"])})
    previous_image = _image_summary(previous["image"]) if previous is not None and previous["image"] is not None else None
    row = await connection.fetchrow(
        QUERIES.v1p_insert_release,
        application_id,
        built["id"],
        built["repository_name"],
        built["commit_sha"],
        built["dockerfile"],
        configuration,
        image_changes(previous_image, current_image),
        configuration_changes(previous["configuration"] if previous is not None else None, configuration),
        app["process_counts"],
        app["process_pod_classes"],
        built["processes"],
        app["health_check_path"],
        app["health_check_host"],
        app["deployment_timeout"],
        built["version"],
        len(configuration),
    )
    return ReleaseMade(row["id"], row["version"])


async def create_release(pool: asyncpg.Pool, application_id: UUID) -> ReleaseMade | NoBuiltImage | None:
    async with pool.acquire() as connection, connection.transaction():
        return await snapshot_release(connection, application_id)


async def deploy_release(connection: asyncpg.Connection | asyncpg.Pool, release_id: UUID) -> UUID | None:
    """A pending deployment of the release, now the application's target (its newest),
    the application's generation moved and `kube-application` queued. None: no release
    of a live application."""
    row = await connection.fetchrow(QUERIES.v1p_deploy_release, release_id)
    return None if row is None else row["id"]


def _latest_record(row: asyncpg.Record | None) -> StageRecord | None:
    """The latest stage row as a record, or None when there is none yet."""
    return None if row is None else stage_record(row)


def stage_record(row: asyncpg.Record) -> StageRecord:
    """A latest/finished stage row (images, releases, deployments queries) as a record."""
    return StageRecord(
        id=str(row["id"]),
        version=row["version"],
        succeeded=row["built"],
        failed=row["error"],
        error_detail=row["error_detail"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


@dataclass(frozen=True, slots=True)
class LatestStages:
    image: StageRecord | None
    release: StageRecord | None
    deployment: StageRecord | None
    pipeline: asyncpg.Record | None


async def latest_stages(pool: asyncpg.Pool, application_id: UUID) -> LatestStages:
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        return LatestStages(
            _latest_record(await connection.fetchrow(QUERIES.v1p_latest_image, application_id)),
            _latest_record(await connection.fetchrow(QUERIES.v1p_latest_release, application_id)),
            _latest_record(await connection.fetchrow(QUERIES.v1p_latest_deployment, application_id)),
            await connection.fetchrow(QUERIES.v1p_latest_pipeline, application_id),
        )


@dataclass(frozen=True, slots=True)
class StageHistory:
    builds: list[StageRecord]
    releases: list[StageRecord]
    deployments: list[StageRecord]


async def stage_history(pool: asyncpg.Pool, application_id: UUID) -> StageHistory:
    """Every finished build, release and deployment of the application."""
    async with pool.acquire() as connection, connection.transaction(isolation="repeatable_read", readonly=True):
        found = [
            [stage_record(row) for row in await connection.fetch(query, application_id)]
            for query in (QUERIES.v1p_finished_images, QUERIES.v1p_finished_releases, QUERIES.v1p_finished_deployments)
        ]
    return StageHistory(*found)


async def metric_history(
    pool: asyncpg.Pool, application_id: UUID, start: datetime, end: datetime, bucket_seconds: int
) -> list[asyncpg.Record]:
    return await pool.fetch(QUERIES.v1p_observability, application_id, start, end, bucket_seconds)


async def auto_deploy_candidates(pool: asyncpg.Pool, branch: str) -> list[asyncpg.Record]:
    return await pool.fetch(QUERIES.v1p_auto_deploy_candidates, branch)
