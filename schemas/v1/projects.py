"""Projects: an organisation's group of applications (one Kubernetes namespace)."""

from typing import Annotated

from pydantic import StringConstraints

from schemas.v1.base import Name, Slug, Timestamp, V1Request, V1Response


class CreateProjectRequest(V1Request):
    name: Name
    slug: Slug
    # The organisation's id (as OrganizationSummary.id shows it) or its slug.
    organization_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ProjectSummary(V1Response):
    id: str
    name: str
    slug: str
    organization_id: str
    organization_slug: str
    application_count: int = 0
    created: Timestamp = None


class ProjectDetail(V1Response):
    id: str
    name: str
    slug: str
    organization_id: str
    organization_slug: str
    organization_name: str
    application_count: int = 0
    created: Timestamp = None
    updated: Timestamp = None
