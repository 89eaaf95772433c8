"""`…/environments/{environment}/scaling-policies`: list, upsert and delete an environment's
target-tracking policies.

Desired state only: the routes change `scalingPolicies` in the environment's spec
through the environment update step (`store_update`); the `ecs-autoscaling` reconciler
makes them real. A policy's `policyArn` (berth's addition) shows once it has.
"""

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from api.auth import authorised_organisation
from api.bodies import parse_body
from api.etags import ENVIRONMENT_TAG
from api.operations import Operation, declared_query, query_of, wire_names
from api.problems import INVALID_BODY, Problem, field_errors
from api.responses import JSON
from api.v3.environments import ENVIRONMENT_NOT_FOUND, PREFIX, store_update
from controller.store.scaling import scaling_policies
from schemas.desired import EnvironmentSpec
from schemas.v3.scaling import (
    GetScalingPolicyResponse,
    PolicyNameQuery,
    ScalingPolicy,
    ScalingPolicyListResponse,
    ScalingPolicyQuery,
    SetScalingPolicyRequest,
    matching,
    untrackable,
    upserted,
)

Q = TypeVar("Q", bound=BaseModel)
INVALID_QUERY = "The query parameters are invalid."
PATH = PREFIX + "/{environment}/scaling-policies"


def _query(request: Request, model: type[Q]) -> Q:
    """`?metric=` and `?policyName=` (as `model` reads them), or a 400 naming the bad one
    (`pointer`: `?name`)."""
    try:
        return model.model_validate(dict(declared_query(request, wire_names(model))))
    except ValidationError as error:
        errors = [{**e, "pointer": "?" + e["field"]} for e in field_errors(error)]
        raise Problem(400, "Bad Request", INVALID_QUERY, errors=errors) from None


def _view(policy: ScalingPolicy, arns: dict[str, str]) -> GetScalingPolicyResponse:
    return GetScalingPolicyResponse(
        metric=policy.metric,
        target_value=policy.target_value,
        scale_in_cooldown_seconds=policy.scale_in_cooldown_seconds,
        scale_out_cooldown_seconds=policy.scale_out_cooldown_seconds,
        policy_name=policy.policy_name,
        policy_arn=arns.get(policy.policy_name),
    )


async def _stored(request: Request, organisation_id: int) -> tuple[list[ScalingPolicy], dict[str, str]]:
    found = await scaling_policies(
        request.state.pool, organisation_id, request.path_params["application"], request.path_params["environment"]
    )
    if found is None:
        raise Problem(404, "Not Found", ENVIRONMENT_NOT_FOUND)
    return [ScalingPolicy.model_validate(p) for p in found.policies], found.policy_arns


def _policy(wanted: SetScalingPolicyRequest, name: str | None) -> ScalingPolicy:
    """The policy to store, or a 400 naming `metric` (RPS: berth has no load balancer) or
    `targetValue` (a percentage above 100)."""
    if problem := untrackable(wanted.metric, wanted.target_value):
        field, message = problem
        error = {"field": field, "pointer": "/" + field, "message": message}
        raise Problem(400, "Bad Request", INVALID_BODY, errors=[error])
    return ScalingPolicy.of(wanted, name)


async def list_scaling_policies(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    query = _query(request, ScalingPolicyQuery)
    policies, arns = await _stored(request, organisation.id)
    shown = matching(policies, query.metric, query.policy_name)
    return JSON(ScalingPolicyListResponse(policies=[_view(p, arns) for p in shown]).to_wire())


async def upsert_scaling_policy(request: Request) -> Response:
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    query = _query(request, PolicyNameQuery)
    policy = _policy(await parse_body(request, SetScalingPolicyRequest), query.policy_name)

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        changed = {"scaling_policies": upserted(current.scaling_policies, policy)}
        return current.model_copy(update=changed).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    _, arns = await _stored(request, organisation.id)
    return JSON(_view(policy, arns).to_wire())


async def delete_scaling_policy(request: Request) -> Response:
    """Every policy matching all the filters given goes (all of them without a filter);
    none matching is still a 204: the policy is not there, as asked."""
    organisation = await authorised_organisation(request, request.path_params["organisation"])
    query = _query(request, ScalingPolicyQuery)

    def make_spec(stored: dict) -> dict:
        current = EnvironmentSpec.model_validate(stored)
        gone = matching(current.scaling_policies, query.metric, query.policy_name)
        kept = [p for p in current.scaling_policies if p not in gone]
        return current.model_copy(update={"scaling_policies": kept}).to_wire()

    await store_update(request, organisation.id, request.path_params["environment"], make_spec)
    return Response(status_code=204)



operations = [
    Operation(PATH, "get", "listScalingPolicies", "List Scaling Policies", None, {
        200: ("List of scaling policies for the environment", ScalingPolicyListResponse),
        400: ("A query parameter is invalid", None),
        404: ("The application or environment not found", None),
    }, query=query_of(ScalingPolicyQuery), handler=list_scaling_policies, tagged=ENVIRONMENT_TAG),
    Operation(PATH, "put", "upsertScalingPolicy", "Upsert Scaling Policy", SetScalingPolicyRequest, {
        200: ("Scaling policy created or updated successfully", GetScalingPolicyResponse),
        400: ("The policy is invalid", None),
        404: ("The application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, query=query_of(PolicyNameQuery), handler=upsert_scaling_policy, if_match=True),
    Operation(PATH, "delete", "deleteScalingPolicy", "Delete Scaling Policy", None, {
        204: ("Scaling policy deleted successfully", None),
        400: ("A query parameter is invalid", None),
        404: ("The application or environment not found", None),
        409: ("The environment is being deleted", None),
    }, query=query_of(ScalingPolicyQuery), handler=delete_scaling_policy, if_match=True),
]
