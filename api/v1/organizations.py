"""`/api/v1/organizations`: the organisations a token sees, create, get by slug.

A token sees its own organisation and those it created here (organisation_grants).
berth keeps no members: an organisation's `members` is empty and the members routes
answer 501.
"""

from starlette.requests import Request
from starlette.responses import Response

from api.operations import Operation
from api.responses import JSON
from api.v1.access import caller
from api.v1.errors import bad_field, body, not_found, problem
from controller.store.v1 import organisations as store
from schemas.v1.organizations import (
    AddMemberRequest,
    CreateOrganizationRequest,
    OrganizationDetail,
    OrganizationSummary,
)

PREFIX = "/api/v1/organizations"
ORGANISATION_NOT_FOUND = "Organization not found"
SLUG_TAKEN = "is taken"
MEMBERS_UNSUPPORTED = "berth does not keep organization members; access is by API token."


def _summary(view: store.OrganisationView) -> dict:
    return OrganizationSummary(id=str(view.id), name=view.name, slug=view.slug, project_count=view.project_count).model_dump(mode="json")


def _detail(view: store.OrganisationView) -> dict:
    return OrganizationDetail(
        id=str(view.id),
        name=view.name,
        slug=view.slug,
        members=[],
        project_count=view.project_count,
        application_count=view.application_count,
    ).model_dump(mode="json")


async def list_organizations(request: Request) -> Response:
    who = await caller(request)
    return JSON([_summary(v) for v in await store.visible_organisations(request.state.pool, who.token_hash)])


async def create_organization(request: Request) -> Response:
    who = await caller(request)
    wanted = await body(request, CreateOrganizationRequest)
    made = await store.create_organisation(request.state.pool, who.token_hash, wanted.slug, wanted.name)
    if made is None:
        raise bad_field("slug", SLUG_TAKEN)
    return JSON(_detail(made), status_code=201)


async def get_organization(request: Request) -> Response:
    who = await caller(request)
    view = await store.visible_organisation(request.state.pool, who.token_hash, request.path_params["org_slug"])
    if view is None:
        raise not_found(ORGANISATION_NOT_FOUND)
    return JSON(_detail(view))


async def members_unsupported(request: Request) -> Response:
    who = await caller(request)
    if await store.visible_organisation(request.state.pool, who.token_hash, request.path_params["org_slug"]) is None:
        raise not_found(ORGANISATION_NOT_FOUND)
    raise problem(501, "Not Implemented", MEMBERS_UNSUPPORTED)


ORGANISATION = PREFIX + "/{org_slug}"
MEMBERS = ORGANISATION + "/members"
MEMBER = MEMBERS + "/{user_id}"

NOT_SUPPORTED = (501, ("berth keeps no members", None))
operations = [
    Operation(PREFIX, "get", "ApiV1OrganizationsListOrganizations", "The organizations the API key sees", None, {
        200: ("Organizations", [OrganizationSummary]),
    }, handler=list_organizations),
    Operation(PREFIX, "post", "ApiV1OrganizationsCreateOrganization",
              "Create an organization; the API key that creates it sees it from then on", CreateOrganizationRequest, {
        201: ("The organization", OrganizationDetail),
        400: ("Invalid, or the slug is taken", None),
    }, handler=create_organization),
    Operation(ORGANISATION, "get", "ApiV1OrganizationsOrgSlugGetOrganization", "Get an organization", None, {
        200: ("The organization (members: always empty)", OrganizationDetail),
        404: ("No organization of that slug the API key sees", None),
    }, handler=get_organization),
    Operation(MEMBERS, "post", "ApiV1OrganizationsOrgSlugMembersAddMember", "Not supported", AddMemberRequest,
              dict([NOT_SUPPORTED, (404, ("Organization not found", None))]), handler=members_unsupported),
    Operation(MEMBER, "delete", "ApiV1OrganizationsOrgSlugMembersUserIdRemoveMember", "Not supported", None,
              dict([NOT_SUPPORTED, (404, ("Organization not found", None))]), handler=members_unsupported),
    Operation(MEMBER + "/toggle-admin", "post", "ApiV1OrganizationsOrgSlugMembersUserIdToggleAdminToggleMemberAdmin",
              "Not supported", None, dict([NOT_SUPPORTED, (404, ("Organization not found", None))]), handler=members_unsupported),
]
