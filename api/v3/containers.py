"""`…/environments/{environment}/containers`: list the compose's containers, replace one of them."""

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.etags import ENVIRONMENT_DESIRED_TAG
from api.operations import Operation
from api.problems import INVALID_BODY, Problem, field_errors
from api.responses import JSON
from api.v3.environments import ENVIRONMENT_NOT_FOUND, PREFIX, store_update
from controller.store import environments as store
from schemas.desired import EnvironmentSpec
from schemas.v3.compose import Compose, Container
from schemas.v3.containers import NAME_MISMATCH, UpdateContainerRequest

CONTAINER_NOT_FOUND = "Container not found"
# Errors about the definition as a whole (Fargate sizes, dependsOn across containers).
WHOLE_COMPOSE = "compose"


async def _spec_of(request: Request, organisation_id: int) -> EnvironmentSpec:
    rows = await store.environment_views(
        request.state.pool, organisation_id, request.path_params["application"], request.path_params["environment"]
    )
    if not rows:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    return EnvironmentSpec.model_validate(rows[0]["spec"])


async def list_containers(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    spec = await _spec_of(request, organisation.id)
    return JSON([container.to_wire() for container in spec.compose.containers])


def _compose_errors(error: ValidationError, index: int) -> list[dict[str, str]]:
    """The new compose's errors, named as fields of the body where they are the replaced
    container's own (`containers.2.cpu` → `cpu`), else by their place in the compose."""
    prefix = f"containers.{index}."
    named = []
    for item in field_errors(error):
        field = item["field"].removeprefix(prefix) if item["field"].startswith(prefix) else item["field"]
        field = field or WHOLE_COMPOSE
        named.append({**item, "field": field, "pointer": "/" + field.replace(".", "/")})
    return named


def _replaced(current: EnvironmentSpec, container: Container) -> EnvironmentSpec:
    names = [c.name for c in current.compose.containers]
    if container.name not in names:
        raise Problem(404, "Not Found", CONTAINER_NOT_FOUND)
    index = names.index(container.name)
    wire = current.compose.to_wire()
    wire["containers"][index] = container.to_wire()
    try:
        compose = Compose.model_validate(wire)
    except ValidationError as error:
        raise Problem(400, "Bad Request", INVALID_BODY, errors=_compose_errors(error, index)) from None
    return current.model_copy(update={"compose": compose})


async def update_container(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    name = request.path_params["container"]
    wanted = await parse_body(request, UpdateContainerRequest)
    if wanted.name is not None and wanted.name != name:
        error = {"field": "name", "pointer": "/name", "message": NAME_MISMATCH.format(given=wanted.name, path=name)}
        raise Problem(400, "Bad Request", INVALID_BODY, errors=[error])
    try:
        container = wanted.named(name)  # the path's name must be a valid container name too
    except ValidationError as error:
        raise Problem(400, "Bad Request", INVALID_BODY, errors=field_errors(error)) from None

    def make_spec(stored: dict) -> dict:
        return _replaced(EnvironmentSpec.model_validate(stored), container).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    return JSON(container.to_wire())


CONTAINERS = PREFIX + "/{environment}/containers"

operations = [
    Operation(CONTAINERS, "get", "listContainers", "Get the containers of an environment", None, {
        200: ("The environment's containers", [Container]),
        404: ("The application or environment not found", None),
    }, handler=list_containers, tagged=ENVIRONMENT_DESIRED_TAG),
    Operation(CONTAINERS + "/{container}", "put", "updateContainer",
              "Replace one container of the environment's compose definition", UpdateContainerRequest, {
        200: ("The container as stored, converging", Container),
        400: ("The container or the resulting compose definition is invalid", None),
        404: ("The application, environment or container not found", None),
        409: ("The environment is being deleted", None),
    }, handler=update_container, if_match=True),
]
