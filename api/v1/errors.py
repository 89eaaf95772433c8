"""v1 error bodies: problem+json carrying Ancla's fields as well.

Ancla's clients read `status_code`, `detail` and `extra` (a list of {key, message,
source} for a bad request); problem+json readers read `status`, `title`, `detail`
and berth's `errors`. Every v1 error carries both.
"""

from uuid import UUID

from pydantic import BaseModel
from starlette.requests import Request

from api.bodies import parse_body
from api.problems import INVALID_BODY, Problem

NOT_FOUND = "Not Found"
BAD_REQUEST = "Bad Request"
SECRETS_UNAVAILABLE = "Service Unavailable"


def problem(status: int, title: str, detail: str, errors: list[dict] | None = None) -> Problem:
    extra = [{"key": e["field"], "message": e["message"], "source": "body"} for e in errors or ()]
    extensions = {"status_code": status, "extra": extra}
    if errors:
        extensions["errors"] = errors
    return Problem(status, title, detail, **extensions)


def v1(error: Problem) -> Problem:
    """A Problem raised by shared code (auth, body parsing), in the v1 shape."""
    return problem(error.status, error.title, error.detail, error.extensions.get("errors"))


def bad_field(field: str, message: str, *, source: str = "body") -> Problem:
    error = {"field": field, "pointer": "/" + field.replace(".", "/"), "message": message}
    made = problem(400, BAD_REQUEST, INVALID_BODY if source == "body" else f"{field} {message}", [error])
    made.extensions["extra"][0]["source"] = source
    return made


def not_found(detail: str) -> Problem:
    return problem(404, NOT_FOUND, detail)


def path_uuid(request: Request, name: str, missing: str) -> UUID:
    """A path parameter naming a row by UUID; anything else names nothing there is (404)."""
    try:
        return UUID(request.path_params[name])
    except ValueError:
        raise not_found(missing) from None


async def body(request: Request, model: type[BaseModel]):
    """The request body as `model`, or a v1 400 naming every bad field."""
    try:
        return await parse_body(request, model)
    except Problem as error:
        raise v1(error) from None
