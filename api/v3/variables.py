"""`…/environments/{environment}/variables`: list, replace all, set one, delete one.

The contract spells the path parameters `{api_organisation}/{api_application}/
{api_environment}/{api_variable}`; the URLs are the same as every other environment
route's, so the routes share their parameter names (and `store_update`).
"""

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.etags import ENVIRONMENT_DESIRED_TAG
from api.operations import Operation
from api.problems import INVALID_BODY, Problem
from api.responses import JSON
from api.v3.environments import ENVIRONMENT_NOT_FOUND, PREFIX, store_update
from controller.store import environments as store
from schemas.desired import EnvironmentSpec
from schemas.v3.compose import EnvironmentVariable
from schemas.v3.variables import (
    BulkSetVariablesRequest,
    UpdateVariableRequest,
    Variable,
    as_object,
    database_name_reason,
)

VARIABLE_NOT_FOUND = "Variable not found"
# The contract's name for the path parameter naming the variable.
VARIABLE_PARAMETER = "api_variable"


def _bad(field: str, message: str) -> Problem:
    error = {"field": field, "pointer": "/" + field.replace(".", "/"), "message": message}
    return Problem(400, "Bad Request", INVALID_BODY, errors=[error])


def _check_database_names(spec: EnvironmentSpec, variables: list[EnvironmentVariable], field: str) -> None:
    """With a database, the connection secret's names are taken (`field` may hold `{index}`)."""
    if spec.database is None:
        return
    for index, variable in enumerate(variables):
        if reason := database_name_reason(variable.name):
            raise _bad(field.format(index=index), reason)


async def _variables_of(request: Request, organisation_id: int) -> list[EnvironmentVariable]:
    rows = await store.environment_views(
        request.state.pool, organisation_id, request.path_params["application"], request.path_params["environment"]
    )
    if not rows:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    return EnvironmentSpec.model_validate(rows[0]["spec"]).variables


async def list_variables(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    return JSON(as_object(await _variables_of(request, organisation.id)))


async def bulk_set_variables(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    wanted = await parse_body(request, BulkSetVariablesRequest)
    variables = [v.stored() for v in wanted.environment]

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        _check_database_names(current, variables, "environment.{index}.name")
        return current.model_copy(update={"variables": variables}).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    return JSON(as_object(variables))


def _path_variable(request: Request, value: str) -> EnvironmentVariable:
    """The variable the path names, with `value`; a bad name is a 400 naming the parameter."""
    try:
        return Variable(name=request.path_params["variable"], value=value).stored()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise _bad(VARIABLE_PARAMETER, first["msg"].removeprefix("Value error, ")) from None


async def update_variable(request: Request) -> Response:
    """Sets the variable, adding it when the environment has none of that name (Quant Cloud's
    clients set variables one by one this way, keeping the others)."""
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    wanted = await parse_body(request, UpdateVariableRequest)
    variable = _path_variable(request, wanted.value)

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        _check_database_names(current, [variable], VARIABLE_PARAMETER)
        names = [v.name for v in current.variables]
        variables = list(current.variables)
        if variable.name in names:
            variables[names.index(variable.name)] = variable
        else:
            variables.append(variable)
        return current.model_copy(update={"variables": variables}).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    return JSON(variable.to_wire())


async def delete_variable(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    name = request.path_params["variable"]

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        kept = [v for v in current.variables if v.name != name]
        if len(kept) == len(current.variables):
            raise Problem(404, "Not Found", VARIABLE_NOT_FOUND)
        return current.model_copy(update={"variables": kept}).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    return Response(status_code=204)


VARIABLES = PREFIX + "/{environment}/variables"

operations = [
    Operation(VARIABLES, "get", "listEnvironmentVariables", "Get the environment's variables", None, {
        200: ("Name → value", {"type": "object", "additionalProperties": {"type": "string"}}),
        404: ("The application or environment not found", None),
    }, handler=list_variables, tagged=ENVIRONMENT_DESIRED_TAG),
    Operation(VARIABLES, "put", "bulkSetEnvironmentVariables", "Replace all of the environment's variables",
              BulkSetVariablesRequest, {
        200: ("Name → value, as stored", {"type": "object", "additionalProperties": {"type": "string"}}),
        400: ("A variable is invalid", None),
        404: ("The application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, handler=bulk_set_variables, if_match=True),
    Operation(VARIABLES + "/{variable}", "put", "updateEnvironmentVariable", "Set one variable",
              UpdateVariableRequest, {
        200: ("The variable as stored", Variable),
        400: ("The variable is invalid", None),
        404: ("The application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, handler=update_variable, if_match=True),
    Operation(VARIABLES + "/{variable}", "delete", "deleteEnvironmentVariable", "Delete one variable", None, {
        204: ("The variable deleted", None),
        404: ("The application, environment or variable not found", None),
        409: ("The environment is being deleted", None),
    }, handler=delete_variable, if_match=True),
]
