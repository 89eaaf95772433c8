"""Request bodies: JSON parsed and validated into a schema, or a 400 naming every bad field."""

from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from api.problems import MALFORMED_JSON, Problem, invalid_body

M = TypeVar("M", bound=BaseModel)


async def parse_body(request: Request, model: type[M]) -> M:
    """The request body as `model`, or a 400 problem naming every bad field."""
    try:
        return model.model_validate(orjson.loads(await request.body()))
    except orjson.JSONDecodeError as error:
        raise Problem(
            400, "Bad Request", MALFORMED_JSON, errors=[{"field": "", "pointer": "", "message": str(error)}]
        ) from None
    except ValidationError as error:
        raise invalid_body(error) from None


# The deletes' opt-out of an RDS final snapshot (`?skipFinalSnapshot=true`).
SKIP_FINAL_SNAPSHOT = "skipFinalSnapshot"
FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}
NOT_A_FLAG = "must be true or false"


def query_flag(request: Request, name: str) -> bool:
    """A boolean query parameter (`?name=true`), False when absent, or a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    value = FLAG_VALUES.get(raw.lower())
    if value is None:
        errors = [{"field": name, "pointer": f"?{name}", "message": NOT_A_FLAG}]
        raise Problem(400, "Bad Request", f"query parameter {name} {NOT_A_FLAG}", errors=errors)
    return value
