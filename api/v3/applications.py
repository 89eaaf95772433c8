"""`/api/v3/organizations/{organisation}/applications`: create, list, get, delete.

The declarative `PUT` and the dry runs are in `api/v3/plan.py`."""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import SKIP_FINAL_SNAPSHOT, parse_body, query_flag
from api.etags import APPLICATION_TAG, if_match, precondition_failed
from api.operations import DRY_RUN_QUERY, SKIP_FINAL_SNAPSHOT_QUERY, V3, Operation
from api.problems import Problem
from api.responses import JSON
from api.v3.plan import DRY_RUN, NAME_TAKEN, dry_run, limit_response
from api.v3.views import NEW_APPLICATION, application_view
from controller.store import applications as store
from controller.store import preconditions
from schemas.v3.applications import Application, CreateApplicationRequest, LimitReached
from schemas.v3.plan import ApplicationPlan, requested_workload

APPLICATION_NOT_FOUND = "Application not found"


async def create_application(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    wanted = await parse_body(request, CreateApplicationRequest)
    if query_flag(request, DRY_RUN):
        return await dry_run(request, organisation.id, wanted, create=True)
    production = requested_workload(wanted).to_wire()
    outcome = await store.create_application(
        request.state.pool, organisation.id, wanted.app_name, wanted.to_wire(), production
    )
    match outcome:
        case store.LimitReached():
            return limit_response(outcome)
        case store.NameTaken():
            raise Problem(409, "Conflict", NAME_TAKEN.format(name=wanted.app_name))
    # Wake only the kinds the statement queued (the production spec's finalizers).
    request.state.notifier.poke(*store.kinds_for(production))
    view = application_view(NEW_APPLICATION, organisation.slug, spec=wanted)
    return JSON(view.to_wire(), status_code=201)


async def list_applications(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    rows = await store.application_views(request.state.pool, organisation.id)
    return JSON([application_view(row, organisation.slug).to_wire() for row in rows])


async def get_application(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    rows = await store.application_views(request.state.pool, organisation.id, request.path_params["application"])
    if not rows:
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    return JSON(application_view(rows[0], organisation.slug).to_wire())


async def delete_application(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    skip = query_flag(request, SKIP_FINAL_SNAPSHOT)
    name = request.path_params["application"]
    matches = if_match(request)
    deleted: bool | preconditions.PreconditionFailed
    if matches is None:
        deleted = await store.delete_application(request.state.pool, organisation.id, name, skip_final_snapshot=skip)
    else:
        deleted = await preconditions.delete_application(
            request.state.pool, organisation.id, name, skip_final_snapshot=skip, matches=matches
        )
    if isinstance(deleted, preconditions.PreconditionFailed):
        raise precondition_failed()
    if not deleted:
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    request.state.notifier.poke(*store.ENVIRONMENT_KINDS)
    return Response(status_code=204)



operations = [
    Operation(V3, "post", "createApplication", "Create a new application", CreateApplicationRequest, {
        200: ("dryRun: what the create would make; nothing was written", ApplicationPlan),
        201: ("The created application", Application),
        400: ("The request is invalid", None),
        403: ("Application limit reached", LimitReached),
        409: ("The application name is taken", None),
    }, query=DRY_RUN_QUERY, handler=create_application, idempotent=True),
    Operation(V3, "get", "listApplications", "Get all applications for an organisation", None, {
        200: ("A list of applications", [Application]),
    }, handler=list_applications),
    Operation(V3 + "/{application}", "get", "getApplication", "Get a single application", None, {
        200: ("The application", Application),
        404: ("The application not found", None),
    }, handler=get_application, tagged=APPLICATION_TAG),
    Operation(V3 + "/{application}", "delete", "deleteApplication",
              "Delete an application (its cloud resources are torn down first)", None, {
        204: ("The application is being deleted", None),
        404: ("The application not found", None),
    }, query=SKIP_FINAL_SNAPSHOT_QUERY, handler=delete_application, if_match=True),
]
