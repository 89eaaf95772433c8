"""What every v1 pipeline route does first: the caller (X-API-Key), the path's ids,
the page numbers and the application the path names — each a v1 error when wrong."""

from uuid import UUID

from pydantic import ValidationError
from starlette.requests import Request

from api.operations import declared_query, wire_names
from api.v1.access import Caller, caller
from api.v1.errors import bad_field, not_found
from controller.store import v1_pipeline as store
from schemas.v1.pagination import PageQuery

NOT_A_UUID = "must be a UUID"
APPLICATION_NOT_FOUND = "Application not found"


def path_uuid(request: Request, name: str) -> UUID:
    try:
        return UUID(request.path_params[name])
    except ValueError:
        raise bad_field(name, NOT_A_UUID, source="path") from None


async def visible_application(request: Request) -> tuple[Caller, store.Application]:
    """The path's application, of an organisation the caller may see (else 404)."""
    who = await caller(request)
    found = await store.application(request.state.pool, path_uuid(request, "application_id"), who.token_hash)
    if found is None:
        raise not_found(APPLICATION_NOT_FOUND)
    return who, found


def page_query(request: Request) -> PageQuery:
    """`?page=&per_page=`, or a 400 naming the first bad one."""
    try:
        return PageQuery.model_validate(dict(declared_query(request, wire_names(PageQuery))))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise bad_field(".".join(str(p) for p in first["loc"]), first["msg"], source="query") from None


def moment(value) -> str | None:
    return None if value is None else value.isoformat()
