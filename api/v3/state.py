"""`PUT …/environments/{environment}/state`: start, stop, restart or redeploy (desired state only)."""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.operations import Operation
from api.problems import Problem
from api.v3.environments import PREFIX, store_update
from schemas.desired import EnvironmentSpec
from schemas.v3.state import (
    NOTHING_RUNS,
    StoppedEnvironment,
    UpdateEnvironmentStateRequest,
    next_spec,
)


async def update_environment_state(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    name = request.path_params["environment"]
    wanted = await parse_body(request, UpdateEnvironmentStateRequest)

    def make_spec(stored: dict) -> dict:
        try:
            return next_spec(EnvironmentSpec.model_validate(stored), wanted).to_wire()
        except StoppedEnvironment as stopped:
            raise Problem(409, "Conflict", NOTHING_RUNS.format(name=name, action=str(stopped))) from None

    await store_update(request, organisation.id, name, make_spec)
    return Response(status_code=204)



operations = [
    Operation(PREFIX + "/{environment}/state", "put", "updateEnvironmentState",
              "Start, stop, restart or redeploy the environment", UpdateEnvironmentStateRequest, {
        204: ("The environment state updated", None),
        400: ("The environment data is invalid", None),
        404: ("The application or environment not found", None),
        409: ("The environment is being deleted, or is stopped (restart, redeploy)", None),
    }, handler=update_environment_state, if_match=True),
]
