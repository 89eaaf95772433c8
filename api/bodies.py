"""Request bodies: JSON parsed and validated into a schema, or a 400 naming every bad field."""

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from api.operations import declared_query
from api.problems import INVALID_BODY, MALFORMED_JSON, Problem, invalid_body

M = TypeVar("M", bound=BaseModel)

NUL_REFUSED = "must not contain the NUL character (U+0000), which PostgreSQL cannot store"


def _refuse_nul(value: Any, path: list[str]) -> None:
    """A 400 naming the first string (key or value) holding U+0000."""
    if isinstance(value, str) and "\x00" in value:
        pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)
        field = ".".join(path)
        raise Problem(
            400, "Bad Request", INVALID_BODY, errors=[{"field": field, "pointer": pointer, "message": NUL_REFUSED}]
        )
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in children:
        _refuse_nul(str(key), path + [str(key)])
        _refuse_nul(item, path + [str(key)])


async def parse_body(request: Request, model: type[M]) -> M:
    """The request body as `model`, or a 400 problem naming every bad field."""
    raw = await request.body()
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise Problem(
            400, "Bad Request", MALFORMED_JSON, errors=[{"field": "", "pointer": "", "message": str(error)}]
        ) from None
    if b"\\u0000" in raw:  # rare: only then walk the document
        _refuse_nul(document, [])
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise invalid_body(error) from None


# The deletes' opt-out of an RDS final snapshot (`?skipFinalSnapshot=true`).
SKIP_FINAL_SNAPSHOT = "skipFinalSnapshot"
FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}
NOT_A_FLAG = "must be true or false"


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter (`?name=true`), False when absent, or a 400 naming it."""
    query = declared_query(request, (name,))
    if not request.scope.get("query_string"):  # most requests: no query to parse
        return False
    raw = query.get(name)
    if raw is None:
        return False
    value = FLAG_VALUES.get(raw.lower())
    if value is None:
        errors = [{"field": name, "pointer": f"?{name}", "message": NOT_A_FLAG}]
        raise Problem(400, "Bad Request", f"query parameter {name} {NOT_A_FLAG}", errors=errors)
    return value
