"""Query strings: validated into a schema, or a 422 naming every bad parameter (the
contract's "Validation error" for the routes that read the cloud)."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from api.operations import declared_query, wire_names
from api.problems import Problem, field_errors

M = TypeVar("M", bound=BaseModel)

INVALID_QUERY = "The query parameters are invalid."


def invalid_query(errors: list[dict[str, str]]) -> Problem:
    return Problem(422, "Unprocessable Content", INVALID_QUERY, errors=errors)


def query_error(field: str, message: str) -> Problem:
    return invalid_query([{"field": field, "pointer": "/" + field, "message": message}])


def parse_query(request: Request, model: type[M]) -> M:
    """The query string as `model` (a repeated parameter counts once: its last value)."""
    try:
        return model.model_validate(dict(declared_query(request, wire_names(model))))
    except ValidationError as error:
        raise invalid_query(field_errors(error)) from None
