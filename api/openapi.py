"""berth's own OpenAPI document, generated from its pydantic models and route table."""

from dataclasses import dataclass, field

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import Response

from api.responses import JSON
from schemas.v3.applications import Application, CreateApplicationRequest, LimitReached
from schemas.v3.environments import (
    CreateEnvironmentRequest,
    EnvironmentLimitReached,
    EnvironmentResponse,
    EnvironmentSummary,
    UpdateEnvironmentRequest,
)
from schemas.v3.compose import Compose
from schemas.v3.compose_patch import InvalidCompose, PatchComposeRequest
from schemas.v3.compose_yaml import ComposeInvalid, ComposeValidated, ValidateComposeRequest
from schemas.v3.plan import ApplicationPlan, ApplyApplicationRequest

REF = "#/components/schemas/{model}"
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


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    operation_id: str
    summary: str
    request: type[BaseModel] | None = None
    responses: dict[int, tuple[str, type[BaseModel] | list | None]] = field(default_factory=dict)
    authenticated: bool = True
    # Query parameters: name → (description, JSON schema).
    query: dict[str, tuple[str, dict]] = field(default_factory=dict)


DRY_RUN = {"dryRun": ("true: answer the plan of the write and write nothing", {"type": "boolean", "default": False})}
V3 = "/api/v3/organizations/{organisation}/applications"
ENVIRONMENTS = V3 + "/{application}/environments"
REQUESTS = {CreateApplicationRequest, CreateEnvironmentRequest, UpdateEnvironmentRequest, PatchComposeRequest,
            ValidateComposeRequest, ApplyApplicationRequest}
OPERATIONS = [
    Operation(V3, "post", "createApplication", "Create a new application", CreateApplicationRequest, {
        200: ("dryRun: what the create would make; nothing was written", ApplicationPlan),
        201: ("The created application", Application),
        400: ("The request is invalid", None),
        403: ("Application limit reached", LimitReached),
        409: ("The application name is taken", None),
    }, query=DRY_RUN),
    Operation(V3 + "/{application}", "put", "applyApplication",
              "Create or replace the application's desired state (declarative; repeating it changes nothing)",
              ApplyApplicationRequest, {
        200: ("Replaced (or unchanged); with dryRun, the plan and nothing written", Application),
        201: ("Created", Application),
        400: ("The request is invalid, or appName differs from the path's", None),
        403: ("Application limit reached", LimitReached),
        409: ("The application is being deleted", None),
    }, query=DRY_RUN),
    Operation(V3 + "/{application}/plan", "post", "planApplication",
              "The field-level changes a PUT of this body would make, and their effects; writes nothing",
              ApplyApplicationRequest, {
        200: ("The plan", ApplicationPlan),
        400: ("The request is invalid, or appName differs from the path's", None),
        403: ("Application limit reached (the application does not exist yet)", LimitReached),
        409: ("The application is being deleted", None),
    }),
    Operation(V3, "get", "listApplications", "Get all applications for an organisation", None, {
        200: ("A list of applications", [Application]),
    }),
    Operation(V3 + "/{application}", "get", "getApplication", "Get a single application", None, {
        200: ("The application", Application),
        404: ("The application not found", None),
    }),
    Operation(V3 + "/{application}", "delete", "deleteApplication",
              "Delete an application (its cloud resources are torn down first)", None, {
        204: ("The application is being deleted", None),
        404: ("The application not found", None),
    }),
    Operation(ENVIRONMENTS, "get", "listEnvironments", "Get all environments for an application", None, {
        200: ("The application's environments, with deployment status", [EnvironmentSummary]),
        404: ("The organisation or application not found", None),
    }),
    Operation(ENVIRONMENTS, "post", "createEnvironment", "Create a new environment", CreateEnvironmentRequest, {
        201: ("The environment created", EnvironmentResponse),
        400: ("The environment data is invalid", None),
        403: ("Environment limit reached", EnvironmentLimitReached),
        404: ("The organisation or application not found", None),
        409: ("The environment name is taken, or the application is being deleted", None),
    }),
    Operation(ENVIRONMENTS + "/{environment}", "get", "getEnvironment", "Get a single environment", None, {
        200: ("The environment with runtime details", EnvironmentResponse),
        404: ("The environment not found", None),
    }),
    Operation(ENVIRONMENTS + "/{environment}", "put", "updateEnvironment",
              "Replace the environment's compose definition (and capacity)", UpdateEnvironmentRequest, {
        202: ("Accepted: the new spec is stored and converging", EnvironmentResponse),
        400: ("Invalid compose definition or validation failed", None),
        404: ("Application or environment not found", None),
        409: ("The environment is being deleted", None),
    }),
    Operation(ENVIRONMENTS + "/{environment}", "delete", "deleteEnvironment",
              "Delete an environment (its cloud resources are torn down first)", None, {
        204: ("The environment is being deleted", None),
        404: ("The environment not found", None),
        409: ("The production environment cannot be deleted", None),
    }),
    Operation(ENVIRONMENTS + "/{environment}/compose", "get", "getEnvironmentCompose",
              "Get the compose file for an environment", None, {
        200: ("The compose definition, with the environment's capacity", Compose),
        404: ("The application or environment not found", None),
    }),
    Operation(ENVIRONMENTS + "/{environment}/compose", "patch", "patchEnvironmentCompose",
              "Partially update the environment's compose definition", PatchComposeRequest, {
        202: ("Accepted: the full updated compose definition, converging", Compose),
        400: ("Invalid compose definition or validation failed", InvalidCompose),
        404: ("Application or environment not found", None),
        409: ("The environment is being deleted", None),
    }),
    Operation("/api/v3/organizations/{organisation}/compose/validate", "post", "validateCompose",
              "Validate a compose file (no side effects)", ValidateComposeRequest, {
        200: ("Translated and validated: the compose definition and any warnings", ComposeValidated),
        404: ("The organisation not found", None),
        422: ("Invalid YAML input or validation failed", ComposeInvalid),
    }),
    Operation("/healthz", "get", "healthz", "Liveness", None, {200: ("Alive", None)}, False),
    Operation("/readyz", "get", "readyz", "Readiness: the database answers", None,
              {200: ("Ready", None), 503: ("Not ready", None)}, False),
]


def _content(model: type[BaseModel] | list | None, media_type: str = "application/json") -> dict:
    if model is None:
        return {"application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}
    if isinstance(model, list):
        schema = {"type": "array", "items": {"$ref": REF.format(model=model[0].__name__)}}
    else:
        schema = {"$ref": REF.format(model=model.__name__)}
    return {media_type: {"schema": schema}}


def _parameters(path: str) -> list[dict]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def build_document() -> dict:
    models = {
        *REQUESTS, Application, LimitReached, EnvironmentResponse, EnvironmentSummary, EnvironmentLimitReached,
        Compose, InvalidCompose, ComposeValidated, ComposeInvalid, ApplicationPlan,
    }
    _, definitions = models_json_schema(
        [(m, "validation" if m in REQUESTS else "serialization") for m in models],
        by_alias=True,
        ref_template=REF,
    )
    schemas = dict(definitions.get("$defs", {}))
    schemas["Problem"] = PROBLEM
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        query = [{"name": n, "in": "query", "required": False, "description": d, "schema": schema}
                 for n, (d, schema) in op.query.items()]
        entry: dict = {"operationId": op.operation_id, "summary": op.summary,
                       "parameters": _parameters(op.path) + query}
        if op.request is not None:
            entry["requestBody"] = {"required": True, "content": _content(op.request)}
        entry["responses"] = {
            str(code): {"description": text, **({"content": _content(model)} if code != 204 and (model or code >= 400) else {})}
            for code, (text, model) in op.responses.items()
        }
        if op.authenticated:
            entry["responses"].setdefault("401", {"description": "Missing or unknown token", "content": _content(None)})
        else:
            entry["security"] = []
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "berth", "version": "0.1.0", "description": "A PaaS control plane."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"BearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"BearerAuth": []}],
    }


async def openapi(request: Request) -> Response:
    return JSON(request.app.state.openapi)
