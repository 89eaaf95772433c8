"""`…/environments/{environment}/compose`: read and partially update an environment's compose."""

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.etags import ENVIRONMENT_DESIRED_TAG
from api.operations import ENVIRONMENTS, Operation, declared_query
from api.problems import Problem, field_errors
from api.responses import JSON
from api.v3.environments import ENVIRONMENT_NOT_FOUND, PREFIX, check_spot, store_update
from controller.store import environments as store
from schemas.desired import EnvironmentSpec
from schemas.v3.compose import CAPACITY_ORDER, Compose
from schemas.v3.compose_patch import InvalidCompose, PatchComposeRequest
from schemas.v3.compose_yaml import (
    ComposeInvalid,
    ComposeValidated,
    TranslationError,
    ValidateComposeRequest,
    translate,
)

INVALID_COMPOSE = "Invalid compose definition or validation failed."
VALIDATED = "Docker-compose YAML translated and validated successfully."
NO_COMPOSE_TEXT = "give the docker-compose YAML as the body, or as `compose` in a JSON object"


def _contract_400(problem: Problem) -> Problem:
    """`patchEnvironmentCompose_400_response`: `message` plus `errors` as an object, field → message."""
    errors: dict[str, str] = {}
    for error in problem.extensions.get("errors", []):
        field = error["field"] or "compose"
        errors[field] = f"{errors[field]}; {error['message']}" if field in errors else error["message"]
    return Problem(400, "Bad Request", INVALID_COMPOSE, errors=errors)


def _effective(spec: EnvironmentSpec) -> dict:
    """The stored compose, with the capacity the environment actually runs with."""
    changes = {"min_capacity": spec.min_capacity, "max_capacity": spec.max_capacity}
    return spec.compose.model_copy(update=changes).to_wire()


async def _compose_of(request: Request, organisation_id: int) -> dict:
    rows = await store.environment_views(
        request.state.pool, organisation_id, request.path_params["application"], request.path_params["environment"]
    )
    if not rows:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    return _effective(EnvironmentSpec.model_validate(rows[0]["spec"]))


async def get_compose(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    return JSON(await _compose_of(request, organisation.id))


async def patch_compose(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    name = request.path_params["environment"]

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        # Capacity not given keeps the environment's current figures, not the compose's own.
        low = current.min_capacity if patch.min_capacity is None else patch.min_capacity
        high = current.max_capacity if patch.max_capacity is None else patch.max_capacity
        if low > high:
            error = {"field": "minCapacity", "message": CAPACITY_ORDER}
            raise Problem(400, "Bad Request", INVALID_COMPOSE, errors=[error])
        wire = {**patch.applied_to(current.compose.to_wire()), "minCapacity": low, "maxCapacity": high}
        try:
            compose = Compose.model_validate(wire)
        except ValidationError as error:
            raise Problem(400, "Bad Request", INVALID_COMPOSE, errors=field_errors(error)) from None
        check_spot(name, compose, low, "spotConfiguration")
        return current.model_copy(update={"compose": compose, "min_capacity": low, "max_capacity": high}).to_wire()

    try:
        patch = await parse_body(request, PatchComposeRequest)
        await store_update(request, organisation.id, name, make_spec)
    except Problem as problem:
        raise _contract_400(problem) if problem.status == 400 else problem from None
    return JSON(await _compose_of(request, organisation.id), status_code=202)


def _yaml_and_suffix(body: bytes, query_suffix: str | None) -> tuple[str, str | None]:
    """The body is raw YAML, or `validateCompose_request` (`compose`, or `yamlContent`, plus
    `imageSuffix`); the query's `imageSuffix` wins."""
    try:
        wrapper = orjson.loads(body)
    except orjson.JSONDecodeError:
        wrapper = None
    if not isinstance(wrapper, dict):
        return body.decode("utf-8", errors="replace"), query_suffix
    text = wrapper.get("compose", wrapper.get("yamlContent"))
    if not isinstance(text, str):
        raise TranslationError(NO_COMPOSE_TEXT)
    suffix = wrapper.get("imageSuffix")
    return text, query_suffix or (suffix if isinstance(suffix, str) else None)


IMAGE_SUFFIX_QUERY = {
    "imageSuffix": ("Append to internal images' tags ({containerName}-{suffix}); wins over the body's",
                    {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"}),
}

async def validate_compose(request: Request) -> Response:
    """No side effects: translate, validate as `Compose`, answer."""
    await authorised_organisation(request, request.path_params["organisation"])
    try:
        text, suffix = _yaml_and_suffix(await request.body(), declared_query(request, IMAGE_SUFFIX_QUERY).get("imageSuffix"))
        definition, warnings = translate(text, suffix)
        compose = Compose.model_validate(definition)
    except TranslationError as error:
        return JSON({"error": str(error)}, status_code=422)
    except ValidationError as error:
        errors = field_errors(error)
        summary = "; ".join(f"{e['field'] or 'compose'}: {e['message']}" for e in errors)
        return JSON({"error": f"{INVALID_COMPOSE} {summary}", "errors": errors}, status_code=422)
    body = {"message": VALIDATED, "translatedComposeDefinition": compose.to_wire(), "translationWarnings": warnings}
    return JSON(body)



operations = [
    Operation(ENVIRONMENTS + "/{environment}/compose", "get", "getEnvironmentCompose",
              "Get the compose file for an environment", None, {
        200: ("The compose definition, with the environment's capacity", Compose),
        404: ("The application or environment not found", None),
    }, handler=get_compose, tagged=ENVIRONMENT_DESIRED_TAG),
    Operation(ENVIRONMENTS + "/{environment}/compose", "patch", "patchEnvironmentCompose",
              "Partially update the environment's compose definition", PatchComposeRequest, {
        202: ("Accepted: the full updated compose definition, converging", Compose),
        400: ("Invalid compose definition or validation failed", InvalidCompose),
        404: ("Application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, handler=patch_compose, if_match=True),
    Operation("/api/v3/organizations/{organisation}/compose/validate", "post", "validateCompose",
              "Validate a compose file (no side effects)", ValidateComposeRequest, {
        200: ("Translated and validated: the compose definition and any warnings", ComposeValidated),
        404: ("The organisation not found", None),
        422: ("Invalid YAML input or validation failed", ComposeInvalid),
    }, query=IMAGE_SUFFIX_QUERY, handler=validate_compose),
]
