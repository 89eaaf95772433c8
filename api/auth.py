"""Bearer tokens: each belongs to one organisation and sees nothing of any other."""

import time

import asyncpg
from starlette.requests import Request

from api.problems import Problem
from controller.store.organisations import Organisation, organisation_for_token, token_hash

MISSING_TOKEN = "Send an API token as 'Authorization: Bearer <token>'."
MISSING_API_KEY = "Send an API token as 'X-API-Key: <token>'."
# Ancla's (v1) header; it carries the same tokens as the bearer scheme.
API_KEY_HEADER = "x-api-key"
UNKNOWN_TOKEN = "The API token is not valid."
NOT_FOUND = "Not Found"
ORGANISATION_NOT_FOUND = "Organisation not found"
CACHE_SECONDS = 30.0


class TokenCache:
    """Remembers which organisation a token hash belongs to for a short while, so
    most requests spend no database round trip on authentication."""

    def __init__(self, seconds: float = CACHE_SECONDS, clock=time.monotonic):
        self._seconds = seconds
        self._clock = clock
        self._known: dict[bytes, tuple[Organisation, float]] = {}

    async def organisation(self, pool: asyncpg.Pool, token: str) -> Organisation | None:
        digest = token_hash(token)
        hit = self._known.get(digest)
        now = self._clock()
        if hit is not None and hit[1] > now:
            return hit[0]
        organisation = await organisation_for_token(pool, token)
        if organisation is not None:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[digest] = (organisation, now + self._seconds)
        return organisation


def bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(401, "Unauthorized", MISSING_TOKEN)
    return token.strip()


def api_key(request: Request) -> str:
    """The token from X-API-Key, else from 'Authorization: Bearer'."""
    key = request.headers.get(API_KEY_HEADER, "").strip()
    if key:
        return key
    if request.headers.get("authorization"):
        return bearer_token(request)
    raise Problem(401, "Unauthorized", MISSING_API_KEY)


async def api_key_organisation(request: Request) -> tuple[str, Organisation]:
    """The X-API-Key token and the organisation it belongs to (through the TokenCache)."""
    token = api_key(request)
    state = request.state
    organisation = await state.tokens.organisation(state.pool, token)
    if organisation is None:
        raise Problem(401, "Unauthorized", UNKNOWN_TOKEN)
    return token, organisation


async def authorised_organisation(request: Request, slug: str) -> Organisation:
    """The caller's organisation, which must be the one named in the path.

    Another organisation's path answers exactly as one that does not exist.
    """
    state = request.state
    organisation = await state.tokens.organisation(state.pool, bearer_token(request))
    if organisation is None:
        raise Problem(401, "Unauthorized", UNKNOWN_TOKEN)
    if organisation.slug != slug:
        raise Problem(404, NOT_FOUND, ORGANISATION_NOT_FOUND)
    return organisation
