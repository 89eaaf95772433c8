"""ETags, If-Match and If-None-Match for the v3 resources berth stores.

A tag names a version of desired state: an environment's is `"<environment id>.<generation>"`
and every view of the environment (the environment, its compose, containers, variables,
scaling policies; its state has no GET) carries it; an application's is
`"<application id>.<generation>.<production environment's generation>"`, since the
declarative PUT writes both rows. A generation moves exactly when the stored spec
changes (or on delete), and the id keeps a re-created resource of the same name from
matching an old tag. Tags are strong (RFC 9110 §8.8.3) and compared strongly for
If-Match: a `W/` tag never matches.

Writes check `If-Match` against the row they lock, in their own transaction (a 412
problem+json when it does not match; without the header a write is unconditional).
Environment-level writes answer with the tag of what they stored. GETs get their tag from a read made before the representation's, so a tag is never
newer than the body it comes with (a stale tag can only fail a write, never let one
through). `If-None-Match` answers 304 on the views made of desired state alone
(compose, containers, variables); the environment and application views and scaling
policies also show observed state, which moves without a new generation.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.operations import UNDECLARED, Tagged, Undeclared, operation_of
from api.problems import Problem
from controller.store.preconditions import Matches, Version, application_version, environment_version

IF_MATCH = "if-match"
# Where a write leaves the tag of what it stored, for its response (see `answering_written`).
WRITTEN = "berth.written_etag"
IF_NONE_MATCH = "if-none-match"
STALE = "The resource changed since the version named in If-Match; read it again (its ETag) and retry."
PRECONDITION_TITLE = "Precondition Failed"


def etag(version: Version) -> str:
    return '"' + ".".join([str(version.id), *(str(g) for g in version.generations)]) + '"'


def _listed(value: str) -> list[str]:
    """The entity-tags of an If-Match / If-None-Match list, as written (`W/` kept)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def if_match(request: Request) -> Matches | None:
    """The request's If-Match as a test of a version; None: no header, unconditional.
    Only an operation declared `if_match` reads it."""
    operation = operation_of(request)
    if not operation.if_match:
        raise Undeclared(UNDECLARED.format(operation=operation.operation_id, what="a header", names="If-Match"))
    value = request.headers.get(IF_MATCH)
    if value is None:
        return None
    listed = _listed(value)
    if "*" in listed:
        return lambda _version: True
    strong = {tag for tag in listed if tag.startswith('"')}  # weak tags never match strongly
    return lambda version: etag(version) in strong


def none_match(request: Request, tag: str) -> bool:
    """If-None-Match holds `tag` (weak comparison: `W/` ignored) or `*`."""
    value = request.headers.get(IF_NONE_MATCH)
    if value is None:
        return False
    listed = [item.removeprefix("W/") for item in _listed(value)]
    return "*" in listed or tag in listed


def precondition_failed() -> Problem:
    return Problem(412, PRECONDITION_TITLE, STALE)


VersionOf = Callable[[asyncpg.Pool, int, dict[str, Any]], Awaitable[Version | None]]


async def _environment(pool: asyncpg.Pool, organisation_id: int, path: dict[str, Any]) -> Version | None:
    return await environment_version(pool, organisation_id, path["application"], path["environment"])


async def _application(pool: asyncpg.Pool, organisation_id: int, path: dict[str, Any]) -> Version | None:
    return await application_version(pool, organisation_id, path["application"])


# What a GET's ETag is the version of (`Operation.tagged`).
APPLICATION_TAG = Tagged(_application)
ENVIRONMENT_TAG = Tagged(_environment)
# Views made of desired state alone: If-None-Match may answer 304.
ENVIRONMENT_DESIRED_TAG = Tagged(_environment, not_modified=True)


def tagged(endpoint: Callable[[Request], Awaitable[Response]], tag_of: Tagged):
    """`endpoint` answering with the resource's ETag (and 304 when `tag_of.not_modified`)."""

    async def answer(request: Request) -> Response:
        try:
            organisation = await authorised_organisation(request, request.path_params["organisation"])
        except Problem:  # the endpoint refuses the same way
            return await endpoint(request)
        version = await tag_of.version_of(request.state.pool, organisation.id, request.path_params)
        if version is None:
            return await endpoint(request)
        tag = etag(version)
        if tag_of.not_modified and none_match(request, tag):
            return Response(status_code=304, headers={"ETag": tag})
        response = await endpoint(request)
        if 200 <= response.status_code < 300:
            response.headers["ETag"] = tag
        return response

    return answer


def remember_written(request: Request, version: Version) -> None:
    """A write stored `version`: its response carries the tag."""
    request.scope[WRITTEN] = etag(version)


def answering_written(endpoint: Callable[[Request], Awaitable[Response]]):
    """`endpoint` whose 2xx answer carries the ETag of what it wrote, when it says so."""

    async def answer(request: Request) -> Response:
        response = await endpoint(request)
        tag = request.scope.get(WRITTEN)
        if tag is not None and 200 <= response.status_code < 300:
            response.headers["ETag"] = tag
        return response

    return answer
