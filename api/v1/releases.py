"""`/api/v1/releases`: list, create (a numbered, immutable snapshot), deploy, detail, log.

Creating a release needs no cluster work: it is assembled in one transaction from the
newest built image and the application's configuration (secret values stay sealed),
process counts, pod classes and health check, and is built at once. Deploying it
writes a pending deployment — the application's new target — and queues
`kube-application`, which rolls it out.
"""

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation, query_of
from api.responses import JSON
from api.v1.access import caller
from api.v1.errors import bad_field, not_found
from api.v1.pipeline_access import APPLICATION_NOT_FOUND, page_query, path_uuid, visible_application
from controller.store import v1_pipeline as store
from schemas.v1.pagination import PageQuery, pagination_meta
from schemas.v1.pipeline import (
    ReleaseCreateResponse,
    ReleaseDeployResponse,
    ReleaseDetail,
    ReleaseListResponse,
    ReleaseLogResponse,
    ReleaseSummary,
)
from schemas.v1.releases import visible_configuration
from schemas.v1.stages import StageState

PREFIX = "/api/v1/releases"
RELEASE_NOT_FOUND = "Release not found"
NO_BUILT_IMAGE = "has no built image to release (build one with POST /api/v1/images/{application_id}/build)"
RELEASE_FAILED = "is a failed release; it cannot be deployed"
RELEASE_NOT_BUILT = "is not built yet; it cannot be deployed"
IMAGE_FIELDS = ("id", "version", "image_id", "repository_name", "commit_sha", "build_ref", "built", "error")


def _summary_fields(row: asyncpg.Record) -> dict:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "application_id": str(row["application_id"]),
        "built": row["built"],
        "error": row["error"],
        "created": row["created_at"],
        "updated": row["updated_at"],
    }


def release_state(row: asyncpg.Record) -> StageState:
    if row["error"]:
        return StageState.FAILED
    return StageState.SUCCEEDED if row["built"] else StageState.PENDING


def release_detail(row: asyncpg.Record) -> ReleaseDetail:
    image = row["image"] or {}
    return ReleaseDetail(
        **_summary_fields(row),
        repository_name=row["repository_name"],
        release_id=str(row["id"]),
        image={key: image.get(key) for key in IMAGE_FIELDS},
        configuration=visible_configuration(row["configuration"]),
        image_changes=row["image_changes"],
        configuration_changes=row["configuration_changes"],
        error_detail=row["error_detail"],
        dockerfile=row["dockerfile"],
        release_metadata=row["release_metadata"],
        commit_sha=row["commit_sha"],
        health_check_path=row["health_check_path"],
        health_check_host=row["health_check_host"],
    )


async def list_releases(request: Request) -> Response:
    _, application = await visible_application(request)
    query = page_query(request)
    page = await store.releases_page(request.state.pool, application.id, query.per_page, query.offset)
    answer = ReleaseListResponse(
        items=[ReleaseSummary(**_summary_fields(row)) for row in page.rows],
        pagination=pagination_meta(query, page.total),
    )
    return JSON(answer.to_wire())


async def create_release(request: Request) -> Response:
    _, application = await visible_application(request)
    made = await store.create_release(request.state.pool, application.id)
    match made:
        case None:
            raise not_found(APPLICATION_NOT_FOUND)
        case store.NoBuiltImage():
            raise bad_field("application_id", NO_BUILT_IMAGE, source="path")
    return JSON(ReleaseCreateResponse(release_id=str(made.id), version=made.version).to_wire(), status_code=201)


async def _release(request: Request) -> asyncpg.Record:
    who = await caller(request)
    row = await store.release(request.state.pool, path_uuid(request, "release_id"), who.token_hash)
    if row is None:
        raise not_found(RELEASE_NOT_FOUND)
    return row


async def deploy_release(request: Request) -> Response:
    row = await _release(request)
    if row["error"]:
        raise bad_field("release_id", RELEASE_FAILED, source="path")
    if not row["built"]:
        raise bad_field("release_id", RELEASE_NOT_BUILT, source="path")
    deployment_id = await store.deploy_release(request.state.pool, row["id"])
    if deployment_id is None:  # the application was deleted since
        raise not_found(RELEASE_NOT_FOUND)
    request.state.notifier.poke(store.APPLICATION_KIND)
    return JSON(ReleaseDeployResponse(deployment_id=str(deployment_id)).to_wire(), status_code=201)


async def get_release(request: Request) -> Response:
    return JSON(release_detail(await _release(request)).to_wire())


async def get_release_log(request: Request) -> Response:
    row = await _release(request)
    answer = ReleaseLogResponse(
        status=release_state(row),
        version=row["version"],
        log_text=row["release_log"],
        error=row["error"],
        error_detail=row["error_detail"],
        build_step={"image_id": str(row["image_id"]), "image_version": (row["image"] or {}).get("version")},
    )
    return JSON(answer.to_wire())



operations = [
    Operation(PREFIX + "/{release_id}/detail", "get", "ApiV1ReleasesReleaseIdDetailGetRelease",
              "GetRelease (secret configuration values show null)", None, {
        200: ("The release", ReleaseDetail),
        400: ("release_id is not a UUID", None),
        404: ("No such release the API key sees", None),
    }, handler=get_release),
    Operation(PREFIX + "/{release_id}/log", "get", "ApiV1ReleasesReleaseIdLogGetReleaseLog", "GetReleaseLog", None, {
        200: ("The release's state and log", ReleaseLogResponse),
        400: ("release_id is not a UUID", None),
        404: ("No such release the API key sees", None),
    }, handler=get_release_log),
    Operation(PREFIX + "/{release_id}/deploy", "post", "ApiV1ReleasesReleaseIdDeployDeployRelease",
              "DeployRelease: a pending deployment, rolled out by the kube-application reconciler", None, {
        201: ("The deployment is queued", ReleaseDeployResponse),
        400: ("release_id is not a UUID, or the release is not built or failed", None),
        404: ("No such release the API key sees", None),
    }, handler=deploy_release, idempotent=True),
    Operation(PREFIX + "/{application_id}/create", "post", "ApiV1ReleasesApplicationIdCreateCreateRelease",
              "CreateRelease: the newest built image with the configuration, process counts, pod classes and "
              "health check as they are now", None, {
        201: ("The release, numbered", ReleaseCreateResponse),
        400: ("application_id is not a UUID, or the application has no built image", None),
        404: ("No such application the API key sees", None),
    }, handler=create_release, idempotent=True),
    Operation(PREFIX + "/{application_id}", "get", "ApiV1ReleasesApplicationIdListReleases",
              "ListReleases, newest first", None, {
        200: ("A page of releases", ReleaseListResponse),
        400: ("application_id is not a UUID, or a bad page", None),
        404: ("No such application the API key sees", None),
    }, query=query_of(PageQuery), handler=list_releases),
]
