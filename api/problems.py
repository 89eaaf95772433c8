"""RFC 9457 problem details: every error the API returns, mapped in one place."""

from http import HTTPStatus
from typing import Any

import orjson
import structlog
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

log = structlog.get_logger("berth.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
INVALID_BODY = "The request body is invalid."
MALFORMED_JSON = "The request body is not valid JSON."
UNAVAILABLE = "The database is unavailable; try again shortly."
CONFLICTED = "A concurrent change conflicted with this request, which was undone; try again."
INTERNAL = "An unexpected error occurred."


class Problem(Exception):
    """Raise to answer with a problem+json document."""

    def __init__(self, status: int, title: str, detail: str = "", **extensions: Any):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.extensions = extensions


def problem_response(status: int, title: str, detail: str = "", **extensions: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    # Quant Cloud's clients read `message`; problem+json readers read `detail`.
    body["message"] = detail or title
    body.update(extensions)
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def invalid_body(error: ValidationError) -> Problem:
    """A request body that does not validate: 400, naming every bad field.

    Only request parsing raises this; a ValidationError anywhere else is a bug (500).
    """
    return Problem(400, "Bad Request", INVALID_BODY, errors=field_errors(error))


def field_errors(error: ValidationError) -> list[dict[str, str]]:
    found = []
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        found.append(
            {
                "field": ".".join(location),
                "pointer": "/" + "/".join(location),
                "message": item["msg"].removeprefix("Value error, "),
            }
        )
    return found


async def on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.title, exc.detail, **exc.extensions)


async def on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return problem_response(exc.status_code, _title(exc.status_code), str(exc.detail or ""))


async def on_unavailable(_: Request, exc: Exception) -> Response:
    log.warning("database_unavailable", error=str(exc))
    return problem_response(503, "Service Unavailable", UNAVAILABLE)


async def on_conflicted(_: Request, exc: Exception) -> Response:
    """PostgreSQL chose this request's transaction as a deadlock (or serialization) victim:
    it was rolled back whole, so a retry is safe whatever the request was."""
    log.warning("database_conflict", error=str(exc))
    return problem_response(503, "Service Unavailable", CONFLICTED)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("request_failed", path=request.url.path, exc_info=exc)
    return problem_response(500, "Internal Server Error", INTERNAL)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
