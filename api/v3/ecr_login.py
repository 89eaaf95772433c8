"""`GET …/applications/ecr-login`: short-lived Docker credentials for the organisation's
image repository (`berth/{organisation}` in the account's ECR registry).

The password is a bearer secret: it goes to the caller and nowhere else — not into
logs, not into PostgreSQL.
"""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.cloud_reads import cloud_reads
from api.operations import Operation
from api.responses import JSON
from schemas.v3.observability import EcrLoginCredentials


async def get_ecr_login(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    found = await cloud_reads(request).registry.credentials(organisation.slug)
    body = EcrLoginCredentials(
        username=found.username,
        password=found.password,
        expires_at=found.expires_at.isoformat(),
        endpoint=found.endpoint,
    )
    # Never cached: a proxy keeping a copy would keep a password.
    return JSON(body.to_wire(), headers={"Cache-Control": "no-store"})



operations = [
    Operation("/api/v3/organizations/{organisation}/applications/ecr-login", "get", "getEcrLoginCredentials",
              "Get ECR login credentials for the organisation's repository", None, {
        200: ("Registry credentials", EcrLoginCredentials),
        404: ("The organisation not found", None),
        503: ("Cloud reads are not configured, or AWS did not answer", None),
    }, handler=get_ecr_login),
]
