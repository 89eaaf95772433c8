"""berth's own OpenAPI document, generated from its pydantic models and route table."""

from collections.abc import Iterable

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from api.idempotency import MAX_KEY_LENGTH
from api.operations import Body, Operation
from api.responses import JSON

REF = "#/components/schemas/{model}"
V1_PREFIX = "/api/v1/"
V3_PREFIX = "/api/v3/"
ENTITY_TAGS = {"type": "string", "description": "Entity-tags (ETag values), comma-separated, or *", "minLength": 1}
# 1 to MAX_KEY_LENGTH printable ASCII characters, as api/idempotency.py accepts them.
KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]([ -~]*[!-~])?$"}
ERROR_MEDIA_TYPE = "application/problem+json"
PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `message` repeats `detail` for Quant Cloud's clients.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "message": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "pointer": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["title", "status"],
}


def _content(model: Body, media_type: str = "application/json") -> dict:
    if model is None:
        return {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    if media_type == ERROR_MEDIA_TYPE:
        # An error with its own model is answered as JSON or, raised as a Problem carrying
        # the model's fields, as problem+json: the same schema under both.
        return {**_content(model), media_type: _content(model)["application/json"]}
    if isinstance(model, dict):
        return {media_type: {"schema": model}}
    if isinstance(model, list):
        schema = {"type": "array", "items": {"$ref": REF.format(model=model[0].__name__)}}
    else:
        schema = {"$ref": REF.format(model=model.__name__)}
    return {media_type: {"schema": schema}}


def _media_type(op: Operation, code: int) -> str:
    return ERROR_MEDIA_TYPE if code >= 400 else op.media_type


def _hardening_answers(op: Operation) -> list[tuple[int, str]]:
    """What API hardening (api/hardening.py) may answer for any operation of its kind."""
    answers = []
    if op.authenticated:
        answers.append((429, "Over the token's rate limit (RateLimit-* and Retry-After headers)"))
    if op.request is not None:
        answers.append((413, "Request body over the size limit"))
    if op.if_match:
        answers.append((412, "If-Match names a version that is no longer current"))
    if op.idempotent:
        answers += [(400, "The Idempotency-Key is malformed"),
                    (409, "A request with this Idempotency-Key is still in flight"),
                    (422, "This Idempotency-Key was used for another request")]
    return answers


def _header_parameters(op: Operation) -> list[dict]:
    """The request headers the operation honours, so that clients (and schemathesis) know them."""
    headers = []
    if op.if_match:
        headers.append(("If-Match", "Write only if the resource is still at one of these versions (else 412)",
                        ENTITY_TAGS))
    if _not_modified(op):
        headers.append(("If-None-Match", "Answer 304 with no body if the resource is at one of these versions",
                        ENTITY_TAGS))
    if op.idempotent:
        headers.append(("Idempotency-Key", "Retry-safe: the same key and body answer the stored response for 24 h",
                        KEY_SCHEMA))
    return [{"name": name, "in": "header", "required": False, "description": text, "schema": schema}
            for name, text, schema in headers]


def _not_modified(op: Operation) -> bool:
    """A GET whose If-None-Match may answer 304."""
    return op.tagged is not None and op.tagged.not_modified


def _no_content_answers(op: Operation) -> list[tuple[int, str]]:
    if _not_modified(op):
        return [(304, "If-None-Match names the current version (ETag header, no body)")]
    return []


def _parameters(path: str) -> list[dict]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _models(operations: list[Operation]) -> tuple[set[type[BaseModel]], set[type[BaseModel]]]:
    """(request models, response models) the operations name."""
    requests = {op.request for op in operations if op.request is not None}
    responses = set()
    for op in operations:
        for _, body in op.responses.values():
            model = body[0] if isinstance(body, list) else body
            if isinstance(model, type) and issubclass(model, BaseModel):
                responses.add(model)
    return requests, responses - requests


def build_document(operations: Iterable[Operation]) -> dict:
    operations = list(operations)
    requests, responses = _models(operations)
    _, definitions = models_json_schema(
        [(m, "validation") for m in sorted(requests, key=lambda m: m.__name__)]
        + [(m, "serialization") for m in sorted(responses, key=lambda m: m.__name__)],
        by_alias=True,
        ref_template=REF,
    )
    schemas = dict(definitions.get("$defs", {}))
    schemas["Problem"] = PROBLEM
    paths: dict[str, dict] = {}
    for op in operations:
        query = [{"name": n, "in": "query", "required": False, "description": d, "schema": schema}
                 for n, (d, schema) in op.query.items()]
        entry: dict = {"operationId": op.operation_id, "summary": op.summary,
                       "parameters": _parameters(op.path) + query + _header_parameters(op)}
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": _content(op.request)}
        entry["responses"] = {
            str(code): {"description": text, **({"content": _content(model, _media_type(op, code))} if code != 204 and (model or code >= 400) else {})}
            for code, (text, model) in op.responses.items()
        }
        for code, text in _no_content_answers(op):
            entry["responses"].setdefault(str(code), {"description": text})
        for code, text in _hardening_answers(op):
            entry["responses"].setdefault(str(code), {"description": text, "content": _content(None)})
        if not op.authenticated:
            entry["security"] = []
        else:
            entry["responses"].setdefault("401", {"description": "Missing or unknown token", "content": _content(None)})
            if op.path.startswith(V1_PREFIX):
                entry["security"] = [{"APIKeyAuth": []}, {"BearerAuth": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "berth", "version": "0.1.0", "description": "A PaaS control plane."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerAuth": {"type": "http", "scheme": "bearer"},
                # Ancla's scheme for /api/v1; the same tokens as BearerAuth.
                "APIKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"BearerAuth": []}],
    }


async def openapi(request: Request) -> Response:
    return JSON(request.app.state.openapi)
