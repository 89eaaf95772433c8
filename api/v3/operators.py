"""`POST …/applications/{application}/reconcile` and `…/applications/{application}/drift-policy`.

Both are desired-state writes like any other: they queue work in PostgreSQL, in the
same statement, and poke the notifier; the reconcilers do the rest.
"""

from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.operations import Operation
from api.problems import Problem
from api.responses import JSON
from controller.store import operators as store
from controller.store.kinds import ENVIRONMENT_KINDS
from schemas.desired import DriftPolicy
from schemas.v3.events import DriftPolicyRequest, DriftPolicyView, ReconcileAccepted

APPLICATION_NOT_FOUND = "Application not found"
APPLICATION_DELETING = "The application is being deleted; its drift policy cannot change."
PREFIX = "/api/v3/organizations/{organisation}/applications/{application}"


async def reconcile(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    application = request.path_params["application"]
    queued = await store.reconcile_application(request.state.pool, organisation.id, application)
    if queued is None:
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    request.state.notifier.poke(*ENVIRONMENT_KINDS)
    return JSON({"application": application, "queued": queued.passes}, status_code=202)


async def get_drift_policy(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    application = request.path_params["application"]
    policy = await store.drift_policy(request.state.pool, organisation.id, application)
    if policy is False:
        raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
    return JSON({"application": application, "policy": policy or DriftPolicy.CORRECT.value})


async def put_drift_policy(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    application = request.path_params["application"]
    wanted = await parse_body(request, DriftPolicyRequest)
    # `correct` is the default: stored as no field, so specs stay as they were written.
    stored = None if wanted.policy == DriftPolicy.CORRECT else wanted.policy.value
    outcome = await store.set_drift_policy(request.state.pool, organisation.id, application, stored)
    match outcome:
        case None:
            raise Problem(404, "Not Found", APPLICATION_NOT_FOUND)
        case store.Deleting():
            raise Problem(409, "Conflict", APPLICATION_DELETING)
    request.state.notifier.poke(*ENVIRONMENT_KINDS)
    return JSON({"application": application, "policy": wanted.policy.value, "environments": outcome.environments})



_NOT_FOUND = {404: ("The application not found", None)}
operations = [
    Operation(PREFIX + "/reconcile", "post", "reconcileApplication",
              "Queue an immediate pass of every reconciler of every environment of the application", None,
              {202: ("Queued", ReconcileAccepted), **_NOT_FOUND}, handler=reconcile),
    Operation(PREFIX + "/drift-policy", "get", "getDriftPolicy",
              "What a resync does about out-of-band changes: correct (default) or report", None,
              {200: ("The policy", DriftPolicyView), **_NOT_FOUND}, handler=get_drift_policy),
    Operation(PREFIX + "/drift-policy", "put", "putDriftPolicy",
              "Set the drift policy of every environment of the application", DriftPolicyRequest,
              {200: ("Stored; the environments' reconcilers are queued", DriftPolicyView),
               400: ("The body is invalid", None), **_NOT_FOUND,
               409: ("The application is being deleted", None)}, handler=put_drift_policy),
]
