"""Organisations (Ancla spells them organizations). Members are not kept by berth."""

from schemas.v1.base import Name, Slug, V1Request, V1Response


class CreateOrganizationRequest(V1Request):
    name: Name
    slug: Slug


class OrganizationMemberResponse(V1Response):
    user_id: str
    username: str
    email: str | None = None
    admin: bool = False


class AddMemberRequest(V1Request):
    username: str
    admin: bool = False


class OrganizationSummary(V1Response):
    id: str
    name: str
    slug: str
    member_count: int = 0
    project_count: int = 0


class OrganizationDetail(V1Response):
    id: str
    name: str
    slug: str
    members: list[OrganizationMemberResponse] = []
    project_count: int = 0
    application_count: int = 0
