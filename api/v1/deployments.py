"""Deployments of releases: an application's list (newest first, paginated), detail, log.

The rows are written pending by a release deploy (or a full deploy's stage machine);
the `kube-application` reconciler fills in started_at, complete or error with
error_detail, finished_at and deploy_log as it follows the rollout.
"""

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation, query_of
from api.responses import JSON
from api.v1.access import caller
from api.v1.errors import not_found
from api.v1.pipeline_access import moment, page_query, path_uuid, visible_application
from controller.store import v1_pipeline as store
from schemas.v1.pagination import PageQuery, pagination_meta
from schemas.v1.pipeline import DeploymentDetail, DeploymentListResponse, DeploymentLogResponse
from schemas.v1.stages import StageState

DEPLOYMENT_NOT_FOUND = "Deployment not found"
APPLICATIONS = "/api/v1/applications"
PREFIX = "/api/v1/deployments"


def deployment_state(row: asyncpg.Record) -> StageState:
    if row["error"]:
        return StageState.FAILED
    if row["complete"]:
        return StageState.SUCCEEDED
    return StageState.RUNNING if row["started_at"] is not None else StageState.PENDING


def deployment_detail(row: asyncpg.Record, *, with_log: bool = True) -> DeploymentDetail:
    return DeploymentDetail(
        id=str(row["id"]),
        application_id=str(row["application_id"]),
        release={
            "id": str(row["release_id"]),
            "version": row["release_version"],
            "image_id": str(row["release_image_id"]),
        },
        complete=row["complete"],
        error=row["error"],
        error_detail=row["error_detail"],
        deploy_metadata=row["deploy_metadata"],
        deploy_log=row["deploy_log"] if with_log else None,
        job_id=row["job_id"],
        created=row["created_at"],
        updated=row["updated_at"],
    )


async def list_deployments(request: Request) -> Response:
    _, application = await visible_application(request)
    query = page_query(request)
    page = await store.deployments_page(request.state.pool, application.id, query.per_page, query.offset)
    answer = DeploymentListResponse(
        items=[deployment_detail(row, with_log=False) for row in page.rows],
        pagination=pagination_meta(query, page.total),
    )
    return JSON(answer.to_wire())


async def _deployment(request: Request) -> asyncpg.Record:
    who = await caller(request)
    row = await store.deployment(request.state.pool, path_uuid(request, "deployment_id"), who.token_hash)
    if row is None:
        raise not_found(DEPLOYMENT_NOT_FOUND)
    return row


async def get_deployment(request: Request) -> Response:
    return JSON(deployment_detail(await _deployment(request)).to_wire())


async def get_deployment_log(request: Request) -> Response:
    row = await _deployment(request)
    answer = DeploymentLogResponse(
        status=deployment_state(row),
        log_text=row["deploy_log"],
        error=row["error"],
        error_detail=row["error_detail"],
        deploy_step={
            "release_version": row["release_version"],
            "started_at": moment(row["started_at"]),
            "finished_at": moment(row["finished_at"]),
        },
    )
    return JSON(answer.to_wire())



operations = [
    Operation(APPLICATIONS + "/{application_id}/deployments", "get",
              "ApiV1ApplicationsApplicationIdDeploymentsListDeployments",
              "ListDeployments, newest first (items are DeploymentDetail without the log)", None, {
        200: ("A page of deployments", DeploymentListResponse),
        400: ("application_id is not a UUID, or a bad page", None),
        404: ("No such application the API key sees", None),
    }, query=query_of(PageQuery), handler=list_deployments),
    Operation(PREFIX + "/{deployment_id}/detail", "get", "ApiV1DeploymentsDeploymentIdDetailGetDeployment",
              "GetDeployment", None, {
        200: ("The deployment", DeploymentDetail),
        400: ("deployment_id is not a UUID", None),
        404: ("No such deployment the API key sees", None),
    }, handler=get_deployment),
    Operation(PREFIX + "/{deployment_id}/log", "get", "ApiV1DeploymentsDeploymentIdLogGetDeploymentLog",
              "GetDeploymentLog", None, {
        200: ("The deployment's state and log", DeploymentLogResponse),
        400: ("deployment_id is not a UUID", None),
        404: ("No such deployment the API key sees", None),
    }, handler=get_deployment_log),
]
