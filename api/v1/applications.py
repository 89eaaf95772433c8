"""`/api/v1/applications`: create, get, list by project, scale, settings.

Scale and settings change what runs: the store bumps the generation (when something
changed) and queues `kube-application` in the same statement; the notifier is poked
after the commit.
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.access import Caller, caller
from api.v1.errors import bad_field, body, not_found, path_uuid
from controller.store.v1 import applications as store
from controller.store.v1.applications import APPLICATION_KIND
from controller.store.v1.projects import visible_projects
from schemas.v1.applications import (
    ApplicationDetail,
    ApplicationSummary,
    CreateApplicationRequestV1,
    ScaleRequest,
    UpdateApplicationSettingsRequest,
)

PREFIX = "/api/v1/applications"
APPLICATION_NOT_FOUND = "Application not found"
PROJECT_NOT_FOUND = "Project not found"
SLUG_TAKEN = "is taken in this project"
NOT_A_PROJECT_ID = "must be a project's id (a UUID)"


def application_detail(row: asyncpg.Record) -> dict:
    return ApplicationDetail(
        id=str(row["id"]),
        name=row["name"],
        slug=row["slug"],
        project_id=str(row["project_id"]),
        project_slug=row["project_slug"],
        organization_slug=row["organisation_slug"],
        process_counts=row["process_counts"],
        process_pod_classes=row["process_pod_classes"],
        github_repository=row["github_repository"],
        github_repository_is_private=row["github_repository_is_private"],
        auto_deploy_branch=row["auto_deploy_branch"],
        subdirectory=row["subdirectory"],
        github_app_installation_id=row["github_app_installation_id"],
        github_environment_name=row["github_environment_name"],
        deployment_timeout=row["deployment_timeout"],
        health_check_path=row["health_check_path"],
        health_check_host=row["health_check_host"],
        privileged=row["privileged"],
        created=row["created_at"],
        updated=row["updated_at"],
        latest_image=row["latest_image"],
        latest_release=row["latest_release"],
        latest_deployment=row["latest_deployment"],
    ).model_dump(mode="json")


def _summary(row: asyncpg.Record) -> dict:
    return ApplicationSummary(
        id=str(row["id"]),
        name=row["name"],
        slug=row["slug"],
        project_id=str(row["project_id"]),
        created=row["created_at"],
        latest_image_version=row["latest_image_version"],
        latest_release_version=row["latest_release_version"],
        latest_deployment_complete=row["latest_deployment_complete"],
    ).model_dump(mode="json")


async def _detail_by_id(request: Request, token_hash: bytes, application_id: UUID) -> dict:
    rows = await store.application_views(request.state.pool, token_hash, application_id=application_id)
    if not rows:
        raise not_found(APPLICATION_NOT_FOUND)
    return application_detail(rows[0])


async def create_application(request: Request) -> Response:
    who = await caller(request)
    wanted = await body(request, CreateApplicationRequestV1)
    try:
        project_id = UUID(wanted.project_id)
    except ValueError:
        raise bad_field("project_id", NOT_A_PROJECT_ID) from None
    outcome = await store.create_application(request.state.pool, who.token_hash, project_id, wanted.slug, wanted.name)
    if isinstance(outcome, store.NoProject):
        raise not_found(PROJECT_NOT_FOUND)
    if isinstance(outcome, store.SlugTaken):
        raise bad_field("slug", SLUG_TAKEN)
    request.state.notifier.poke(APPLICATION_KIND)
    return JSON(await _detail_by_id(request, who.token_hash, outcome.id), status_code=201)


async def get_application(request: Request) -> Response:
    who = await caller(request)
    params = request.path_params
    rows = await store.application_views(
        request.state.pool,
        who.token_hash,
        organisation_slug=params["org_slug"],
        project_slug=params["project_slug"],
        application_slug=params["app_slug"],
    )
    if not rows:
        raise not_found(APPLICATION_NOT_FOUND)
    return JSON(application_detail(rows[0]))


async def list_applications(request: Request) -> Response:
    """The project's applications; an unknown project (or another organisation's) is a 404."""
    who = await caller(request)
    params = request.path_params
    pool = request.state.pool
    if not await visible_projects(pool, who.token_hash, organisation_slug=params["org_slug"], project_slug=params["project_slug"]):
        raise not_found(PROJECT_NOT_FOUND)
    rows = await store.application_views(
        pool, who.token_hash, organisation_slug=params["org_slug"], project_slug=params["project_slug"]
    )
    return JSON([_summary(r) for r in rows])


async def _update(request: Request, who: Caller, change: Callable[[dict], dict]) -> dict:
    application_id = path_uuid(request, "application_id", APPLICATION_NOT_FOUND)
    outcome = await store.update_application(request.state.pool, who.token_hash, application_id, change)
    if isinstance(outcome, store.NoApplication):
        raise not_found(APPLICATION_NOT_FOUND)
    request.state.notifier.poke(APPLICATION_KIND)
    return await _detail_by_id(request, who.token_hash, application_id)


async def scale_application(request: Request) -> Response:
    who = await caller(request)
    wanted = await body(request, ScaleRequest)

    def change(current: dict[str, Any]) -> dict[str, Any]:
        return {
            "process_counts": {**current["process_counts"], **wanted.process_counts},
            "process_pod_classes": {**current["process_pod_classes"], **wanted.process_pod_classes},
        }

    return JSON(await _update(request, who, change), status_code=201)


async def update_settings(request: Request) -> Response:
    who = await caller(request)
    wanted = await body(request, UpdateApplicationSettingsRequest)
    changes = wanted.changes()
    return JSON(await _update(request, who, lambda current: changes))


BY_SLUGS = PREFIX + "/{org_slug}/{project_slug}"
BY_ID = PREFIX + "/{application_id}"

NOT_FOUND = (404, ("Application not found", None))
operations = [
    Operation(PREFIX, "post", "ApiV1ApplicationsCreateApplication", "Create an application in a project",
              CreateApplicationRequestV1, {
        201: ("The application", ApplicationDetail),
        400: ("Invalid, or the slug is taken in the project", None),
        404: ("Project not found", None),
    }, handler=create_application, idempotent=True),
    Operation(BY_ID + "/scale", "post", "ApiV1ApplicationsApplicationIdScaleScaleApplication",
              "Scale processes and set their pod classes (merged into the application's; a count of 0 stops a process)",
              ScaleRequest, {
        201: ("The application", ApplicationDetail),
        400: ("A process name, count or pod class is invalid", None),
        404: NOT_FOUND[1],
    }, handler=scale_application),
    Operation(BY_ID + "/settings", "patch", "ApiV1ApplicationsApplicationIdSettingsUpdateSettings",
              "Change settings (null or absent: unchanged; \"\" clears a clearable one)",
              UpdateApplicationSettingsRequest, {
        200: ("The application", ApplicationDetail),
        400: ("A setting is invalid", None),
        404: NOT_FOUND[1],
    }, handler=update_settings),
    Operation(BY_SLUGS + "/{app_slug}", "get", "ApiV1ApplicationsOrgSlugProjectSlugAppSlugGetApplication",
              "Get an application", None, {200: ("The application", ApplicationDetail), 404: NOT_FOUND[1]}, handler=get_application),
    Operation(BY_SLUGS, "get", "ApiV1ApplicationsOrgSlugProjectSlugListApplications",
              "The project's applications", None, {
        200: ("Applications", [ApplicationSummary]),
        404: ("Project not found", None),
    }, handler=list_applications),
]
