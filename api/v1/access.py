"""Who is calling a v1 route: the X-API-Key token (the same tokens as v3's bearer
tokens, checked through the shared TokenCache) and the organisation it belongs to.

What the token may see beyond its own organisation (the ones it created through v1,
via organisation_grants) is decided inside each query from `token_hash`, so a grant
is visible at once and costs no extra round trip.
"""

from dataclasses import dataclass

from starlette.requests import Request

from api.auth import api_key_organisation
from api.problems import Problem
from api.v1.errors import v1
from controller.store.organisations import Organisation, token_hash


@dataclass(frozen=True, slots=True)
class Caller:
    token_hash: bytes
    organisation: Organisation


async def caller(request: Request) -> Caller:
    try:
        token, organisation = await api_key_organisation(request)
    except Problem as error:
        raise v1(error) from None
    return Caller(token_hash(token), organisation)
