"""A route, declared once: path, method, handler, request and response models, the query
parameters it reads and its ETag / If-Match / Idempotency-Key behaviour.

Every route module lists its `operations`; the Starlette routes (`api/hardening.py`
wraps each as its declaration says) and `/openapi.json` (`api/openapi.py`) are both
derived from them. A handler reads only what its operation declares: `declared_query`
and `api.etags.if_match` refuse, as a programming error, a read the declaration lacks,
so the document cannot drift from what the handlers read.
"""

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

# A response body: a model, `[Model]` for an array of them, an inline JSON schema, or
# None (for errors: problem+json).
Body = type[BaseModel] | list | dict[str, Any] | None

V3 = "/api/v3/organizations/{organisation}/applications"
ENVIRONMENTS = V3 + "/{application}/environments"
SKIP_FINAL_SNAPSHOT_QUERY = {
    "skipFinalSnapshot": ("true: delete the databases without a final snapshot", {"type": "boolean", "default": False})
}
TEXT_PLAIN, TEXT_HTML, TEXT_JAVASCRIPT, TEXT_CSS = "text/plain", "text/html", "text/javascript", "text/css"
DRY_RUN_QUERY = {"dryRun": ("true: answer the plan of the write and write nothing", {"type": "boolean", "default": False})}


Endpoint = Callable[[Request], Awaitable[Response]]
# The scope key under which a request carries the operation it was routed to.
OPERATION_SCOPE = "berth.operation"
UNDECLARED = "{operation} reads {what} it does not declare: {names}"


@dataclass(frozen=True)
class Tagged:
    """A GET answered with its resource's ETag: `version_of(pool, organisation_id,
    path_params)` is the resource's version (None: not there)."""

    version_of: Callable[..., Awaitable[Any]]
    not_modified: bool = False  # If-None-Match may answer 304


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    summary: str
    request: type[BaseModel] | None = None
    responses: Mapping[int, tuple[str, Body]] = field(default_factory=dict)
    authenticated: bool = True
    # Query parameters: name → (description, JSON schema).
    query: dict[str, tuple[str, dict]] = field(default_factory=dict)
    # The media type of the successful answers (errors are problem+json): the
    # Prometheus exposition and the console's assets are not JSON.
    media_type: str = "application/json"
    handler: Endpoint = field(kw_only=True)
    tagged: Tagged | None = field(default=None, kw_only=True)
    # The write checks If-Match against the row it locks (`api.etags.if_match`).
    if_match: bool = field(default=False, kw_only=True)
    # A create or deploy that answers a stored response to a repeated Idempotency-Key:
    # only those whose answer holds ids and desired state, never a secret value (kept in
    # PostgreSQL as sent; v1's configuration routes are not idempotent for that).
    idempotent: bool = field(default=False, kw_only=True)


class Undeclared(RuntimeError):
    """A handler read a query parameter or header its operation does not declare."""


def operation_of(request: Request) -> Operation:
    return request.scope[OPERATION_SCOPE]


def declared_query(request: Request, names: Iterable[str]) -> QueryParams:
    """The request's query parameters, for a handler that reads `names` of them."""
    operation = operation_of(request)
    undeclared = sorted(set(names) - set(operation.query))
    if undeclared:
        raise Undeclared(UNDECLARED.format(operation=operation.operation_id, what="query parameters",
                                           names=", ".join(undeclared)))
    return request.query_params


def wire_names(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(field.alias or name for name, field in model.model_fields.items())


def query_of(model: type[BaseModel]) -> dict[str, tuple[str, dict]]:
    """A query model's fields as an operation's query parameters (wire names)."""
    schema = model.model_json_schema(by_alias=True)
    properties = schema.get("properties", {})
    return {name: (prop.pop("description", "") or prop.get("title", name), prop) for name, prop in properties.items()}
