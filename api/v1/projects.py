"""`/api/v1/projects`: list, create, get by `{org_slug}/{project_slug}`."""

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.access import caller
from api.v1.errors import bad_field, body, not_found
from controller.store.v1 import projects as store
from schemas.v1.projects import CreateProjectRequest, ProjectDetail, ProjectSummary

PREFIX = "/api/v1/projects"
PROJECT_NOT_FOUND = "Project not found"
ORGANISATION_NOT_FOUND = "Organization not found"
SLUG_TAKEN = "is taken in this organization"


def _fields(row: asyncpg.Record) -> dict:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "slug": row["slug"],
        "organization_id": str(row["organisation_id"]),
        "organization_slug": row["organisation_slug"],
        "application_count": row["application_count"],
        "created": row["created_at"],
    }


def project_detail(row: asyncpg.Record) -> dict:
    return ProjectDetail(
        **_fields(row), organization_name=row["organisation_name"], updated=row["updated_at"]
    ).model_dump(mode="json")


async def list_projects(request: Request) -> Response:
    who = await caller(request)
    rows = await store.visible_projects(request.state.pool, who.token_hash)
    return JSON([ProjectSummary(**_fields(r)).model_dump(mode="json") for r in rows])


async def create_project(request: Request) -> Response:
    who = await caller(request)
    wanted = await body(request, CreateProjectRequest)
    outcome = await store.create_project(
        request.state.pool, who.token_hash, wanted.organization_id, wanted.slug, wanted.name
    )
    if isinstance(outcome, store.NoOrganisation):
        raise not_found(ORGANISATION_NOT_FOUND)
    if isinstance(outcome, store.SlugTaken):
        raise bad_field("slug", SLUG_TAKEN)
    return JSON(project_detail(outcome), status_code=201)


async def get_project(request: Request) -> Response:
    who = await caller(request)
    rows = await store.visible_projects(
        request.state.pool,
        who.token_hash,
        organisation_slug=request.path_params["org_slug"],
        project_slug=request.path_params["project_slug"],
    )
    if not rows:
        raise not_found(PROJECT_NOT_FOUND)
    return JSON(project_detail(rows[0]))


PROJECT = PREFIX + "/{org_slug}/{project_slug}"

operations = [
    Operation(PREFIX, "get", "ApiV1ProjectsListProjects", "The projects of every organization the API key sees",
              None, {200: ("Projects", [ProjectSummary])}, handler=list_projects),
    Operation(PREFIX, "post", "ApiV1ProjectsCreateProject",
              "Create a project (organization_id: the organization's id or slug)", CreateProjectRequest, {
        201: ("The project", ProjectDetail),
        400: ("Invalid, or the slug is taken", None),
        404: ("No organization of that id or slug the API key sees", None),
    }, handler=create_project),
    Operation(PROJECT, "get", "ApiV1ProjectsOrgSlugProjectSlugGetProject", "Get a project", None, {
        200: ("The project", ProjectDetail),
        404: ("Project not found", None),
    }, handler=get_project),
]
