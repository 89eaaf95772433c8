"""The declarative application write and its dry runs, for GitOps tools that post the
whole spec again and again.

`PUT …/applications/{application}` creates the application (201) or replaces its desired
state (200): the application's spec and the fields of its production environment's spec
that an application body owns. Repeating a body changes nothing: no generation, no
queued reconcile, hence no deployment.

`POST …/applications/{application}/plan`, and `?dryRun=true` on that `PUT` and on
`POST …/applications`, are its dry runs. A dry run reads the stored desired state, compares it with the posted one and answers
the field-level changes with what the reconcilers would do about each; it writes nothing
(no spec, generation, timestamp or queue row). It answers the refusals the write would
(403 over the limit, 409 while the application is being deleted or, for a create, when
the name is taken) so that a pipeline learns of them before it applies.
"""

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body, query_flag
from api.etags import if_match, precondition_failed
from api.operations import DRY_RUN_QUERY, V3, Operation
from api.problems import INVALID_BODY, Problem, invalid_body
from api.responses import JSON
from api.v3.views import NEW_APPLICATION, application_view
from controller.store import declarative as store
from controller.store import preconditions
from controller.store.applications import ENVIRONMENT_KINDS, application_views
from controller.store.outcomes import LimitReached as LimitReachedOutcome
from schemas.desired import EnvironmentSpec
from schemas.v3.applications import Application, CreateApplicationRequest, LimitReached
from schemas.v3.plan import (
    APPLICATION_OWNED,
    ApplicationPlan,
    ApplyApplicationRequest,
    deploys,
    plan,
    requested_workload,
)

DRY_RUN = "dryRun"
APPLICATION_NOT_FOUND = "Application not found"
NAME_MISMATCH = "appName {given!r} differs from the application {path!r} the path names"
NAME_TAKEN = "An application named {name!r} already exists in this organisation."
APPLICATION_DELETING = "The application {name!r} is being deleted; it cannot change."
LIMIT_MESSAGE = "Application limit reached"
LIMIT_ERROR = (
    "Organisation has reached the maximum number of allowed applications ({count}/{limit}). "
    "Please contact support to increase your limit."
)


def limit_response(outcome: LimitReachedOutcome) -> Response:
    body = LimitReached(message=LIMIT_MESSAGE, error=LIMIT_ERROR.format(count=outcome.count, limit=outcome.limit))
    return JSON(body.to_wire(), status_code=403)


def deleting_problem(name: str) -> Problem:
    return Problem(409, "Conflict", APPLICATION_DELETING.format(name=name))


async def named_body(request: Request) -> CreateApplicationRequest:
    """The declarative body: `appName` left out means the path's name; any other is a 400."""
    name = request.path_params["application"]
    given = await parse_body(request, ApplyApplicationRequest)
    if given.app_name is not None and given.app_name != name:
        error = {"field": "appName", "pointer": "/appName", "message": NAME_MISMATCH.format(given=given.app_name, path=name)}
        raise Problem(400, "Bad Request", INVALID_BODY, errors=[error])
    try:  # the path's name must be one a create accepts
        return CreateApplicationRequest.model_validate({**given.to_wire(), "appName": name})
    except ValidationError as error:
        raise invalid_body(error) from None


async def dry_run(request: Request, organisation_id: int, wanted: CreateApplicationRequest, *, create: bool) -> Response:
    """The plan of writing `wanted`; `create` answers as `POST …/applications` would."""
    name = wanted.app_name
    stored = await store.desired_state(request.state.pool, organisation_id, name)
    if stored is None:
        if refused := await store.limit_reached(request.state.pool, organisation_id):
            return limit_response(refused)
        action, changes = plan(None, requested_workload(wanted))
        body = ApplicationPlan(app_name=name, action=action, changes=changes, new_deployment=deploys(changes))
        return JSON(body.to_wire())
    if create:
        raise Problem(409, "Conflict", NAME_TAKEN.format(name=name))
    if stored.deleting:
        raise deleting_problem(name)
    action, changes = plan(EnvironmentSpec.model_validate(stored.production_spec), requested_workload(wanted))
    body = ApplicationPlan(
        app_name=name,
        action=action,
        generation=stored.generation,
        production_generation=stored.production_generation,
        changes=changes,
        new_deployment=deploys(changes),
    )
    return JSON(body.to_wire())


async def apply_application(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    wanted = await named_body(request)
    if query_flag(request, DRY_RUN):
        return await dry_run(request, organisation.id, wanted, create=False)
    pool = request.state.pool
    workload = requested_workload(wanted).to_wire()
    arguments = (pool, organisation.id, wanted.app_name, wanted.to_wire(), workload, APPLICATION_OWNED)
    matches = if_match(request)
    outcome: store.Created | store.Replaced | store.Deleting | store.LimitReached | preconditions.PreconditionFailed
    if matches is None:
        outcome = await store.apply_application(*arguments)
    else:  # replaces only the version named; never creates
        outcome = await preconditions.apply_application(*arguments, matches=matches)
    match outcome:
        case preconditions.PreconditionFailed():
            raise precondition_failed()
        case store.LimitReached():
            return limit_response(outcome)
        case store.Deleting():
            raise deleting_problem(wanted.app_name)
        case store.Created():
            request.state.notifier.poke(*ENVIRONMENT_KINDS)
            return JSON(application_view(NEW_APPLICATION, organisation.slug, spec=wanted).to_wire(), status_code=201)
        case store.Replaced(changed=changed):
            if changed:
                request.state.notifier.poke(*ENVIRONMENT_KINDS)
    rows = await application_views(pool, organisation.id, wanted.app_name)
    if not rows:  # deleted and torn down since the write
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    return JSON(application_view(rows[0], organisation.slug).to_wire())


async def plan_application(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    return await dry_run(request, organisation.id, await named_body(request), create=False)



operations = [
    Operation(V3 + "/{application}", "put", "applyApplication",
              "Create or replace the application's desired state (declarative; repeating it changes nothing)",
              ApplyApplicationRequest, {
        200: ("Replaced (or unchanged); with dryRun, the plan and nothing written", Application),
        201: ("Created", Application),
        400: ("The request is invalid, or appName differs from the path's", None),
        403: ("Application limit reached", LimitReached),
        409: ("The application is being deleted", None),
    }, query=DRY_RUN_QUERY, handler=apply_application, if_match=True),
    Operation(V3 + "/{application}/plan", "post", "planApplication",
              "The field-level changes a PUT of this body would make, and their effects; writes nothing",
              ApplyApplicationRequest, {
        200: ("The plan", ApplicationPlan),
        400: ("The request is invalid, or appName differs from the path's", None),
        403: ("Application limit reached (the application does not exist yet)", LimitReached),
        409: ("The application is being deleted", None),
    }, handler=plan_application),
]
