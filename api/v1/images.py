"""`/api/v1/images`: an application's images (builds) — list, build, detail, log.

A build request only writes the pending image and queues `kube-build` for it; the
build reconciler runs the Job and writes the outcome and log back on the row.
"""

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation, query_of
from api.responses import JSON
from api.v1.access import caller
from api.v1.errors import bad_field, not_found
from api.v1.pipeline_access import page_query, path_uuid, visible_application
from controller.store import v1_pipeline as store
from schemas.v1.pagination import PageQuery, pagination_meta
from schemas.v1.pipeline import (
    ImageBuildResponse,
    ImageDetail,
    ImageListResponse,
    ImageLogResponse,
    ImageSummary,
)
from schemas.v1.stages import record_state

PREFIX = "/api/v1/images"
IMAGE_NOT_FOUND = "Image not found"
NO_REPOSITORY = "is not set: there is nothing to build (PATCH …/settings with github_repository first)"


def _summary_fields(row: asyncpg.Record) -> dict:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "application_id": str(row["application_id"]),
        "repository_name": row["repository_name"],
        "built": row["built"],
        "error": row["error"],
        "created": row["created_at"],
        "updated": row["updated_at"],
    }


def image_detail(row: asyncpg.Record) -> ImageDetail:
    return ImageDetail(
        **_summary_fields(row),
        image_id=row["image_id"],
        error_detail=row["error_detail"],
        build_slug=row["build_slug"],
        build_ref=row["build_ref"],
        dockerfile=row["dockerfile"],
        procfile=row["procfile"],
        processes=row["processes"],
        image_metadata=row["image_metadata"],
        commit_sha=row["commit_sha"],
    )


async def list_images(request: Request) -> Response:
    _, application = await visible_application(request)
    query = page_query(request)
    page = await store.images_page(request.state.pool, application.id, query.per_page, query.offset)
    answer = ImageListResponse(
        items=[ImageSummary(**_summary_fields(row)) for row in page.rows],
        pagination=pagination_meta(query, page.total),
    )
    return JSON(answer.to_wire())


async def trigger_build(request: Request) -> Response:
    _, application = await visible_application(request)
    if not application.github_repository:
        raise bad_field("github_repository", NO_REPOSITORY, source="application")
    queued = await store.queue_build(request.state.pool, application.id, application.auto_deploy_branch)
    if queued is None:  # deleted since it was read
        raise not_found("Application not found")
    request.state.notifier.poke(store.BUILD_KIND)
    answer = ImageBuildResponse(image_id=str(queued.id), version=queued.version)
    return JSON(answer.to_wire(), status_code=201)


async def _image(request: Request) -> asyncpg.Record:
    who = await caller(request)
    row = await store.image(request.state.pool, path_uuid(request, "image_id"), who.token_hash)
    if row is None:
        raise not_found(IMAGE_NOT_FOUND)
    return row


async def get_image(request: Request) -> Response:
    return JSON(image_detail(await _image(request)).to_wire())


async def get_image_log(request: Request) -> Response:
    row = await _image(request)
    record = store.stage_record(row)
    answer = ImageLogResponse(
        status=record_state(record),
        version=row["version"],
        log_text=row["build_log"],
        error=row["error"],
        error_detail=row["error_detail"],
        build_step={
            "job_id": row["job_id"],
            "started_at": row["started_at"].isoformat() if row["started_at"] else None,
            "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
        },
    )
    return JSON(answer.to_wire())



operations = [
    Operation(PREFIX + "/{image_id}/detail", "get", "ApiV1ImagesImageIdDetailGetImage", "GetImage", None, {
        200: ("The image", ImageDetail),
        400: ("image_id is not a UUID", None),
        404: ("No such image the API key sees", None),
    }, handler=get_image),
    Operation(PREFIX + "/{image_id}/log", "get", "ApiV1ImagesImageIdLogGetImageLog",
              "GetImageLog: the build's state and log", None, {
        200: ("The build log", ImageLogResponse),
        400: ("image_id is not a UUID", None),
        404: ("No such image the API key sees", None),
    }, handler=get_image_log),
    Operation(PREFIX + "/{application_id}/build", "post", "ApiV1ImagesApplicationIdBuildTriggerBuild",
              "TriggerBuild: a new image of the repository's auto-deploy branch (or default branch), "
              "built by the kube-build reconciler", None, {
        201: ("The image is queued to build", ImageBuildResponse),
        400: ("application_id is not a UUID, or the application has no github_repository", None),
        404: ("No such application the API key sees", None),
    }, handler=trigger_build, idempotent=True),
    Operation(PREFIX + "/{application_id}", "get", "ApiV1ImagesApplicationIdListImages",
              "ListImages, newest first", None, {
        200: ("A page of images", ImageListResponse),
        400: ("application_id is not a UUID, or a bad page", None),
        404: ("No such application the API key sees", None),
    }, query=query_of(PageQuery), handler=list_images),
]
