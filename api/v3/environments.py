"""`…/applications/{application}/environments`: list, create, get, update, delete."""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import SKIP_FINAL_SNAPSHOT, parse_body, query_flag
from api.etags import ENVIRONMENT_TAG, if_match, precondition_failed, remember_written
from api.operations import ENVIRONMENTS, SKIP_FINAL_SNAPSHOT_QUERY, Operation
from api.problems import INVALID_BODY, Problem
from api.responses import JSON
from api.v3.views import environment_summary, environment_view
from controller.store import environments as store
from controller.store import preconditions
from controller.store.kinds import ENVIRONMENT_KINDS
from schemas.desired import EnvironmentSpec
from schemas.v3.applications import PRODUCTION
from schemas.v3.compose import CAPACITY_ORDER, Compose, EnvironmentVariable
from schemas.v3.environments import (
    CreateEnvironmentRequest,
    EnvironmentLimitReached,
    EnvironmentResponse,
    EnvironmentSummary,
    UpdateEnvironmentRequest,
    mixed_too_small,
)

APPLICATION_NOT_FOUND = "Application not found"
ENVIRONMENT_NOT_FOUND = "Environment not found"
NAME_TAKEN = "An environment named {name!r} already exists in this application."
APPLICATION_DELETING = "The application is being deleted; its environments cannot change."
ENVIRONMENT_DELETING = "The environment {name!r} is being deleted."
PRODUCTION_UNDELETABLE = "The production environment cannot be deleted; delete the application instead."
NO_CLONE_SOURCE = "there is no environment named {name!r} in this application to clone"
NO_COMPOSE = "give a composeDefinition: the application has no production environment to start from"
LIMIT_MESSAGE = "Environment limit reached"
LIMIT_ERROR = (
    "Application {application} has reached the maximum number of allowed environments ({count}/{limit}). "
    "Please contact support to increase your limit."
)


def _bad_field(field: str, message: str) -> Problem:
    error = {"field": field, "pointer": "/" + field, "message": message}
    return Problem(400, "Bad Request", INVALID_BODY, errors=[error])


def _capacity(
    minimum: int | None, maximum: int | None, compose: Compose, fallback: EnvironmentSpec | None
) -> tuple[int, int]:
    """Root-level figures win over the compose definition's, which win over `fallback`'s
    (the cloned or current spec). A maximum nobody gave follows a higher minimum."""
    low = next((v for v in (minimum, compose.min_capacity) if v is not None), None)
    high = next((v for v in (maximum, compose.max_capacity) if v is not None), None)
    if low is None:
        low = fallback.min_capacity if fallback else 1
    if high is None:
        high = max(fallback.max_capacity if fallback else 1, low)
    if low > high:
        raise _bad_field("minCapacity", CAPACITY_ORDER)
    return low, high


def check_spot(environment: str, compose: Compose, min_capacity: int, field: str | None = None) -> None:
    """A mixed spot strategy below two instances is a 400; production runs on-demand anyway."""
    if environment == PRODUCTION:
        return
    if reason := mixed_too_small(compose, min_capacity):
        raise _bad_field((field or "composeDefinition.spotConfiguration") + ".strategy", reason)


def _variables(wanted: CreateEnvironmentRequest, cloned: list[EnvironmentVariable]) -> list[EnvironmentVariable]:
    """`environment` replaces the cloned variables, or with `mergeEnvironment` overrides them by name."""
    if wanted.environment is None:
        return cloned
    if not wanted.merge_environment:
        return list(wanted.environment)
    given = {v.name: v for v in wanted.environment}
    merged = [given.pop(v.name, v) for v in cloned]
    return merged + list(given.values())


def _spec_for(
    wanted: CreateEnvironmentRequest, production: EnvironmentSpec | None, source: EnvironmentSpec | None
) -> dict:
    """The stored spec of a new environment: a given composeDefinition wins, then the
    cloned environment's compose, then production's."""
    base = source or production
    compose = wanted.compose_definition or (base.compose if base else None)
    if compose is None:
        raise _bad_field("composeDefinition", NO_COMPOSE)
    if wanted.spot_configuration is not None:
        spot = wanted.spot_configuration.to_wire()
        compose = Compose.model_validate({**compose.to_wire(), "spotConfiguration": spot})
    low, high = _capacity(wanted.min_capacity, wanted.max_capacity, compose, source)
    check_spot(wanted.env_name, compose, low, "spotConfiguration" if wanted.spot_configuration else None)
    spec = EnvironmentSpec(
        compose=compose,
        min_capacity=low,
        max_capacity=high,
        variables=_variables(wanted, source.variables if source else []),
        image_suffix=wanted.image_suffix,
        database=base.database if base else None,
        filesystem=base.filesystem if base else None,
        # A clone copies how the source scales; a new environment starts without policies.
        scaling_policies=source.scaling_policies if source else [],
        drift_policy=base.drift_policy if base else None,  # the application's, as its other environments'
    )
    return spec.to_wire()


async def create_environment(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    application = request.path_params["application"]
    wanted = await parse_body(request, CreateEnvironmentRequest)

    async def make_spec(sources: store.Sources) -> dict:
        source = None
        if wanted.clone_configuration_from is not None:
            found = await sources.spec(wanted.clone_configuration_from)
            if found is None:
                raise _bad_field("cloneConfigurationFrom", NO_CLONE_SOURCE.format(name=wanted.clone_configuration_from))
            source = EnvironmentSpec.model_validate(found)
        production = None
        if source is None:  # production's database and filesystem are inherited too
            found = await sources.spec(PRODUCTION)
            production = EnvironmentSpec.model_validate(found) if found is not None else None
        return _spec_for(wanted, production, source)

    outcome = await store.create_environment(
        request.state.pool, organisation.id, application, wanted.env_name, make_spec
    )
    match outcome:
        case store.NoApplication():
            raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
        case store.Deleting():
            raise Problem(409, "Conflict", APPLICATION_DELETING)
        case store.NameTaken():
            raise Problem(409, "Conflict", NAME_TAKEN.format(name=wanted.env_name))
        case store.LimitReached(count=count, limit=limit):
            error = LIMIT_ERROR.format(application=application, count=count, limit=limit)
            return JSON(EnvironmentLimitReached(message=LIMIT_MESSAGE, error=error).to_wire(), status_code=403)
    request.state.notifier.poke(*ENVIRONMENT_KINDS)
    return JSON(await _one(request, organisation.id, wanted.env_name), status_code=201)


async def _one(request: Request, organisation_id: int, name: str) -> dict:
    rows = await store.environment_views(request.state.pool, organisation_id, request.path_params["application"], name)
    if not rows:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    return environment_view(rows[0]).to_wire()


async def list_environments(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    rows = await store.environment_views(request.state.pool, organisation.id, request.path_params["application"])
    if not rows:
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    return JSON([environment_summary(row).to_wire() for row in rows])


async def get_environment(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    return JSON(await _one(request, organisation.id, request.path_params["environment"]))


async def store_update(request: Request, organisation_id: int, name: str, make_spec) -> None:
    """Store the environment's new spec (`make_spec(stored) -> spec`) with its reconcile
    queued, answer 404/409 as the contract's update routes do, and wake the workers."""
    outcome = await store.update_environment(
        request.state.pool, organisation_id, request.path_params["application"], name, make_spec, if_match(request)
    )
    match outcome:
        case store.NoEnvironment():
            raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
        case preconditions.PreconditionFailed():
            raise precondition_failed()
        case store.Written(id=written_id, generation=generation):
            remember_written(request, preconditions.Version(written_id, (generation,)))
        case store.Deleting():
            raise Problem(409, "Conflict", ENVIRONMENT_DELETING.format(name=name))
    request.state.notifier.poke(*ENVIRONMENT_KINDS)


async def update_environment(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    name = request.path_params["environment"]
    wanted = await parse_body(request, UpdateEnvironmentRequest)

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        low, high = _capacity(wanted.min_capacity, wanted.max_capacity, wanted.compose_definition, current)
        check_spot(name, wanted.compose_definition, low)
        changes = {"compose": wanted.compose_definition, "min_capacity": low, "max_capacity": high}
        return current.model_copy(update=changes).to_wire()

    await store_update(request, organisation.id, name, make_spec)
    return JSON(await _one(request, organisation.id, name), status_code=202)


async def delete_environment(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    where = (request.state.pool, organisation.id, request.path_params["application"], request.path_params["environment"])
    skip = query_flag(request, SKIP_FINAL_SNAPSHOT)
    matches = if_match(request)
    outcome: bool | store.IsProduction | preconditions.PreconditionFailed
    if matches is None:
        outcome = await store.delete_environment(*where, skip_final_snapshot=skip)
    else:
        outcome = await preconditions.delete_environment(*where, skip_final_snapshot=skip, matches=matches)
    if isinstance(outcome, preconditions.PreconditionFailed):
        raise precondition_failed()
    if isinstance(outcome, store.IsProduction):
        raise Problem(409, "Conflict", PRODUCTION_UNDELETABLE)
    if not outcome:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    request.state.notifier.poke(*ENVIRONMENT_KINDS)
    return Response(status_code=204)


PREFIX = "/api/v3/organizations/{organisation}/applications/{application}/environments"

operations = [
    Operation(ENVIRONMENTS, "get", "listEnvironments", "Get all environments for an application", None, {
        200: ("The application's environments, with deployment status", [EnvironmentSummary]),
        404: ("The organisation or application not found", None),
    }, handler=list_environments),
    Operation(ENVIRONMENTS, "post", "createEnvironment", "Create a new environment", CreateEnvironmentRequest, {
        201: ("The environment created", EnvironmentResponse),
        400: ("The environment data is invalid", None),
        403: ("Environment limit reached", EnvironmentLimitReached),
        404: ("The organisation or application not found", None),
        409: ("The environment name is taken, or the application is being deleted", None),
    }, handler=create_environment, idempotent=True),
    Operation(ENVIRONMENTS + "/{environment}", "get", "getEnvironment", "Get a single environment", None, {
        200: ("The environment with runtime details", EnvironmentResponse),
        404: ("The environment not found", None),
    }, handler=get_environment, tagged=ENVIRONMENT_TAG),
    Operation(ENVIRONMENTS + "/{environment}", "put", "updateEnvironment",
              "Replace the environment's compose definition (and capacity)", UpdateEnvironmentRequest, {
        202: ("Accepted: the new spec is stored and converging", EnvironmentResponse),
        400: ("Invalid compose definition or validation failed", None),
        404: ("Application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, handler=update_environment, if_match=True),
    Operation(ENVIRONMENTS + "/{environment}", "delete", "deleteEnvironment",
              "Delete an environment (its cloud resources are torn down first)", None, {
        204: ("The environment is being deleted", None),
        404: ("The environment not found", None),
        409: ("The production environment cannot be deleted", None),
    }, query=SKIP_FINAL_SNAPSHOT_QUERY, handler=delete_environment, if_match=True),
]
