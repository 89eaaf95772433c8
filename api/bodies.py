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
